package media

import (
	"errors"
	"time"
)

// StateEvents is implemented by PeerEvents that follow a peer's media
// connection after it first connected: an interruption is not the end of a
// participant (a blip on a real network), so the relay needs both edges.
type StateEvents interface {
	// Disconnected is called when the connection stops passing media.
	Disconnected()
	// Connected is called each time the connection (re)connects.
	Connected()
}

// Restarter is a Peer that can offer again on demand: with new ICE
// credentials (an ICE restart, so a client whose network changed finds a new path
// without a new peer connection), or to replace an offer lost with a dropped
// signaling connection.
type Restarter interface {
	Reoffer(iceRestart bool) error
	// RestartICE sends an ICE restart offer now, or right after the
	// answer to the offer still pending.
	RestartICE() error
}

// ErrNoOffer is returned by SetAnswer for an answer when no offer is
// pending: a late answer to an offer a restart already followed.
var ErrNoOffer = errors.New("media: no offer pending")

// Stats are a peer's connection figures since the previous call.
type Stats struct {
	// RTT is the selected candidate pair's round trip; zero when unknown.
	RTT time.Duration
	// Loss is the share (0..1) of the packets the peer published that
	// never arrived, or when it published nothing in the interval, the
	// share it reported losing of what the relay sent.
	Loss float64
	// RecvBitrate is the bitrate the relay received from the peer's
	// published tracks, in bit/s.
	RecvBitrate int64
}

// StatsPeer is a Peer that reports connection figures.
type StatsPeer interface {
	Stats() Stats
}
