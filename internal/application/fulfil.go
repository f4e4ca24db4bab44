package application

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
)

// Fulfilled by data (免提交): a required material that a license the
// applicant holds, or shared data the service's department may use, already
// proves is attached to the application with its provenance, and the
// applicant uploads only the rest. See docs/fulfilment.md.

// License is an electronic license (电子证照) as applications need it: who
// holds it, who issued it, how long it is valid and what it says.
type License struct {
	ID             string
	Number         string
	Type           string
	TypeName       string
	Department     string
	DepartmentName string
	// HolderKey is the holder's ID number (a person) or credit code (an
	// organization).
	HolderKey  string
	HolderName string
	ValidFrom  time.Time
	// ValidUntil is zero for a license without expiry (长期).
	ValidUntil time.Time
	Fields     map[string]string
}

// LicenseSource finds the licenses people and organizations hold.
type LicenseSource interface {
	// Held returns the holder's newest currently valid license of the
	// type, or (nil, nil) when the holder holds none.
	Held(ctx context.Context, holderKey, licenseType string) (*License, error)
}

// LicenseChecker is what a LicenseSource may also do: tell which of the
// licenses it gave (by ID) are still valid now, without looking them up
// again. Submissions check the licenses a draft rests on with it.
type LicenseChecker interface {
	StillValid(ctx context.Context, ids []string) (map[string]bool, error)
}

// DataGrant is a live grant a department holds on a shared data resource
// (package exchange), as fulfilment needs it.
type DataGrant struct {
	ID           string
	Resource     string
	ResourceName string
	// Provider is the department that keeps the resource.
	Provider     string
	ProviderName string
	// ByCreditCode is true when the resource's records are found by an
	// organization's credit code, false when by a person's ID number.
	ByCreditCode bool
}

// DataGrants tells which shared data a department may use.
type DataGrants interface {
	// LiveGrant returns a grant dept holds on resource that is neither
	// revoked nor expired, or db.ErrNotFound.
	LiveGrant(ctx context.Context, dept, resource string) (*DataGrant, error)
}

// FulfilSource is where a fulfilled material comes from.
type FulfilSource string

// The sources.
const (
	FromLicense FulfilSource = "license" // 电子证照库
	FromData    FulfilSource = "data"    // 数据共享核验
)

// organizationLicenseTypes are the license types organizations hold, found
// by the applying organization's credit code; every other type is a
// person's, found by the acting person's ID number.
var organizationLicenseTypes = map[string]bool{
	"business_license":             true, // 营业执照
	"food_business_license":        true, // 食品经营许可证
	"construction_planning_permit": true, // 建设工程规划许可证
	"construction_permit":          true, // 建筑工程施工许可证
	"fire_safety_inspection":       true, // 公众聚集场所投入使用、营业前消防安全检查合格证
}

// OrganizationLicense reports whether licenses of type t are held by
// organizations (found by credit code) rather than people (by ID number).
func OrganizationLicense(t string) bool { return organizationLicenseTypes[t] }

// Fulfilment is a material the applicant need not upload: taken from a
// license they hold, or verified by the department from shared data.
type Fulfilment struct {
	RequirementCode string       `json:"requirement_code"`
	Source          FulfilSource `json:"source"`
	// For a license: its type, identifier, number, holder and validity
	// (dates; ValidUntil empty for no expiry).
	LicenseType     string `json:"license_type,omitempty"`
	LicenseTypeName string `json:"license_type_name,omitempty"`
	LicenseID       string `json:"license_id,omitempty"`
	LicenseNumber   string `json:"license_number,omitempty"`
	HolderName      string `json:"holder_name,omitempty"`
	ValidFrom       string `json:"valid_from,omitempty"`
	ValidUntil      string `json:"valid_until,omitempty"`
	// For shared data: the resource and the grant.
	Resource     string `json:"resource,omitempty"`
	ResourceName string `json:"resource_name,omitempty"`
	GrantID      string `json:"grant_id,omitempty"`
	// Department issued the license or provides the data.
	Department     string `json:"department_code"`
	DepartmentName string `json:"department_name,omitempty"`
	// TakenAt is when it was first attached; CheckedAt when it was last
	// found still valid (at submission, the submission's time).
	TakenAt   time.Time `json:"taken_at"`
	CheckedAt time.Time `json:"checked_at"`
	// LapsedAt is set when the license was no longer valid, or the grant
	// no longer live, at a later check: the material must be uploaded.
	LapsedAt *time.Time `json:"lapsed_at,omitempty"`
	// salt goes into the ledger's digest of the license number.
	salt string
}

// Active reports whether f still provides its material.
func (f Fulfilment) Active() bool { return f.LapsedAt == nil }

// holder is the verified identity an application is filed under.
type holder struct {
	person *identity.Account
	org    *identity.Organization
}

func (h holder) key(licenseType string) string {
	if OrganizationLicense(licenseType) {
		if h.org == nil {
			return ""
		}
		return h.org.CreditCode
	}
	return h.person.IDNumber
}

// holderOf reads the applicant account and organization of an application.
func (s *Store) holderOf(ctx context.Context, accountID, orgID string) (holder, error) {
	var h holder
	acc, err := s.identity.Account(ctx, accountID)
	if err != nil {
		return h, err
	}
	h.person = acc
	if orgID != "" {
		orgs, err := s.identity.Organizations(ctx, accountID)
		if err != nil {
			return h, err
		}
		for _, o := range orgs {
			if o.ID == orgID {
				h.org = o
			}
		}
		if h.org == nil {
			return h, fielderr.New("organization_id", "not_agent_of_organization")
		}
	}
	return h, nil
}

// fulfil works out which materials of svc the holder's licenses and the
// department's grants fulfil, and returns them with the licenses found (by
// type, for prefilling the form). A material with both a license type and
// a data resource is taken from the license when the holder has one.
func (s *Store) fulfil(ctx context.Context, svc *catalog.Service, h holder) ([]Fulfilment, map[string]*License, error) {
	now := s.now()
	var out []Fulfilment
	held := map[string]*License{}
	lookup := func(typ string) (*License, error) {
		if l, ok := held[typ]; ok {
			return l, nil
		}
		key := h.key(typ)
		if key == "" || s.held == nil {
			return nil, nil
		}
		l, err := s.held.Held(ctx, key, typ)
		if err != nil {
			return nil, fmt.Errorf("application: license %s: %w", typ, err)
		}
		if l != nil && (l.HolderKey != key || l.Type != typ) {
			// An answer about someone else, or another type, proves
			// nothing about this applicant.
			l = nil
		}
		held[typ] = l
		return l, nil
	}
	for _, m := range svc.Guide.Materials {
		if m.LicenseType != "" {
			l, err := lookup(m.LicenseType)
			if err != nil {
				return nil, nil, err
			}
			if l != nil {
				out = append(out, s.licenseFulfilment(m.Code, l, now))
				continue
			}
		}
		if m.DataResource != "" && s.grants != nil {
			g, err := s.grants.LiveGrant(ctx, svc.DepartmentCode, m.DataResource)
			if errors.Is(err, db.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("application: grant on %s: %w", m.DataResource, err)
			}
			if g.ByCreditCode && h.org == nil {
				continue // the records are an organization's; a person applies
			}
			f := Fulfilment{RequirementCode: m.Code, Source: FromData, Resource: g.Resource, ResourceName: g.ResourceName,
				GrantID: g.ID, Department: g.Provider, DepartmentName: g.ProviderName, TakenAt: now, CheckedAt: now}
			if f.DepartmentName == "" && s.org != nil {
				if d, err := s.org.Department(ctx, g.Provider); err == nil {
					f.DepartmentName = d.Name
				}
			}
			out = append(out, f)
		}
	}
	for typ, l := range held {
		if l == nil {
			delete(held, typ)
		}
	}
	return out, held, nil
}

// recheck checks again, as a draft is filed, the fulfilments it was
// checked with a moment before: a license revoked or a grant ended since
// no longer counts. While all still hold it returns them as checked now,
// without looking the licenses up again when the source can tell their
// validity by ID (LicenseChecker); otherwise it works the fulfilments out
// anew (fulfil), as it does when one no longer holds.
func (s *Store) recheck(ctx context.Context, svc *catalog.Service, h holder, fresh []Fulfilment) ([]Fulfilment, error) {
	anew := func() ([]Fulfilment, error) {
		out, _, err := s.fulfil(ctx, svc, h)
		return out, err
	}
	var ids []string
	for _, f := range fresh {
		if f.Source == FromLicense {
			ids = append(ids, f.LicenseID)
		}
	}
	valid := map[string]bool{}
	if len(ids) > 0 {
		checker, ok := s.held.(LicenseChecker)
		if !ok {
			return anew()
		}
		var err error
		if valid, err = checker.StillValid(ctx, ids); err != nil {
			return nil, fmt.Errorf("application: licenses still valid: %w", err)
		}
	}
	now := s.now()
	out := make([]Fulfilment, 0, len(fresh))
	for _, f := range fresh {
		switch f.Source {
		case FromLicense:
			if !valid[f.LicenseID] {
				return anew()
			}
		case FromData:
			if s.grants == nil {
				return anew()
			}
			g, err := s.grants.LiveGrant(ctx, svc.DepartmentCode, f.Resource)
			if errors.Is(err, db.ErrNotFound) || (err == nil && g.ID != f.GrantID) {
				return anew()
			}
			if err != nil {
				return nil, fmt.Errorf("application: grant on %s: %w", f.Resource, err)
			}
		}
		f.TakenAt, f.CheckedAt = now, now
		out = append(out, f)
	}
	return out, nil
}

func (s *Store) licenseFulfilment(code string, l *License, now time.Time) Fulfilment {
	f := Fulfilment{RequirementCode: code, Source: FromLicense, LicenseType: l.Type, LicenseTypeName: l.TypeName, LicenseID: l.ID,
		LicenseNumber: l.Number, HolderName: l.HolderName, Department: l.Department, DepartmentName: l.DepartmentName,
		TakenAt: now, CheckedAt: now}
	if !l.ValidFrom.IsZero() {
		f.ValidFrom = l.ValidFrom.In(s.loc).Format("2006-01-02")
	}
	if !l.ValidUntil.IsZero() {
		f.ValidUntil = l.ValidUntil.In(s.loc).Format("2006-01-02")
	}
	return f
}

// same reports whether two fulfilments rest on the same license or grant.
func (f Fulfilment) same(g Fulfilment) bool {
	return f.RequirementCode == g.RequirementCode && f.Source == g.Source && f.LicenseID == g.LicenseID && f.GrantID == g.GrantID
}

// saveFulfilments replaces the application's fulfilments within tx with
// what mergeFulfilments makes of old and fresh, and returns that.
func saveFulfilments(ctx context.Context, tx *db.Tx, appID string, old, fresh []Fulfilment, now time.Time) ([]Fulfilment, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM application_fulfilments WHERE application_id = $1`, appID); err != nil {
		return nil, fmt.Errorf("application: fulfilments: %w", err)
	}
	list := mergeFulfilments(old, fresh, now)
	for _, f := range list {
		var lapsed any
		if f.LapsedAt != nil {
			lapsed = db.NewTime(*f.LapsedAt)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO application_fulfilments (application_id, requirement_code, source, license_type, license_type_name,
			license_id, license_number, holder_name, valid_from, valid_until, resource_code, resource_name, grant_id, department_code, department_name, taken_at, checked_at, lapsed_at, number_salt)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
			appID, f.RequirementCode, string(f.Source), f.LicenseType, f.LicenseTypeName, f.LicenseID, f.LicenseNumber, f.HolderName,
			f.ValidFrom, f.ValidUntil, f.Resource, f.ResourceName, f.GrantID, f.Department, f.DepartmentName, db.NewTime(f.TakenAt), db.NewTime(f.CheckedAt), lapsed, f.salt)
		if err != nil {
			return nil, fmt.Errorf("application: fulfilment %s: %w", f.RequirementCode, err)
		}
	}
	return list, nil
}

// mergeFulfilments is what an application's fulfilments become when fresh
// replaces old: fresh, each keeping the time it was first taken (and the
// salt of its number's digest) from the same one in old while that is
// still in effect, then those of old that fresh no longer has, marked
// lapsed at now, so the applicant is told why the material is needed
// after all. old must be as stored, not masked.
func mergeFulfilments(old, fresh []Fulfilment, now time.Time) []Fulfilment {
	list := make([]Fulfilment, 0, len(old)+len(fresh))
	for _, f := range fresh {
		for _, o := range old {
			if o.Active() && o.same(f) {
				f.TakenAt, f.salt = o.TakenAt, o.salt
			}
		}
		if f.salt == "" {
			f.salt = newSalt()
		}
		list = append(list, f)
	}
	for _, o := range old {
		if hasCode(fresh, o.RequirementCode) {
			continue
		}
		if o.LapsedAt == nil {
			o.LapsedAt = &now
		}
		list = append(list, o)
	}
	return list
}

func hasCode(list []Fulfilment, code string) bool {
	for _, f := range list {
		if f.RequirementCode == code {
			return true
		}
	}
	return false
}

func (s *Store) loadFulfilments(ctx context.Context, q querier, a *Application) error {
	rows, err := q.QueryContext(ctx, `SELECT requirement_code, source, license_type, license_type_name, license_id, license_number, holder_name,
		valid_from, valid_until, resource_code, resource_name, grant_id, department_code, department_name, taken_at, checked_at, lapsed_at, number_salt
		FROM application_fulfilments WHERE application_id = $1 ORDER BY requirement_code`, a.ID)
	if err != nil {
		return fmt.Errorf("application: fulfilments: %w", err)
	}
	defer rows.Close()
	a.Fulfilments = []Fulfilment{}
	for rows.Next() {
		var f Fulfilment
		var taken, checked, lapsed db.Time
		if err := rows.Scan(&f.RequirementCode, &f.Source, &f.LicenseType, &f.LicenseTypeName, &f.LicenseID, &f.LicenseNumber, &f.HolderName,
			&f.ValidFrom, &f.ValidUntil, &f.Resource, &f.ResourceName, &f.GrantID, &f.Department, &f.DepartmentName, &taken, &checked, &lapsed, &f.salt); err != nil {
			return err
		}
		f.TakenAt, f.CheckedAt = taken.Time, checked.Time
		if !lapsed.IsZero() {
			t := lapsed.Time
			f.LapsedAt = &t
		}
		a.Fulfilments = append(a.Fulfilments, f)
	}
	return rows.Err()
}

// Fulfilment returns the fulfilment of a material requirement, lapsed or
// not, if any.
func (a *Application) Fulfilment(code string) *Fulfilment {
	for i := range a.Fulfilments {
		if a.Fulfilments[i].RequirementCode == code {
			return &a.Fulfilments[i]
		}
	}
	return nil
}

// maskFulfilments masks license numbers that are ID numbers (a resident ID
// card's number is its holder's): an application as read never carries
// the applicant's ID number.
func maskFulfilments(a *Application) {
	for i := range a.Fulfilments {
		if n := a.Fulfilments[i].LicenseNumber; idcheck.IDNumber(n) == nil {
			a.Fulfilments[i].LicenseNumber = idcheck.MaskIDNumber(n)
		}
	}
}

// Uploaded reports whether a file (not replaced) was uploaded for the
// material requirement.
func (a *Application) Uploaded(code string) bool {
	for _, m := range a.Materials {
		if m.RequirementCode == code && !m.Replaced {
			return true
		}
	}
	return false
}

// prefillForm returns the form values the schema's x-prefill annotations
// take from the holder's verified identity and licenses.
func prefillForm(schema []byte, h holder, held map[string]*License) (map[string]any, error) {
	pre, err := catalog.Prefills(schema)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for name, p := range pre {
		var v string
		if p.Identity {
			v = h.identityValue(p.Source)
		} else if l := held[p.LicenseType]; l != nil {
			if p.LicenseField == "number" {
				v = l.Number
			} else {
				v = l.Fields[p.LicenseField]
			}
		}
		if v != "" {
			out[name] = v
		}
	}
	return out, nil
}

// identityValue is the verified value of an identity prefill source, or
// "" when the applicant has none (a person has no credit code).
func (h holder) identityValue(src string) string {
	switch src {
	case "applicant.name":
		if h.org != nil {
			return h.org.Name
		}
		return h.person.Name
	case "applicant.id_number":
		return h.person.IDNumber
	case "person.name":
		return h.person.Name
	}
	if h.org == nil {
		return ""
	}
	switch src {
	case "organization.name":
		return h.org.Name
	case "organization.credit_code":
		return h.org.CreditCode
	case "organization.legal_representative":
		return h.org.LegalRepresentative
	case "organization.address":
		return h.org.Address
	}
	return ""
}

// lockIdentity sets the form's verified-identity fields (x-prefill
// applicant.*, person.*, organization.*) to the verified values, whatever
// was typed, and reports whether it changed any.
func lockIdentity(schema []byte, vals map[string]any, h holder) (bool, error) {
	pre, err := catalog.Prefills(schema)
	if err != nil {
		return false, err
	}
	changed := false
	for name, p := range pre {
		if !p.Identity {
			continue
		}
		if v := h.identityValue(p.Source); v != "" && vals[name] != v {
			vals[name] = v
			changed = true
		}
	}
	return changed, nil
}

// syncFulfilments recomputes a draft's fulfilments against the service's
// current version and stores them. It returns the ones in effect, all
// that are stored for the draft afterwards (those in effect with the time
// each was first taken, and the lapsed ones; when nothing changed, a's
// own), and the requirement codes whose fulfilment lapsed, now or at an
// earlier check (the license is no longer valid, the grant ended). a's
// fulfilments may be masked: what is stored is read again before it is
// replaced.
func (s *Store) syncFulfilments(ctx context.Context, a *Application, svc *catalog.Service, h holder) (fresh, stored []Fulfilment, lapsed []string, err error) {
	fresh, _, err = s.fulfil(ctx, svc, h)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, o := range a.Fulfilments {
		if !hasCode(fresh, o.RequirementCode) {
			lapsed = append(lapsed, o.RequirementCode)
		}
	}
	if unchanged(a.Fulfilments, fresh) {
		// Nothing to record for the applicant: the submission, if it goes
		// ahead, writes them again as checked then.
		return fresh, a.Fulfilments, lapsed, nil
	}
	err = s.tx(ctx, func(tx *db.Tx) error {
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM applications WHERE id = $1`, a.ID).Scan(&state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return db.ErrNotFound
			}
			return err
		}
		if State(state) != Draft {
			return ErrStale
		}
		old := &Application{ID: a.ID}
		if err := s.loadFulfilments(ctx, tx, old); err != nil {
			return err
		}
		stored, err = saveFulfilments(ctx, tx, a.ID, old.Fulfilments, fresh, s.now())
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return fresh, stored, lapsed, nil
}

// unchanged reports whether fresh rests on the same licenses and grants,
// for the same materials, as old, all of them still in effect.
func unchanged(old, fresh []Fulfilment) bool {
	if len(old) != len(fresh) {
		return false
	}
	for _, o := range old {
		if !o.Active() || !slices.ContainsFunc(fresh, o.same) {
			return false
		}
	}
	return true
}

// lapsedCodes lists the requirements old fulfils and fresh no longer does.
func lapsedCodes(old, fresh []Fulfilment) []string {
	var out []string
	for _, o := range old {
		if o.Active() && !hasCode(fresh, o.RequirementCode) {
			out = append(out, o.RequirementCode)
		}
	}
	return out
}

// VerifiedFields returns the form fields of schema that hold the
// applicant's verified identity (x-prefill applicant.*, person.*,
// organization.*) with their values, for fields the applicant has a value
// for. Submission sets these fields to these values.
func (s *Store) VerifiedFields(ctx context.Context, a *Application, schema []byte) (map[string]string, error) {
	pre, err := catalog.Prefills(schema)
	if err != nil || len(pre) == 0 {
		return nil, err
	}
	h, err := s.holderOf(ctx, a.ApplicantID, a.OrganizationID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name, p := range pre {
		if v := h.identityValue(p.Source); p.Identity && v != "" {
			out[name] = v
		}
	}
	return out, nil
}

// newSalt returns the random salt of a license number's digest.
func newSalt() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
