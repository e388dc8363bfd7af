package store

import (
	"context"
	"sort"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// CallMeter counts DynamoDB calls and their latency per operation, as an SDK
// middleware, so benchmarks can show what each request costs in calls and how
// much of its time the calls take.
type CallMeter struct {
	mu    sync.Mutex
	calls map[string][]time.Duration
	spans []span
	units float64 // read capacity units the calls reported consumed
}

type span struct{ from, to time.Time }

// NewCallMeter returns an empty meter.
func NewCallMeter() *CallMeter { return &CallMeter{calls: map[string][]time.Duration{}} }

// Register adds the meter to a client's middleware stack; pass it as an
// APIOptions entry.
func (m *CallMeter) Register(stack *middleware.Stack) error {
	// At the front of the Initialize step the time covers the whole SDK call:
	// serialising, signing, retries, the round trip and decoding.
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("guestbridgeCallMeter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			end := time.Now()
			op := awsmiddleware.GetOperationName(ctx)
			m.mu.Lock()
			m.calls[op] = append(m.calls[op], end.Sub(start))
			m.spans = append(m.spans, span{start, end})
			m.units += consumed(out.Result)
			m.mu.Unlock()
			return out, md, err
		}), middleware.Before)
}

// Snapshot returns the calls recorded so far, per operation, and resets.
func (m *CallMeter) Snapshot() map[string][]time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.calls
	m.calls, m.spans, m.units = map[string][]time.Duration{}, nil, 0
	for _, ds := range out {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	}
	return out
}

// ReadUnits is the capacity the calls since the last Snapshot reported
// consumed (those that asked with ReturnConsumedCapacity: the list pages).
func (m *CallMeter) ReadUnits() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.units
}

func consumed(result any) float64 {
	var c *types.ConsumedCapacity
	switch r := result.(type) {
	case *dynamodb.QueryOutput:
		c = r.ConsumedCapacity
	case *dynamodb.GetItemOutput:
		c = r.ConsumedCapacity
	}
	if c == nil || c.CapacityUnits == nil {
		return 0
	}
	return *c.CapacityUnits
}

// Waited is how long, since the last Snapshot, at least one call was under
// way: calls that overlap count once, so a request that reads two items at
// the same time waited for one round trip, not two.
func (m *CallMeter) Waited() time.Duration {
	m.mu.Lock()
	spans := append([]span(nil), m.spans...)
	m.mu.Unlock()
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	var total time.Duration
	var cur span
	for i, sp := range spans {
		switch {
		case i == 0:
			cur = sp
		case sp.from.After(cur.to):
			total += cur.to.Sub(cur.from)
			cur = sp
		case sp.to.After(cur.to):
			cur.to = sp.to
		}
	}
	if len(spans) > 0 {
		total += cur.to.Sub(cur.from)
	}
	return total
}
