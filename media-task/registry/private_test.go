package registry

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type captureStore struct{ got []Item }

func (c *captureStore) Put(_ context.Context, it Item) error { c.got = append(c.got, it); return nil }
func (c *captureStore) Delete(context.Context, string) error { return nil }

// TestPrivateAddrWritten checks the address other tasks forward joins to
// reaches the item once set, and is left out before.
func TestPrivateAddrWritten(t *testing.T) {
	st := &captureStore{}
	h := NewHeartbeat(st, "t1", "wss://relay.example/signal", func() int { return 0 }, nil)
	_ = h.Beat(context.Background())
	h.SetPrivateAddr("10.0.1.7:7880")
	_ = h.Beat(context.Background())
	if st.got[0].PrivateAddr != "" || st.got[1].PrivateAddr != "10.0.1.7:7880" {
		t.Fatalf("items %+v", st.got)
	}
	for _, tc := range []struct {
		addr string
		want bool
	}{{"", false}, {"10.0.1.7:7880", true}} {
		m := Attributes(Item{TaskID: "t1", PrivateAddr: tc.addr, HeartbeatAt: time.Now()})
		v, ok := m["privateAddr"].(*types.AttributeValueMemberS)
		if ok != tc.want || (ok && v.Value != tc.addr) {
			t.Fatalf("addr %q: attribute %v", tc.addr, m["privateAddr"])
		}
	}
}
