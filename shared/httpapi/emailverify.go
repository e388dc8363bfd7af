package httpapi

import "net/http"

func (a *API) sendEmailVerification(w http.ResponseWriter, r *http.Request) {
	sent, err := a.d.EmailVerify.Send(r.Context(), principal(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, sent)
}

func (a *API) confirmEmail(w http.ResponseWriter, r *http.Request) {
	res, err := a.d.EmailVerify.Confirm(r.Context(), r.PathValue("token"), clientKey(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) previewEmailVerification(w http.ResponseWriter, r *http.Request) {
	res, err := a.d.EmailVerify.Preview(r.Context(), r.PathValue("token"), clientKey(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) declineEmailVerification(w http.ResponseWriter, r *http.Request) {
	if err := a.d.EmailVerify.Decline(r.Context(), r.PathValue("token"), clientKey(r)); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
