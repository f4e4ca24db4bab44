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
// was made (service_name), and since migration 00026 the English name too
// (service_name_en, for its notices); pages read the English name from the
// catalog, in the document of the service version the application is
// pinned to, which serves tasks and older applications alike. Published
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

// serviceName is a service's name in the page's language: in English the
// English name of the version (code, version) where it has one, else zh,
// the Chinese name the caller holds.
func (s *Server) serviceName(req *request, code string, version int, zh string) (string, error) {
	if req.lang != i18n.EN {
		return zh, nil
	}
	en, err := s.serviceNameEn(req.ctx(), code, version)
	if err != nil || en == "" {
		return zh, err
	}
	return en, nil
}

// appServiceNames names the services of applications in the page's
// language, by application ID.
func (s *Server) appServiceNames(req *request, apps []*application.Application) (map[string]string, error) {
	out := make(map[string]string, len(apps))
	for _, a := range apps {
		name, err := s.serviceName(req, a.ServiceCode, a.ServiceVersion, a.ServiceName)
		if err != nil {
			return nil, err
		}
		out[a.ID] = name
	}
	return out, nil
}

// taskServiceNames names the services of work-queue tasks in the page's
// language, by task ID.
func (s *Server) taskServiceNames(req *request, tasks []application.Task) (map[string]string, error) {
	out := make(map[string]string, len(tasks))
	for _, t := range tasks {
		name, err := s.serviceName(req, t.ServiceCode, t.ServiceVersion, t.ServiceName)
		if err != nil {
			return nil, err
		}
		out[t.ID] = name
	}
	return out, nil
}

// englishNames puts, on an English page, the English name of each listed
// service version in place of its Chinese one, where the version has
// one. list is the caller's own (catalog lists are made per call).
func (s *Server) englishNames(req *request, list []catalog.Summary) error {
	for i := range list {
		name, err := s.serviceName(req, list[i].Code, list[i].Version, list[i].Name)
		if err != nil {
			return err
		}
		list[i].Name = name
	}
	return nil
}
