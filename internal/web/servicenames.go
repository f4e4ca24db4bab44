package web

import (
	"context"
	"errors"
	"sync"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/i18n"
)

// An application keeps the Chinese name of its service as it was when it
// was made (service_name); the English name is in the catalog, in the
// document of the service version the application is pinned to. Published
// versions never change, so each version's English name is read once and
// kept.

// serviceNamesEn keeps the English names of published service versions
// ("" for a version without one), by catalog.LedgerID.
type serviceNamesEn struct{ m sync.Map }

// serviceNameEn returns the English name of a published version of a
// service, "" when it has none or the version is unknown.
func (s *Server) serviceNameEn(ctx context.Context, code string, version int) (string, error) {
	key := catalog.LedgerID(code, version)
	if v, ok := s.svcNamesEn.m.Load(key); ok {
		return v.(string), nil
	}
	svc, err := s.Catalog.Version(ctx, code, version)
	if errors.Is(err, db.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	s.svcNamesEn.m.Store(key, svc.NameEn)
	return svc.NameEn, nil
}

// appServiceNames names the services of applications in the page's
// language, by application ID: in English the English name of the version
// each was made under, where it has one; else the name the application
// keeps.
func (s *Server) appServiceNames(req *request, apps []*application.Application) (map[string]string, error) {
	out := make(map[string]string, len(apps))
	for _, a := range apps {
		out[a.ID] = a.ServiceName
		if req.lang != i18n.EN {
			continue
		}
		en, err := s.serviceNameEn(req.ctx(), a.ServiceCode, a.ServiceVersion)
		if err != nil {
			return nil, err
		}
		if en != "" {
			out[a.ID] = en
		}
	}
	return out, nil
}

// taskServiceNames names the services of work-queue tasks in the page's
// language, by task ID, as appServiceNames does for applications.
func (s *Server) taskServiceNames(req *request, tasks []application.Task) (map[string]string, error) {
	out := make(map[string]string, len(tasks))
	for _, t := range tasks {
		out[t.ID] = t.ServiceName
		if req.lang != i18n.EN {
			continue
		}
		en, err := s.serviceNameEn(req.ctx(), t.ServiceCode, t.ServiceVersion)
		if err != nil {
			return nil, err
		}
		if en != "" {
			out[t.ID] = en
		}
	}
	return out, nil
}

// englishNames puts, on an English page, the English name of each listed
// service version in place of its Chinese one, where the version has
// one. list is the caller's own (catalog lists are made per call).
func (s *Server) englishNames(req *request, list []catalog.Summary) error {
	if req.lang != i18n.EN {
		return nil
	}
	for i := range list {
		en, err := s.serviceNameEn(req.ctx(), list[i].Code, list[i].Version)
		if err != nil {
			return err
		}
		if en != "" {
			list[i].Name = en
		}
	}
	return nil
}
