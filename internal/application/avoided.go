package application

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
)

// AvoidedService is one published service in the avoided-uploads report.
type AvoidedService struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	DepartmentCode string `json:"department_code"`
	// Required counts the service's required materials.
	Required int `json:"required"`
	// ByLicense counts the required materials an electronic license can
	// replace; ByData those (without a license type) that the department
	// verifies from shared data under a live grant.
	ByLicense int `json:"by_license"`
	ByData    int `json:"by_data"`
	// ByForm counts the required materials that are the application form
	// filled in online (申请书), which is never uploaded either.
	ByForm int `json:"by_form"`
	// Filed counts the applications filed for the service (every state
	// but draft); Avoided the uploads they did without: materials
	// fulfilled by data for which no file was uploaded.
	Filed   int `json:"filed"`
	Avoided int `json:"avoided"`
}

// Fulfillable is how many required materials need no upload when the
// applicant holds the licenses.
func (s AvoidedService) Fulfillable() int { return s.ByLicense + s.ByData }

// AvoidedReport counts the material uploads that data makes unnecessary,
// over the published catalog and over the filed applications.
type AvoidedReport struct {
	At       time.Time        `json:"at"`
	Services []AvoidedService `json:"services"`
	Totals   AvoidedTotals    `json:"totals"`
}

// AvoidedTotals sums the report's services.
type AvoidedTotals struct {
	Services int `json:"services"`
	// ServicesFulfillable counts the services with at least one required
	// material that needs no upload.
	ServicesFulfillable int `json:"services_fulfillable"`
	Required            int `json:"required"`
	ByLicense           int `json:"by_license"`
	ByData              int `json:"by_data"`
	ByForm              int `json:"by_form"`
	Fulfillable         int `json:"fulfillable"`
	Filed               int `json:"filed"`
	Avoided             int `json:"avoided"`
}

// AvoidedUploads reports, for supervisors and platform admins, how many
// material uploads licenses and shared data avoid.
func (s *Store) AvoidedUploads(ctx context.Context, p *identity.Principal) (*AvoidedReport, error) {
	if !p.Can(identity.PermSupervise) {
		return nil, identity.ErrForbidden
	}
	list, err := s.catalog.List(ctx, catalog.Filter{})
	if err != nil {
		return nil, err
	}
	r := &AvoidedReport{At: s.now(), Services: []AvoidedService{}}
	filed, avoided, err := s.filedAndAvoided(ctx)
	if err != nil {
		return nil, err
	}
	grants := map[[2]string]bool{}
	for _, sum := range list {
		svc, err := s.catalog.Version(ctx, sum.Code, sum.Version)
		if err != nil {
			return nil, err
		}
		row := AvoidedService{Code: svc.Code, Name: svc.Name, DepartmentCode: svc.DepartmentCode, Filed: filed[svc.Code], Avoided: avoided[svc.Code]}
		for _, m := range svc.Guide.Materials {
			if !m.Required {
				continue
			}
			row.Required++
			switch {
			case m.OnlineForm:
				row.ByForm++
			case m.LicenseType != "":
				row.ByLicense++
			case m.DataResource != "":
				k := [2]string{svc.DepartmentCode, m.DataResource}
				live, ok := grants[k]
				if !ok && s.grants != nil {
					_, err := s.grants.LiveGrant(ctx, svc.DepartmentCode, m.DataResource)
					if err != nil && !errors.Is(err, db.ErrNotFound) {
						return nil, err
					}
					live = err == nil
					grants[k] = live
				}
				if live {
					row.ByData++
				}
			}
		}
		r.Services = append(r.Services, row)
		t := &r.Totals
		t.Services++
		if row.Fulfillable() > 0 {
			t.ServicesFulfillable++
		}
		t.Required += row.Required
		t.ByLicense += row.ByLicense
		t.ByData += row.ByData
		t.ByForm += row.ByForm
		t.Fulfillable += row.Fulfillable()
		t.Filed += row.Filed
		t.Avoided += row.Avoided
	}
	return r, nil
}

// filedAndAvoided counts, per service, the filed applications and the
// fulfilled materials of theirs with no upload.
func (s *Store) filedAndAvoided(ctx context.Context) (filed, avoided map[string]int, err error) {
	filed, avoided = map[string]int{}, map[string]int{}
	count := func(into map[string]int, q string) error {
		rows, err := s.db.Read().QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("application: avoided uploads: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var code string
			var n int
			if err := rows.Scan(&code, &n); err != nil {
				return err
			}
			into[code] = n
		}
		return rows.Err()
	}
	if err := count(filed, `SELECT service_code, COUNT(*) FROM applications WHERE state <> 'draft' GROUP BY service_code`); err != nil {
		return nil, nil, err
	}
	err = count(avoided, `SELECT a.service_code, COUNT(*) FROM application_fulfilments f JOIN applications a ON a.id = f.application_id
		WHERE a.state <> 'draft' AND f.lapsed_at IS NULL AND NOT EXISTS (SELECT 1 FROM application_materials m
			WHERE m.application_id = f.application_id AND m.requirement_code = f.requirement_code)
		GROUP BY a.service_code`)
	if err != nil {
		return nil, nil, err
	}
	return filed, avoided, nil
}
