package app

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/media-task/config"
	"github.com/guestbridge/guestbridge/media-task/proto"
	"github.com/guestbridge/guestbridge/media-task/proxy"
	"github.com/guestbridge/guestbridge/media-task/registry"
	"github.com/guestbridge/guestbridge/media-task/rtc/client"
	"github.com/guestbridge/guestbridge/shared/devstack"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// fleet is two relay tasks, A and B, sharing the registry and the session
// items in DynamoDB Local, each with its own HTTP and UDP listeners.
type fleet struct {
	t     *testing.T
	db    *dynamodb.Client
	table string
	a, b  *harness
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	db := devstack.DynamoDBForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const table = "relay-fleet"
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("SK"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("SK"), KeyType: types.KeyTypeRange},
		},
	}); err != nil {
		t.Fatal(err)
	}
	f := &fleet{t: t, db: db, table: table}
	task := func(id string, pub ed25519.PublicKey) *harness {
		h := newHarnessWith(t, func(c *config.Config, o *Options) {
			c.TaskID = id
			if pub != nil {
				c.TicketPublicKey = pub
			}
			o.Store = registry.NewDynamoStore(db, table)
			o.Locator = proxy.NewDynamoLocator(db, table)
		})
		h.app.SetPrivateAddr(h.srv.Listener.Addr().String())
		if err := h.app.heartbeat.Beat(ctx); err != nil {
			t.Fatal(err)
		}
		return h
	}
	f.a = task("task-a", nil)
	// Both tasks verify the same API key; tickets are minted with A's.
	f.b = task("task-b", f.a.priv.Public().(ed25519.PublicKey))
	return f
}

// place writes the session's META item as the API does when it places the
// session on task.
func (f *fleet) place(sid, task string) {
	f.t.Helper()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	if _, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: map[string]types.AttributeValue{
		"PK": s("SESSION#" + sid), "SK": s("META"), "Type": s("session"), "ID": s(sid), "State": s("live"), "RelayTaskID": s(task),
	}}); err != nil {
		f.t.Fatal(err)
	}
}

// dialVia dials the relay at via with a ticket minted by A's key.
func (f *fleet) dialVia(via *harness, kind toolmatrix.Kind, sid, pid string, publish bool) *client.Client {
	f.t.Helper()
	return f.dialTicket(via, f.a.ticket(ticketOpts{kind: kind, sid: sid, pid: pid}), publish)
}

func (f *fleet) dialTicket(via *harness, tok string, publish bool) *client.Client {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := client.Dial(ctx, client.Options{URL: via.url, Ticket: tok, Publish: publish, API: f.a.api})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	return c
}

func joined(t *testing.T, name string, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := c.Joined(ctx); err != nil {
		t.Fatalf("%s joined: %v (close reason %q)", name, err, c.CloseReason())
	}
}

func refused(t *testing.T, name string, c *client.Client, want string) {
	t.Helper()
	select {
	case <-c.Closed():
	case <-time.After(wait):
		t.Fatalf("%s not refused", name)
	}
	if r := c.CloseReason(); r != want {
		t.Fatalf("%s close reason %q, want %q", name, r, want)
	}
}

// TestFleet runs the fleet's checks on one pair of tasks (DynamoDB Local
// starts once); the drain is last because it leaves A draining.
func TestFleet(t *testing.T) {
	f := newFleet(t)
	t.Run("JoinThroughOtherTask", func(t *testing.T) { fleetJoinThroughOtherTask(t, f) })
	t.Run("ControlCallThroughOtherTask", func(t *testing.T) { fleetControlThroughOtherTask(t, f) })
	t.Run("DrainKeepsOtherTasksSessions", func(t *testing.T) { fleetDrainKeepsOtherTasksSessions(t, f) })
}

// fleetJoinThroughOtherTask places a session on B and joins everyone
// through A: the session lives on B only and media flows; a session placed
// on A joined through B lives on A. A forged ticket is refused by the
// accepting task, and a session whose task is gone is refused with
// relay_unavailable.
func fleetJoinThroughOtherTask(t *testing.T, f *fleet) {
	f.place("on-b", "task-b")
	f.place("on-a", "task-a")

	cust := f.dialVia(f.a, toolmatrix.Customer, "on-b", "cust", true)
	tech := f.dialVia(f.a, toolmatrix.Primary, "on-b", "tech", false)
	joined(t, "customer", cust)
	joined(t, "technician", tech)
	receivesMedia(t, "technician through A", tech)
	if a, b := f.a.app.Relay().Load(), f.b.app.Relay().Load(); a != 0 || b != 2 {
		t.Fatalf("load A=%d B=%d, want 0 and 2: the session must live on B", a, b)
	}
	if got := f.b.app.Relay().HostedSessions(); len(got) != 1 || got[0] != "on-b" {
		t.Fatalf("B hosts %v", got)
	}

	other := f.dialVia(f.b, toolmatrix.Primary, "on-a", "p2", false)
	joined(t, "technician of on-a", other)
	waitFor(t, "on-a hosted by A", func() bool { return f.a.app.Relay().Load() == 1 })

	forged := f.dialTicket(f.a, f.b.ticket(ticketOpts{kind: toolmatrix.Primary, sid: "on-b", pid: "x"}), false)
	refused(t, "forged ticket", forged, proto.ReasonTicketInvalid)

	f.place("on-gone", "task-gone")
	gone := f.dialVia(f.a, toolmatrix.Primary, "on-gone", "y", false)
	refused(t, "session of a gone task", gone, proto.ReasonRelayUnavailable)

	// A client leaving through A leaves B's session.
	_ = tech.Close()
	waitFor(t, "technician left B", func() bool { return f.b.app.Relay().Load() == 1 })
	_ = other.Close()
	waitFor(t, "on-a's technician left A", func() bool { return f.a.app.Relay().Load() == 0 })
}

// fleetControlThroughOtherTask sends the API's "end session" control call
// to A (as the load balancer may) for a session B hosts: B ends it at once.
func fleetControlThroughOtherTask(t *testing.T, f *fleet) {
	f.place("on-b3", "task-b")
	tech := f.dialVia(f.b, toolmatrix.Primary, "on-b3", "tech", false)
	joined(t, "technician", tech)
	status, body := f.a.control("/control/sessions/on-b3/end", map[string]string{"reason": "session_ended"})
	if status != 200 {
		t.Fatalf("end through A: %d %v", status, body)
	}
	refused(t, "technician of the ended session", tech, proto.ReasonSessionEnded)
}

// fleetDrainKeepsOtherTasksSessions drains A while a session on B has
// participants connected through A: A is marked draining in the registry
// and refuses new joins of its own sessions, while B's session keeps its
// participants and media, and still accepts joins through A.
func fleetDrainKeepsOtherTasksSessions(t *testing.T, f *fleet) {
	f.place("on-b2", "task-b")
	f.place("on-a2", "task-a")
	cust := f.dialVia(f.b, toolmatrix.Customer, "on-b2", "cust", true)
	tech := f.dialVia(f.a, toolmatrix.Primary, "on-b2", "tech", false)
	joined(t, "customer", cust)
	joined(t, "technician", tech)
	receivesMedia(t, "technician", tech)

	if n := f.a.app.Relay().Load(); n != 0 {
		t.Fatalf("A hosts %d participants before its drain, want none", n)
	}
	loadB := f.b.app.Relay().Load()
	drained := make(chan struct{})
	drainStart := time.Now()
	go func() {
		defer close(drained)
		f.a.app.Drain(context.Background())
	}()
	waitFor(t, "A draining", f.a.app.Relay().Draining)
	out, err := f.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "RELAY"}, "SK": &types.AttributeValueMemberS{Value: "TASK#task-a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := out.Item["draining"].(*types.AttributeValueMemberBOOL); !ok || !d.Value {
		t.Fatalf("A's registry item not draining: %v", out.Item["draining"])
	}

	fresh := f.dialVia(f.a, toolmatrix.Primary, "on-a2", "new", false)
	refused(t, "new join of A's session", fresh, proto.ReasonDraining)

	late := f.dialVia(f.a, toolmatrix.Secondary, "on-b2", "late", false)
	joined(t, "late technician of B's session through draining A", late)
	receivesMedia(t, "late technician", late)

	<-drained
	// A's own participants were gone at once; it still waited out its drain
	// for the connections it carries to B.
	if took := time.Since(drainStart); took < f.a.app.cfg.DrainTimeout-200*time.Millisecond {
		t.Fatalf("A's drain ended after %s with forwarded connections open, want its full %s", took, f.a.app.cfg.DrainTimeout)
	}
	for name, c := range map[string]*client.Client{"customer": cust, "technician": tech, "late": late} {
		select {
		case <-c.Closed():
			t.Fatalf("%s of B's session disconnected by A's drain (%s)", name, c.CloseReason())
		default:
		}
	}
	if n := f.b.app.Relay().Load(); n != loadB+1 {
		t.Fatalf("B's load %d after A's drain, want %d", n, loadB+1)
	}
	before := videoPackets(tech)
	waitFor(t, "media still flowing after the drain", func() bool { return videoPackets(tech) > before+20 })
}
