package relay

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/media-task/events"
	"github.com/guestbridge/guestbridge/media-task/media"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/ticket"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// seqLog is the order in which clients were sent recording messages and
// the recorder was started.
type seqLog struct {
	mu  sync.Mutex
	log []string
}

func (l *seqLog) add(s string) { l.mu.Lock(); l.log = append(l.log, s); l.mu.Unlock() }
func (l *seqLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.log...)
}

// seqClient logs the recording messages it is sent.
type seqClient struct {
	fakeClient
	name string
	log  *seqLog
}

func (c *seqClient) Send(s proto.Signal) {
	if s.Type == proto.TypeRecording {
		c.log.add(c.name + ":" + s.Recording.State)
	}
	c.fakeClient.Send(s)
}

type fakeRecorder struct {
	log    *seqLog
	mu     sync.Mutex
	starts [][]RecordTrack
	keys   []string
}

func (r *fakeRecorder) Start(key string, tracks []RecordTrack) (Recording, error) {
	r.log.add("recorder:start")
	r.mu.Lock()
	r.starts = append(r.starts, tracks)
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	return fakeRecording{}, nil
}

type fakeRecording struct{}

func (fakeRecording) Stop() (int64, time.Duration, error) { return 1234, 3 * time.Second, nil }

// recEvents keeps the recording events.
type recEvents struct {
	noEvents
	mu  sync.Mutex
	got []events.Recording
	by  []string
}

func (e *recEvents) Recording(_, pid string, r events.Recording, _ time.Time) {
	e.mu.Lock()
	e.got = append(e.got, r)
	e.by = append(e.by, pid)
	e.mu.Unlock()
}

func (e *recEvents) stopped() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, r := range e.got {
		if r.State == proto.RecordingStopped {
			out = append(out, r.Reason)
		}
	}
	return out
}

type recWorld struct {
	t   *testing.T
	srv *Server
	eng *fakeEngine
	tk  fakeTickets
	log *seqLog
	rec *fakeRecorder
	ev  *recEvents
}

func newRecWorld(t *testing.T) *recWorld {
	w := &recWorld{t: t, eng: &fakeEngine{peers: map[string]*fakePeer{}}, tk: fakeTickets{}, log: &seqLog{}, ev: &recEvents{}}
	w.rec = &fakeRecorder{log: w.log}
	srv, err := NewServer(Config{Engine: w.eng, Tickets: w.tk, Events: w.ev, Recorder: w.rec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	w.srv = srv
	return w
}

func (w *recWorld) join(kind toolmatrix.Kind, sid, pid string) (*Participant, *seqClient) {
	w.t.Helper()
	tok := "tok-" + sid + "-" + pid + time.Now().String()
	w.tk[tok] = ticket.Ticket{ParticipantID: pid, SessionID: sid, Kind: kind, ID: tok, Tools: toolmatrix.Tools(kind), Name: strings.ToUpper(pid)}
	c := &seqClient{name: pid, log: w.log}
	p, err := w.srv.Join(tok, c)
	if err != nil {
		w.t.Fatal(err)
	}
	return p, c
}

// publish makes pid's peer publish a track of kind.
func (w *recWorld) publish(sid, pid string, kind media.Kind) {
	w.eng.peer(sid + "/" + pid).ev.Track(&fakeTrack{kind: kind})
}

// session is a customer publishing video and audio, a primary, a secondary
// publishing audio and a guest.
func (w *recWorld) session(sid string) (cust, prim, sec *Participant) {
	cust, _ = w.join(toolmatrix.Customer, sid, "cust")
	prim, _ = w.join(toolmatrix.Primary, sid, "prim")
	sec, _ = w.join(toolmatrix.Secondary, sid, "sec")
	w.join(toolmatrix.Guest, sid, "guest")
	w.publish(sid, "cust", media.Video)
	w.publish(sid, "cust", media.Audio)
	w.publish(sid, "sec", media.Audio)
	return cust, prim, sec
}

func (w *recWorld) errorsTo(sid, pid string) []string {
	var out []string
	for _, m := range w.eng.peer(sid + "/" + pid).messages() {
		if strings.Contains(m, `"error"`) {
			out = append(out, m)
		}
	}
	return out
}

// The notice goes to every participant, the customer first, before the
// recorder starts; the recorder gets the customer's video and audio and
// the technicians' audio; only the primary may start it.
func TestRecordingNoticeBeforeRecorder(t *testing.T) {
	w := newRecWorld(t)
	_, prim, sec := w.session("s")

	sec.handleTool([]byte(`{"tool":"record","state":"start","id":"x"}`))
	if len(w.rec.starts) != 0 || !strings.Contains(strings.Join(w.errorsTo("s", "sec"), ""), proto.CodeToolForbidden) {
		t.Fatalf("a secondary started a recording (%d) or was not refused: %v", len(w.rec.starts), w.errorsTo("s", "sec"))
	}

	prim.handleTool([]byte(`{"tool":"record","state":"start"}`))
	log := w.log.all()
	if len(log) != 5 || log[0] != "cust:started" || log[4] != "recorder:start" {
		t.Fatalf("order %v: want the customer told first and the recorder started after everyone", log)
	}
	var names []string
	for _, tr := range w.rec.starts[0] {
		names = append(names, tr.Name)
	}
	if strings.Join(names, "|") != "CUST (customer) video|CUST (customer) audio|SEC (secondary) audio" {
		t.Fatalf("tracks %v", names)
	}
	if !strings.HasPrefix(w.rec.keys[0], "recordings/s/") || len(w.rec.keys[0]) != len("recordings/s/")+32+len(".webm") {
		t.Fatalf("key %q", w.rec.keys[0])
	}
	// A second start while recording starts nothing new.
	prim.handleTool([]byte(`{"tool":"record","state":"start"}`))
	if len(w.rec.starts) != 1 {
		t.Fatalf("%d recorders for one session", len(w.rec.starts))
	}
	// Who joins during the recording is told after joined.
	_, late := w.join(toolmatrix.Guest, "s", "late")
	if n, ok := late.last(proto.TypeRecording); !ok || n.Recording.State != proto.RecordingStarted || n.Recording.By != "prim" {
		t.Fatalf("late joiner not told: %+v", n)
	}
}

// Without a customer stream the record tool is refused with
// record_unavailable; without a recorder too.
func TestRecordingUnavailable(t *testing.T) {
	w := newRecWorld(t)
	prim, _ := w.join(toolmatrix.Primary, "s", "prim")
	prim.handleTool([]byte(`{"tool":"record","state":"start"}`))
	if len(w.rec.starts) != 0 || !strings.Contains(strings.Join(w.errorsTo("s", "prim"), ""), proto.CodeRecordUnavailable) {
		t.Fatalf("no customer: starts %d, errors %v", len(w.rec.starts), w.errorsTo("s", "prim"))
	}
}

// Each way a recording ends gives its reason, to the participants and in
// the stopped event, which names the primary who started it.
func TestRecordingStopReasons(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		stop       func(w *recWorld, cust, prim *Participant)
	}{
		{"stop", events.ReasonStopped, func(_ *recWorld, _, prim *Participant) {
			prim.handleTool([]byte(`{"tool":"record","state":"stop"}`))
		}},
		{"session end", events.ReasonSessionEnded, func(w *recWorld, _, _ *Participant) {
			_, _ = w.srv.EndSession("s", "")
		}},
		{"customer removed", events.ReasonCustomerRemoved, func(w *recWorld, _, _ *Participant) {
			_, _ = w.srv.RemoveParticipant("s", "cust", "")
		}},
		{"customer leaves", events.ReasonStopped, func(_ *recWorld, cust, _ *Participant) { cust.Leave(proto.ReasonLeft) }},
		{"primary leaves", events.ReasonStopped, func(_ *recWorld, _, prim *Participant) { prim.Leave(proto.ReasonLeft) }},
		{"record tool switched off", events.ReasonStopped, func(w *recWorld, _, _ *Participant) {
			_, _, _ = w.srv.SetTools("s", "prim", []toolmatrix.Tool{toolmatrix.Chat, toolmatrix.Video})
		}},
		{"drain", events.ReasonDrain, func(w *recWorld, _, _ *Participant) { w.srv.Drain(time.Now().Add(10 * time.Millisecond)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newRecWorld(t)
			cust, prim, _ := w.session("s")
			prim.handleTool([]byte(`{"tool":"record","state":"start"}`))
			tc.stop(w, cust, prim)
			w.srv.recWG.Wait()
			if got := w.ev.stopped(); len(got) != 1 || got[0] != tc.want {
				t.Fatalf("stopped events %v, want one with %q", got, tc.want)
			}
			w.ev.mu.Lock()
			by, last := w.ev.by[len(w.ev.by)-1], w.ev.got[len(w.ev.got)-1]
			w.ev.mu.Unlock()
			if by != "prim" || last.Bytes != 1234 || last.DurationMs != 3000 {
				t.Fatalf("stopped event by %q: %+v", by, last)
			}
			if !strings.Contains(strings.Join(w.log.all(), " "), "prim:stopped") {
				t.Fatalf("the primary was not told: %v", w.log.all())
			}
		})
	}
}
