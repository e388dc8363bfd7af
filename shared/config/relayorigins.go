package config

import (
	"fmt"
	"regexp"
	"strings"
)

// relayOriginRe is a ws or wss origin: a host name (optionally starting
// with "*." for every relay under a domain) or an IPv4 address, and an
// optional port. The list goes into a Content-Security-Policy header, so
// nothing else may pass: a ";" or a space would add a directive or a source.
var relayOriginRe = regexp.MustCompile(`^(?i)(wss?)://((?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?(?:/[A-Za-z0-9._~/-]*)?$`)

// ParseRelayOrigins reads GB_RELAY_URLS: the relays' signaling URLs as
// browsers reach them, separated by commas or spaces. A path (such as
// /signal) is dropped: the browser is allowed the whole origin.
func ParseRelayOrigins(v string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		m := relayOriginRe.FindStringSubmatch(f)
		if m == nil {
			return nil, fmt.Errorf("GB_RELAY_URLS: %q is not a ws:// or wss:// URL such as wss://relay.example.com", f)
		}
		out = append(out, strings.ToLower(m[1]+"://"+m[2])+m[3])
	}
	return out, nil
}
