package proto

// Presence states of a participant (Participant.State, Signal.State).
const (
	PresenceConnected    = "connected"
	PresenceReconnecting = "reconnecting"
)

// ReasonResumeRefused closes a resume whose secret is unknown, used, or
// presented after the seat was given up; the client may then join afresh
// where its link allows.
const ReasonResumeRefused = "resume_refused"

// Quality is one participant's connection figures as the relay measures
// them, sent every few seconds.
type Quality struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// RTTMs is the round trip of the participant's selected candidate
	// pair; zero when not measured yet.
	RTTMs int64 `json:"rttMs"`
	// LossPct is the share of packets lost, in percent: of what the
	// participant sent (a publisher) or, when they publish nothing, of
	// what they reported losing from the relay.
	LossPct float64 `json:"lossPct"`
	// Kbps is the bitrate the relay receives from the participant.
	Kbps int64 `json:"kbps"`
}

// QualitySummary is what a participant's connection was like over their
// whole stay, for the session's record: how often it came back, and the
// worst figures measured.
type QualitySummary struct {
	Reconnects   int     `json:"reconnects"`
	WorstRTTMs   int64   `json:"worstRttMs"`
	WorstLossPct float64 `json:"worstLossPct"`
	// LowestKbps is the lowest bitrate received from the participant
	// while they published; zero when they published nothing.
	LowestKbps int64 `json:"lowestKbps"`
}
