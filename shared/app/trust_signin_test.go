package app_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/config"
)

// Flow tests of sign-in throttling: nobody can lock a user out by failing
// to sign in as them.

// loginFrom signs in as email from the loopback address addr (127.0.0.x;
// the whole 127/8 reaches the test server on Linux), so the API sees a
// different client address per "machine".
func (e *env) loginFrom(addr, email, password string) resp {
	e.t.Helper()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}).DialContext}
	defer tr.CloseIdleConnections()
	req := e.request("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": password})
	res, err := (&http.Client{Transport: tr}).Do(req)
	must(e.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func signInThrottle(c *config.Config) {
	c.LoginFailuresPerAddress = 3
	c.LoginFailuresPerEmail = 6
	c.LoginSlowAfter = 4
}

const (
	attacker  = "127.0.0.2"
	attacker2 = "127.0.0.4"
	attacker3 = "127.0.0.5"
	attacker4 = "127.0.0.6"
	owner     = "127.0.0.3"
)

func TestTrustSignInAttackerAddressIsRefusedNotTheOwner(t *testing.T) {
	e := newEnv(t, signInThrottle)
	e.tomorrowAt(10, 0)
	tech := e.email("tech")
	for i := 0; i < 3; i++ {
		e.expect(e.loginFrom(attacker, tech, "guess "+strconv.Itoa(i)), 401, "invalid_credentials")
	}
	r := e.loginFrom(attacker, tech, "guess 3")
	e.expect(r, 429, "rate_limited")
	expectRetryAfter(t, r, 15*time.Minute)
	// Refused before the password is looked at: the right one does not help.
	e.expect(e.loginFrom(attacker, tech, testPassword), 429, "rate_limited")
	// The owner, from their own address, signs in at once.
	e.expect(e.loginFrom(owner, tech, testPassword), 200, "")
	if d := e.clock.Slept(); d != 0 {
		t.Fatalf("attempts below the slow-down waited %v", d)
	}
	// The attacker's failures age out with their window.
	e.clock.Advance(15 * time.Minute)
	e.expect(e.loginFrom(attacker, tech, "guess 4"), 401, "invalid_credentials")
}

func TestTrustSignInCeilingSlowsThenRefusesFailedAddresses(t *testing.T) {
	e := newEnv(t, signInThrottle)
	e.tomorrowAt(10, 0)
	tech := e.email("tech")
	slept := func(want time.Duration) {
		t.Helper()
		if got := e.clock.Slept(); got != want {
			t.Fatalf("waited %v in all, want %v", got, want)
		}
	}
	for i := 0; i < 3; i++ {
		e.expect(e.loginFrom(attacker, tech, "guess"), 401, "invalid_credentials")
	}
	e.expect(e.loginFrom(attacker2, tech, "guess"), 401, "invalid_credentials")
	slept(0)
	// From the fourth failure of the email on, every attempt waits, doubling.
	e.expect(e.loginFrom(attacker2, tech, "guess"), 401, "invalid_credentials")
	slept(500 * time.Millisecond)
	e.expect(e.loginFrom(attacker3, tech, "guess"), 401, "invalid_credentials")
	slept(1500 * time.Millisecond)

	// Six failures: the ceiling. Addresses that failed are refused...
	for _, a := range []string{attacker2, attacker3} {
		r := e.loginFrom(a, tech, "guess")
		e.expect(r, 429, "rate_limited")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	slept(1500 * time.Millisecond)
	// ... a new one gets one slow attempt, and is refused after failing it ...
	e.expect(e.loginFrom(attacker4, tech, "guess"), 401, "invalid_credentials")
	slept(3500 * time.Millisecond)
	e.expect(e.loginFrom(attacker4, tech, testPassword), 429, "rate_limited")
	// ... and the owner's right password from their own address still works,
	// after the longest wait.
	e.expect(e.loginFrom(owner, tech, testPassword), 200, "")
	slept(3500*time.Millisecond + 4*time.Second)
	// Another account is untouched.
	e.expect(e.loginFrom(attacker, e.email("admin"), testPassword), 200, "")
}

func TestTrustSignInSuccessesAreNotCounted(t *testing.T) {
	e := newEnv(t, signInThrottle)
	e.tomorrowAt(10, 0)
	tech := e.email("tech")
	for i := 0; i < 8; i++ {
		e.expect(e.loginFrom(owner, tech, testPassword), 200, "")
	}
	// The eight successes left all three failures to this address.
	e.expect(e.loginFrom(owner, tech, "typo"), 401, "invalid_credentials")
	e.expect(e.loginFrom(owner, tech, "typo"), 401, "invalid_credentials")
	e.expect(e.loginFrom(owner, tech, testPassword), 200, "")
	e.expect(e.loginFrom(owner, tech, "typo"), 401, "invalid_credentials")
	e.expect(e.loginFrom(owner, tech, testPassword), 429, "rate_limited")
	if d := e.clock.Slept(); d != 0 {
		t.Fatalf("successes slowed sign-in down by %v", d)
	}
}
