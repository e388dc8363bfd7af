package proxy

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/ticket"
)

type fakeTickets struct{}

func (fakeTickets) Parse(tok string) (ticket.Ticket, error) {
	if tok == "bad" {
		return ticket.Ticket{}, ticket.ErrInvalid
	}
	return ticket.Ticket{SessionID: tok}, nil
}

type fakeLocator map[string]struct {
	t   Target
	err error
}

func (f fakeLocator) Host(_ context.Context, sid string) (Target, error) {
	r := f[sid]
	return r.t, r.err
}

func TestRoute(t *testing.T) {
	loc := fakeLocator{
		"unplaced": {err: ErrNotPlaced},
		"mine":     {t: Target{TaskID: "self", Addr: "10.0.0.1:7880"}},
		"other":    {t: Target{TaskID: "b", Addr: "10.0.0.2:7880"}},
		"noaddr":   {t: Target{TaskID: "b"}},
		"gone":     {t: Target{TaskID: "c"}, err: ErrUnavailable},
		"dberr":    {err: errors.New("throttled")},
		// The own item missing for a moment still serves own sessions.
		"mine-stale": {t: Target{TaskID: "self"}, err: ErrUnavailable},
	}
	f := New(Config{Self: "self", Tickets: fakeTickets{}, Locator: loc})
	for _, tc := range []struct {
		tok        string
		forward    bool
		wantReason string
	}{
		{"unplaced", false, ""},
		{"mine", false, ""},
		{"mine-stale", false, ""},
		{"other", true, ""},
		{"noaddr", false, proto.ReasonRelayUnavailable},
		{"gone", false, proto.ReasonRelayUnavailable},
		{"dberr", false, proto.ReasonRelayUnavailable},
		{"bad", false, "ticket"},
	} {
		t.Run(tc.tok, func(t *testing.T) {
			up, err := f.Route(context.Background(), tc.tok)
			if (up != nil) != tc.forward {
				t.Fatalf("forward %v, want %v", up != nil, tc.forward)
			}
			switch tc.wantReason {
			case "":
				if err != nil {
					t.Fatalf("err %v", err)
				}
			case "ticket":
				if !errors.Is(err, ticket.ErrInvalid) {
					t.Fatalf("err %v, want the ticket's", err)
				}
			default:
				var rr interface{ Reason() string }
				if !errors.As(err, &rr) || rr.Reason() != tc.wantReason {
					t.Fatalf("err %v, want reason %s", err, tc.wantReason)
				}
			}
		})
	}
}

func TestPrivateAddr(t *testing.T) {
	got, err := PrivateAddr("10.0.0.9:7000", nil)
	if err != nil || got != "10.0.0.9:7000" {
		t.Fatalf("explicit: %q %v", got, err)
	}
	got, err = PrivateAddr("auto", &net.TCPAddr{IP: net.IPv4zero, Port: 7880})
	if err != nil {
		t.Skipf("no IPv4 interface here: %v", err)
	}
	host, port, _ := net.SplitHostPort(got)
	if port != "7880" || strings.HasPrefix(host, "127.") || net.ParseIP(host).To4() == nil {
		t.Fatalf("auto: %q", got)
	}
}
