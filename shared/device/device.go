// Package device holds a company's groups and devices: every device belongs to
// one group. Members with devices.configure manage them; company guests see and
// act on them only within their workspace scope.
package device

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/apperr"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/plaintext"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Group is a named set of devices.
type Group struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Device is one remotely supported device.
type Device struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"orgId"`
	GroupID   string    `json:"groupId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// Store is the storage groups and devices need.
type Store interface {
	Group(ctx context.Context, orgID, id string) (Group, error)
	Groups(ctx context.Context, orgID string) ([]Group, error)
	PutGroup(ctx context.Context, g Group, create bool, entry audit.Entry) error
	// DeleteGroup deletes an empty group; ErrGroupNotEmpty otherwise.
	DeleteGroup(ctx context.Context, orgID, id string, entry audit.Entry) error
	Device(ctx context.Context, orgID, id string) (Device, error)
	Devices(ctx context.Context, orgID string) ([]Device, error)
	GroupsPage(ctx context.Context, orgID string, pg page.Request, keep func(Group) bool) ([]Group, page.Key, error)
	DevicesPage(ctx context.Context, orgID string, pg page.Request, keep func(Device) bool) ([]Device, page.Key, error)
	// PutDevice writes a device on the condition that its group exists.
	PutDevice(ctx context.Context, d Device, create bool, entry audit.Entry) error
	DeleteDevice(ctx context.Context, orgID, id string, entry audit.Entry) error
	AddAudit(ctx context.Context, entry audit.Entry) error
}

// Errors.
var (
	ErrGroupNotFound  = apperr.New(apperr.NotFound, "group_not_found", "No such group.")
	ErrDeviceNotFound = apperr.New(apperr.NotFound, "device_not_found", "No such device.")
	ErrGroupNotEmpty  = apperr.New(apperr.Conflict, "group_not_empty", "The group still has devices; move or delete them first.")
)

// Service manages groups and devices under the access rules.
type Service struct {
	store Store
	clock clock.Clock
}

// NewService returns a device service.
func NewService(s Store, c clock.Clock) *Service { return &Service{store: s, clock: c} }

// GroupRequest is the body of POST and PUT on groups.
type GroupRequest struct {
	Name string `json:"name"`
}

// DeviceRequest is the body of POST and PUT on devices.
type DeviceRequest struct {
	Name    string `json:"name"`
	GroupID string `json:"groupId"`
}

func cleanName(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" || len(n) > 100 {
		return "", apperr.InvalidField("name", "a name of 1 to 100 characters is required")
	}
	if err := plaintext.Check("name", n); err != nil {
		return "", err
	}
	return n, nil
}

func (s *Service) entry(p *access.Principal, orgID, action, target string, details map[string]string) audit.Entry {
	return audit.Entry{ID: secret.NewID("a_"), OrgID: orgID, At: s.clock.Now(), Actor: p.UserID, Action: action,
		Target: target, Details: details, ActorName: p.Name, TargetName: details["name"]}
}

// Groups lists the groups the caller can see: all of them for members, those
// in scope for guests (in devices mode, the groups of the selected devices).
func (s *Service) Groups(ctx context.Context, p *access.Principal, orgID string, pg page.Request) ([]Group, page.Key, error) {
	if err := access.Authorize(p, access.ListDevices, access.Resource{OrgID: orgID}); err != nil {
		return nil, nil, err
	}
	var viaDevices map[string]bool
	if p.Kind == access.Guest && p.Workspace.Mode == access.DevicesWorkspace {
		// A guest's device list is bounded by their grant.
		ds, err := s.visibleDevices(ctx, p, orgID)
		if err != nil {
			return nil, nil, err
		}
		viaDevices = map[string]bool{}
		for _, d := range ds {
			viaDevices[d.GroupID] = true
		}
	}
	out, next, err := s.store.GroupsPage(ctx, orgID, pg, func(g Group) bool { return access.VisibleIn(p, g.ID, "") || viaDevices[g.ID] })
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, next, nil
}

// Group returns one group within the caller's sight.
func (s *Service) Group(ctx context.Context, p *access.Principal, orgID, id string) (Group, error) {
	if err := access.Authorize(p, access.ListDevices, access.Resource{OrgID: orgID}); err != nil {
		return Group{}, err
	}
	g, err := s.store.Group(ctx, orgID, id)
	if err != nil {
		return Group{}, err
	}
	if access.VisibleIn(p, g.ID, "") {
		return g, nil
	}
	if p.Kind == access.Guest && p.Workspace.Mode == access.DevicesWorkspace {
		ds, err := s.visibleDevices(ctx, p, orgID)
		if err != nil {
			return Group{}, err
		}
		for _, d := range ds {
			if d.GroupID == id {
				return g, nil
			}
		}
	}
	return Group{}, ErrGroupNotFound
}

// CreateGroup makes a group.
func (s *Service) CreateGroup(ctx context.Context, p *access.Principal, orgID string, req GroupRequest) (Group, error) {
	if err := access.Authorize(p, access.ConfigureGroup, access.Resource{OrgID: orgID}); err != nil {
		return Group{}, err
	}
	name, err := cleanName(req.Name)
	if err != nil {
		return Group{}, err
	}
	g := Group{ID: secret.NewID("grp_"), OrgID: orgID, Name: name, CreatedAt: s.clock.Now()}
	return g, s.store.PutGroup(ctx, g, true, s.entry(p, orgID, "group.created", g.ID, map[string]string{"name": name}))
}

// UpdateGroup renames a group.
func (s *Service) UpdateGroup(ctx context.Context, p *access.Principal, orgID, id string, req GroupRequest) (Group, error) {
	g, err := s.groupFor(ctx, p, orgID, id, access.ConfigureGroup)
	if err != nil {
		return Group{}, err
	}
	if g.Name, err = cleanName(req.Name); err != nil {
		return Group{}, err
	}
	return g, s.store.PutGroup(ctx, g, false, s.entry(p, orgID, "group.updated", g.ID, map[string]string{"name": g.Name}))
}

// DeleteGroup deletes an empty group.
func (s *Service) DeleteGroup(ctx context.Context, p *access.Principal, orgID, id string) error {
	g, err := s.groupFor(ctx, p, orgID, id, access.ConfigureGroup)
	if err != nil {
		return err
	}
	return s.store.DeleteGroup(ctx, orgID, g.ID, s.entry(p, orgID, "group.deleted", g.ID, map[string]string{"name": g.Name}))
}

// groupFor reads a group and authorises act on it; a group the caller cannot
// see is not found.
func (s *Service) groupFor(ctx context.Context, p *access.Principal, orgID, id string, act access.Action) (Group, error) {
	if err := precheck(p, orgID, act); err != nil {
		return Group{}, err
	}
	g, err := s.store.Group(ctx, orgID, id)
	if err != nil {
		return Group{}, err
	}
	if err := access.Authorize(p, act, access.Resource{OrgID: orgID, GroupID: g.ID}); err != nil {
		return Group{}, err
	}
	return g, nil
}

// precheck refuses, before anything is read, a caller outside the company and
// a caller whose answer does not depend on the resource: a member lacking the
// privilege, or anyone but a company guest (whose scope needs the resource).
func precheck(p *access.Principal, orgID string, act access.Action) error {
	if p == nil || p.OrgID != orgID {
		return access.ErrNotFound
	}
	if p.Kind == access.Guest && p.GuestKind == access.CompanyGuest {
		return nil
	}
	return access.Authorize(p, act, access.Resource{OrgID: orgID})
}

func (s *Service) visibleDevices(ctx context.Context, p *access.Principal, orgID string) ([]Device, error) {
	ds, err := s.store.Devices(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := []Device{}
	for _, d := range ds {
		if access.VisibleIn(p, d.GroupID, d.ID) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Devices lists the devices the caller can see, optionally of one group.
func (s *Service) Devices(ctx context.Context, p *access.Principal, orgID, groupID string, pg page.Request) ([]Device, page.Key, error) {
	if err := access.Authorize(p, access.ListDevices, access.Resource{OrgID: orgID}); err != nil {
		return nil, nil, err
	}
	out, next, err := s.store.DevicesPage(ctx, orgID, pg, func(d Device) bool {
		return (groupID == "" || d.GroupID == groupID) && access.VisibleIn(p, d.GroupID, d.ID)
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, next, nil
}

// deviceFor reads a device and authorises act on it.
func (s *Service) deviceFor(ctx context.Context, p *access.Principal, orgID, id string, act access.Action) (Device, error) {
	if err := precheck(p, orgID, act); err != nil {
		return Device{}, err
	}
	d, err := s.store.Device(ctx, orgID, id)
	if err != nil {
		return Device{}, err
	}
	if err := access.Authorize(p, act, access.Resource{OrgID: orgID, GroupID: d.GroupID, DeviceID: d.ID}); err != nil {
		return Device{}, err
	}
	return d, nil
}

// Device returns one device within the caller's sight.
func (s *Service) Device(ctx context.Context, p *access.Principal, orgID, id string) (Device, error) {
	return s.deviceFor(ctx, p, orgID, id, access.ReadDevice)
}

// CreateDevice adds a device to a group the caller may configure.
func (s *Service) CreateDevice(ctx context.Context, p *access.Principal, orgID string, req DeviceRequest) (Device, error) {
	if err := precheck(p, orgID, access.ConfigureDevice); err != nil {
		return Device{}, err
	}
	name, err := cleanName(req.Name)
	if err != nil {
		return Device{}, err
	}
	if req.GroupID == "" {
		return Device{}, apperr.InvalidField("groupId", "a device belongs to a group: give groupId")
	}
	g, err := s.groupFor(ctx, p, orgID, req.GroupID, access.ConfigureDevice)
	if err != nil {
		if apperr.From(err) != nil && apperr.From(err).Kind == apperr.NotFound {
			return Device{}, apperr.InvalidField("groupId", "no such group")
		}
		return Device{}, err
	}
	d := Device{ID: secret.NewID("dev_"), OrgID: orgID, GroupID: g.ID, Name: name, CreatedAt: s.clock.Now()}
	return d, s.store.PutDevice(ctx, d, true, s.entry(p, orgID, "device.created", d.ID, map[string]string{"name": name, "groupId": g.ID}))
}

// UpdateDevice renames a device or moves it to another group; moving needs
// the configure privilege on both groups.
func (s *Service) UpdateDevice(ctx context.Context, p *access.Principal, orgID, id string, req DeviceRequest) (Device, error) {
	d, err := s.deviceFor(ctx, p, orgID, id, access.ConfigureDevice)
	if err != nil {
		return Device{}, err
	}
	if d.Name, err = cleanName(req.Name); err != nil {
		return Device{}, err
	}
	if req.GroupID != "" && req.GroupID != d.GroupID {
		if _, err := s.groupFor(ctx, p, orgID, req.GroupID, access.ConfigureDevice); err != nil {
			if e := apperr.From(err); e != nil && e.Kind == apperr.NotFound {
				return Device{}, apperr.InvalidField("groupId", "no such group")
			}
			return Device{}, err
		}
		d.GroupID = req.GroupID
	}
	return d, s.store.PutDevice(ctx, d, false, s.entry(p, orgID, "device.updated", d.ID, map[string]string{"name": d.Name, "groupId": d.GroupID}))
}

// DeleteDevice removes a device.
func (s *Service) DeleteDevice(ctx context.Context, p *access.Principal, orgID, id string) error {
	d, err := s.deviceFor(ctx, p, orgID, id, access.ConfigureDevice)
	if err != nil {
		return err
	}
	return s.store.DeleteDevice(ctx, orgID, d.ID, s.entry(p, orgID, "device.deleted", d.ID, map[string]string{"name": d.Name}))
}

// CommandRequest is a command sent to a device.
type CommandRequest struct {
	Command string `json:"command"`
}

// Commands a device accepts.
var Commands = map[string]bool{"restart": true, "lock": true, "identify": true, "sync": true}

// Command records a command to a device for the device agent to pick up;
// sending it needs devices.control on the device.
func (s *Service) Command(ctx context.Context, p *access.Principal, orgID, id string, req CommandRequest) (audit.Entry, error) {
	if !Commands[req.Command] {
		return audit.Entry{}, apperr.InvalidField("command", "command must be one of restart, lock, identify, sync")
	}
	d, err := s.deviceFor(ctx, p, orgID, id, access.ControlDevice)
	if err != nil {
		return audit.Entry{}, err
	}
	e := s.entry(p, orgID, "device.command", d.ID, map[string]string{"command": req.Command, "guest": p.GuestID}).Naming(d.Name)
	return e, s.store.AddAudit(ctx, e)
}
