package httpapi

import (
	"net/http"

	"github.com/guestbridge/guestbridge/shared/signup"
)

func (a *API) signup(w http.ResponseWriter, r *http.Request) {
	var req signup.Request
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Signup.Start(r.Context(), req, clientKey(r))
	respond(w, r, http.StatusAccepted, v, err)
}

func (a *API) previewSignup(w http.ResponseWriter, r *http.Request) {
	if err := a.d.Local.Allow(r.Context(), a.d.RedeemLimit, clientKey(r)); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Signup.PreviewLink(r.Context(), r.PathValue("token"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) confirmSignup(w http.ResponseWriter, r *http.Request) {
	if err := a.d.Local.Allow(r.Context(), a.d.RedeemLimit, clientKey(r)); err != nil {
		writeError(w, r, err)
		return
	}
	s, err := a.d.Signup.Confirm(r.Context(), r.PathValue("token"))
	respond(w, r, http.StatusOK, s, err)
}
