package proto

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeScanResult(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"qr", `{"tool":"qr","id":"q1","format":"QRCode","text":"https://example.test/p/1"}`, nil},
		{"barcode", `{"tool":"barcode","format":"Code128","text":"SN-4711-AB"}`, nil},
		{"live text", `{"tool":"live_text","text":"PUMP SERIAL 4711\nline two"}`, nil},
		{"sender fields are dropped, not refused", `{"tool":"qr","format":"QRCode","text":"x","from":"p1"}`, nil},
		{"longest text", `{"tool":"live_text","text":"` + strings.Repeat("a", MaxScanText) + `"}`, nil},
		{"no text", `{"tool":"qr","format":"QRCode"}`, ErrMissingField},
		{"blank text", `{"tool":"live_text","text":" \n "}`, ErrMissingField},
		{"text not a string", `{"tool":"qr","format":"QRCode","text":42}`, ErrMalformed},
		{"barcode without format", `{"tool":"barcode","text":"SN-1"}`, ErrMalformed},
		{"empty format", `{"tool":"qr","format":"","text":"x"}`, ErrMalformed},
		{"format too long", `{"tool":"qr","format":"` + strings.Repeat("Q", 33) + `","text":"x"}`, ErrMalformed},
		{"format with a newline", `{"tool":"qr","format":"QR\nCode","text":"x"}`, ErrMalformed},
		{"live text with a format", `{"tool":"live_text","format":"QRCode","text":"x"}`, ErrMalformed},
		{"unexpected field", `{"tool":"barcode","format":"EAN13","text":"4006381333931","points":[[0,0]]}`, ErrMalformed},
		{"other tools unchecked", `{"tool":"zoom","level":2}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeTool([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	over := `{"tool":"qr","format":"QRCode","text":"` + strings.Repeat("a", MaxScanText+1) + `"}`
	if _, err := DecodeTool([]byte(over)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("%d characters: %v, want ErrMalformed", MaxScanText+1, err)
	}
}
