package httpapi

import (
	"net/http"

	"github.com/guestbridge/guestbridge/shared/memberinvite"
	"github.com/guestbridge/guestbridge/shared/page"
)

func (a *API) inviteMember(w http.ResponseWriter, r *http.Request) {
	var req memberinvite.Request
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.MemberInvites.Invite(r.Context(), principal(r), r.PathValue("org"), req)
	respond(w, r, http.StatusCreated, v, err)
}

func (a *API) listMemberInvitations(w http.ResponseWriter, r *http.Request) {
	list(a, w, r, "invitations", "", func(pg page.Request) ([]memberinvite.Invitation, page.Key, error) {
		return a.d.MemberInvites.List(r.Context(), principal(r), r.PathValue("org"), pg)
	})
}

func (a *API) previewMemberInvitation(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.MemberInvites.PreviewLink(r.Context(), r.PathValue("token"), clientKey(r))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) acceptMemberInvitation(w http.ResponseWriter, r *http.Request) {
	var req memberinvite.AcceptRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	s, err := a.d.MemberInvites.Accept(r.Context(), r.PathValue("token"), clientKey(r), req)
	respond(w, r, http.StatusOK, s, err)
}
