package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/identity"
)

// The kinds of case a lookup serves.
const (
	CaseApplication = "application"
	CaseTicket      = "ticket"
)

// Access is one row of the access log as a reader sees it.
type Access struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Outcome  string    `json:"outcome"`
	Reason   string    `json:"reason,omitempty"`
	Resource string    `json:"resource"`
	// ResourceName is the resource's name, for plain words.
	ResourceName   string   `json:"resource_name"`
	ResourceNameEn string   `json:"resource_name_en,omitempty"`
	Provider       string   `json:"provider_department"`
	Fields         []string `json:"fields"`
	// FieldLabels are the fields' names in Chinese and English.
	FieldLabels   []string `json:"field_labels"`
	FieldLabelsEn []string `json:"field_labels_en"`
	Purpose       string   `json:"purpose,omitempty"`
	// Department and Role say who looked: the department and the role in
	// it. The person is named only to supervisors.
	Department string `json:"department_code"`
	Role       string `json:"role"`
	Case       string `json:"case_number,omitempty"`
	// CaseKind says what the case number names: "application" (办件) or
	// "ticket" (12345 热线工单).
	CaseKind string `json:"case_kind,omitempty"`
	// Application or Ticket is the case's ID, for supervisors.
	Application string `json:"application_id,omitempty"`
	Ticket      string `json:"ticket_id,omitempty"`
	AccountID   string `json:"account_id,omitempty"`
	AccountName string `json:"account_name,omitempty"`
	// Subject is masked, for supervisors; the subject's own page says
	// whose data it was instead (SubjectName).
	Subject     string `json:"subject_masked,omitempty"`
	SubjectName string `json:"subject_name,omitempty"`
}

const accessColumns = `l.id, l.at, l.outcome, l.reason, l.resource_code, COALESCE(r.name, l.resource_code), COALESCE(r.name_en, ''), r.fields,
	l.provider_department, l.fields, l.purpose, l.department_code, l.role, l.case_number, l.application_id, l.ticket_id, l.account_id, a.name, l.subject`

const accessFrom = ` FROM exchange_access_log l LEFT JOIN exchange_resources r ON r.code = l.resource_code JOIN accounts a ON a.id = l.account_id`

func scanAccess(row interface{ Scan(...any) error }) (*Access, string, error) {
	var x Access
	var at db.Time
	var catalogFields *string
	var fields, subject string
	if err := row.Scan(&x.ID, &at, &x.Outcome, &x.Reason, &x.Resource, &x.ResourceName, &x.ResourceNameEn, &catalogFields, &x.Provider,
		&fields, &x.Purpose, &x.Department, &x.Role, &x.Case, &x.Application, &x.Ticket, &x.AccountID, &x.AccountName, &subject); err != nil {
		return nil, "", err
	}
	x.At = at.Time
	switch {
	case x.Ticket != "":
		x.CaseKind = CaseTicket
	case x.Case != "":
		x.CaseKind = CaseApplication
	}
	json.Unmarshal([]byte(fields), &x.Fields)
	var defs []Field
	if catalogFields != nil {
		json.Unmarshal([]byte(*catalogFields), &defs)
	}
	for _, f := range x.Fields {
		zh, en := f, f
		for _, d := range defs {
			if d.Name == f {
				zh, en = d.Label, d.LabelEn
				if en == "" {
					en = f
				}
			}
		}
		x.FieldLabels = append(x.FieldLabels, zh)
		x.FieldLabelsEn = append(x.FieldLabelsEn, en)
	}
	return &x, subject, nil
}

func (s *Store) accesses(ctx context.Context, where string, limit int, args ...any) ([]*Access, []string, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+accessColumns+accessFrom+` WHERE `+where+
		fmt.Sprintf(` ORDER BY l.at DESC, l.id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("exchange: access log: %w", err)
	}
	defer rows.Close()
	var out []*Access
	var subjects []string
	for rows.Next() {
		x, subject, err := scanAccess(rows)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, x)
		subjects = append(subjects, subject)
	}
	return out, subjects, rows.Err()
}

// MyData lists who used p's data (谁用了我的数据): every answered lookup
// of p's ID number and of the credit codes of the organizations p acts
// for, newest first. Refused attempts released nothing and are shown to
// supervisors, not here. The staff member is not named: the department,
// role, purpose and case are.
func (s *Store) MyData(ctx context.Context, p *identity.Principal) ([]*Access, error) {
	if !p.Can(identity.PermMyData) {
		return nil, identity.ErrForbidden
	}
	names := map[string]string{}
	var subjects []string
	if p.Account.IDNumber != "" {
		subjects = append(subjects, p.Account.IDNumber)
		names[p.Account.IDNumber] = p.Account.Name
	}
	if s.identity != nil {
		orgs, err := s.identity.Organizations(ctx, p.Account.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			subjects = append(subjects, o.CreditCode)
			names[o.CreditCode] = o.Name
		}
	}
	if len(subjects) == 0 {
		return []*Access{}, nil
	}
	args := make([]any, len(subjects))
	marks := make([]string, len(subjects))
	for i, v := range subjects {
		args[i] = v
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	list, subs, err := s.accesses(ctx, `l.outcome = 'answered' AND l.subject IN (`+strings.Join(marks, ", ")+`)`, 1000, args...)
	if err != nil {
		return nil, err
	}
	for i, x := range list {
		x.SubjectName = names[subs[i]]
		x.AccountID, x.AccountName, x.Application, x.Ticket = "", "", "", ""
	}
	return list, nil
}

// LogFilter narrows a supervisor's search of the access log.
type LogFilter struct {
	// Department is the department that looked; Provider the one whose
	// data it was.
	Department string
	Provider   string
	Resource   string
	// Outcome is "answered", "refused" or empty for both.
	Outcome string
	// Case is an application's tracking number.
	Case string
	// From and To bound the time (To exclusive); zero leaves a side open.
	From, To time.Time
	Limit    int
}

// Log searches the access log, for supervisors: every row with the
// person who looked, newest first, subjects masked.
func (s *Store) Log(ctx context.Context, p *identity.Principal, f LogFilter) ([]*Access, error) {
	if !p.Can(identity.PermSupervise) {
		return nil, identity.ErrForbidden
	}
	where := []string{"1 = 1"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Department != "" {
		add("l.department_code = $%d", f.Department)
	}
	if f.Provider != "" {
		add("l.provider_department = $%d", f.Provider)
	}
	if f.Resource != "" {
		add("l.resource_code = $%d", f.Resource)
	}
	if f.Outcome != "" {
		add("l.outcome = $%d", f.Outcome)
	}
	if f.Case != "" {
		add("l.case_number = $%d", f.Case)
	}
	if !f.From.IsZero() {
		add("l.at >= $%d", db.NewTime(f.From))
	}
	if !f.To.IsZero() {
		add("l.at < $%d", db.NewTime(f.To))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	list, subs, err := s.accesses(ctx, strings.Join(where, " AND "), limit, args...)
	if err != nil {
		return nil, err
	}
	for i, x := range list {
		if idcheck.IDNumber(subs[i]) == nil {
			x.Subject = idcheck.MaskIDNumber(subs[i])
		} else {
			x.Subject = maskCode(subs[i])
		}
	}
	return list, nil
}

func maskCode(s string) string {
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
}

// The kinds of unusual patterns.
const (
	PatternRefused   = "refused"    // attempts refused: a lookup outside any case, grant or field
	PatternNightBulk = "night_bulk" // many lookups by one person in one night
)

// NightBulkThreshold is how many answered lookups by one person between
// 22:00 and 06:00 local time make a night-time bulk pattern.
const NightBulkThreshold = 10

// Pattern is an unusual pattern in the access log for a supervisor.
type Pattern struct {
	Kind        string    `json:"kind"`
	AccountID   string    `json:"account_id"`
	AccountName string    `json:"account_name"`
	Department  string    `json:"department_code"`
	Count       int       `json:"count"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
	// Reasons are the refusal reasons seen, for PatternRefused.
	Reasons []string `json:"reasons,omitempty"`
}

// Patterns finds unusual patterns since a time: per person, the refused
// attempts (a lookup outside any case among them), and nights (22:00 to
// 06:00 in the platform's time zone) with at least NightBulkThreshold
// answered lookups. Most refusals first.
func (s *Store) Patterns(ctx context.Context, p *identity.Principal, since time.Time) ([]*Pattern, error) {
	if !p.Can(identity.PermSupervise) {
		return nil, identity.ErrForbidden
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT l.at, l.outcome, l.reason, l.account_id, a.name, l.department_code
		FROM exchange_access_log l JOIN accounts a ON a.id = l.account_id WHERE l.at >= $1 ORDER BY l.at LIMIT 100000`, db.NewTime(since))
	if err != nil {
		return nil, fmt.Errorf("exchange: patterns: %w", err)
	}
	defer rows.Close()
	found := map[string]*Pattern{}
	var order []string
	note := func(key, kind, acc, name, dept string, at time.Time) *Pattern {
		pt := found[key]
		if pt == nil {
			pt = &Pattern{Kind: kind, AccountID: acc, AccountName: name, Department: dept, First: at}
			found[key] = pt
			order = append(order, key)
		}
		pt.Count++
		pt.Last = at
		return pt
	}
	for rows.Next() {
		var at db.Time
		var outcome, reason, acc, name, dept string
		if err := rows.Scan(&at, &outcome, &reason, &acc, &name, &dept); err != nil {
			return nil, err
		}
		if outcome == "refused" {
			pt := note(PatternRefused+"|"+acc, PatternRefused, acc, name, dept, at.Time)
			if !slices.Contains(pt.Reasons, reason) {
				pt.Reasons = append(pt.Reasons, reason)
			}
			continue
		}
		local := at.Time.In(s.loc)
		if h := local.Hour(); h >= 22 || h < 6 {
			// A night is named by the date on which it starts.
			night := local
			if h < 6 {
				night = local.AddDate(0, 0, -1)
			}
			note(PatternNightBulk+"|"+acc+"|"+night.Format("2006-01-02"), PatternNightBulk, acc, name, dept, at.Time)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []*Pattern{}
	for _, k := range order {
		pt := found[k]
		if pt.Kind == PatternNightBulk && pt.Count < NightBulkThreshold {
			continue
		}
		out = append(out, pt)
	}
	slices.SortStableFunc(out, func(a, b *Pattern) int { return b.Count - a.Count })
	return out, nil
}
