package toolmatrix

// The customer's device carries out the camera commands, and only it knows
// whether the camera could: so the customer, who may not use zoom, freeze or
// flash, answers them (the still of a freeze, the zoom it applied, the torch
// it could not switch on). An answer is not a command: the relay lets the
// customer send only the answer forms of these tools (media-task/proto's
// camera messages), and delivers them by the Receives rows like any message.
var answer = map[Kind]set{
	Customer: setOf(Zoom, Freeze, Flash),
}

// Answers reports whether a participant of the given kind answers the
// commands of tool on their device.
func Answers(kind Kind, tool Tool) bool { return answer[kind].has(tool) }
