// Package proto defines the relay's wire formats: the JSON signaling messages
// exchanged over the WebSocket and the JSON tool messages carried on the
// session data channel. Decoders here are strict about sizes and required
// fields because their input comes straight from the network.
package proto

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// Limits on what a client may send.
const (
	// MaxSignalSize bounds one signaling message.
	MaxSignalSize = 64 << 10
	// MaxTicketSize bounds a join ticket.
	MaxTicketSize = 4 << 10
	// MaxCandidateSize bounds one ICE candidate line.
	MaxCandidateSize = 1 << 10
	// MaxReasonSize bounds a close reason.
	MaxReasonSize = 64
	// MaxCloseMessageSize bounds the primary's message to a removed
	// participant (200 characters of up to 4 bytes).
	MaxCloseMessageSize = 800
)

// Signaling message types. Client to relay: join, answer, candidate, close.
// Relay to client: joined, offer, candidate, tools, participant_joined,
// participant_left, draining, close.
const (
	TypeJoin              = "join"
	TypeJoined            = "joined"
	TypeOffer             = "offer"
	TypeAnswer            = "answer"
	TypeCandidate         = "candidate"
	TypeTools             = "tools"
	TypeParticipantJoined = "participant_joined"
	TypeParticipantLeft   = "participant_left"
	TypeDraining          = "draining"
	TypeClose             = "close"
	// TypeHistory carries, after joined, the session's earlier chat and
	// tool messages the participant may receive, oldest first.
	TypeHistory = "history"
	// Network resilience (resume.go): resume, restart (client to relay);
	// resumed, presence, quality (relay to client).
	TypeResume   = "resume"
	TypeRestart  = "restart"
	TypeResumed  = "resumed"
	TypePresence = "presence"
	TypeQuality  = "quality"
	// TypeRecording tells every participant, the customer first, that the
	// session is being recorded or no longer is; a participant who joins
	// during a recording gets it after joined.
	TypeRecording = "recording"
)

// Recording states.
const (
	RecordingStarted = "started"
	RecordingStopped = "stopped"
)

// RecordingNotice is the body of a recording message.
type RecordingNotice struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// By and ByName are the primary who started the recording.
	By     string `json:"by"`
	ByName string `json:"byName,omitempty"`
	// Reason is, when stopped, why: stopped, session_ended,
	// customer_removed, drain or error.
	Reason string `json:"reason,omitempty"`
}

// Close reasons sent in a close message. The first four are the contract's;
// the rest are the relay's own.
const (
	ReasonSessionEnded  = "session_ended"
	ReasonRemoved       = "removed"
	ReasonAccountEnded  = "account_ended"
	ReasonExpired       = "expired"
	ReasonLeft          = "left"
	ReasonReplaced      = "replaced"
	ReasonSeatTaken     = "seat_taken"
	ReasonShutdown      = "relay_shutdown"
	ReasonDraining      = "relay_draining"
	ReasonTicketInvalid = "ticket_invalid"
	ReasonTicketUsed    = "ticket_used"
	ReasonProtocolError = "protocol_error"
	ReasonMediaFailed   = "media_failed"
	ReasonInternal      = "internal_error"
	// ReasonRelayUnavailable: the task hosting the session could not be
	// reached from the task the client connected to; the client retries.
	ReasonRelayUnavailable = "relay_unavailable"
	// ReasonClientTooSlow: the client did not read its signaling messages
	// fast enough and its queue overflowed; the client reconnects.
	ReasonClientTooSlow = "client_too_slow"
)

// Close reasons of the contract for a guest of the company switched off and a
// technician removed from the company.
const (
	ReasonAccountInactive = "account_inactive"
	ReasonMemberRemoved   = "member_removed"
)

// Decoding errors.
var (
	// ErrTooLarge is returned for a message over its size limit.
	ErrTooLarge = errors.New("message too large")
	// ErrMalformed is returned for input that is not the expected JSON.
	ErrMalformed = errors.New("malformed message")
	// ErrUnknownType is returned for a message type a client may not send.
	ErrUnknownType = errors.New("unknown message type")
	// ErrMissingField is returned when a required field is absent or empty.
	ErrMissingField = errors.New("missing field")
)

// Candidate is a trickled ICE candidate, shaped like the browser's
// RTCIceCandidateInit. An empty Candidate string marks the end of candidates.
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// Participant describes a session participant to the others.
type Participant struct {
	ID   string          `json:"id"`
	Kind toolmatrix.Kind `json:"kind"`
	Name string          `json:"name,omitempty"`
	// State is PresenceReconnecting while the seat waits for its holder
	// to come back; empty means connected.
	State string `json:"state,omitempty"`
}

// Error is the body of an error, shaped like the API's errors.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Signal is one signaling message in either direction; which fields are set
// depends on Type.
type Signal struct {
	Type      string     `json:"type"`
	Ticket    string     `json:"ticket,omitempty"`
	SDP       string     `json:"sdp,omitempty"`
	Candidate *Candidate `json:"candidate,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	// Message is, in a close message to a removed participant, what the
	// primary told them.
	Message      string            `json:"message,omitempty"`
	SessionID    string            `json:"sessionId,omitempty"`
	Participant  *Participant      `json:"participant,omitempty"`
	Participants []Participant     `json:"participants,omitzero"`
	Tools        []toolmatrix.Tool `json:"tools,omitzero"`
	Error        *Error            `json:"error,omitempty"`
	// History is, in a history message, the earlier tool messages as they
	// were forwarded.
	History []json.RawMessage `json:"history,omitzero"`
	// DeadlineMs is, in a draining message, how long until the relay
	// closes the connection.
	DeadlineMs int64 `json:"deadlineMs,omitempty"`
	// Resume is, in joined and resumed, the seat's resume secret for the
	// next reconnection, and in a resume message the secret presented.
	Resume string `json:"resume,omitempty"`
	// GraceMs is, in joined and resumed, how long the seat is held after
	// the connection drops.
	GraceMs int64 `json:"graceMs,omitempty"`
	// State is, in a presence message, the participant's new state.
	State string `json:"state,omitempty"`
	// Quality is, in a quality message, the figures of the participants
	// the receiver may see.
	Quality []Quality `json:"quality,omitzero"`
	// Recording is set on recording messages.
	Recording *RecordingNotice `json:"recording,omitempty"`
}

// DecodeSignal decodes and validates one message sent by a client.
func DecodeSignal(b []byte) (Signal, error) {
	var s Signal
	if len(b) > MaxSignalSize {
		return s, ErrTooLarge
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Signal{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch s.Type {
	case TypeJoin:
		if s.Ticket == "" {
			return Signal{}, fmt.Errorf("%w: ticket", ErrMissingField)
		}
		if len(s.Ticket) > MaxTicketSize {
			return Signal{}, fmt.Errorf("%w: ticket", ErrTooLarge)
		}
	case TypeAnswer:
		if s.SDP == "" {
			return Signal{}, fmt.Errorf("%w: sdp", ErrMissingField)
		}
	case TypeCandidate:
		if s.Candidate == nil {
			return Signal{}, fmt.Errorf("%w: candidate", ErrMissingField)
		}
		if len(s.Candidate.Candidate) > MaxCandidateSize {
			return Signal{}, fmt.Errorf("%w: candidate", ErrTooLarge)
		}
	case TypeResume:
		if s.Resume == "" {
			return Signal{}, fmt.Errorf("%w: resume", ErrMissingField)
		}
		if len(s.Resume) > MaxTicketSize {
			return Signal{}, fmt.Errorf("%w: resume", ErrTooLarge)
		}
	case TypeRestart:
	case TypeClose:
		if len(s.Reason) > MaxReasonSize {
			return Signal{}, fmt.Errorf("%w: reason", ErrTooLarge)
		}
	case "":
		return Signal{}, fmt.Errorf("%w: type", ErrMissingField)
	default:
		return Signal{}, fmt.Errorf("%w: %.32q", ErrUnknownType, s.Type)
	}
	return s, nil
}

// Encode encodes a message for the wire.
func (s Signal) Encode() ([]byte, error) { return json.Marshal(s) }
