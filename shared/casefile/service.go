package casefile

import (
	"context"
	"sort"

	"github.com/guestbridge/guestbridge/shared/access"
	"github.com/guestbridge/guestbridge/shared/audit"
	"github.com/guestbridge/guestbridge/shared/clock"
	"github.com/guestbridge/guestbridge/shared/page"
	"github.com/guestbridge/guestbridge/shared/secret"
)

// Store is the storage cases need.
type Store interface {
	CreateCase(ctx context.Context, c Case, entry audit.Entry) error
	Case(ctx context.Context, orgID, caseID string) (Case, error)
	Cases(ctx context.Context, orgID string) ([]Case, error)
	// CasesPage reads one page of the cases keep accepts.
	CasesPage(ctx context.Context, orgID string, pg page.Request, keep func(Case) bool) ([]Case, page.Key, error)
}

// Service creates and lists cases under the access rules.
type Service struct {
	store Store
	clock clock.Clock
}

// NewService returns a case service.
func NewService(s Store, c clock.Clock) *Service { return &Service{store: s, clock: c} }

// CreateRequest is the body of POST /v1/orgs/{org}/cases.
type CreateRequest struct {
	Title string `json:"title"`
}

// Create opens a new case.
func (s *Service) Create(ctx context.Context, p *access.Principal, orgID string, req CreateRequest) (Case, error) {
	if err := access.Authorize(p, access.CreateCase, access.Resource{OrgID: orgID}); err != nil {
		return Case{}, err
	}
	title, err := CleanTitle("title", req.Title)
	if err != nil {
		return Case{}, err
	}
	now := s.clock.Now()
	c := Case{ID: secret.NewID("c_"), OrgID: orgID, Title: title, CreatedBy: p.UserID, CreatedAt: now}
	e := audit.Entry{ID: secret.NewID("a_"), OrgID: orgID, At: now, Actor: p.UserID, Action: audit.CaseCreated,
		Target: c.ID, Details: map[string]string{"title": title}, ActorName: p.Name, TargetName: title}
	if err := s.store.CreateCase(ctx, c, e); err != nil {
		return Case{}, err
	}
	return c, nil
}

// Get returns one case the caller may see.
func (s *Service) Get(ctx context.Context, p *access.Principal, orgID, caseID string) (Case, error) {
	if err := access.Authorize(p, access.ReadCase, access.Resource{OrgID: orgID, CaseID: caseID}); err != nil {
		return Case{}, err
	}
	return s.store.Case(ctx, orgID, caseID)
}

// List returns the cases the caller may see, newest first.
func (s *Service) List(ctx context.Context, p *access.Principal, orgID string, pg page.Request) ([]Case, page.Key, error) {
	if err := access.Authorize(p, access.ListCases, access.Resource{OrgID: orgID}); err != nil {
		return nil, nil, err
	}
	out, next, err := s.store.CasesPage(ctx, orgID, pg, func(c Case) bool { return access.VisibleCase(p, c.ID) })
	if err != nil {
		return nil, nil, err
	}
	// Pages follow the storage order; within a page the newest comes first,
	// as the list did when it was one page.
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, next, nil
}
