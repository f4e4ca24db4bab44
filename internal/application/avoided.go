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
	// but draft); Avoided the uploads they did without: required
	// materials fulfilled by data for which no file was uploaded.
	// AvoidedConditional counts the same for conditional materials, which
	// the applicant may not have needed at all.
	Filed              int `json:"filed"`
	Avoided            int `json:"avoided"`
	AvoidedConditional int `json:"avoided_conditional"`
}

// Fulfillable is how many required materials licenses or shared data
// provide when the applicant holds the licenses.
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
	AvoidedConditional  int `json:"avoided_conditional"`
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
	filed, avoided, avoidedCond, err := s.filedAndAvoided(ctx)
	if err != nil {
		return nil, err
	}
	grants := map[[2]string]bool{}
	for _, sum := range list {
		svc, err := s.service(ctx, sum.Code, sum.Version)
		if err != nil {
			return nil, err
		}
		row := AvoidedService{Code: svc.Code, Name: svc.Name, DepartmentCode: svc.DepartmentCode, Filed: filed[svc.Code],
			Avoided: avoided[svc.Code], AvoidedConditional: avoidedCond[svc.Code]}
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
		t.AvoidedConditional += row.AvoidedConditional
	}
	return r, nil
}

// filedAndAvoided counts, per service, the filed applications and the
// materials in effect fulfilled by data with no upload, required and
// conditional ones apart (as the version each application was filed
// under says).
func (s *Store) filedAndAvoided(ctx context.Context) (filed, avoided, conditional map[string]int, err error) {
	filed, avoided, conditional = map[string]int{}, map[string]int{}, map[string]int{}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT service_code, COUNT(*) FROM applications WHERE state <> 'draft' GROUP BY service_code`)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("application: avoided uploads: %w", err)
	}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			rows.Close()
			return nil, nil, nil, err
		}
		filed[code] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}
	type key struct {
		code        string
		version     int
		requirement string
	}
	counts := map[key]int{}
	rows, err = s.db.Read().QueryContext(ctx, `SELECT a.service_code, a.service_version, f.requirement_code, COUNT(*)
		FROM application_fulfilments f JOIN applications a ON a.id = f.application_id
		WHERE a.state <> 'draft' AND f.lapsed_at IS NULL AND NOT EXISTS (SELECT 1 FROM application_materials m
			WHERE m.application_id = f.application_id AND m.requirement_code = f.requirement_code)
		GROUP BY a.service_code, a.service_version, f.requirement_code`)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("application: avoided uploads: %w", err)
	}
	for rows.Next() {
		var k key
		var n int
		if err := rows.Scan(&k.code, &k.version, &k.requirement, &n); err != nil {
			rows.Close()
			return nil, nil, nil, err
		}
		counts[k] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}
	for k, n := range counts {
		svc, err := s.service(ctx, k.code, k.version)
		if err != nil {
			return nil, nil, nil, err
		}
		if m := requirement(svc, k.requirement); m != nil && m.Required {
			avoided[k.code] += n
		} else {
			conditional[k.code] += n
		}
	}
	return filed, avoided, conditional, nil
}
