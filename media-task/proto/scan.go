package proto

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// A scan result is what a technician's page read off the customer's frame:
// {"tool":"qr"|"barcode","format":"QRCode","text":"..."} or
// {"tool":"live_text","text":"..."}. The page decodes and the relay forwards
// and records the result, so it must say something: a scan message without
// text would put an empty line in the session's record.

// Bounds of a scan result.
const (
	// MaxScanText bounds a result's text in characters. A QR code holds at
	// most 7089 digits; recognized text longer than this is cut by the page.
	MaxScanText = 8000
	maxFormat   = 32
)

// scanTools are the tools whose messages are scan results.
var scanTools = []toolmatrix.Tool{toolmatrix.QR, toolmatrix.Barcode, toolmatrix.LiveText}

// IsScan reports whether t's messages are scan results.
func IsScan(t toolmatrix.Tool) bool {
	for _, s := range scanTools {
		if s == t {
			return true
		}
	}
	return false
}

// checkScan validates a scan result's fields; other tools pass.
func checkScan(m ToolMessage) error {
	if !IsScan(m.Tool) {
		return nil
	}
	text, ok, err := stringField(m.fields, "text")
	if err != nil {
		return err
	}
	if !ok || strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: text", ErrMissingField)
	}
	if utf8.RuneCountInString(text) > MaxScanText {
		return fmt.Errorf("%w: text longer than %d characters", ErrMalformed, MaxScanText)
	}
	format, ok, err := stringField(m.fields, "format")
	if err != nil {
		return err
	}
	if m.Tool == toolmatrix.LiveText {
		if ok {
			return fmt.Errorf("%w: live text has no format", ErrMalformed)
		}
	} else if !ok || format == "" || len(format) > maxFormat || strings.ContainsAny(format, "\x00\n\r") {
		return fmt.Errorf("%w: format must name the symbology", ErrMalformed)
	}
	for k := range m.fields {
		switch k {
		case "tool", "id", "text", "format":
		default:
			return fmt.Errorf("%w: unexpected field %.32q", ErrMalformed, k)
		}
	}
	return nil
}

// stringField reads fields[k] as a string; ok is false when it is absent.
func stringField(fields map[string]json.RawMessage, k string) (string, bool, error) {
	raw, ok := fields[k]
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, fmt.Errorf("%w: %s is not a string", ErrMalformed, k)
	}
	return s, true, nil
}
