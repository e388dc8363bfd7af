// Package control serves the API's control calls to the relay:
//
//	POST /control/sessions/{sid}/end                       {"reason": ...}
//	POST /control/sessions/{sid}/participants/{pid}/remove {"reason": ..., "message"?: ...}
//	POST /control/sessions/{sid}/participants/{pid}/tools  {"tools": [...]}
//
// each authorised by a bearer JWT signed with the ticket key for the
// audience guestbridge-relay-control, bound to the call's method, path and
// body, and accepted once. The calls take effect at once.
package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/guestbridge/guestbridge/media-task/relay"
	"github.com/guestbridge/guestbridge/media-task/ticket"
	"github.com/guestbridge/guestbridge/shared/toolmatrix"
)

// maxBody bounds a control call's body.
const maxBody = 16 << 10

// Verifier checks and consumes a control call's bearer token.
type Verifier interface {
	Control(token, method, path string, body []byte) error
}

// Relay is what the control calls act on.
type Relay interface {
	EndSession(sid, reason string) (int, error)
	RemoveWithMessage(sid, pid, reason, message string) (bool, error)
	SetTools(sid, pid string, tools []toolmatrix.Tool) ([]toolmatrix.Tool, bool, error)
}

var (
	_ Relay    = (*relay.Server)(nil)
	_ Verifier = (*ticket.Verifier)(nil)
)

// Handler serves the control calls.
type Handler struct {
	verifier Verifier
	relay    Relay
	log      *slog.Logger
	mux      *http.ServeMux
}

// NewHandler returns a Handler.
func NewHandler(v Verifier, r Relay, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{verifier: v, relay: r, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /control/sessions/{sid}/end", h.end)
	h.mux.HandleFunc("POST /control/sessions/{sid}/participants/{pid}/remove", h.remove)
	h.mux.HandleFunc("POST /control/sessions/{sid}/participants/{pid}/tools", h.tools)
	h.mux.HandleFunc("/control/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such control call")
	})
	return h
}

// errBadRequest marks a request the client got wrong.
var errBadRequest = errors.New("bad request")

// ServeHTTP authorises the call and routes it. The body is read before the
// token is checked, since the token names the body's hash.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeError(w, http.StatusBadRequest, "invalid_request", "the body is too large")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
		h.unauthorized(w, "unauthorized", "a valid control token is required")
		return
	}
	switch err := h.verifier.Control(strings.TrimSpace(token), r.Method, r.URL.EscapedPath(), body); {
	case err == nil:
	case errors.Is(err, ticket.ErrUsed):
		h.log.Warn("control token replayed", "path", r.URL.Path)
		h.unauthorized(w, "token_used", "this control token was already used")
		return
	case errors.Is(err, ticket.ErrBusy):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "busy", "too many control calls; retry")
		return
	default:
		h.unauthorized(w, "unauthorized", "a valid control token for this call is required")
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) unauthorized(w http.ResponseWriter, code, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="guestbridge-relay-control"`)
	writeError(w, http.StatusUnauthorized, code, msg)
}

type reasonBody struct {
	Reason string `json:"reason"`
	// Message is the primary's words to a removed participant.
	Message string `json:"message,omitempty"`
}

type toolsBody struct {
	Tools *[]toolmatrix.Tool `json:"tools"`
}

// decode reads a strict JSON body; an empty body leaves dst as it is.
func decode(r *http.Request, dst any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return errBadRequest
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errBadRequest
	}
	if dec.More() {
		return errBadRequest
	}
	return nil
}

func (h *Handler) end(w http.ResponseWriter, r *http.Request) {
	var b reasonBody
	if err := decode(r, &b); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "body must be {\"reason\": ...}")
		return
	}
	sid := r.PathValue("sid")
	n, err := h.relay.EndSession(sid, b.Reason)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("session ended", "session", sid, "reason", b.Reason, "disconnected", n)
	writeJSON(w, http.StatusOK, map[string]any{"disconnected": n})
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request) {
	var b reasonBody
	if err := decode(r, &b); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "body must be {\"reason\": ...}")
		return
	}
	sid, pid := r.PathValue("sid"), r.PathValue("pid")
	connected, err := h.relay.RemoveWithMessage(sid, pid, b.Reason, b.Message)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("participant removed", "session", sid, "participant", pid, "reason", b.Reason, "connected", connected)
	writeJSON(w, http.StatusOK, map[string]any{"connected": connected})
}

func (h *Handler) tools(w http.ResponseWriter, r *http.Request) {
	var b toolsBody
	if err := decode(r, &b); err != nil || b.Tools == nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "body must be {\"tools\": [...]}")
		return
	}
	sid, pid := r.PathValue("sid"), r.PathValue("pid")
	eff, connected, err := h.relay.SetTools(sid, pid, *b.Tools)
	if err != nil {
		h.fail(w, err)
		return
	}
	out := map[string]any{"connected": connected}
	if connected {
		out["tools"] = eff
	}
	writeJSON(w, http.StatusOK, out)
}

// fail is the one place mapping relay errors to statuses.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, relay.ErrBadReason):
		writeError(w, http.StatusBadRequest, "invalid_reason", "reason must be session_ended, removed, account_ended, account_inactive, member_removed or expired")
	case errors.Is(err, relay.ErrBadTool):
		writeError(w, http.StatusBadRequest, "invalid_tool", "unknown tool")
	default:
		h.log.Error("control call failed", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
