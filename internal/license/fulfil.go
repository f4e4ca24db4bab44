package license

import (
	"context"
	"errors"
	"net/url"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
)

// ForApplications is the license library as applications see it when they
// take materials from the licenses an applicant holds (免提交,
// docs/fulfilment.md): Held, in the application package's terms.
// It can also tell at once whether licenses it gave are still valid
// (application.LicenseChecker).
func (s *Store) ForApplications() application.LicenseSource { return forApplications{s} }

type forApplications struct{ s *Store }

func (f forApplications) Held(ctx context.Context, holderKey, licenseType string) (*application.License, error) {
	l, err := f.s.Held(ctx, holderKey, licenseType)
	if err != nil || l == nil {
		return nil, err
	}
	out := &application.License{ID: l.ID, Number: l.Number, Type: l.Type, TypeName: l.TypeName,
		Department: l.Department, DepartmentName: l.DepartmentName, HolderKey: l.HolderKey, HolderName: l.HolderName,
		ValidFrom: l.ValidFrom, Fields: l.Fields}
	if l.ValidUntil != nil {
		out.ValidUntil = *l.ValidUntil
	}
	return out, nil
}

func (f forApplications) StillValid(ctx context.Context, ids []string) (map[string]bool, error) {
	return f.s.StillValid(ctx, ids)
}

// CheckPath is the path of the license's public verification page, the
// one its QR code opens (/licenses/check/{id}/{code}); "" when there is no
// such license.
func (s *Store) CheckPath(ctx context.Context, id string) (string, error) {
	l, err := s.load(ctx, s.db.Read(), id)
	if errors.Is(err, db.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return "/licenses/check/" + url.PathEscape(l.ID) + "/" + l.Code(), nil
}
