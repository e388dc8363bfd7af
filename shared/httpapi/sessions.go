package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"

	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/session"
)

func platform(r *http.Request) session.Platform {
	return session.PlatformOf(r.Header.Get("X-Client-Platform"), r.Header.Get("User-Agent"))
}

func (a *API) startSession(w http.ResponseWriter, r *http.Request) {
	var req session.StartRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Sessions.Start(r.Context(), principal(r), r.PathValue("org"), r.PathValue("caseId"), req)
	respond(w, r, http.StatusCreated, v, err)
}

func (a *API) getSession(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Sessions.Get(r.Context(), principal(r), r.PathValue("id"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) sessionReport(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Sessions.Report(r.Context(), principal(r), r.PathValue("id"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) caseSessions(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Sessions.CaseReports(r.Context(), principal(r), r.PathValue("org"), r.PathValue("caseId"))
	respond(w, r, http.StatusOK, map[string]any{"sessions": v}, err)
}

func (a *API) sessionTechnicians(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Sessions.Candidates(r.Context(), principal(r), r.PathValue("id"), r.URL.Query().Get("q"))
	respond(w, r, http.StatusOK, map[string]any{"technicians": v}, err)
}

// mySessionInvitations is polled by a member's open page every few seconds:
// the answer carries an ETag, and an unchanged list costs a 304 and no body.
func (a *API) mySessionInvitations(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Sessions.MyInvitations(r.Context(), principal(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	body, err := json.Marshal(map[string]any{"invitations": v})
	if err != nil {
		writeError(w, r, err)
		return
	}
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-store")
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

func (a *API) endSession(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Sessions.End(r.Context(), principal(r), r.PathValue("id"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) joinSession(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Sessions.Join(r.Context(), principal(r), r.PathValue("id"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) inviteToSession(w http.ResponseWriter, r *http.Request) {
	var req session.InviteRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Sessions.Invite(r.Context(), principal(r), platform(r), r.PathValue("id"), req)
	respond(w, r, http.StatusCreated, v, err)
}

func (a *API) removeParticipant(w http.ResponseWriter, r *http.Request) {
	var req session.RemoveRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Sessions.Remove(r.Context(), principal(r), r.PathValue("id"), r.PathValue("pid"), req)
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) setParticipantTools(w http.ResponseWriter, r *http.Request) {
	var req session.ToolsRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Sessions.SetTools(r.Context(), principal(r), r.PathValue("id"), r.PathValue("pid"), req)
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) joinByLink(w http.ResponseWriter, r *http.Request) {
	if err := a.d.Local.Allow(r.Context(), a.d.RedeemLimit, clientKey(r)); err != nil {
		writeError(w, r, err)
		return
	}
	var req session.JoinLinkRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Sessions.JoinLink(r.Context(), r.PathValue("token"), platform(r), req)
	respond(w, r, http.StatusOK, v, err)
}

// relayEvent takes a join or leave from a relay, signed with the shared
// events key; anything unsigned or badly signed is refused.
func (a *API) relayEvent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, r, apperr.InvalidField("body", "the request body is larger than 64 KiB"))
		return
	}
	sig, err := hex.DecodeString(r.Header.Get("X-Relay-Signature"))
	m := hmac.New(sha256.New, a.d.RelayEventsKey)
	m.Write(body)
	if err != nil || len(a.d.RelayEventsKey) == 0 || !hmac.Equal(sig, m.Sum(nil)) {
		writeError(w, r, apperr.New(apperr.Unauthorized, "bad_signature", "The event is not signed by a relay."))
		return
	}
	var ev session.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		writeError(w, r, apperr.InvalidField("body", "the event is not valid JSON"))
		return
	}
	respond(w, r, http.StatusNoContent, nil, a.d.Sessions.Record(r.Context(), ev))
}
