package app_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/guestbridge/guestbridge/shared/devstack"
)

// testJPEG is a camera-sized JPEG.
func testJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y += 8 {
		for x := 0; x < w; x += 8 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	must(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}))
	return b.Bytes()
}

// s3Client reaches the test bucket directly, as an operator would.
func s3Client() *s3.Client {
	return s3.New(s3.Options{Region: "eu-central-1", BaseEndpoint: aws.String(stack.S3Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(devstack.S3AccessKey, devstack.S3AccessKey, "")})
}

// objectExists reports whether key is in the test bucket.
func objectExists(t *testing.T, key string) bool {
	t.Helper()
	_, err := s3Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	var nf *s3types.NotFound
	if errors.As(err, &nf) {
		return false
	}
	must(t, err)
	return true
}

// fetch sends a request to a presigned URL and returns the status, body and
// content type.
func fetch(t *testing.T, method, url string, headers map[string]any, body []byte) (int, []byte, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	must(t, err)
	for k, v := range headers {
		req.Header.Set(k, v.(string))
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	must(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header.Get("Content-Type")
}

// sessionParts returns the ids of a session's participants by kind.
func (e *env) sessionParts(tok, sid string) map[string]string {
	e.t.Helper()
	d := e.call("GET", "/v1/sessions/"+sid, tok, nil)
	e.expect(d, 200, "")
	out := map[string]string{}
	for _, p := range d.Body["participants"].([]any) {
		m := p.(map[string]any)
		out[m["kind"].(string)] = m["id"].(string)
	}
	return out
}

// slot asks for a snapshot upload slot.
func (e *env) slot(tok, sid, ct string, size int) resp {
	e.t.Helper()
	return e.call("POST", "/v1/sessions/"+sid+"/snapshots", tok, map[string]any{"contentType": ct, "size": size})
}

// upload puts body to a slot's URL with its signed headers.
func upload(t *testing.T, slot resp, body []byte) int {
	t.Helper()
	h, _ := slot.Body["headers"].(map[string]any)
	st, _, _ := fetch(t, "PUT", slot.str("url"), h, body)
	return st
}

func (e *env) caseGuest(admin, who, caseID string) string {
	e.t.Helper()
	e.invite(admin, who, "", caseID, 30)
	e.deliver()
	acc := e.call("POST", "/v1/invitations/"+e.emailLink(e.email(who))+"/accept", "", map[string]string{"password": testPassword})
	e.expect(acc, 200, "")
	return acc.str("token")
}

// TestAttachSnapshotLandsOnTheCase: a slot takes the picture the customer's
// page uploads; completing it checks the bytes, makes a thumbnail and puts it
// on the case, logged; members who read cases list it and download it by a
// short-lived URL.
func TestAttachSnapshotLandsOnTheCase(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Now())
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Valve 3 sticks")
	sid := e.startSession(tech, cid, nil).str("session", "id")

	pic := testJPEG(t, 1280, 720)
	sl := e.slot(tech, sid, "image/jpeg", len(pic))
	e.expect(sl, 201, "")
	aid := sl.str("attachmentId")
	if !strings.Contains(sl.str("url"), "X-Amz-Signature=") || sl.str("expiresAt") == "" {
		t.Fatalf("slot: %s", sl.Raw)
	}
	// Not uploaded yet: the page is told to wait, nothing is attached.
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/attachments/"+aid+"/complete", tech, nil), 409, "snapshot_not_uploaded")
	if st := upload(t, sl, pic); st != 200 {
		t.Fatalf("upload on the slot's URL: %d", st)
	}
	done := e.call("POST", "/v1/sessions/"+sid+"/attachments/"+aid+"/complete", tech, nil)
	e.expect(done, 200, "")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/attachments/"+aid+"/complete", tech, nil), 409, "snapshot_already_complete")

	list := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments", admin, nil)
	e.expect(list, 200, "")
	atts := list.Body["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments: %s", list.Raw)
	}
	a := atts[0].(map[string]any)
	if a["id"] != aid || a["kind"] != "snapshot" || a["sessionId"] != sid || a["createdByName"] != "Tim Tech" ||
		a["size"] != float64(len(pic)) || a["contentType"] != "image/jpeg" {
		t.Fatalf("attachment: %v", a)
	}
	thumb := a["thumbnail"].(map[string]any)["url"].(string)
	st, tb, _ := fetch(t, "GET", thumb, nil, nil)
	if st != 200 {
		t.Fatalf("thumbnail: %d", st)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(tb))
	if err != nil || cfg.Width != 320 || cfg.Height != 180 {
		t.Fatalf("thumbnail is %dx%d (%v), want 320x180", cfg.Width, cfg.Height, err)
	}

	got := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments/"+aid, tech, nil)
	e.expect(got, 200, "")
	st, body, ct := fetch(t, "GET", got.str("download", "url"), nil, nil)
	if st != 200 || !bytes.Equal(body, pic) || ct != "image/jpeg" {
		t.Fatalf("download: %d, %d bytes, %q", st, len(body), ct)
	}
	if !e.auditHas(admin, "acme", "session.snapshot_taken", aid) {
		t.Fatal("no audit entry for the snapshot")
	}
}

// TestAttachSnapshotRefusals: what the slot was not issued for is refused at
// completion and its object deleted; expired URLs are refused by the store;
// only a participant with the snapshot tool gets slots.
func TestAttachSnapshotRefusals(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Now())
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Valve 3 sticks")
	sid := e.startSession(tech, cid, nil).str("session", "id")
	pic := testJPEG(t, 64, 48)
	complete := func(aid string) resp {
		return e.call("POST", "/v1/sessions/"+sid+"/attachments/"+aid+"/complete", tech, nil)
	}
	keyOf := func(aid, ext string) string { return "attachments/acme/" + cid + "/" + aid + ext }

	for _, c := range []struct {
		name, ct string
		body     []byte
		code     string
		ext      string
	}{
		{"a JPEG sent as PNG", "image/png", pic, "snapshot_not_an_image", ".png"},
		{"text sent as JPEG", "image/jpeg", []byte("<script>alert(1)</script>"), "snapshot_not_an_image", ".jpg"},
		{"JPEG magic on no picture", "image/jpeg", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{1}, 200)...), "snapshot_not_an_image", ".jpg"},
		{"larger than 15 MB", "image/jpeg", append(append([]byte{}, pic...), make([]byte, 15<<20)...), "snapshot_too_large", ".jpg"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The slot is asked for small: the emulator, unlike S3, does not
			// hold the upload to the signed length, so the API checks it.
			sl := e.slot(tech, sid, c.ct, 100)
			e.expect(sl, 201, "")
			aid := sl.str("attachmentId")
			if st := upload(t, sl, c.body); st != 200 {
				t.Fatalf("upload: %d", st)
			}
			if !objectExists(t, keyOf(aid, c.ext)) {
				t.Fatal("the upload is not in the bucket")
			}
			e.expect(complete(aid), 400, c.code)
			if objectExists(t, keyOf(aid, c.ext)) {
				t.Fatal("a refused upload was left in the bucket")
			}
			e.expect(complete(aid), 404, "attachment_not_found")
		})
	}
	if l := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments", tech, nil); len(l.Body["attachments"].([]any)) != 0 {
		t.Fatalf("refused uploads listed: %s", l.Raw)
	}

	// The slot's own limits.
	e.expect(e.slot(tech, sid, "image/gif", 100), 400, "invalid_input")
	r := e.slot(tech, sid, "image/jpeg", 15<<20+1)
	e.expect(r, 400, "invalid_input")
	if r.field() != "size" {
		t.Fatalf("oversize slot names %q", r.field())
	}

	// URLs are signed at the service's clock: signed ten minutes ago, the
	// store refuses them; signed now, it takes them.
	e.clock.Set(time.Now().Add(-10 * time.Minute))
	old := e.slot(tech, sid, "image/jpeg", len(pic))
	e.expect(old, 201, "")
	if st := upload(t, old, pic); st != 403 {
		t.Fatalf("upload on an expired URL: %d, want 403", st)
	}
	e.clock.Set(time.Now())
	fresh := e.slot(tech, sid, "image/jpeg", len(pic))
	if st := upload(t, fresh, pic); st != 200 {
		t.Fatalf("upload on a fresh URL: %d", st)
	}
	e.expect(complete(fresh.str("attachmentId")), 200, "")
	e.clock.Set(time.Now().Add(-10 * time.Minute))
	stale := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments/"+fresh.str("attachmentId"), tech, nil)
	e.expect(stale, 200, "")
	if st, _, _ := fetch(t, "GET", stale.str("download", "url"), nil, nil); st != 403 {
		t.Fatalf("download on an expired URL: %d, want 403", st)
	}
	e.clock.Set(time.Now())

	// A slot's completion after its URL and the grace have passed.
	late := e.slot(tech, sid, "image/jpeg", len(pic))
	e.clock.Advance(4 * time.Minute)
	e.expect(complete(late.str("attachmentId")), 410, "snapshot_upload_expired")
	e.clock.Set(time.Now())

	// Who may ask for slots: a member who is not in the session, and a
	// secondary whose snapshot tool the primary switched off, may not.
	e.expect(e.slot(admin, sid, "image/jpeg", 100), 403, "not_invited")
	adminID := e.memberIDOf(admin, "acme", e.email("admin"))
	inv := e.call("POST", "/v1/sessions/"+sid+"/invites", tech, map[string]string{"kind": "internal", "userId": adminID})
	e.expect(inv, 201, "")
	e.expect(e.slot(admin, sid, "image/jpeg", 100), 201, "")
	e.expect(e.call("PUT", "/v1/sessions/"+sid+"/participants/"+inv.str("id")+"/tools", tech,
		map[string]any{"tools": []string{"chat", "video"}}), 200, "")
	e.expect(e.slot(admin, sid, "image/jpeg", 100), 403, "snapshot_not_allowed")
	// Once the session has ended, no slot is issued.
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/end", tech, nil), 200, "")
	e.expect(e.slot(tech, sid, "image/jpeg", 100), 410, "session_ended")
}

// TestAttachGuestsAndOtherCompanies: a guest never gets a case's files, even
// a guest of that very case; another company's people find nothing; an
// attachment is found only under its own case.
func TestAttachGuestsAndOtherCompanies(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Now())
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Valve 3 sticks")
	otherCase := e.createCase(tech, "Boiler 2")
	sid := e.startSession(tech, cid, nil).str("session", "id")
	pic := testJPEG(t, 64, 48)
	sl := e.slot(tech, sid, "image/jpeg", len(pic))
	upload(t, sl, pic)
	aid := sl.str("attachmentId")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/attachments/"+aid+"/complete", tech, nil), 200, "")

	guest := e.caseGuest(admin, "gus", cid)
	// The guest does see the case itself.
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid, guest, nil), 200, "")
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/v1/orgs/acme/cases/" + cid + "/attachments", nil, 403, "attachments_not_for_guests"},
		{"GET", "/v1/orgs/acme/cases/" + cid + "/attachments/" + aid, nil, 403, "attachments_not_for_guests"},
		{"POST", "/v1/sessions/" + sid + "/snapshots", map[string]any{"contentType": "image/jpeg", "size": 100}, 404, "session_not_found"},
		{"POST", "/v1/sessions/" + sid + "/attachments/" + aid + "/complete", nil, 404, "session_not_found"},
	} {
		r := e.call(c.method, c.path, guest, c.body)
		e.expect(r, c.status, c.code)
		if strings.Contains(r.Raw, "X-Amz") {
			t.Fatalf("%s %s gave a guest a URL: %s", c.method, c.path, r.Raw)
		}
	}

	other := e.login(e.email("otheradmin"))
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments", other, nil), 404, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments/"+aid, other, nil), 404, "")
	e.expect(e.call("POST", "/v1/sessions/"+sid+"/snapshots", other, map[string]any{"contentType": "image/jpeg", "size": 100}), 404, "")
	e.expect(e.call("GET", "/v1/orgs/other/cases/"+cid+"/attachments", tech, nil), 404, "")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+otherCase+"/attachments/"+aid, tech, nil), 404, "attachment_not_found")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/c_nope/attachments", tech, nil), 404, "case_not_found")
}

// TestAttachRecordingEvents: the relay's signed recording events log the
// start and put the finished recording on the case, once per recording;
// members play it by a short-lived URL, guests never see it.
func TestAttachRecordingEvents(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Now())
	admin := e.login(e.email("admin"))
	tech := e.login(e.email("tech"))
	cid := e.createCase(tech, "Valve 3 sticks")
	sid := e.startSession(tech, cid, map[string]any{"customer": map[string]string{"name": "Carl"}}).str("session", "id")
	parts := e.sessionParts(tech, sid)
	recID := strings.Repeat("5e", 16)
	key := "recordings/" + sid + "/" + recID + ".webm"
	n := 0
	event := func(pid string, rec map[string]any) resp {
		n++
		return e.signedEvent(map[string]any{"type": "recording", "sessionId": sid, "participantId": pid, "recording": rec,
			"at": e.clock.Now(), "sentAt": e.clock.Now(), "id": strings.Repeat("7", 30) + string(rune('a'+n/10)) + string(rune('a'+n%10))})
	}
	started := map[string]any{"id": recID, "state": "started", "key": key}
	stopped := map[string]any{"id": recID, "state": "stopped", "key": key, "bytes": 4096, "durationMs": 61000, "reason": "stopped"}

	e.expect(event(parts["primary"], started), 204, "")
	e.expect(event(parts["primary"], started), 204, "")
	// Bad events change nothing.
	bad := func(field string, rec map[string]any, pid string) {
		t.Helper()
		r := event(pid, rec)
		e.expect(r, 400, "invalid_input")
		if r.field() != field {
			t.Fatalf("bad recording event names %q, want %q", r.field(), field)
		}
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range stopped {
			m[a] = b
		}
		m[k] = v
		return m
	}
	bad("recording.key", with("key", "attachments/acme/"+cid+"/x.webm"), parts["primary"])
	bad("recording.id", with("id", "short"), parts["primary"])
	bad("recording.state", with("state", "paused"), parts["primary"])
	bad("recording.reason", with("reason", "bored"), parts["primary"])
	bad("participantId", stopped, parts["customer"])

	// The relay put the file; then it reports the stop, twice.
	_, err := s3Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key),
		Body: bytes.NewReader(bytes.Repeat([]byte{0x1a}, 4096)), ContentType: aws.String("application/octet-stream")})
	must(t, err)
	e.expect(event(parts["primary"], stopped), 204, "")
	e.expect(event(parts["primary"], stopped), 204, "")

	list := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments", admin, nil)
	e.expect(list, 200, "")
	atts := list.Body["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments after a replayed stop: %s", list.Raw)
	}
	a := atts[0].(map[string]any)
	if a["kind"] != "recording" || a["contentType"] != "video/webm" || a["size"] != float64(4096) ||
		a["durationMs"] != float64(61000) || a["createdByName"] != "Tim Tech" || a["sessionId"] != sid {
		t.Fatalf("recording: %v", a)
	}
	got := e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments/"+a["id"].(string), tech, nil)
	e.expect(got, 200, "")
	st, body, ct := fetch(t, "GET", got.str("download", "url"), nil, nil)
	if st != 200 || len(body) != 4096 || ct != "video/webm" {
		t.Fatalf("recording download: %d, %d bytes, %q", st, len(body), ct)
	}

	entries := e.auditEntries(admin, "")
	count := map[string]int{}
	for _, x := range entries {
		if x["target"] == sid {
			count[x["action"].(string)]++
		}
	}
	if count["session.recording_started"] != 1 || count["session.recording_stopped"] != 1 {
		t.Fatalf("recording audit entries: %v", count)
	}

	guest := e.caseGuest(admin, "gus", cid)
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments", guest, nil), 403, "attachments_not_for_guests")
	e.expect(e.call("GET", "/v1/orgs/acme/cases/"+cid+"/attachments/"+a["id"].(string), guest, nil), 403, "attachments_not_for_guests")
}
