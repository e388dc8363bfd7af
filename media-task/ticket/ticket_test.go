package ticket

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// testKey is fixed so that the fuzz corpus in testdata stays valid.
var testKey = ed25519.NewKeyFromSeed([]byte("guestbridge-relay-ticket-test-k!"))

// testNow is the fixed clock of these tests.
var testNow = time.Unix(1_800_000_000, 0)

func mint(t testing.TB, key ed25519.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func joinClaimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": Issuer, "aud": JoinAudience, "sub": "p1", "sid": "s1", "kind": "guest",
		"name": "Gail", "jti": "j1", "iat": now.Unix(), "exp": now.Add(60 * time.Second).Unix(),
		"tools": []string{"chat", "video"},
	}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

func verifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(testKey.Public().(ed25519.PublicKey), func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParse(t *testing.T) {
	base := joinClaimsAt(testNow)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	cases := []struct {
		name   string
		key    ed25519.PrivateKey
		claims jwt.MapClaims
		want   error
	}{
		{"valid", testKey, base, nil},
		{"with until", testKey, with(base, "until", testNow.Add(time.Hour).Unix()), nil},
		{"other key", otherKey, base, ErrInvalid},
		{"expired", testKey, with(base, "iat", testNow.Add(-2*time.Minute).Unix(), "exp", testNow.Add(-time.Minute).Unix()), ErrExpired},
		{"lifetime over a minute", testKey, with(base, "exp", testNow.Add(61*time.Second).Unix()), ErrInvalid},
		{"no exp", testKey, with(base, "exp", nil), ErrInvalid},
		{"no iat", testKey, with(base, "iat", nil), ErrInvalid},
		{"issued in the future", testKey, with(base, "iat", testNow.Add(time.Minute).Unix(), "exp", testNow.Add(time.Minute+30*time.Second).Unix()), ErrInvalid},
		{"control audience", testKey, with(base, "aud", ControlAudience), ErrInvalid},
		{"other issuer", testKey, with(base, "iss", "mallory"), ErrInvalid},
		{"no sub", testKey, with(base, "sub", nil), ErrInvalid},
		{"no sid", testKey, with(base, "sid", nil), ErrInvalid},
		{"no jti", testKey, with(base, "jti", nil), ErrInvalid},
		{"unknown kind", testKey, with(base, "kind", "admin"), ErrInvalid},
		{"long sub", testKey, with(base, "sub", strings.Repeat("x", 200)), ErrInvalid},
		{"no tools", testKey, with(base, "tools", nil), ErrInvalid},
		{"tools not a list", testKey, with(base, "tools", "chat"), ErrInvalid},
		{"long seat", testKey, with(base, "seat", strings.Repeat("x", 200)), ErrInvalid},
	}
	v := verifier(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tk, err := v.Parse(mint(t, tc.key, tc.claims))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if err == nil && (tk.ParticipantID != "p1" || tk.SessionID != "s1" || tk.Kind != "guest" || tk.Name != "Gail" || tk.ID != "j1" ||
				!slices.Equal(tk.Tools, []toolmatrix.Tool{toolmatrix.Chat, toolmatrix.Video})) {
				t.Fatalf("ticket %+v", tk)
			}
		})
	}
}

func TestParseRejectsOtherAlgorithms(t *testing.T) {
	v := verifier(t)
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, joinClaimsAt(testNow)).SignedString([]byte(testKey.Public().(ed25519.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Parse(hs); !errors.Is(err, ErrInvalid) {
		t.Fatalf("HS256 with the public key as secret: %v", err)
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, joinClaimsAt(testNow)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if _, err := v.Parse(none); !errors.Is(err, ErrInvalid) {
		t.Fatalf("alg none: %v", err)
	}
}

func TestJoinSingleUse(t *testing.T) {
	now := testNow
	v, err := NewVerifier(testKey.Public().(ed25519.PublicKey), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, testKey, joinClaimsAt(testNow))
	if _, err := v.Join(tok); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Join(tok); !errors.Is(err, ErrUsed) {
		t.Fatalf("second use: %v", err)
	}
	other := mint(t, testKey, with(joinClaimsAt(testNow), "jti", "j2"))
	if _, err := v.Join(other); err != nil {
		t.Fatalf("another jti: %v", err)
	}
	// After expiry the jti is forgotten, and the ticket fails as expired.
	now = testNow.Add(2 * time.Minute)
	if _, err := v.Join(tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("after expiry: %v", err)
	}
	fresh := mint(t, testKey, with(joinClaimsAt(now), "jti", "j3"))
	if _, err := v.Join(fresh); err != nil {
		t.Fatal(err)
	}
	if n := v.Len(); n != 1 {
		t.Fatalf("remembered %d jtis, want 1 after pruning", n)
	}
}

// TestTicketToolsRestrictedToKind: a tools claim never reaches beyond the
// kind, whatever the token says.
func TestTicketToolsRestrictedToKind(t *testing.T) {
	v := verifier(t)
	tk, err := v.Parse(mint(t, testKey, with(joinClaimsAt(testNow), "tools", []string{"chat", "record", "notes"})))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tk.Tools, []toolmatrix.Tool{toolmatrix.Chat}) {
		t.Fatalf("guest ticket tools %v, want [chat]", tk.Tools)
	}
	tk, err = v.Parse(mint(t, testKey, with(joinClaimsAt(testNow), "jti", "j9", "tools", []string{})))
	if err != nil || tk.Tools == nil || len(tk.Tools) != 0 {
		t.Fatalf("empty tools: %v %v", tk.Tools, err)
	}
}

const (
	ctlPath = "/control/sessions/s1/participants/p1/tools"
	ctlBody = `{"tools":[]}`
)

func ctlClaims(jti string) jwt.MapClaims {
	return jwt.MapClaims{"iss": Issuer, "aud": ControlAudience, "iat": testNow.Unix(), "exp": testNow.Add(30 * time.Second).Unix(),
		"jti": jti, "htm": "POST", "htu": ctlPath, "bh": bodyHash([]byte(ctlBody))}
}

func bodyHash(b []byte) string {
	// The same computation as the API's session.BodyHash, written out so
	// the contract is checked rather than shared.
	return base64RawURL(sha256Sum(b))
}

func TestControl(t *testing.T) {
	ok := ctlClaims("c1")
	cases := []struct {
		name         string
		claims       jwt.MapClaims
		method, path string
		body         string
		want         error
	}{
		{"valid", ok, "POST", ctlPath, ctlBody, nil},
		{"join audience", with(ok, "aud", JoinAudience), "POST", ctlPath, ctlBody, ErrInvalid},
		{"long lifetime", with(ok, "exp", testNow.Add(time.Hour).Unix()), "POST", ctlPath, ctlBody, ErrInvalid},
		{"no exp", with(ok, "exp", nil), "POST", ctlPath, ctlBody, ErrInvalid},
		{"no jti", with(ok, "jti", nil), "POST", ctlPath, ctlBody, ErrInvalid},
		{"no binding", with(ok, "htm", nil, "htu", nil, "bh", nil), "POST", ctlPath, ctlBody, ErrInvalid},
		{"another path", ok, "POST", "/control/sessions/s1/end", ctlBody, ErrInvalid},
		{"another participant", ok, "POST", "/control/sessions/s1/participants/p2/tools", ctlBody, ErrInvalid},
		{"another body", ok, "POST", ctlPath, `{"tools":["chat"]}`, ErrInvalid},
		{"another method", ok, "PUT", ctlPath, ctlBody, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := verifier(t)
			err := v.Control(mint(t, testKey, tc.claims), tc.method, tc.path, []byte(tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestControlSingleUse(t *testing.T) {
	v := verifier(t)
	tok := mint(t, testKey, ctlClaims("c1"))
	if err := v.Control(tok, "POST", ctlPath, []byte(ctlBody)); err != nil {
		t.Fatal(err)
	}
	if err := v.Control(tok, "POST", ctlPath, []byte(ctlBody)); !errors.Is(err, ErrUsed) {
		t.Fatalf("replayed control token: %v", err)
	}
	if err := v.Control(mint(t, testKey, ctlClaims("c2")), "POST", ctlPath, []byte(ctlBody)); err != nil {
		t.Fatalf("another jti: %v", err)
	}
}

func TestControlMemoryBounded(t *testing.T) {
	now := testNow
	v, err := NewVerifier(testKey.Public().(ed25519.PublicKey), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	v.controls.max = 3
	for i := range 3 {
		if err := v.Control(mint(t, testKey, ctlClaims(string(rune('a'+i)))), "POST", ctlPath, []byte(ctlBody)); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Control(mint(t, testKey, ctlClaims("d")), "POST", ctlPath, []byte(ctlBody)); !errors.Is(err, ErrBusy) {
		t.Fatalf("over the bound: %v, want ErrBusy", err)
	}
	// Once the remembered tokens have expired there is room again.
	now = testNow.Add(40 * time.Second)
	fresh := with(ctlClaims("e"), "iat", now.Unix(), "exp", now.Add(30*time.Second).Unix())
	if err := v.Control(mint(t, testKey, fresh), "POST", ctlPath, []byte(ctlBody)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// FuzzParse checks that the ticket parser never panics and accepts only
// tickets carrying every required claim.
func FuzzParse(f *testing.F) {
	f.Add(mint(f, testKey, joinClaimsAt(testNow)))
	f.Add(mint(f, testKey, with(joinClaimsAt(testNow), "until", testNow.Add(time.Hour).Unix())))
	f.Add("a.b.c")
	f.Add("")
	v := verifier(f)
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := v.Parse(s)
		if err != nil {
			return
		}
		if tk.ParticipantID == "" || tk.SessionID == "" || tk.ID == "" || !tk.Kind.Valid() {
			t.Fatalf("accepted incomplete ticket %+v", tk)
		}
		if tk.ExpiresAt.Sub(tk.IssuedAt) > MaxLifetime {
			t.Fatalf("accepted long-lived ticket")
		}
	})
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

func base64RawURL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
