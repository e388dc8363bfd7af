package relay

import (
	"encoding/json"
	"errors"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// cameraStore keeps, per session, what the camera tools leave on screen: the
// shapes, the frozen still and the zoom in effect. A late joiner or a reload
// gets these instead of replaying every stroke, undo and chunk.
type cameraStore struct {
	mu       sync.Mutex
	sessions map[string]*cameraState
	pruned   time.Time
}

type cameraState struct {
	shapes      []shapeEntry
	shapesBytes int
	still       *still
	zoom        []byte
	touched     time.Time
}

type shapeEntry struct {
	author, id, frame string
	msg               []byte
}

// still is the frozen frame: its begin message and its chunks as forwarded.
type still struct {
	frame  string
	begin  []byte
	chunks [][]byte
	size   int
	got    int
}

// cameraLinger is how long the camera state of a session nobody is in is
// kept after its last use: long enough for everyone to reload, short enough
// that the stills of past sessions do not pile up on a relay.
const cameraLinger = 10 * time.Minute

// state returns sid's camera state, creating it; c.mu must be held.
func (c *cameraStore) state(sid string, now time.Time) *cameraState {
	if c.sessions == nil {
		c.sessions = map[string]*cameraState{}
	}
	st := c.sessions[sid]
	if st == nil {
		st = &cameraState{}
		c.sessions[sid] = st
	}
	st.touched = now
	return st
}

// colorOf is the participant's annotation colour.
func colorOf(pid string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(pid))
	return proto.Palette[h.Sum32()%uint32(len(proto.Palette))]
}

// errCameraInvalid is a camera message that does not fit the session's
// state (a chunk of another frame, a shape id used twice).
var errCameraInvalid = errors.New("does not fit the session's state")

// handleCamera enforces the matrix and the camera rules on one camera-tool
// message; it reports false for other tools.
func (p *Participant) handleCamera(m proto.ToolMessage) bool {
	if !proto.IsCamera(m.Tool) {
		return false
	}
	op, err := proto.DecodeCamera(&m)
	if err != nil {
		p.replyError(proto.ToolError{Code: proto.CodeToolInvalid, Message: "invalid " + string(m.Tool) + " message", Tool: m.Tool, ID: m.ID})
		return true
	}
	// A command needs the tool; an answer needs the customer's device.
	if op.Answer && !toolmatrix.Answers(p.kind, m.Tool) || !op.Answer && (!toolmatrix.Allowed(p.kind, m.Tool) || !p.has(m.Tool)) {
		p.replyError(proto.ToolError{Code: proto.CodeToolForbidden, Message: "tool not allowed", Tool: m.Tool, ID: m.ID})
		return true
	}
	if !p.takeToken(m) {
		return true
	}
	if op.Shape != nil {
		op.Shape.Author, op.Shape.Color = p.id, colorOf(p.id)
		m.SetShape(*op.Shape)
	}
	out, err := m.Forward(p.info())
	if err != nil {
		p.replyError(proto.ToolError{Code: proto.CodeToolInvalid, Message: "invalid tool message", Tool: m.Tool, ID: m.ID})
		return true
	}
	p.srv.pruneCamera(p.srv.now())
	if err := p.srv.applyCamera(p, op, out); err != nil {
		code, msg := proto.CodeToolInvalid, "invalid "+string(m.Tool)+" message: "+err.Error()
		if errors.Is(err, proto.ErrCameraForbidden) {
			code, msg = proto.CodeToolForbidden, err.Error()
		}
		p.replyError(proto.ToolError{Code: code, Message: msg, Tool: m.Tool, ID: m.ID})
		return true
	}
	if te, ok := p.srv.cfg.Events.(ToolEvents); ok && op.Op != "chunk" {
		te.Tool(p.sid, p.id, m.Tool, m.Text(), p.srv.now())
	}
	for _, o := range p.sess.others(p) {
		if (op.To == "" || o.id == op.To) && o.mayReceive(m.Tool) {
			if err := o.peer.SendData(out); err != nil {
				p.srv.log.Debug("tool message dropped", "to", o.id, "err", err)
			}
		}
	}
	return true
}

// takeToken applies the sender's rate limit, telling them at most once a
// second that a message was dropped.
func (p *Participant) takeToken(m proto.ToolMessage) bool {
	now := p.srv.now()
	p.mu.Lock()
	ok := p.bucket.take(now)
	notify := !ok && now.Sub(p.lastLimited) >= time.Second
	if notify {
		p.lastLimited = now
	}
	p.mu.Unlock()
	if notify {
		p.replyError(proto.ToolError{Code: proto.CodeRateLimited, Message: "too many tool messages", Tool: m.Tool, ID: m.ID})
	}
	return ok
}

// applyCamera updates the session's camera state with a checked message,
// or refuses it.
func (s *Server) applyCamera(p *Participant, op proto.CameraOp, out []byte) error {
	c := &s.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state(p.sid, s.now())
	switch op.Tool {
	case toolmatrix.Annotation:
		switch op.Op {
		case "add":
			sh := op.Shape
			if sh.Frame != proto.LiveFrame && (st.still == nil || st.still.frame != sh.Frame) {
				return errors.New("the frame is no longer frozen")
			}
			if len(st.shapes) >= proto.MaxShapes || st.shapesBytes+len(out) > maxShapesBytes {
				return errors.New("too many shapes on screen")
			}
			if slices.ContainsFunc(st.shapes, func(e shapeEntry) bool { return e.author == p.id && e.id == sh.ID }) {
				return errCameraInvalid
			}
			st.shapes = append(st.shapes, shapeEntry{author: p.id, id: sh.ID, frame: sh.Frame, msg: out})
			st.shapesBytes += len(out)
		case "undo":
			i := slices.IndexFunc(st.shapes, func(e shapeEntry) bool { return e.author == p.id && e.id == op.ShapeID })
			if i < 0 {
				if slices.ContainsFunc(st.shapes, func(e shapeEntry) bool { return e.id == op.ShapeID }) {
					return errors.Join(proto.ErrCameraForbidden, errors.New("only its author undoes a shape"))
				}
				return errors.New("no such shape")
			}
			st.shapesBytes -= len(st.shapes[i].msg)
			st.shapes = slices.Delete(st.shapes, i, i+1)
		case "clear":
			if p.kind != toolmatrix.Primary {
				return errors.Join(proto.ErrCameraForbidden, errors.New("only the primary technician clears all shapes"))
			}
			st.shapes, st.shapesBytes = nil, 0
		}
	case toolmatrix.Freeze:
		switch op.Op {
		case "begin":
			st.still = &still{frame: op.Frame, begin: out, chunks: make([][]byte, op.Chunks), size: op.Size}
			st.dropFrozenShapes()
		case "chunk":
			f := st.still
			if f == nil || f.frame != op.Frame || op.Seq >= len(f.chunks) || f.chunks[op.Seq] != nil || f.got+len(op.Data) > f.size {
				return errCameraInvalid
			}
			f.chunks[op.Seq] = out
			f.got += len(op.Data)
		case "off":
			// Shapes drawn on the still belong to it and go with it.
			st.still = nil
			st.dropFrozenShapes()
		}
	case toolmatrix.Zoom:
		if op.Op == "applied" {
			st.zoom = out
			if op.Level == 1 {
				st.zoom = nil
			}
		}
	}
	return nil
}

// dropFrozenShapes forgets the shapes drawn on a still.
func (st *cameraState) dropFrozenShapes() {
	st.shapes = slices.DeleteFunc(st.shapes, func(e shapeEntry) bool {
		if e.frame != proto.LiveFrame {
			st.shapesBytes -= len(e.msg)
			return true
		}
		return false
	})
}

// Bounds of what a session's camera state holds and sends at once.
const (
	// maxShapesBytes bounds the shapes kept, as forwarded.
	maxShapesBytes = 1 << 20
	// maxHistoryBatch bounds one history message of shapes.
	maxHistoryBatch = 256 << 10
)

// pruneCamera forgets, at most once a minute, the camera state of sessions
// nobody has been in for cameraLinger.
func (s *Server) pruneCamera(now time.Time) {
	c := &s.camera
	c.mu.Lock()
	if now.Sub(c.pruned) < time.Minute {
		c.mu.Unlock()
		return
	}
	c.pruned = now
	var idle []string
	for id, st := range c.sessions {
		if now.Sub(st.touched) > cameraLinger {
			idle = append(idle, id)
		}
	}
	c.mu.Unlock()
	if len(idle) == 0 {
		return
	}
	s.mu.Lock()
	idle = slices.DeleteFunc(idle, func(id string) bool { return s.sessions[id] != nil })
	s.mu.Unlock()
	c.mu.Lock()
	for _, id := range idle {
		if st := c.sessions[id]; st != nil && now.Sub(st.touched) > cameraLinger {
			delete(c.sessions, id)
		}
	}
	c.mu.Unlock()
}

// dropCamera forgets an ended session's camera state.
func (s *Server) dropCamera(sid string) {
	s.camera.mu.Lock()
	delete(s.camera.sessions, sid)
	s.camera.mu.Unlock()
}

// sendCameraState gives a joining participant what the camera tools have on
// screen and they may receive: the frozen still, the shapes, the zoom. The
// still goes in a history message of its own, the rest in messages of at
// most maxHistoryBatch bytes.
func (s *Server) sendCameraState(sid string, p *Participant) {
	c := &s.camera
	c.mu.Lock()
	var stillMsgs []json.RawMessage
	rest := [][]json.RawMessage{nil}
	size := 0
	batch := func(m []byte) {
		if size+len(m) > maxHistoryBatch && len(rest[len(rest)-1]) > 0 {
			rest, size = append(rest, nil), 0
		}
		rest[len(rest)-1] = append(rest[len(rest)-1], m)
		size += len(m)
	}
	if st := c.sessions[sid]; st != nil {
		st.touched = s.now()
		if f := st.still; f != nil && p.mayReceive(toolmatrix.Freeze) {
			stillMsgs = append(stillMsgs, f.begin)
			for _, ch := range f.chunks {
				if ch != nil {
					stillMsgs = append(stillMsgs, ch)
				}
			}
		}
		if p.mayReceive(toolmatrix.Annotation) {
			for _, e := range st.shapes {
				batch(e.msg)
			}
		}
		if st.zoom != nil && p.mayReceive(toolmatrix.Zoom) {
			batch(st.zoom)
		}
	}
	c.mu.Unlock()
	for _, h := range append([][]json.RawMessage{stillMsgs}, rest...) {
		if len(h) > 0 {
			p.client.Send(proto.Signal{Type: proto.TypeHistory, History: h})
		}
	}
}
