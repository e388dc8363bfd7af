package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guestbridge/guestbridge/shared/delivery"
)

// Delivery events: recorded SES and SNS payloads (shared/delivery/testdata)
// fed through the delivery function's handler, against DynamoDB Local, with
// the provider ids the emulators returned when the sender handed the
// invitation over; the outcome read back through the HTTP API.

// feed runs one recorded payload through the handler, with the message id
// and the recipient filled in; *.logs.json payloads are wrapped the way a
// CloudWatch Logs subscription delivers them.
func (e *env) feed(name, providerID, to string) {
	e.t.Helper()
	b, err := os.ReadFile("../delivery/testdata/" + name)
	must(e.t, err)
	b = []byte(strings.NewReplacer("{{MESSAGE_ID}}", providerID, "{{RECIPIENT}}", to).Replace(string(b)))
	if strings.HasSuffix(name, ".logs.json") {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		_, _ = w.Write(b)
		must(e.t, w.Close())
		b, err = json.Marshal(map[string]any{"awslogs": map[string]string{"data": base64Std(z.Bytes())}})
		must(e.t, err)
	}
	must(e.t, delivery.Handle(context.Background(), e.app.Store, slog.New(slog.NewJSONHandler(io.Discard, nil)), b))
}

// providerID returns the provider's id of the newest sent message to addr.
func (e *env) providerID(to string) string {
	e.t.Helper()
	id, newest := "", ""
	for _, it := range e.scan() {
		if attrS(it, "Type") == "outbox" && attrS(it, "To") == to && attrS(it, "ProviderID") != "" && attrS(it, "CreatedAt") >= newest {
			id, newest = attrS(it, "ProviderID"), attrS(it, "CreatedAt")
		}
	}
	if id == "" {
		e.t.Fatalf("no sent message to %s with a provider id", to)
	}
	return id
}

// delivery reads the guest's delivery status on ch through the API.
func (e *env) deliveryOf(token, guestID, ch string) map[string]any {
	e.t.Helper()
	r := e.call("GET", "/v1/orgs/"+e.org+"/guests/"+guestID, token, nil)
	e.expect(r, 200, "")
	inv, _ := r.Body["invitation"].(map[string]any)
	d, _ := inv["delivery"].(map[string]any)
	m, _ := d[ch].(map[string]any)
	return m
}

func (e *env) guestView(token, guestID string) resp {
	e.t.Helper()
	r := e.call("GET", "/v1/orgs/"+e.org+"/guests/"+guestID, token, nil)
	e.expect(r, 200, "")
	return r
}

func TestDeliveryEventsEmailAndSMS(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Pump")
	phone := "+4915112345670"
	gid := e.invite(admin, "dora", phone, cid, 30).str("id")
	e.deliver()
	addr := e.email("dora")
	mailID, smsID := e.providerID(addr), e.providerID(phone)
	if got := e.deliveryOf(admin, gid, "email")["status"]; got != "sent" {
		t.Fatalf("email status before any event = %v, want sent", got)
	}

	e.feed("ses-send.json", mailID, addr) // a Send event changes nothing
	if got := e.deliveryOf(admin, gid, "email")["status"]; got != "sent" {
		t.Errorf("after Send event: %v, want sent", got)
	}
	e.feed("ses-delivery.json", mailID, addr)
	e.feed("sns-sms-success.logs.json", smsID, phone)
	if got := e.deliveryOf(admin, gid, "email")["status"]; got != "delivered" {
		t.Errorf("email after Delivery event = %v, want delivered", got)
	}
	if got := e.deliveryOf(admin, gid, "sms")["status"]; got != "delivered" {
		t.Errorf("sms after SUCCESS record = %v, want delivered", got)
	}

	// A complaint comes after the delivery and outranks it; a duplicate or
	// late delivery report does not undo it.
	e.feed("ses-complaint.json", mailID, addr)
	e.feed("ses-delivery.json", mailID, addr)
	d := e.deliveryOf(admin, gid, "email")
	if d["status"] != "complained" || !strings.Contains(d["reason"].(string), "spam") {
		t.Errorf("email after complaint and a late delivery = %v, want complained with a reason", d)
	}
	v := e.guestView(admin, gid)
	if v.str("emailBlocked", "reason") == "" {
		t.Errorf("a complaint must block the address: %s", v.Raw)
	}

	// An event about a message Guestbridge never sent is skipped.
	e.feed("ses-bounce-permanent.json", "ses-unknown-id", addr)
}

func TestDeliveryEventsBounceBlocksAddress(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Valve")
	phone := "+4915112345671"

	// Bruno is invited by email and SMS, Erna by email only; both bounce.
	bruno := e.invite(admin, "bruno", phone, cid, 30).str("id")
	erna := e.invite(admin, "erna", "", cid, 30).str("id")
	e.deliver()
	brunoAddr, ernaAddr := e.email("bruno"), e.email("erna")
	e.feed("ses-bounce-permanent.json", e.providerID(brunoAddr), brunoAddr)
	e.feed("ses-bounce-permanent.json", e.providerID(ernaAddr), ernaAddr)
	e.feed("sns-sms-failure.logs.json", e.providerID(phone), phone)

	d := e.deliveryOf(admin, bruno, "email")
	if d["status"] != "bounced" || !strings.Contains(d["reason"].(string), "550 5.1.1 user unknown") {
		t.Errorf("bounced email = %v, want bounced with the server's answer", d)
	}
	if d := e.deliveryOf(admin, bruno, "sms"); d["status"] != "failed" || !strings.Contains(d["reason"].(string), "unreachable") {
		t.Errorf("failed SMS = %v, want failed with the carrier's answer", d)
	}
	if e.guestView(admin, bruno).str("emailBlocked", "reason") == "" {
		t.Fatal("a permanent bounce must block the address")
	}

	// Re-inviting: the email is skipped with a status saying why, the SMS
	// goes out; nothing more is mailed to the bounced address.
	mailsBefore := len(e.mailsTo(brunoAddr))
	e.expect(e.call("POST", "/v1/orgs/"+e.org+"/guests/"+bruno+"/end", admin, nil), 200, "")
	r := e.call("POST", "/v1/orgs/"+e.org+"/guests/"+bruno+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}})
	e.expect(r, 200, "")
	e.deliver()
	if d := e.deliveryOf(admin, bruno, "email"); d["status"] != "suppressed" || !strings.Contains(d["reason"].(string), "550") {
		t.Errorf("re-invited email = %v, want suppressed naming the bounce", d)
	}
	if d := e.deliveryOf(admin, bruno, "sms"); d["status"] != "sent" {
		t.Errorf("re-invited SMS = %v, want sent", d)
	}
	if n := len(e.mailsTo(brunoAddr)); n != mailsBefore {
		t.Errorf("%d mails to the bounced address after the re-invitation, want %d", n, mailsBefore)
	}

	// Email was Erna's only channel: the re-invitation is refused, naming
	// the field to change.
	e.expect(e.call("POST", "/v1/orgs/"+e.org+"/guests/"+erna+"/end", admin, nil), 200, "")
	r = e.call("POST", "/v1/orgs/"+e.org+"/guests/"+erna+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}})
	e.expect(r, 409, "email_blocked")
	if r.field() != "email" {
		t.Errorf("field = %q, want email", r.field())
	}

	// Editing the address lifts the block: the re-invitation to the new
	// address is mailed. Another guest's address is refused.
	r = e.call("POST", "/v1/orgs/"+e.org+"/guests/"+erna+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}, "email": brunoAddr})
	e.expect(r, 409, "guest_exists")
	fixed := e.email("erna-new")
	r = e.call("POST", "/v1/orgs/"+e.org+"/guests/"+erna+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}, "email": fixed})
	e.expect(r, 200, "")
	if r.str("email") != fixed || r.str("emailBlocked", "reason") != "" {
		t.Errorf("after the edit: %s", r.Raw)
	}
	e.deliver()
	if d := e.deliveryOf(admin, erna, "email"); d["status"] != "sent" {
		t.Errorf("email to the edited address = %v, want sent", d)
	}
	if len(e.mailsTo(fixed)) != 1 {
		t.Errorf("mails to the edited address = %v, want one", e.mailsTo(fixed))
	}
	// The old address is free again for the company; the new one is taken.
	r = e.call("POST", "/v1/orgs/"+e.org+"/guests", admin, map[string]any{"email": fixed, "name": "Dup", "caseId": cid, "period": map[string]int{"days": 3}})
	e.expect(r, 409, "guest_exists")
}

func TestDeliveryEventsTransientBounceDoesNotBlock(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Fan")
	gid := e.invite(admin, "fritz", "", cid, 30).str("id")
	e.deliver()
	addr := e.email("fritz")
	e.feed("ses-bounce-transient.json", e.providerID(addr), addr)
	if d := e.deliveryOf(admin, gid, "email"); d["status"] != "bounced" || !strings.Contains(d["reason"].(string), "mailbox full") {
		t.Errorf("soft-bounced email = %v, want bounced (mailbox full)", d)
	}
	if v := e.guestView(admin, gid); v.str("emailBlocked", "reason") != "" {
		t.Errorf("a transient bounce must not block: %s", v.Raw)
	}
	e.expect(e.call("POST", "/v1/orgs/"+e.org+"/guests/"+gid+"/end", admin, nil), 200, "")
	e.expect(e.call("POST", "/v1/orgs/"+e.org+"/guests/"+gid+"/reinvite", admin, map[string]any{"period": map[string]int{"days": 7}}), 200, "")
	e.deliver()
	if d := e.deliveryOf(admin, gid, "email"); d["status"] != "sent" {
		t.Errorf("re-invitation after a soft bounce = %v, want sent", d)
	}
}

// The backlog the scheduled sender publishes as a metric: messages not yet
// handed to a provider and the age of the oldest; gone once delivered.
func TestDeliveryBacklog(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	cid := e.createCase(admin, "Outage")
	ctx := context.Background()
	if n, age, err := e.app.Sender.Backlog(ctx); err != nil || n != 0 || age != 0 {
		t.Fatalf("empty backlog = %d, %v, %v", n, age, err)
	}
	e.invite(admin, "hugo", "", cid, 7)
	e.clock.Advance(time.Minute)
	e.invite(admin, "ida", "+4915112345672", cid, 7)
	e.clock.Advance(4 * time.Minute)
	n, age, err := e.app.Sender.Backlog(ctx)
	if err != nil || n != 3 || age != 5*time.Minute {
		t.Errorf("backlog before the sender ran = %d messages, oldest %v (err %v); want 3, 5m0s", n, age, err)
	}
	e.deliver()
	if n, age, err := e.app.Sender.Backlog(ctx); err != nil || n != 0 || age != 0 {
		t.Errorf("backlog after delivery = %d, %v, %v; want empty", n, age, err)
	}
}
