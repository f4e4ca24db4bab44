package exchange

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// The states of an access request.
const (
	Pending  = "pending"
	Granted  = "granted"
	Rejected = "rejected"
)

// Defaults and bounds of a request's validity and rate.
const (
	DefaultDays        = 365
	MaxDays            = 3 * 365
	DefaultRatePerHour = 60
	MaxRatePerHour     = 10000
)

// ErrState is returned when a request was already decided or a grant
// already revoked.
var ErrState = fmt.Errorf("exchange: already decided: %w", db.ErrConflict)

// RequestInput is what a consuming department asks for (共享申请).
type RequestInput struct {
	Resource string `json:"resource"`
	// Department is the consuming department; it may be left empty by
	// an actor who manages exactly one department.
	Department  string   `json:"department_code"`
	Fields      []string `json:"fields"`
	Purpose     string   `json:"purpose"`
	LegalBasis  string   `json:"legal_basis"`
	Days        int      `json:"days,omitempty"`
	RatePerHour int      `json:"rate_per_hour,omitempty"`
}

// AccessRequest is a stored request and its decision.
type AccessRequest struct {
	ID          string     `json:"id"`
	Resource    string     `json:"resource"`
	Provider    string     `json:"provider_department"`
	Department  string     `json:"department_code"`
	Fields      []string   `json:"fields"`
	Purpose     string     `json:"purpose"`
	LegalBasis  string     `json:"legal_basis"`
	Days        int        `json:"days"`
	RatePerHour int        `json:"rate_per_hour"`
	State       string     `json:"state"`
	RequestedAt time.Time  `json:"requested_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	// Automatic is true for requests granted by the sharing class alone.
	Automatic bool   `json:"automatic"`
	Reason    string `json:"reason,omitempty"`
	GrantID   string `json:"grant_id,omitempty"`
}

// Grant is a department's right to named fields of a resource (授权).
type Grant struct {
	ID          string     `json:"id"`
	RequestID   string     `json:"request_id"`
	Resource    string     `json:"resource"`
	Provider    string     `json:"provider_department"`
	Department  string     `json:"department_code"`
	Fields      []string   `json:"fields"`
	Purpose     string     `json:"purpose"`
	LegalBasis  string     `json:"legal_basis"`
	RatePerHour int        `json:"rate_per_hour"`
	Automatic   bool       `json:"automatic"`
	GrantedAt   time.Time  `json:"granted_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Reason      string     `json:"revoke_reason,omitempty"`
}

// Active reports whether g may be used at t.
func (g *Grant) Active(t time.Time) bool { return g.RevokedAt == nil && t.Before(g.ExpiresAt) }

// Covers reports whether g grants every one of fields.
func (g *Grant) Covers(fields []string) bool {
	for _, f := range fields {
		if !slices.Contains(g.Fields, f) {
			return false
		}
	}
	return true
}

func checkText(fe *fielderr.Errors, field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		fe.Add(field, "required")
	case tooLong(v, maxText):
		fe.Add(field, "text_too_long", maxText)
	}
}

// soleDepartment returns the one department in which p holds perm, or "".
func soleDepartment(p *identity.Principal, perm identity.Permission) string {
	depts, all := p.Departments(perm)
	if all || len(depts) != 1 {
		return ""
	}
	return depts[0]
}

// Request files a department's request for fields of a resource. An
// unconditional resource is granted at once (the request comes back
// granted, with its grant); a conditional one waits for the provider's
// decision; a negative-list resource is refused as a field error and
// nothing is stored.
func (s *Store) Request(ctx context.Context, p *identity.Principal, in RequestInput) (*AccessRequest, *Grant, error) {
	if in.Department == "" {
		in.Department = soleDepartment(p, identity.PermExchangeManage)
	}
	var fe fielderr.Errors
	if in.Department == "" {
		fe.Add("department_code", "required")
	}
	var res *Resource
	if in.Resource == "" {
		fe.Add("resource", "required")
	} else {
		var err error
		res, err = s.Resource(ctx, in.Resource)
		switch {
		case errors.Is(err, db.ErrNotFound):
			fe.Add("resource", "exchange_resource_unknown")
		case err != nil:
			return nil, nil, err
		}
	}
	if res != nil {
		switch {
		case res.SharingClass == NotShared:
			fe.Add("resource", "exchange_negative_list")
		case res.Department == in.Department:
			fe.Add("resource", "exchange_own_resource")
		}
		if len(in.Fields) == 0 {
			fe.Add("fields", "required")
		}
		seen := map[string]bool{}
		for i, f := range in.Fields {
			if res.Field(f) == nil || seen[f] {
				fe.Add(fmt.Sprintf("fields.%d", i), "exchange_field_unknown")
			}
			seen[f] = true
		}
	}
	checkText(&fe, "purpose", in.Purpose)
	checkText(&fe, "legal_basis", in.LegalBasis)
	if in.Days == 0 {
		in.Days = DefaultDays
	}
	if in.Days < 1 || in.Days > MaxDays {
		fe.Add("days", "exchange_days_range", MaxDays)
	}
	if in.RatePerHour == 0 {
		in.RatePerHour = DefaultRatePerHour
	}
	if in.RatePerHour < 1 || in.RatePerHour > MaxRatePerHour {
		fe.Add("rate_per_hour", "exchange_rate_range", MaxRatePerHour)
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	if !p.CanIn(identity.PermExchangeManage, in.Department) {
		return nil, nil, identity.ErrForbidden
	}
	now := s.now()
	req := &AccessRequest{ID: db.NewID(), Resource: res.Code, Provider: res.Department, Department: in.Department, Fields: in.Fields,
		Purpose: strings.TrimSpace(in.Purpose), LegalBasis: strings.TrimSpace(in.LegalBasis), Days: in.Days, RatePerHour: in.RatePerHour,
		State: Pending, RequestedAt: now}
	var grant *Grant
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		fields, _ := json.Marshal(req.Fields)
		_, err := tx.ExecContext(ctx, `INSERT INTO exchange_requests (id, resource_code, consumer_department, fields, purpose, legal_basis, days,
			rate_per_hour, state, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			req.ID, req.Resource, req.Department, string(fields), req.Purpose, req.LegalBasis, req.Days, req.RatePerHour, Pending, p.Account.ID, db.NewTime(now))
		if db.IsForeignKeyViolation(err) {
			return fielderr.New("department_code", "exchange_department_unknown")
		}
		if err != nil {
			return fmt.Errorf("exchange: request: %w", err)
		}
		if res.SharingClass != Unconditional {
			return nil
		}
		req.Automatic = true
		grant, err = s.grant(ctx, tx, req, nil, now)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return req, grant, nil
}

// grant decides req in favour, as decider (nil: automatically), and
// stores its grant.
func (s *Store) grant(ctx context.Context, tx *db.Tx, req *AccessRequest, decider *identity.Principal, now time.Time) (*Grant, error) {
	var by any
	if decider != nil {
		by = decider.Account.ID
	}
	r, err := tx.ExecContext(ctx, `UPDATE exchange_requests SET state = 'granted', decided_by = $2, decided_at = $3 WHERE id = $1 AND state = 'pending'`,
		req.ID, by, db.NewTime(now))
	if err != nil {
		return nil, fmt.Errorf("exchange: grant: %w", err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return nil, ErrState
	}
	g := &Grant{ID: db.NewID(), RequestID: req.ID, Resource: req.Resource, Provider: req.Provider, Department: req.Department, Fields: req.Fields,
		Purpose: req.Purpose, LegalBasis: req.LegalBasis, RatePerHour: req.RatePerHour, Automatic: decider == nil, GrantedAt: now,
		ExpiresAt: now.AddDate(0, 0, req.Days)}
	fields, _ := json.Marshal(g.Fields)
	_, err = tx.ExecContext(ctx, `INSERT INTO exchange_grants (id, request_id, resource_code, consumer_department, fields, purpose, legal_basis,
		rate_per_hour, granted_by, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		g.ID, g.RequestID, g.Resource, g.Department, string(fields), g.Purpose, g.LegalBasis, g.RatePerHour, by, db.NewTime(now), db.NewTime(g.ExpiresAt))
	if err != nil {
		return nil, fmt.Errorf("exchange: grant: %w", err)
	}
	req.State, req.DecidedAt, req.GrantID = Granted, &now, g.ID
	return g, nil
}

const requestColumns = `q.id, q.resource_code, r.department_code, q.consumer_department, q.fields, q.purpose, q.legal_basis, q.days, q.rate_per_hour,
	q.state, q.requested_at, q.decided_at, q.decided_by IS NULL, q.reason, COALESCE(g.id, '')`

const requestFrom = ` FROM exchange_requests q JOIN exchange_resources r ON r.code = q.resource_code LEFT JOIN exchange_grants g ON g.request_id = q.id`

func scanRequest(row interface{ Scan(...any) error }) (*AccessRequest, error) {
	var q AccessRequest
	var fields string
	var requested, decided db.Time
	if err := row.Scan(&q.ID, &q.Resource, &q.Provider, &q.Department, &fields, &q.Purpose, &q.LegalBasis, &q.Days, &q.RatePerHour,
		&q.State, &requested, &decided, &q.Automatic, &q.Reason, &q.GrantID); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(fields), &q.Fields)
	q.RequestedAt = requested.Time
	if !decided.IsZero() {
		t := decided.Time
		q.DecidedAt = &t
	} else {
		q.Automatic = false
	}
	return &q, nil
}

func loadRequest(ctx context.Context, q querier, id string) (*AccessRequest, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE q.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("exchange: request %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: request %s: %w", id, err)
	}
	return r, nil
}

// Decide grants or rejects a pending request for a resource of one of
// p's departments; a rejection needs a reason. Requests p may not decide
// are db.ErrNotFound.
func (s *Store) Decide(ctx context.Context, p *identity.Principal, id string, approve bool, reason string) (*AccessRequest, *Grant, error) {
	req, err := loadRequest(ctx, s.db.Read(), id)
	if err != nil {
		return nil, nil, err
	}
	if !p.CanIn(identity.PermExchangeManage, req.Provider) {
		return nil, nil, fmt.Errorf("exchange: request %s: %w", id, db.ErrNotFound)
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return nil, nil, fielderr.New("reason", "required")
	}
	if tooLong(reason, maxText) {
		return nil, nil, fielderr.New("reason", "text_too_long", maxText)
	}
	if req.State != Pending {
		return nil, nil, ErrState
	}
	now := s.now()
	var g *Grant
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if approve {
			var err error
			if g, err = s.grant(ctx, tx, req, p, now); err != nil {
				return err
			}
			if reason != "" {
				_, err = tx.ExecContext(ctx, `UPDATE exchange_requests SET reason = $2 WHERE id = $1`, id, reason)
			}
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE exchange_requests SET state = 'rejected', decided_by = $2, decided_at = $3, reason = $4
			WHERE id = $1 AND state = 'pending'`, id, p.Account.ID, db.NewTime(now), reason)
		if err != nil {
			return fmt.Errorf("exchange: reject: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return ErrState
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	req, err = loadRequest(ctx, s.db.Read(), id)
	return req, g, err
}

// Requests lists the requests of the departments in which p manages
// exchange, as consumer or provider (all, for platform admins), newest
// first.
func (s *Store) Requests(ctx context.Context, p *identity.Principal) ([]*AccessRequest, error) {
	depts, all := p.Departments(identity.PermExchangeManage)
	if !all && len(depts) == 0 {
		return nil, identity.ErrForbidden
	}
	where, args := deptFilter("q.consumer_department", "r.department_code", depts, all)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE `+where+` ORDER BY q.requested_at DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("exchange: requests: %w", err)
	}
	defer rows.Close()
	var out []*AccessRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// deptFilter is a WHERE clause matching rows whose consumer or provider
// column is one of depts (every row when all).
func deptFilter(consumer, provider string, depts []string, all bool) (string, []any) {
	if all {
		return "1 = 1", nil
	}
	marks := make([]string, len(depts))
	args := make([]any, len(depts))
	for i, d := range depts {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = d
	}
	in := "(" + strings.Join(marks, ", ") + ")"
	return "(" + consumer + " IN " + in + " OR " + provider + " IN " + in + ")", args
}

const grantColumns = `g.id, g.request_id, g.resource_code, r.department_code, g.consumer_department, g.fields, g.purpose, g.legal_basis,
	g.rate_per_hour, g.granted_by IS NULL, g.granted_at, g.expires_at, g.revoked_at, g.revoke_reason`

const grantFrom = ` FROM exchange_grants g JOIN exchange_resources r ON r.code = g.resource_code`

func scanGrant(row interface{ Scan(...any) error }) (*Grant, error) {
	var g Grant
	var fields string
	var granted, expires, revoked db.Time
	if err := row.Scan(&g.ID, &g.RequestID, &g.Resource, &g.Provider, &g.Department, &fields, &g.Purpose, &g.LegalBasis,
		&g.RatePerHour, &g.Automatic, &granted, &expires, &revoked, &g.Reason); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &g.Fields); err != nil {
		return nil, fmt.Errorf("exchange: grant %s fields: %w", g.ID, err)
	}
	g.GrantedAt, g.ExpiresAt = granted.Time, expires.Time
	if !revoked.IsZero() {
		t := revoked.Time
		g.RevokedAt = &t
	}
	return &g, nil
}

func (s *Store) grantsWhere(ctx context.Context, q querier, where string, args ...any) ([]*Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+grantColumns+grantFrom+` WHERE `+where+` ORDER BY g.granted_at, g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("exchange: grants: %w", err)
	}
	defer rows.Close()
	var out []*Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Grants lists the grants p's departments hold or gave (every grant, for
// supervisors and platform admins).
func (s *Store) Grants(ctx context.Context, p *identity.Principal) ([]*Grant, error) {
	depts, all := p.Departments(identity.PermStaffDesk)
	if !all && len(depts) == 0 {
		return nil, identity.ErrForbidden
	}
	where, args := deptFilter("g.consumer_department", "r.department_code", depts, all)
	return s.grantsWhere(ctx, s.db.Read(), where, args...)
}

// Revoke ends a grant of a resource of one of p's departments, with a
// reason. Grants p may not revoke are db.ErrNotFound.
func (s *Store) Revoke(ctx context.Context, p *identity.Principal, id, reason string) (*Grant, error) {
	list, err := s.grantsWhere(ctx, s.db.Read(), `g.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 || !p.CanIn(identity.PermExchangeManage, list[0].Provider) {
		return nil, fmt.Errorf("exchange: grant %s: %w", id, db.ErrNotFound)
	}
	var fe fielderr.Errors
	checkText(&fe, "reason", reason)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	r, err := s.db.Write().ExecContext(ctx, `UPDATE exchange_grants SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE id = $1 AND revoked_at IS NULL`,
		id, db.NewTime(s.now()), p.Account.ID, strings.TrimSpace(reason))
	if err != nil {
		return nil, fmt.Errorf("exchange: revoke: %w", err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return nil, ErrState
	}
	list, err = s.grantsWhere(ctx, s.db.Read(), `g.id = $1`, id)
	if err != nil {
		return nil, err
	}
	return list[0], nil
}

// LiveGrant returns a grant dept holds on resource that is neither revoked
// nor expired, as package application uses it to mark a material verified
// from shared data (免提交); db.ErrNotFound when there is none.
func (s *Store) LiveGrant(ctx context.Context, dept, resource string) (*application.DataGrant, error) {
	list, err := s.grantsWhere(ctx, s.db.Read(), `g.consumer_department = $1 AND g.resource_code = $2 AND g.revoked_at IS NULL`, dept, resource)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, g := range list {
		if !g.Active(now) {
			continue
		}
		res, err := s.Resource(ctx, resource)
		if err != nil {
			return nil, err
		}
		if res.SharingClass == NotShared {
			break
		}
		return &application.DataGrant{ID: g.ID, Resource: res.Code, ResourceName: res.Name, Provider: res.Department,
			ByCreditCode: res.SubjectKind == ByCreditCode}, nil
	}
	return nil, fmt.Errorf("exchange: live grant of %s on %s: %w", dept, resource, db.ErrNotFound)
}
