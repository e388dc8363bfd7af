package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guestbridge/guestbridge/shared/app"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// relayEvent posts a signed presence event, as the relay does.
func (e *env) relayEvent(typ, sessionID, participantID, id string) {
	e.t.Helper()
	ev, _ := json.Marshal(map[string]any{"type": typ, "sessionId": sessionID, "participantId": participantID,
		"at": e.clock.Now(), "id": id, "sentAt": e.clock.Now()})
	keys, err := secret.Derive(e.app.Config.Secret)
	must(e.t, err)
	mac := hmac.New(sha256.New, app.RelayEventsKey(e.app.Config, keys))
	mac.Write(ev)
	req := e.request("POST", "/v1/internal/relay/events", "", string(ev))
	req.Header.Set("X-Relay-Signature", hex.EncodeToString(mac.Sum(nil)))
	if r := e.do(req); r.Status != http.StatusNoContent {
		e.t.Fatalf("relay event %s: %d %s", typ, r.Status, r.Raw)
	}
}

// TestListsAuditNamesEveryEntry runs the acts whose entries used to show raw
// ids (relay presence, removals by hand and by the system, a session ended by
// the system, a company guest's device command) and reads the whole log: every
// entry names its actor and its target, and every action is one the web
// client has words for.
func TestListsAuditNamesEveryEntry(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	_, _, d1, _ := companyWorld(e, admin)
	cid := e.createCase(admin, "Pump in hall 2")

	// A company guest sends a device command.
	e.expect(e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
		"email": e.email("carla"), "name": "Carla Company", "roleId": "technician", "workspace": map[string]any{"mode": "all"}}), 201, "")
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email("carla"))+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	e.expect(e.call("POST", "/v1/orgs/acme/devices/"+d1+"/commands", acc.str("token"), map[string]string{"command": "identify"}), 202, "")

	// A live session: started, an internal and two guest technicians invited,
	// the relay reports a join and a leave, one guest is removed by hand and
	// the other by the system when their account ends, then it ends.
	ext := e.invite(admin, "ext", "", cid, 10)
	sid := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Chris Customer"}}).str("session", "id")
	sec := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": memberID(e, admin, e.email("admin"))})
	e.expect(sec, 201, "")
	gina := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("gina"), "name": "Gina Guest"})
	e.expect(gina, 201, "")
	extSeat := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "guest", "email": e.email("ext")})
	e.expect(extSeat, 201, "")
	e.relayEvent("joined", sid, sec.str("id"), strings.Repeat("a1", 16))
	e.relayEvent("left", sid, sec.str("id"), strings.Repeat("b2", 16))
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/participants/"+gina.str("id")+"/remove", tech, map[string]string{"reason": "Wrong person"}), 200, "")
	e.expect(e.call("POST", "/v1/orgs/acme/guests/"+ext.str("id")+"/end", admin, nil), 200, "")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/end", tech, nil), 200, "")

	// A second session ends on the system's behalf: its primary leaves the company.
	sid2 := e.startSession(tech, cid, nil).str("session", "id")
	e.expect(e.call("DELETE", "/v1/orgs/acme/members/"+memberID(e, admin, e.email("tech")), admin, nil), 204, "")

	entries := e.auditEntries(admin, "limit=200")
	for _, x := range entries {
		action, _ := x["action"].(string)
		if !slices.Contains(audit.Actions, action) {
			t.Errorf("action %q is not in audit.Actions, so the web client has no words for it", action)
		}
		if x["actorName"] == nil || x["actorName"] == "" {
			t.Errorf("%s by %v: no actor name", action, x["actor"])
		}
		if x["target"] != "" && (x["targetName"] == nil || x["targetName"] == "") {
			t.Errorf("%s on %v: no target name", action, x["target"])
		}
	}

	find := func(action, target, actor string) map[string]any {
		for _, x := range entries {
			if x["action"] == action && x["target"] == target && (actor == "" || x["actor"] == actor) {
				return x
			}
		}
		t.Fatalf("no %s entry on %s by %q", action, target, actor)
		return nil
	}
	for _, c := range []struct{ action, target, actor, actorName, targetName string }{
		{audit.DeviceCommand, d1, "", "Carla Company", "Pump N1"},
		{audit.SessionStarted, sid, "", "Tim Tech", "Pump in hall 2"},
		{audit.SessionParticipantJoined, sec.str("id"), audit.RelayActor, "Media relay", "Ann Admin"},
		{audit.SessionParticipantLeft, sec.str("id"), audit.RelayActor, "Media relay", "Ann Admin"},
		{audit.SessionParticipantRemoved, gina.str("id"), "", "Tim Tech", "Gina Guest"},
		{audit.SessionParticipantRemoved, extSeat.str("id"), audit.SystemActor, "Guestbridge", extSeat.str("name")},
		{audit.SessionEnded, sid, "", "Tim Tech", "Pump in hall 2"},
		{audit.SessionEnded, sid2, audit.SystemActor, "Guestbridge", "Pump in hall 2"},
	} {
		x := find(c.action, c.target, c.actor)
		if x["actorName"] != c.actorName || x["targetName"] != c.targetName {
			t.Errorf("%s on %s: actorName %v targetName %v, want %q %q", c.action, c.target, x["actorName"], x["targetName"], c.actorName, c.targetName)
		}
	}
}

// A grant written before grants kept the guest's name still logs the guest
// by name: it is read from the profile.
func TestListsAuditNamesGuestOfAnOlderGrant(t *testing.T) {
	e := newEnv(t)
	admin := e.login(e.email("admin"))
	_, _, d1, _ := companyWorld(e, admin)
	g := e.call("POST", "/v1/orgs/acme/guests", admin, map[string]any{
		"email": e.email("olga"), "name": "Olga Older", "roleId": "technician", "workspace": map[string]any{"mode": "all"}})
	e.expect(g, 201, "")
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email("olga"))+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "ORG#acme"}, "SK": &types.AttributeValueMemberS{Value: "GRANT#" + g.str("id")}}
	if attrS(e.item("ORG#acme", "GRANT#"+g.str("id")), "Name") != "Olga Older" {
		t.Fatal("the grant does not keep the guest's name")
	}
	_, err := e.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(e.table), Key: key,
		UpdateExpression: aws.String("REMOVE #n"), ExpressionAttributeNames: map[string]string{"#n": "Name"}})
	must(t, err)
	e.expect(e.call("POST", "/v1/orgs/acme/devices/"+d1+"/commands", acc.str("token"), map[string]string{"command": "sync"}), 202, "")
	x := entryWith(e.auditEntries(admin, "action=device.command"), audit.DeviceCommand, d1)
	if x == nil || x["actorName"] != "Olga Older" {
		t.Fatalf("device command entry: %v", x)
	}
}
