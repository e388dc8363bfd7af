package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/casefile"
	"github.com/guestbridge/guestbridge/shared/guest"
	"github.com/guestbridge/guestbridge/shared/identity"
	"github.com/guestbridge/guestbridge/shared/invite"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/ratelimit"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	email, err := guest.NormalizeEmail("email", req.Email)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if req.Password == "" {
		writeError(w, r, apperr.InvalidField("password", "a password is required"))
		return
	}
	if err := a.d.Local.Allow(r.Context(), ratelimit.LoginPerIP, clientKey(r)); err != nil {
		writeError(w, r, err)
		return
	}
	var s identity.Session
	err = a.d.SignIns.Attempt(r.Context(), email, clientKey(r), func(ctx context.Context) error {
		var err error
		s, err = a.d.Identity.Login(ctx, email, req.Password)
		if errors.Is(err, identity.ErrBadCredentials) && a.d.Signup != nil {
			// Whoever knows the password of a pending sign-up is told to
			// confirm it, rather than that the password is wrong.
			if refusal := a.d.Signup.Refusal(ctx, email, req.Password); refusal != nil {
				return refusal
			}
		}
		return err
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

type switchRequest struct {
	OrgID string `json:"orgId"`
}

func (a *API) switchOrg(w http.ResponseWriter, r *http.Request) {
	var req switchRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.OrgID == "" {
		writeError(w, r, apperr.InvalidField("orgId", "orgId is required"))
		return
	}
	s, err := a.d.Identity.Switch(r.Context(), claims(r), req.OrgID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

type meResponse struct {
	User        identity.UserView     `json:"user"`
	Acting      actingView            `json:"actingOrg"`
	Memberships []identity.Membership `json:"memberships"`
}

type actingView struct {
	OrgID      string             `json:"orgId"`
	Kind       access.Kind        `json:"kind"`
	Role       string             `json:"role,omitempty"`
	Privileges []access.Privilege `json:"privileges"`
	GuestID    string             `json:"guestId,omitempty"`
	CaseIDs    []string           `json:"caseIds,omitempty"`
	// SessionEndsAt tells a guest signed in from an SMS link when that
	// session ends unless they set a password.
	SessionEndsAt string `json:"sessionEndsAt"`
	ViaLink       bool   `json:"viaLink,omitempty"`
}

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p, c := principal(r), claims(r)
	u, ms, err := a.d.Identity.Me(r.Context(), p.UserID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	privs := p.Privileges
	if privs == nil {
		privs = []access.Privilege{}
	}
	writeJSON(w, http.StatusOK, meResponse{User: u, Memberships: ms, Acting: actingView{
		OrgID: p.OrgID, Kind: p.Kind, Role: p.Role, Privileges: privs, GuestID: p.GuestID, CaseIDs: p.CaseIDs,
		SessionEndsAt: c.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"), ViaLink: c.ViaLink,
	}})
}

type passwordRequest struct {
	Password        string `json:"password"`
	CurrentPassword string `json:"currentPassword,omitempty"`
}

func (a *API) setPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := a.d.Identity.SetPassword(r.Context(), principal(r), req.CurrentPassword, req.Password); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	if err := a.d.Identity.SignOutEverywhere(r.Context(), principal(r)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) privileges(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"privileges": access.Catalog, "roles": access.BuiltinRoles})
}

func (a *API) createCase(w http.ResponseWriter, r *http.Request) {
	var req casefile.CreateRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := a.d.Cases.Create(r.Context(), principal(r), r.PathValue("org"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (a *API) listCases(w http.ResponseWriter, r *http.Request) {
	list(a, w, r, "cases", "", func(pg page.Request) ([]casefile.Case, page.Key, error) {
		return a.d.Cases.List(r.Context(), principal(r), r.PathValue("org"), pg)
	})
}

func (a *API) getCase(w http.ResponseWriter, r *http.Request) {
	c, err := a.d.Cases.Get(r.Context(), principal(r), r.PathValue("org"), r.PathValue("caseId"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *API) inviteGuest(w http.ResponseWriter, r *http.Request) {
	var req invite.InviteRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Invites.Invite(r.Context(), principal(r), r.PathValue("org"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (a *API) listGuests(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	list(a, w, r, "guests", status, func(pg page.Request) ([]invite.View, page.Key, error) {
		return a.d.Invites.List(r.Context(), principal(r), r.PathValue("org"), status, pg)
	})
}

func (a *API) getGuest(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Invites.Get(r.Context(), principal(r), r.PathValue("org"), r.PathValue("guestId"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) patchGuest(w http.ResponseWriter, r *http.Request) {
	var req invite.PatchRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Invites.Patch(r.Context(), principal(r), r.PathValue("org"), r.PathValue("guestId"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) endGuest(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Invites.End(r.Context(), principal(r), r.PathValue("org"), r.PathValue("guestId"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) reinviteGuest(w http.ResponseWriter, r *http.Request) {
	var req invite.ReinviteRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Invites.Reinvite(r.Context(), principal(r), r.PathValue("org"), r.PathValue("guestId"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) previewInvitation(w http.ResponseWriter, r *http.Request) {
	p, err := a.d.Invites.PreviewLink(r.Context(), r.PathValue("token"), clientKey(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (a *API) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	var req invite.AcceptRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	res, err := a.d.Invites.Accept(r.Context(), r.PathValue("token"), clientKey(r), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) declineInvitation(w http.ResponseWriter, r *http.Request) {
	if err := a.d.Invites.Decline(r.Context(), r.PathValue("token"), clientKey(r)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) auditLog(w http.ResponseWriter, r *http.Request) {
	org := r.PathValue("org")
	if err := access.Authorize(principal(r), access.ReadAudit, access.Resource{OrgID: org}); err != nil {
		writeError(w, r, err)
		return
	}
	q, scope, err := a.auditQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	entries, next, err := a.d.Audit.AuditLog(r.Context(), org, q)
	if err != nil {
		writeError(w, r, err)
		return
	}
	cursor, err := a.auditCursor(scope, next)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// "next" is the name the log's cursor had before every list had one.
	writeList(w, r, map[string]any{"entries": entries, "next": cursor, "nextCursor": cursor})
}

// auditExportMax bounds one CSV export; a longer log is exported in parts
// with the cursor of the X-Next-Cursor header.
const auditExportMax = 5000

func (a *API) auditCSV(w http.ResponseWriter, r *http.Request) {
	org := r.PathValue("org")
	if err := access.Authorize(principal(r), access.ReadAudit, access.Resource{OrgID: org}); err != nil {
		writeError(w, r, err)
		return
	}
	q, scope, err := a.auditQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if r.URL.Query().Get("limit") == "" {
		q.Limit = audit.MaxLimit
	}
	var all []audit.Entry
	for len(all) < auditExportMax {
		entries, next, err := a.d.Audit.AuditLog(r.Context(), org, q)
		if err != nil {
			writeError(w, r, err)
			return
		}
		all = append(all, entries...)
		q.Cursor = next
		if next == "" || r.URL.Query().Get("limit") != "" {
			break
		}
	}
	if q.Cursor != "" {
		cursor, err := a.auditCursor(scope, q.Cursor)
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("X-Next-Cursor", cursor)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := audit.WriteCSV(w, all, true); err != nil {
		logger(r).ErrorContext(r.Context(), "audit csv", "err", err)
	}
}

// auditQuery reads the audit log's query; its cursor is sealed like every
// list's, for the company and the filters it was issued with.
func (a *API) auditQuery(r *http.Request) (audit.Query, string, error) {
	q, err := audit.ParseQuery(r.URL.Query())
	if err != nil {
		return audit.Query{}, "", err
	}
	scope := page.Scope(r.PathValue("org"), "audit", q.Actor+"\x00"+q.Action+"\x00"+q.Target)
	start, err := a.d.Cursors.Open(scope, q.Cursor)
	if err != nil {
		return audit.Query{}, "", err
	}
	q.Cursor = start["SK"]
	if start != nil && !strings.HasPrefix(q.Cursor, "AUDIT#") {
		return audit.Query{}, "", page.ErrInvalidCursor
	}
	return q, scope, nil
}

func (a *API) auditCursor(scope, sk string) (string, error) {
	if sk == "" {
		return "", nil
	}
	return a.d.Cursors.Seal(scope, page.Key{"SK": sk})
}
