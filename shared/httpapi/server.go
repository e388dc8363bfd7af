// Package httpapi is Guestbridge's HTTP API: routing, decoding, the one
// error-to-status mapping and the authentication edge. Handlers decode, call a
// domain service and encode; they decide nothing themselves. The same handler
// serves API Gateway (through the Lambda adapter) and the local server.
package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/attachment"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/device"
	"github.com/guestbridge/guestbridge/shared/emailverify"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/invite"
	"github.com/guestbridge/guestbridge/shared/notes"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
	"github.com/guestbridge/guestbridge/shared/role"
	"github.com/guestbridge/guestbridge/shared/secret"
	"github.com/guestbridge/guestbridge/shared/session"
)

// AuditLog reads an organisation's audit log.
type AuditLog interface {
	AuditLog(ctx context.Context, orgID string, q audit.Query) ([]audit.Entry, string, error)
}

// Deps are the services the API calls.
type Deps struct {
	Identity *identity.Service
	Invites  *invite.Service
	Cases    *casefile.Service
	Roles    *role.Service
	Devices  *device.Service
	// Orgs reads and changes the company's settings.
	Orgs     *identity.OrgService
	Sessions *session.Service
	// Attachments issues snapshot uploads and lists a case's files; Notes
	// keeps the sessions' notes.
	Attachments *attachment.Service
	Notes       *notes.Service
	Audit       AuditLog
	// EmailVerify proves the address of an account made from an SMS link.
	EmailVerify *emailverify.Service
	// RelayEventsKey checks the signature of the relays' events.
	RelayEventsKey []byte
	// RedeemLimit bounds link redemptions per client address.
	RedeemLimit ratelimit.Rule
	// Browser is the security-header policy of every response.
	Browser BrowserPolicy
	// Limiter holds limits that must hold across instances (per email);
	// Local holds cheap per-instance limits (per client address).
	Limiter ratelimit.Limiter
	Local   ratelimit.Limiter
	// SignIns throttles failed sign-ins per email and client address.
	SignIns *ratelimit.SignIns
	Log     *slog.Logger
}

// API serves the /v1 routes.
type API struct {
	d       Deps
	mux     *http.ServeMux
	headers http.Handler
}

// Route is one method and path pattern the API serves; the authorization
// matrix test walks this list.
type Route struct {
	Method, Pattern string
	Public          bool
}

// New builds the API.
func New(d Deps) *API {
	a := &API{d: d, mux: http.NewServeMux()}
	for _, rt := range a.routes() {
		h := rt.handler
		if !rt.Public {
			h = a.authenticated(h)
		}
		a.mux.Handle(rt.Method+" "+rt.Pattern, h)
	}
	a.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, apperr.New(apperr.NotFound, "route_not_found", "No such route."))
	})
	a.headers = SecurityHeaders(d.Browser, a.mux)
	return a
}

type route struct {
	Route
	handler http.Handler
}

func (a *API) routes() []route {
	pub := func(m, p string, h http.HandlerFunc) route { return route{Route{m, p, true}, h} }
	auth := func(m, p string, h http.HandlerFunc) route { return route{Route{m, p, false}, h} }
	return []route{
		pub("POST", "/v1/auth/login", a.login),
		auth("POST", "/v1/auth/switch", a.switchOrg),
		auth("GET", "/v1/me", a.me),
		auth("POST", "/v1/me/password", a.setPassword),
		auth("POST", "/v1/me/email/verification", a.sendEmailVerification),
		pub("GET", "/v1/email-verifications/{token}", a.previewEmailVerification),
		pub("POST", "/v1/email-verifications/{token}", a.confirmEmail),
		pub("POST", "/v1/email-verifications/{token}/decline", a.declineEmailVerification),
		auth("POST", "/v1/me/sign-out-everywhere", a.signOutEverywhere),
		pub("GET", "/v1/privileges", a.privileges),
		auth("POST", "/v1/orgs/{org}/cases", a.createCase),
		auth("GET", "/v1/orgs/{org}/cases", a.listCases),
		auth("GET", "/v1/orgs/{org}/cases/{caseId}", a.getCase),
		auth("POST", "/v1/orgs/{org}/guests", a.inviteGuest),
		auth("GET", "/v1/orgs/{org}/guests", a.listGuests),
		auth("GET", "/v1/orgs/{org}/guests/{guestId}", a.getGuest),
		auth("PATCH", "/v1/orgs/{org}/guests/{guestId}", a.patchGuest),
		auth("POST", "/v1/orgs/{org}/guests/{guestId}/end", a.endGuest),
		auth("POST", "/v1/orgs/{org}/guests/{guestId}/reinvite", a.reinviteGuest),
		pub("GET", "/v1/invitations/{token}", a.previewInvitation),
		pub("POST", "/v1/invitations/{token}/accept", a.acceptInvitation),
		pub("POST", "/v1/invitations/{token}/decline", a.declineInvitation),
		auth("GET", "/v1/orgs/{org}/audit", a.auditLog),
		auth("GET", "/v1/orgs/{org}/audit.csv", a.auditCSV),
		auth("GET", "/v1/me/invitations", a.myInvitations),
		auth("GET", "/v1/me/session-invitations", a.mySessionInvitations),
		auth("POST", "/v1/me/invitations/{id}/accept", a.acceptMyInvitation),
		auth("POST", "/v1/me/invitations/{id}/decline", a.declineMyInvitation),
		auth("GET", "/v1/orgs/{org}/roles", a.listRoles),
		auth("POST", "/v1/orgs/{org}/roles", a.createRole),
		auth("GET", "/v1/orgs/{org}/roles/{roleId}", a.getRole),
		auth("PUT", "/v1/orgs/{org}/roles/{roleId}", a.updateRole),
		auth("DELETE", "/v1/orgs/{org}/roles/{roleId}", a.deleteRole),
		auth("GET", "/v1/orgs/{org}/members", a.listMembers),
		auth("PATCH", "/v1/orgs/{org}/members/{userId}", a.assignRole),
		auth("DELETE", "/v1/orgs/{org}/members/{userId}", a.removeMember),
		auth("GET", "/v1/orgs/{org}/groups", a.listGroups),
		auth("POST", "/v1/orgs/{org}/groups", a.createGroup),
		auth("GET", "/v1/orgs/{org}/groups/{groupId}", a.getGroup),
		auth("PUT", "/v1/orgs/{org}/groups/{groupId}", a.updateGroup),
		auth("DELETE", "/v1/orgs/{org}/groups/{groupId}", a.deleteGroup),
		auth("GET", "/v1/orgs/{org}/devices", a.listDevices),
		auth("POST", "/v1/orgs/{org}/devices", a.createDevice),
		auth("GET", "/v1/orgs/{org}/devices/{deviceId}", a.getDevice),
		auth("PUT", "/v1/orgs/{org}/devices/{deviceId}", a.updateDevice),
		auth("DELETE", "/v1/orgs/{org}/devices/{deviceId}", a.deleteDevice),
		auth("POST", "/v1/orgs/{org}/devices/{deviceId}/commands", a.deviceCommand),
		auth("POST", "/v1/orgs/{org}/cases/{caseId}/sessions", a.startSession),
		auth("GET", "/v1/orgs/{org}/cases/{caseId}/sessions", a.caseSessions),
		auth("GET", "/v1/sessions/{id}", a.getSession),
		auth("GET", "/v1/sessions/{id}/report", a.sessionReport),
		auth("GET", "/v1/sessions/{id}/technicians", a.sessionTechnicians),
		auth("POST", "/v1/sessions/{id}/end", a.endSession),
		auth("POST", "/v1/sessions/{id}/join", a.joinSession),
		auth("POST", "/v1/sessions/{id}/invites", a.inviteToSession),
		auth("POST", "/v1/sessions/{id}/participants/{pid}/remove", a.removeParticipant),
		auth("PUT", "/v1/sessions/{id}/participants/{pid}/tools", a.setParticipantTools),
		pub("POST", "/v1/session-invites/{token}/join", a.joinByLink),
		pub("POST", "/v1/internal/relay/events", a.relayEvent),
		auth("POST", "/v1/sessions/{id}/snapshots", a.newSnapshot),
		auth("POST", "/v1/sessions/{id}/attachments/{attachmentId}/complete", a.completeSnapshot),
		auth("GET", "/v1/orgs/{org}/cases/{caseId}/attachments", a.listAttachments),
		auth("GET", "/v1/orgs/{org}/cases/{caseId}/attachments/{attachmentId}", a.getAttachment),
		auth("GET", "/v1/sessions/{id}/notes", a.getNotes),
		auth("PUT", "/v1/sessions/{id}/notes", a.saveNotes),
		auth("GET", "/v1/orgs/{org}/cases/{caseId}/notes", a.caseNotes),
		auth("GET", "/v1/orgs/{org}", a.getOrg),
		auth("PATCH", "/v1/orgs/{org}", a.patchOrg),
	}
}

// Routes lists every route the API serves.
func (a *API) Routes() []Route {
	var out []Route
	for _, r := range a.routes() {
		out = append(out, r.Route)
	}
	return out
}

// ServeHTTP adds a request id and a logger, recovers from panics and routes.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		id = secret.NewID("r_")
	}
	w.Header().Set("X-Request-Id", id)
	log := a.d.Log.With("requestId", id)
	r = r.WithContext(context.WithValue(r.Context(), loggerKey, log))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(r.Context(), "panic", "panic", p)
			writeError(sw, r, apperr.New(apperr.Internal, "internal", "internal error"))
		}
		log.InfoContext(r.Context(), "request", "method", r.Method, "path", redactPath(r.URL.Path),
			"status", sw.status, "durationMs", float64(time.Since(start).Microseconds())/1000)
	}()
	a.headers.ServeHTTP(sw, r)
}

// redactPath keeps link tokens out of the logs.
func redactPath(p string) string {
	for _, prefix := range []string{"/v1/invitations/", "/v1/session-invites/", "/v1/email-verifications/"} {
		if strings.HasPrefix(p, prefix) {
			rest := p[len(prefix):]
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				return prefix + "…" + rest[i:]
			}
			return prefix + "…"
		}
	}
	return p
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// authenticated resolves the bearer token into a principal, once, at the edge.
func (a *API) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			writeError(w, r, identity.ErrNoSession)
			return
		}
		p, c, err := a.d.Identity.Resolve(r.Context(), tok)
		if err != nil {
			writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey, p)
		ctx = context.WithValue(ctx, claimsKey, c)
		ctx = context.WithValue(ctx, loggerKey, logger(r).With("user", p.UserID, "org", p.OrgID))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func principal(r *http.Request) *access.Principal {
	p, _ := r.Context().Value(principalKey).(*access.Principal)
	return p
}

func claims(r *http.Request) identity.Claims {
	c, _ := r.Context().Value(claimsKey).(identity.Claims)
	return c
}

// clientKey identifies the caller's network address for per-address limits.
// Behind API Gateway the Lambda adapter puts the source IP in RemoteAddr.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
