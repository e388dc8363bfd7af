package httpapi

import (
	"net/http"

	"github.com/guestbridge/guestbridge/shared/identity"
)

func (a *API) getOrg(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Orgs.Get(r.Context(), principal(r), r.PathValue("org"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) patchOrg(w http.ResponseWriter, r *http.Request) {
	var req identity.OrgPatch
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Orgs.Patch(r.Context(), principal(r), r.PathValue("org"), req)
	respond(w, r, http.StatusOK, v, err)
}
