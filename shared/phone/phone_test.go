package phone

import (
	"testing"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

func TestCheckDefaultCountries(t *testing.T) {
	for _, tc := range []struct {
		name, number string
		ok           bool
	}{
		{"Germany", "+4915112345678", true},
		{"France", "+33612345678", true},
		{"US", "+14155550100", true},
		{"Canada, same +1", "+16135550100", true},
		{"UK", "+447400123456", true},
		{"Switzerland", "+41791234567", true},
		{"Dominican Republic, same +1", "+18095550100", false},
		{"Jamaica, same +1", "+18765551234", false},
		{"Guernsey, same +44", "+447911123456", false},
		{"Russia", "+79161234567", false},
		{"international premium rate", "+8819912345678", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := DefaultCountries.Check("phone", tc.number)
			if tc.ok {
				if err != nil {
					t.Fatalf("%s refused: %v", tc.number, err)
				}
				return
			}
			e := apperr.From(err)
			if e == nil || e.Kind != apperr.Invalid || e.Field != "phone" || e.Code != "phone_country_not_allowed" {
				t.Fatalf("%s: got %v, want a 400 naming phone", tc.number, err)
			}
		})
	}
}

func TestParseCountries(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "de, at ,CH", want: "AT,CH,DE"},
		{in: "EU,GB", want: defaultsWithout("US", "CA", "CH")},
		{in: "XX", bad: true},
		{in: " , ", bad: true},
		{in: "DEU", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c, err := ParseCountries(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted %q as %v", tc.in, c)
				}
				return
			}
			if err != nil || c.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", c, err, tc.want)
			}
		})
	}
}

// defaultsWithout lists the default countries without some.
func defaultsWithout(drop ...string) string {
	c := Countries{}
	for r := range DefaultCountries {
		c[r] = true
	}
	for _, d := range drop {
		delete(c, d)
	}
	return c.String()
}
