// Package media declares the small interfaces between the relay's domain
// (package relay) and its WebRTC implementation (package rtc), so that the
// domain never imports pion and rtc never imports the domain.
package media

import (
	"errors"
	"time"

	"github.com/guestbridge/guestbridge/media-task/proto"
)

// Errors shared by implementations.
var (
	// ErrClosed is returned by operations on a closed peer or ended track.
	ErrClosed = errors.New("media closed")
	// ErrForeignTrack is returned when a track from another engine is
	// subscribed to.
	ErrForeignTrack = errors.New("track from another engine")
)

// Kind is a track's media kind.
type Kind uint8

// The media kinds.
const (
	Audio Kind = iota + 1
	Video
)

// String returns "audio" or "video".
func (k Kind) String() string {
	switch k {
	case Audio:
		return "audio"
	case Video:
		return "video"
	}
	return "unknown"
}

// Engine creates peers.
type Engine interface {
	// NewPeer creates a peer for one participant. Events are delivered to
	// ev from the engine's goroutines; ev must not block for long.
	NewPeer(cfg PeerConfig, ev PeerEvents) (Peer, error)
}

// PeerConfig says what a peer may publish.
type PeerConfig struct {
	// ID names the peer in logs and stream ids.
	ID string
	// PublishVideo and PublishAudio offer the participant a video and an
	// audio transceiver to send on.
	PublishVideo, PublishAudio bool
}

// PeerEvents receives a peer's events.
type PeerEvents interface {
	// Offer is a local offer to send to the client.
	Offer(sdp string)
	// Candidate is a local ICE candidate to trickle to the client.
	Candidate(c proto.Candidate)
	// Track is a new track published by the client.
	Track(t Track)
	// TrackEnded is called once when a published track ends.
	TrackEnded(t Track)
	// Data is a message received on the data channel. The slice is only
	// valid during the call.
	Data(msg []byte)
	// Failed is called once when the connection fails or closes by itself.
	Failed(err error)
}

// Peer is one participant's WebRTC connection. The relay is always the
// offerer: Start sends the first offer and every later renegotiation.
type Peer interface {
	// Start creates the data channel and the first offer.
	Start() error
	// SetAnswer applies the client's answer.
	SetAnswer(sdp string) error
	// AddCandidate applies a client ICE candidate.
	AddCandidate(c proto.Candidate) error
	// Subscribe forwards t to this peer.
	Subscribe(t Track) (Subscription, error)
	// SendData sends a message on the data channel; it drops the message
	// and returns an error when the channel is not open or backed up.
	SendData(msg []byte) error
	// Close closes the connection and waits for the peer's goroutines.
	Close() error
}

// Track is a published track.
type Track interface {
	// ID identifies the track within its engine.
	ID() string
	// Kind is the media kind.
	Kind() Kind
	// SetEnabled switches forwarding of the whole track on or off.
	SetEnabled(on bool)
	// RequestKeyframe asks the publisher for a key frame (rate limited).
	RequestKeyframe()
}

// Subscription is one track forwarded to one peer.
type Subscription interface {
	// SetEnabled switches forwarding to this peer on or off; switching on
	// a video subscription waits for the next key frame.
	SetEnabled(on bool)
	// Close stops forwarding and removes the track from the peer.
	Close() error
}

// Tap receives a copy of what a published track forwards, for a recording.
type Tap interface {
	// RTP is one RTP packet as the publisher sent it, with its arrival
	// time. It is called on the track's forwarding goroutine, so it must
	// not block; pkt is only valid during the call.
	RTP(pkt []byte, at time.Time)
}

// Tappable is a Track whose forwarded packets can be copied to taps. A
// track that is switched off (SetEnabled(false)) gives its taps nothing
// either: a recording holds what the technicians could see and hear.
type Tappable interface {
	// AddTap adds t; the returned func removes it again.
	AddTap(t Tap) (remove func())
}
