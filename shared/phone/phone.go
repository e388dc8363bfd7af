// Package phone decides which phone numbers Guestbridge may text. Every SMS
// is paid by the company that sends it, and international premium ranges are
// the classic way to turn an invitation form into revenue for someone else,
// so only numbers of allowed countries are texted.
//
// The country of a number comes from Google's libphonenumber metadata (Go
// port github.com/nyaruka/phonenumbers), not from the calling code alone:
// +1 is shared by the US, Canada and some twenty Caribbean countries, +44 by
// the UK and the Crown Dependencies, and only the number's area code tells
// them apart.
package phone

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/guestbridge/guestbridge/shared/apperr"
)

// Countries is an allow-list of ISO 3166-1 alpha-2 region codes.
type Countries map[string]bool

// EU are the member states of the European Union.
var EU = []string{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
	"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}

// DefaultCountries are the EU, the US and Canada, the UK and Switzerland.
var DefaultCountries = func() Countries {
	c := Countries{}
	for _, r := range append(slices.Clone(EU), "US", "CA", "GB", "CH") {
		c[r] = true
	}
	return c
}()

// ParseCountries reads a comma-separated list of region codes, such as
// "DE,AT,CH"; "EU" stands for the member states.
func ParseCountries(s string) (Countries, error) {
	c := Countries{}
	supported := phonenumbers.GetSupportedRegions()
	for _, f := range strings.Split(s, ",") {
		r := strings.ToUpper(strings.TrimSpace(f))
		switch {
		case r == "":
			continue
		case r == "EU":
			for _, m := range EU {
				c[m] = true
			}
		case supported[r]:
			c[r] = true
		default:
			return nil, fmt.Errorf("%q is not a region code with phone numbers", r)
		}
	}
	if len(c) == 0 {
		return nil, fmt.Errorf("no region codes in %q", s)
	}
	return c, nil
}

// String lists the regions, sorted, comma-separated.
func (c Countries) String() string {
	rs := make([]string, 0, len(c))
	for r := range c {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	return strings.Join(rs, ",")
}

// Region returns the region code of an E.164 number, "" if it has none.
func Region(number string) string {
	n, err := phonenumbers.Parse(number, "")
	if err != nil {
		return ""
	}
	if r := phonenumbers.GetRegionCodeForNumber(n); r != "" {
		return r
	}
	// A number in a range the metadata does not know yet: the main region
	// of its calling code, which is where the carrier routes it.
	if r := phonenumbers.GetRegionCodeForCountryCode(int(n.GetCountryCode())); r != "ZZ" {
		return r
	}
	return ""
}

// Check refuses a number outside the allow-list with a 400 naming field. The
// number is already known to be in E.164 form.
func (c Countries) Check(field, number string) error {
	r := Region(number)
	if r != "" && c[r] {
		return nil
	}
	e := apperr.InvalidField(field, "text messages cannot be sent to numbers of this country; use email")
	if r != "" {
		e.Message = "text messages cannot be sent to numbers of " + r + "; use email"
	}
	e.Code = "phone_country_not_allowed"
	return e
}
