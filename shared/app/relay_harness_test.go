package app_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/golang-jwt/jwt/v5"
)

// fakeRelay stands in for a relay's control endpoint in the API's flow
// tests: it checks each call's control token with the API's public key, as
// the relay does, and records the calls. The relay itself is tested with real
// pion peers in media-task.
type fakeRelay struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []controlCall
}

type controlCall struct {
	Path  string
	Body  map[string]any
	Token bool // the control token verified
}

func newFakeRelay(t *testing.T, pub ed25519.PublicKey) *fakeRelay {
	f := &fakeRelay{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub, nil },
			jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithAudience("guestbridge-relay-control"), jwt.WithIssuer("guestbridge-api"))
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.calls = append(f.calls, controlCall{Path: r.URL.Path, Body: body, Token: err == nil})
		f.mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRelay) signalURL() string {
	return strings.Replace(f.srv.URL, "http://", "ws://", 1) + "/signal"
}

// callsTo returns the recorded calls whose path ends with suffix.
func (f *fakeRelay) callsTo(suffix string) []controlCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []controlCall
	for _, c := range f.calls {
		if strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

// registerRelay writes a relay's registry item as a relay task does.
func (e *env) registerRelay(taskID, signalURL string, load int) {
	e.t.Helper()
	hb := e.clock.Now()
	_, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "RELAY"}, "SK": &types.AttributeValueMemberS{Value: "TASK#" + taskID},
		"taskId": &types.AttributeValueMemberS{Value: taskID}, "signalUrl": &types.AttributeValueMemberS{Value: signalURL},
		"load": &types.AttributeValueMemberN{Value: strconv.Itoa(load)}, "draining": &types.AttributeValueMemberBOOL{Value: false},
		"heartbeatAt": &types.AttributeValueMemberS{Value: hb.Format(time.RFC3339)},
		"ttl":         &types.AttributeValueMemberN{Value: strconv.FormatInt(hb.Add(time.Minute).Unix(), 10)},
	}})
	must(e.t, err)
}
