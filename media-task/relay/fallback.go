package relay

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// StoredState is what the API's table says about one session's revocations.
// The periodic check applies it as a fallback for control calls that never
// reached this relay (a lost push, or one the load balancer routed to
// another task).
type StoredState struct {
	// Found is false when the table holds no such session; nothing is
	// applied then.
	Found bool
	// Ended is true once the session's State is "ended".
	Ended bool
	// EndReason is the session's EndReason; a contract close reason, or
	// empty.
	EndReason string
	// Removed maps every removed participant to the reason (RemovedWhy).
	Removed map[string]string
	// Tools maps participants to the tools the API's record gives them
	// (their Tools attribute); participants without a record are absent.
	Tools map[string][]toolmatrix.Tool
	// ReadAt is when the read began; a tool switch that reached this relay
	// later is newer than the state and is kept. Zero means now.
	ReadAt time.Time
}

// StateReader reads sessions' revocation state from the API's table.
type StateReader interface {
	SessionState(ctx context.Context, sid string) (StoredState, error)
}

// hostLinger is how long a session stays checked after its last
// participant left: long enough to cover a reconnect with a ticket minted
// before a revocation whose push was lost (tickets live at most 60 s).
const hostLinger = 2 * time.Minute

// HostedSessions returns the ids of the sessions this relay hosts and does
// not know to be ended: those with connected participants, and those whose
// last participant left less than two minutes ago.
func (s *Server) HostedSessions() []string {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.sessions)+len(s.emptied))
	known := func(sid string) bool { r := s.revoked[sid]; return r != nil && r.ended }
	for sid := range s.sessions {
		if !known(sid) {
			out = append(out, sid)
		}
	}
	for sid, at := range s.emptied {
		if _, live := s.sessions[sid]; live || now.Sub(at) > hostLinger || known(sid) {
			delete(s.emptied, sid)
			continue
		}
		out = append(out, sid)
	}
	sort.Strings(out)
	return out
}

// Applied is what ApplyStored changed.
type Applied struct {
	// Ended is true when the state ended the session here.
	Ended bool
	// Removed lists the participants newly banned.
	Removed []string
	// Disconnected counts the participants the state disconnected.
	Disconnected int
	// Tools lists the participants whose tools the state switched.
	Tools []string
}

// ApplyStored applies a session's stored revocation state that this relay
// does not know yet: an ended session is ended (with its EndReason when that
// is a contract reason, session_ended otherwise), every removed
// participant is banned with their reason (removed when it is not a
// contract reason) and disconnected, and every participant's stored tools
// replace what this relay holds unless a tool switch newer than the read
// arrived meanwhile. What it applies is kept like a control
// call's decision, so every later join or reconnect is checked against it.
// Decisions already known are left alone, so applying the same state again
// changes nothing.
func (s *Server) ApplyStored(sid string, st StoredState) Applied {
	var a Applied
	if !st.Found {
		return a
	}
	s.mu.Lock()
	r := s.revoked[sid]
	ended := r != nil && r.ended
	var fresh []string
	if !ended && !st.Ended {
		for pid := range st.Removed {
			if r == nil {
				fresh = append(fresh, pid)
			} else if _, banned := r.banned[pid]; !banned {
				fresh = append(fresh, pid)
			}
		}
	}
	s.mu.Unlock()
	if ended {
		return a
	}
	if st.Ended {
		reason := st.EndReason
		if !endReasons[reason] {
			reason = proto.ReasonSessionEnded
		}
		n, _ := s.EndSession(sid, reason)
		a.Ended, a.Disconnected = true, n
		s.log.Warn("session ended by the stored state (its end call did not arrive)", "session", sid, "reason", reason, "disconnected", n)
		return a
	}
	a.Tools = s.applyStoredTools(sid, st)
	sort.Strings(fresh)
	for _, pid := range fresh {
		reason := st.Removed[pid]
		if !endReasons[reason] {
			reason = proto.ReasonRemoved
		}
		connected, _ := s.RemoveParticipant(sid, pid, reason)
		a.Removed = append(a.Removed, pid)
		if connected {
			a.Disconnected++
			s.log.Warn("participant removed by the stored state (its remove call did not arrive)", "session", sid, "participant", pid, "reason", reason)
		}
	}
	return a
}

// applyStoredTools switches the tools of the participants whose stored tools
// differ from what this relay holds or applies, and returns their ids.
func (s *Server) applyStoredTools(sid string, st StoredState) []string {
	readAt := st.ReadAt
	if readAt.IsZero() {
		readAt = s.now()
	}
	var changed []string
	s.mu.Lock()
	r := s.revoked[sid]
	sess := s.sessions[sid]
	for pid, stored := range st.Tools {
		if _, banned := st.Removed[pid]; banned {
			continue
		}
		var sw toolSwitch
		var known bool
		if r != nil {
			sw, known = r.tools[pid]
		}
		if known && sw.at.After(readAt) {
			continue
		}
		// A connected participant is compared by what it holds (its
		// ticket's tools at join); one not connected here is recorded, so
		// that a ticket minted before a lost switch cannot give a tool back.
		var p *Participant
		if sess != nil {
			p = sess.participants[pid]
		}
		differs := known && !sameTools(sw.tools, stored)
		if p != nil && !sameTools(*p.tools.Load(), toolmatrix.Restrict(p.kind, stored)) {
			differs = true
		}
		if p == nil && !known {
			differs = true
		}
		if differs {
			changed = append(changed, pid)
		}
	}
	s.mu.Unlock()
	sort.Strings(changed)
	for _, pid := range changed {
		if eff, connected, err := s.SetTools(sid, pid, st.Tools[pid]); err == nil && connected {
			s.log.Warn("tools switched by the stored state (its tools call did not arrive)", "session", sid, "participant", pid, "tools", eff)
		}
	}
	return changed
}

// sameTools reports whether a and b hold the same tools, in any order.
func sameTools(a, b []toolmatrix.Tool) bool {
	return slices.Equal(toolmatrix.Restrict(toolmatrix.Primary, a), toolmatrix.Restrict(toolmatrix.Primary, b))
}

// CheckerConfig configures a Checker.
type CheckerConfig struct {
	// Reader reads the stored state.
	Reader StateReader
	// Interval is the time between two checks of every hosted session.
	Interval time.Duration
	// Timeout bounds one session's read; zero means the interval, within
	// [1 s, 5 s].
	Timeout time.Duration
	// Parallel bounds concurrent reads; zero means 4.
	Parallel int
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
}

// Checker periodically applies the stored revocation state of every hosted
// session: the contract's fallback for lost control calls.
type Checker struct {
	srv *Server
	cfg CheckerConfig
	log *slog.Logger
}

// NewChecker returns a Checker of srv's sessions.
func NewChecker(srv *Server, cfg CheckerConfig) (*Checker, error) {
	if srv == nil || cfg.Reader == nil || cfg.Interval <= 0 {
		return nil, errors.New("relay: checker needs a server, a reader and a positive interval")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = min(max(cfg.Interval, time.Second), 5*time.Second)
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Checker{srv: srv, cfg: cfg, log: cfg.Logger}, nil
}

// Run checks every interval until ctx ends. One pass finishes before the
// next starts; Run returns when ctx ends and the pass under way has stopped.
func (c *Checker) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.Check(ctx)
		}
	}
}

// Check reads and applies the stored state of every hosted session once,
// and returns what it applied per session. Read failures are logged, once
// per pass, and retried on the next pass.
func (c *Checker) Check(ctx context.Context) map[string]Applied {
	sids := c.srv.HostedSessions()
	out := make(map[string]Applied)
	if len(sids) == 0 {
		return out
	}
	var (
		mu       sync.Mutex
		failed   int
		firstErr error
		wg       sync.WaitGroup
	)
	work := make(chan string)
	for range min(c.cfg.Parallel, len(sids)) {
		wg.Go(func() {
			for sid := range work {
				rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
				readAt := c.srv.now()
				st, err := c.cfg.Reader.SessionState(rctx, sid)
				cancel()
				st.ReadAt = readAt
				if err != nil {
					mu.Lock()
					if failed++; firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				a := c.srv.ApplyStored(sid, st)
				if a.Ended || len(a.Removed) > 0 || len(a.Tools) > 0 {
					mu.Lock()
					out[sid] = a
					mu.Unlock()
				}
			}
		})
	}
feed:
	for _, sid := range sids {
		select {
		case work <- sid:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if failed > 0 && ctx.Err() == nil {
		c.log.Warn("revocation check: stored state not read", "sessions", failed, "of", len(sids), "err", firstErr)
	}
	if len(out) > 0 {
		c.log.Info("revocation check applied stored state", "sessions", slices.Sorted(maps.Keys(out)))
	}
	return out
}
