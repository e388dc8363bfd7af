package httpapi

import (
	"net/http"

	"github.com/guestbridge/guestbridge/shared/device"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/role"
)

// respond encodes v with status, or the error.
func respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	if v == nil {
		w.WriteHeader(status)
		return
	}
	if r.Method == http.MethodGet && status == http.StatusOK {
		writeList(w, r, v)
		return
	}
	writeJSON(w, status, v)
}

func (a *API) myInvitations(w http.ResponseWriter, r *http.Request) {
	list, err := a.d.Invites.MyInvitations(r.Context(), principal(r))
	respond(w, r, http.StatusOK, map[string]any{"invitations": list}, err)
}

func (a *API) acceptMyInvitation(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Invites.AcceptMine(r.Context(), principal(r), r.PathValue("id"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) declineMyInvitation(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Invites.DeclineMine(r.Context(), principal(r), r.PathValue("id"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request) {
	list(a, w, r, "roles", "", func(pg page.Request) ([]role.Role, page.Key, error) {
		return a.d.Roles.List(r.Context(), principal(r), r.PathValue("org"), pg)
	})
}

func (a *API) createRole(w http.ResponseWriter, r *http.Request) {
	var req role.Request
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Roles.Create(r.Context(), principal(r), r.PathValue("org"), req)
	respond(w, r, http.StatusCreated, v, err)
}

func (a *API) getRole(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Roles.Get(r.Context(), principal(r), r.PathValue("org"), r.PathValue("roleId"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) updateRole(w http.ResponseWriter, r *http.Request) {
	var req role.Request
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Roles.Update(r.Context(), principal(r), r.PathValue("org"), r.PathValue("roleId"), req)
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) deleteRole(w http.ResponseWriter, r *http.Request) {
	err := a.d.Roles.Delete(r.Context(), principal(r), r.PathValue("org"), r.PathValue("roleId"))
	respond(w, r, http.StatusNoContent, nil, err)
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) {
	list(a, w, r, "members", "", func(pg page.Request) ([]role.Member, page.Key, error) {
		return a.d.Roles.Members(r.Context(), principal(r), r.PathValue("org"), pg)
	})
}

func (a *API) assignRole(w http.ResponseWriter, r *http.Request) {
	var req role.AssignRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Roles.Assign(r.Context(), principal(r), r.PathValue("org"), r.PathValue("userId"), req)
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) {
	err := a.d.Roles.Remove(r.Context(), principal(r), r.PathValue("org"), r.PathValue("userId"))
	respond(w, r, http.StatusNoContent, nil, err)
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request) {
	list(a, w, r, "groups", "", func(pg page.Request) ([]device.Group, page.Key, error) {
		return a.d.Devices.Groups(r.Context(), principal(r), r.PathValue("org"), pg)
	})
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request) {
	var req device.GroupRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Devices.CreateGroup(r.Context(), principal(r), r.PathValue("org"), req)
	respond(w, r, http.StatusCreated, v, err)
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Devices.Group(r.Context(), principal(r), r.PathValue("org"), r.PathValue("groupId"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) updateGroup(w http.ResponseWriter, r *http.Request) {
	var req device.GroupRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Devices.UpdateGroup(r.Context(), principal(r), r.PathValue("org"), r.PathValue("groupId"), req)
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request) {
	err := a.d.Devices.DeleteGroup(r.Context(), principal(r), r.PathValue("org"), r.PathValue("groupId"))
	respond(w, r, http.StatusNoContent, nil, err)
}

func (a *API) listDevices(w http.ResponseWriter, r *http.Request) {
	group := r.URL.Query().Get("groupId")
	list(a, w, r, "devices", group, func(pg page.Request) ([]device.Device, page.Key, error) {
		return a.d.Devices.Devices(r.Context(), principal(r), r.PathValue("org"), group, pg)
	})
}

func (a *API) createDevice(w http.ResponseWriter, r *http.Request) {
	var req device.DeviceRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Devices.CreateDevice(r.Context(), principal(r), r.PathValue("org"), req)
	respond(w, r, http.StatusCreated, v, err)
}

func (a *API) getDevice(w http.ResponseWriter, r *http.Request) {
	v, err := a.d.Devices.Device(r.Context(), principal(r), r.PathValue("org"), r.PathValue("deviceId"))
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) updateDevice(w http.ResponseWriter, r *http.Request) {
	var req device.DeviceRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	v, err := a.d.Devices.UpdateDevice(r.Context(), principal(r), r.PathValue("org"), r.PathValue("deviceId"), req)
	respond(w, r, http.StatusOK, v, err)
}

func (a *API) deleteDevice(w http.ResponseWriter, r *http.Request) {
	err := a.d.Devices.DeleteDevice(r.Context(), principal(r), r.PathValue("org"), r.PathValue("deviceId"))
	respond(w, r, http.StatusNoContent, nil, err)
}

func (a *API) deviceCommand(w http.ResponseWriter, r *http.Request) {
	var req device.CommandRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	e, err := a.d.Devices.Command(r.Context(), principal(r), r.PathValue("org"), r.PathValue("deviceId"), req)
	respond(w, r, http.StatusAccepted, map[string]any{"commandId": e.ID, "command": req.Command, "at": e.At}, err)
}
