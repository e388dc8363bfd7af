package netsim

import (
	"context"
	"testing"
	"time"
)

// TestBadNetwork runs the customer's camera over 5 % loss, a 300 ms round
// trip and a 500 kbit/s uplink, then cuts the technician off for 5 s: with
// transport-cc the camera fits the uplink, the audio gets through, both
// seats are kept without a leave, and video plays again within 2 s of the
// network's return.
func TestBadNetwork(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := Run(ctx, Options{
		Network: Network{LossPct: 5, RTT: 300 * time.Millisecond, UplinkBps: 500_000},
		TWCC:    true, Warmup: 5 * time.Second, Measure: 5 * time.Second, Blackout: 5 * time.Second,
	})
	t.Logf("%s", r)
	if err != nil {
		t.Fatal(err)
	}
	if r.VideoKbps > 500 || r.VideoKbps < 100 {
		t.Errorf("video delivered at %.0f kbit/s through a 500 kbit/s uplink", r.VideoKbps)
	}
	if r.AudioDelivered < 0.8 {
		t.Errorf("audio starved: %.0f %% delivered", 100*r.AudioDelivered)
	}
	if r.SeatsKept != 2 || r.Leaves != 0 {
		t.Errorf("after the blackout %d seats kept, %d leaves", r.SeatsKept, r.Leaves)
	}
	if r.VideoBack > 2*time.Second {
		t.Errorf("video back %v after the network", r.VideoBack)
	}
}

// TestMediaFailureKeepsSeat: a blackout longer than the relay's ICE failure
// timeout makes the relay's side fail; the seat is held, ICE restarted over
// the live signaling, and the technician watches again without a leave.
func TestMediaFailureKeepsSeat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, err := Run(ctx, Options{TWCC: true, Warmup: time.Second, Measure: time.Second,
		Blackout: 4 * time.Second, RelayICEFailed: 2 * time.Second})
	t.Logf("%s", r)
	if err != nil {
		t.Fatal(err)
	}
	if r.SeatsKept != 2 || r.Leaves != 0 {
		t.Errorf("after the media failure %d seats kept, %d leaves", r.SeatsKept, r.Leaves)
	}
}
