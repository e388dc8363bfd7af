package plaintext

import (
	"testing"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		in   string
		bad  bool
	}{
		{"plain", "Ann Admin", false},
		{"accents and scripts", "Zoë Ålund – 山田 太郎 – مريم", false},
		{"emoji and joiner", "Tech 👩‍🔧", false},
		{"apostrophe and hyphen", "O'Neil-Smith", false},
		{"empty", "", false},
		{"NUL", "Ann\x00", true},
		{"tab", "Ann\tAdmin", true},
		{"newline", "Ann\nAdmin", true},
		{"carriage return", "Ann\r", true},
		{"escape", "\x1b[31mAnn", true},
		{"DEL", "Ann\x7f", true},
		{"C1 next line", "Ann\u0085", true},
		{"C1 CSI", "Ann\u009b", true},
		{"LRE", "Ann\u202a", true},
		{"RLE", "Ann\u202b", true},
		{"PDF", "Ann\u202c", true},
		{"LRO", "Ann\u202d", true},
		{"RLO", "Ann\u202egpj.exe", true},
		{"LRI", "\u2066Ann", true},
		{"RLI", "\u2067Ann", true},
		{"FSI", "\u2068Ann", true},
		{"PDI", "Ann\u2069", true},
		{"LRM", "Ann\u200e", true},
		{"RLM", "Ann\u200f", true},
		{"Arabic letter mark", "Ann\u061c", true},
		{"zero width joiner alone is allowed", "Ann\u200d", false},
		{"no-break space is allowed", "Ann\u00a0Admin", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check("name", tc.in)
			if !tc.bad {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tc.in, err)
				}
				return
			}
			e := apperr.From(err)
			if e == nil || e.Kind != apperr.Invalid || e.Field != "name" || e.Code != ErrCode {
				t.Fatalf("Check(%q) = %v, want invalid %s on name", tc.in, err, ErrCode)
			}
		})
	}
}
