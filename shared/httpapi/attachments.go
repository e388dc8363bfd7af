package httpapi

import (
	"net/http"

	"github.com/guestbridge/guestbridge/shared/attachment"
	"github.com/guestbridge/guestbridge/shared/notes"
)

func (a *API) newSnapshot(w http.ResponseWriter, r *http.Request) {
	var req attachment.SlotRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Attachments.NewSnapshot(r.Context(), principal(r), r.PathValue("id"), req)
	respond(w, r, http.StatusCreated, v, err)
}

func (a *API) completeSnapshot(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Attachments.Complete(r.Context(), principal(r), r.PathValue("id"), r.PathValue("attachmentId"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) listAttachments(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Attachments.List(r.Context(), principal(r), r.PathValue("org"), r.PathValue("caseId"))
	respond(w, r, http.StatusOK, map[string]any{"attachments": v}, err)
}

func (a *API) getAttachment(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Attachments.Get(r.Context(), principal(r), r.PathValue("org"), r.PathValue("caseId"), r.PathValue("attachmentId"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) getNotes(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Notes.Get(r.Context(), principal(r), r.PathValue("id"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) saveNotes(w http.ResponseWriter, r *http.Request) {
	var req notes.SaveRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Notes.Save(r.Context(), principal(r), r.PathValue("id"), req)
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) caseNotes(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Notes.ForCase(r.Context(), principal(r), r.PathValue("org"), r.PathValue("caseId"))
	respond(w, r, http.StatusOK, map[string]any{"notes": v}, err)
}
