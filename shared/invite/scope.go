package invite

import (
	"context"
	"sort"
	"strings"

	"github.com/guestbridge/guestbridge/shared/access"
)

// scopeText is what a company guest's invitation says they get, by name: the
// ids in the workspace mean nothing to the person reading the email.
type scopeText struct {
	roleID, roleName string
	mode             access.WorkspaceMode
	names            []string // the groups or devices, for those modes
}

// data adds the scope to a message's data; a nil scope (a case guest) adds
// nothing.
func (st *scopeText) data(d map[string]string) map[string]string {
	if st == nil {
		return d
	}
	d["roleId"], d["roleName"], d["scope"] = st.roleID, st.roleName, string(st.mode)
	d["scopeNames"] = strings.Join(st.names, ", ")
	return d
}

// describeScope names the groups or devices of a workspace already checked by
// checkScope, sorted so the email reads the same however the map iterates.
func (s *Service) describeScope(ctx context.Context, orgID, roleID, roleName string, ws access.Workspace) (*scopeText, error) {
	st := &scopeText{roleID: roleID, roleName: roleName, mode: ws.Mode}
	switch ws.Mode {
	case access.GroupsWorkspace:
		for id := range ws.Groups {
			g, err := s.store.Group(ctx, orgID, id)
			if err != nil {
				return nil, err
			}
			st.names = append(st.names, g.Name)
		}
	case access.DevicesWorkspace:
		for _, id := range ws.Devices {
			d, err := s.store.Device(ctx, orgID, id)
			if err != nil {
				return nil, err
			}
			st.names = append(st.names, d.Name)
		}
	}
	sort.Strings(st.names)
	return st, nil
}
