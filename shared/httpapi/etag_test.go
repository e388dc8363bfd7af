package httpapi

import "testing"

func TestETagMatches(t *testing.T) {
	tag := `"abc"`
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{`*`, true},
		{`"abcd"`, false},
		{`abc`, false},
	} {
		if got := etagMatches(c.header, tag); got != c.want {
			t.Errorf("%q: got %v, want %v", c.header, got, c.want)
		}
	}
	if bodyETag([]byte("a")) == bodyETag([]byte("b")) {
		t.Error("different bodies share a tag")
	}
}
