// Package toolmatrix holds the live-session permission matrix as data: which
// session tools each kind of participant may use, and which tool messages each
// kind may receive. The API (invites, session details) and the relay (which
// enforces the matrix on every data-channel message) share this one table.
//
// The technician rows follow the product matrix:
//
//	tool             primary  secondary  guest
//	chat             ✓        ✓          ✓
//	video            ✓        ✓          ✓
//	annotation       ✓        ✓          ✓
//	zoom             ✓        ✓          ✓
//	notes            ✓
//	snapshot         ✓        ✓
//	live_text        ✓        ✓          ✓
//	freeze           ✓        ✓          ✓
//	record           ✓
//	mic              ✓        ✓          ✓
//	invite           ✓
//	session_details  ✓        ✓          ✓
//	flash            ✓        ✓          ✓
//	qr               ✓        ✓          ✓
//	barcode          ✓        ✓          ✓
//
// The customer is the camera side of a session. The customer may use chat,
// video (publishing the camera) and mic (publishing audio). The customer does
// not issue tool commands, but receives the technicians' commands that act on
// the camera view: annotation, zoom, freeze, flash, qr, barcode and live_text,
// besides chat. The customer never receives notes, record, invite or
// session_details messages: those are the technicians' working material.
//
// Snapshot is the one tool the customer's page answers: a snapshot is a still
// of the customer's camera, taken and uploaded by the customer's page. So the
// customer receives snapshot messages and sends them; the technicians'
// request for a still and the upload slot go to the customer alone
// (CustomerOnly), and the customer's answers to the technicians who receive
// snapshots.
//
// For the technician kinds, receiving a tool's messages requires the tool:
// a guest, who has neither notes nor snapshot, never receives them.
package toolmatrix

import "slices"

// Kind is the kind of a session participant.
type Kind string

// The participant kinds of a live session.
const (
	// Primary is the technician who started the session.
	Primary Kind = "primary"
	// Secondary is an internal technician invited by the primary.
	Secondary Kind = "secondary"
	// Guest is an outside technician invited by the primary.
	Guest Kind = "guest"
	// Customer is the person streaming their camera.
	Customer Kind = "customer"
)

// Kinds lists every participant kind.
var Kinds = []Kind{Primary, Secondary, Guest, Customer}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Technician reports whether k is one of the technician kinds.
func (k Kind) Technician() bool { return k == Primary || k == Secondary || k == Guest }

// Tool is a session tool.
type Tool string

// The session tools, in the order of the product matrix.
const (
	Chat           Tool = "chat"
	Video          Tool = "video"
	Annotation     Tool = "annotation"
	Zoom           Tool = "zoom"
	Notes          Tool = "notes"
	Snapshot       Tool = "snapshot"
	LiveText       Tool = "live_text"
	Freeze         Tool = "freeze"
	Record         Tool = "record"
	Mic            Tool = "mic"
	Invite         Tool = "invite"
	SessionDetails Tool = "session_details"
	Flash          Tool = "flash"
	QR             Tool = "qr"
	Barcode        Tool = "barcode"
)

// AllTools lists every tool in matrix order.
var AllTools = []Tool{
	Chat, Video, Annotation, Zoom, Notes, Snapshot, LiveText, Freeze, Record,
	Mic, Invite, SessionDetails, Flash, QR, Barcode,
}

// MessageTools lists the tools whose messages travel over the session data
// channel. Video and mic are media; invite and session_details are API calls.
var MessageTools = []Tool{
	Chat, Annotation, Zoom, Freeze, Flash, QR, Barcode, LiveText, Snapshot, Notes, Record,
}

// Valid reports whether t is a known tool.
func (t Tool) Valid() bool { return slices.Contains(AllTools, t) }

// Message reports whether t's messages travel over the data channel.
func (t Tool) Message() bool { return slices.Contains(MessageTools, t) }

type set uint32

func bit(t Tool) set {
	i := slices.Index(AllTools, t)
	if i < 0 {
		return 0
	}
	return 1 << uint(i)
}

func setOf(tools ...Tool) set {
	var s set
	for _, t := range tools {
		s |= bit(t)
	}
	return s
}

func (s set) has(t Tool) bool {
	b := bit(t)
	return b != 0 && s&b != 0
}

var (
	all = setOf(AllTools...)

	use = map[Kind]set{
		Primary:   all,
		Secondary: all &^ setOf(Notes, Record, Invite),
		Guest:     all &^ setOf(Notes, Snapshot, Record, Invite),
		Customer:  setOf(Chat, Video, Mic, Snapshot),
	}

	receive = map[Kind]set{
		Primary:   all,
		Secondary: all &^ setOf(Notes, Record, Invite),
		Guest:     all &^ setOf(Notes, Snapshot, Record, Invite),
		Customer:  setOf(Chat, Annotation, Zoom, Freeze, Flash, QR, Barcode, LiveText, Snapshot),
	}

	// customerOnly are the steps of a tool whose messages from a technician
	// go to the customer and to nobody else.
	customerOnly = map[Tool][]string{Snapshot: {"take", "upload"}}
)

// Allowed reports whether a participant of the given kind may use tool: send
// its messages, publish its media, or call it through the API.
func Allowed(kind Kind, tool Tool) bool { return use[kind].has(tool) }

// Receives reports whether a participant of the given kind may be delivered
// messages of tool.
func Receives(kind Kind, tool Tool) bool { return receive[kind].has(tool) }

// Tools returns the tools a kind may use, in matrix order. It returns an
// empty list for an unknown kind.
func Tools(kind Kind) []Tool {
	s := use[kind]
	out := make([]Tool, 0, len(AllTools))
	for _, t := range AllTools {
		if s.has(t) {
			out = append(out, t)
		}
	}
	return out
}

// Restrict returns the tools of requested that kind may use, in matrix order
// and without duplicates. Switching tools on or off for one participant goes
// through Restrict, so it can never reach beyond the participant's kind.
func Restrict(kind Kind, requested []Tool) []Tool {
	want := setOf(requested...) & use[kind]
	out := make([]Tool, 0, len(AllTools))
	for _, t := range AllTools {
		if want.has(t) {
			out = append(out, t)
		}
	}
	return out
}

// CustomerOnly reports whether a message of tool with the given step, sent by
// a technician, goes to the customer alone: the request for a still and its
// upload slot, which carries a URL that writes to the case.
func CustomerOnly(tool Tool, step string) bool { return slices.Contains(customerOnly[tool], step) }
