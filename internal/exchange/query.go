package exchange

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/hotline"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
)

// LedgerObject is the ledger's object type for access-log rows.
const LedgerObject = "data_access"

// The reasons a query is refused. Each is logged with the attempt.
const (
	ReasonNegativeList   = "negative_list"    // the resource is not shared at all
	ReasonNoCase         = "no_case"          // no open task of the department on the named application, or a ticket it is not handling
	ReasonNotCaseSubject = "not_case_subject" // the application or ticket does not concern the subject
	// ReasonReporterProtected: the ticket's reporter is anonymous or
	// name-protected, so the department may not look them up.
	ReasonReporterProtected = "reporter_protected"
	ReasonNoGrant           = "no_grant" // the department holds no grant on the resource
	ReasonRevoked           = "revoked"  // its grants were revoked
	ReasonExpired           = "expired"  // its grants have expired
	ReasonFields            = "fields_not_granted"
	ReasonRate              = "over_rate" // the grant's hourly rate is used up
)

// Refusal is the error of a refused query. Reason is one of the Reason
// constants; the attempt is in the access log.
type Refusal struct {
	Reason string
	// Fields are the asked fields outside the grant, for ReasonFields.
	Fields []string
	// AccessID is the access-log row of the attempt.
	AccessID string
}

func (r *Refusal) Error() string { return "exchange: query refused: " + r.Reason }

// QueryInput is a staff member's lookup.
type QueryInput struct {
	Resource string `json:"resource"`
	// Subject is the ID number or credit code looked up. It travels in
	// the request body, never in a URL.
	Subject string `json:"subject"`
	// Fields are the fields wanted; empty asks for every granted field.
	Fields []string `json:"fields,omitempty"`
	// Application is the case the lookup serves: an application on which
	// the staff member's department holds an open task. Either it or
	// Ticket names the case, not both.
	Application string `json:"application_id,omitempty"`
	// Ticket is a 12345 hotline ticket as the case: one the staff
	// member's department signed for and has not closed. Only its
	// reporter can be looked up, and only when not protected.
	Ticket string `json:"ticket_id,omitempty"`
}

// Provenance says where an answer came from.
type Provenance struct {
	// Department is the providing department; Resource its resource.
	Department string `json:"department_code"`
	Resource   string `json:"resource"`
	Source     Source `json:"source"`
	// UpdatedAt is when the provider last updated the record.
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	// FetchedAt is when Tongban read it.
	FetchedAt time.Time `json:"fetched_at"`
	Grant     string    `json:"grant_id"`
	Purpose   string    `json:"purpose"`
	Case      string    `json:"case_number"`
}

// Answer is an answered query: exactly the granted fields asked for.
type Answer struct {
	// AccessID is the access-log row of this lookup.
	AccessID string `json:"access_id"`
	// Found is false when the provider holds nothing on the subject.
	Found      bool              `json:"found"`
	Fields     map[string]string `json:"fields"`
	Provenance Provenance        `json:"provenance"`
}

// plan is an authorized lookup: who, under which grant, for which case.
type plan struct {
	res        *Resource
	subject    string
	fields     []string
	department string
	role       identity.Role
	grant      *Grant
	// caseID is the application's ID, or ticketID the ticket's; caseNumber
	// the tracking number of either.
	caseID     string
	ticketID   string
	caseNumber string
}

// queryRoles returns the department-scoped roles through which p may query,
// by department, in role order.
func queryRoles(p *identity.Principal) map[string]identity.Role {
	out := map[string]identity.Role{}
	if p.Anonymous() {
		return out
	}
	for _, r := range identity.Roles {
		for _, g := range p.Grants {
			if g.Role == r && r.DepartmentScoped() && r.Grants(identity.PermExchangeQuery) && g.Department != "" {
				if _, ok := out[g.Department]; !ok {
					out[g.Department] = r
				}
			}
		}
	}
	return out
}

// authorize decides a lookup in q (the database, or the transaction that
// will log it). It returns the plan, filled in as far as it got, and a
// Refusal or another error.
func (s *Store) authorize(ctx context.Context, q querier, p *identity.Principal, res *Resource, subject string, fields []string, in QueryInput, now time.Time) (*plan, error) {
	pl := &plan{res: res, subject: subject, fields: fields}
	roles := queryRoles(p)
	// Until a case names the department, the attempt is logged against
	// the first one the actor queries for.
	for _, d := range slices.Sorted(maps.Keys(roles)) {
		pl.department, pl.role = d, roles[d]
		break
	}
	if res.SharingClass == NotShared {
		return pl, &Refusal{Reason: ReasonNegativeList}
	}
	var dept string
	if in.Ticket != "" {
		c, err := hotline.LoadCase(ctx, q, in.Ticket)
		if errors.Is(err, db.ErrNotFound) {
			return pl, &Refusal{Reason: ReasonNoCase}
		}
		if err != nil {
			return pl, err
		}
		if _, ok := roles[c.Department]; !ok || !c.Handling(c.Department) {
			return pl, &Refusal{Reason: ReasonNoCase}
		}
		dept = c.Department
		pl.department, pl.role, pl.ticketID, pl.caseNumber = dept, roles[dept], c.ID, c.Number
		// A protected reporter is refused whoever the subject is, so the
		// answer does not tell the department who the reporter is.
		if c.Protection != hotline.Public {
			return pl, &Refusal{Reason: ReasonReporterProtected}
		}
		if !c.Concerns(subject) {
			return pl, &Refusal{Reason: ReasonNotCaseSubject}
		}
	} else {
		c, err := application.LoadCase(ctx, q, in.Application)
		if errors.Is(err, db.ErrNotFound) {
			return pl, &Refusal{Reason: ReasonNoCase}
		}
		if err != nil {
			return pl, err
		}
		for _, d := range c.OpenDepartments {
			if _, ok := roles[d]; ok {
				dept = d
				break
			}
		}
		if dept == "" {
			return pl, &Refusal{Reason: ReasonNoCase}
		}
		pl.department, pl.role, pl.caseID, pl.caseNumber = dept, roles[dept], c.ID, c.Number
		if !c.Concerns(subject) {
			return pl, &Refusal{Reason: ReasonNotCaseSubject}
		}
	}
	grants, err := s.grantsWhere(ctx, q, `g.resource_code = $1 AND g.consumer_department = $2`, res.Code, dept)
	if err != nil {
		return pl, err
	}
	if len(grants) == 0 {
		return pl, &Refusal{Reason: ReasonNoGrant}
	}
	var live []*Grant
	revoked := true
	for _, g := range grants {
		if g.RevokedAt == nil {
			revoked = false
		}
		if g.Active(now) {
			live = append(live, g)
		}
	}
	if len(live) == 0 {
		if revoked {
			return pl, &Refusal{Reason: ReasonRevoked}
		}
		return pl, &Refusal{Reason: ReasonExpired}
	}
	if len(pl.fields) == 0 {
		pl.fields = live[0].Fields
	}
	for _, g := range live {
		if g.Covers(pl.fields) {
			pl.grant = g
			break
		}
	}
	if pl.grant == nil {
		var outside []string
		for _, f := range pl.fields {
			if !slices.ContainsFunc(live, func(g *Grant) bool { return slices.Contains(g.Fields, f) }) {
				outside = append(outside, f)
			}
		}
		return pl, &Refusal{Reason: ReasonFields, Fields: outside}
	}
	var used int
	err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM exchange_access_log WHERE grant_id = $1 AND outcome = 'answered' AND at > $2`,
		pl.grant.ID, db.NewTime(now.Add(-time.Hour))).Scan(&used)
	if err != nil {
		return pl, fmt.Errorf("exchange: rate: %w", err)
	}
	if used >= pl.grant.RatePerHour {
		return pl, &Refusal{Reason: ReasonRate}
	}
	return pl, nil
}

// Query looks a subject up for a case: it checks the input, authorizes
// the lookup (grant, fields, expiry, rate, negative list, a live case of
// the actor's department concerning the subject), fetches the record
// through the resource's connector, and then, in one transaction,
// authorizes again (a revocation or the rate may have changed meanwhile),
// writes the access-log row and stamps it in the ledger. The answer is
// released only when that transaction commits. A refusal is a *Refusal,
// logged as a refused attempt in its own transaction.
func (s *Store) Query(ctx context.Context, p *identity.Principal, in QueryInput) (*Answer, error) {
	if len(queryRoles(p)) == 0 {
		return nil, identity.ErrForbidden
	}
	var fe fielderr.Errors
	if in.Resource == "" {
		fe.Add("resource", "required")
	}
	if in.Subject == "" {
		fe.Add("subject", "required")
	}
	switch {
	case in.Application == "" && in.Ticket == "":
		fe.Add("application_id", "required")
	case in.Application != "" && in.Ticket != "":
		fe.Add("ticket_id", "exchange_one_case")
	}
	if len(in.Fields) > maxFields {
		fe.Add("fields", "too_many_items", maxFields)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	res, err := s.Resource(ctx, in.Resource)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fielderr.New("resource", "exchange_resource_unknown")
	}
	if err != nil {
		return nil, err
	}
	subject, err := checkSubject(res.SubjectKind, in.Subject)
	if err != nil {
		return nil, err
	}
	for i, f := range in.Fields {
		if res.Field(f) == nil || slices.Contains(in.Fields[:i], f) {
			fe.Add(fmt.Sprintf("fields.%d", i), "exchange_field_unknown")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	pl, err := s.authorize(ctx, s.db.Read(), p, res, subject, in.Fields, in, now)
	if err != nil {
		return nil, s.refused(ctx, p, pl, err)
	}
	rec, err := s.connector(res).Fetch(ctx, res, subject, pl.fields)
	if err != nil {
		return nil, err
	}
	ans := &Answer{AccessID: db.NewID(), Found: rec.Found, Fields: rec.Values}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		now = s.now()
		// Taking the grant's row first serializes the lookups under one
		// grant, so the rate count below is exact on both databases.
		if _, err := tx.ExecContext(ctx, `UPDATE exchange_grants SET last_used_at = $2 WHERE id = $1`, pl.grant.ID, db.NewTime(now)); err != nil {
			return fmt.Errorf("exchange: query: %w", err)
		}
		again, err := s.authorize(ctx, tx, p, res, subject, pl.fields, in, now)
		if err != nil {
			pl = again
			return err
		}
		return s.logAccess(ctx, tx, p, pl, "answered", "", ans.AccessID, now)
	})
	var ref *Refusal
	if errors.As(err, &ref) {
		return nil, s.refused(ctx, p, pl, err)
	}
	if err != nil {
		return nil, err
	}
	if ans.Fields == nil {
		ans.Fields = map[string]string{}
	}
	ans.Provenance = Provenance{Department: res.Department, Resource: res.Code, Source: res.Source, FetchedAt: now, Grant: pl.grant.ID,
		Purpose: pl.grant.Purpose, Case: pl.caseNumber}
	if !rec.UpdatedAt.IsZero() {
		t := rec.UpdatedAt
		ans.Provenance.UpdatedAt = &t
	}
	return ans, nil
}

// refused logs a refused attempt and returns err; errors other than a
// Refusal are returned as they are.
func (s *Store) refused(ctx context.Context, p *identity.Principal, pl *plan, err error) error {
	var ref *Refusal
	if !errors.As(err, &ref) || pl == nil {
		return err
	}
	ref.AccessID = db.NewID()
	logErr := s.db.Tx(ctx, func(tx *db.Tx) error {
		return s.logAccess(ctx, tx, p, pl, "refused", ref.Reason, ref.AccessID, s.now())
	})
	if logErr != nil {
		return fmt.Errorf("exchange: log refused attempt: %w", logErr)
	}
	return ref
}

// accessState is an access-log row's canonical state, as the ledger
// digests it. The salt keeps a guess of the subject from being checked
// against the digest.
type accessState struct {
	ID          string   `json:"id"`
	At          string   `json:"at"`
	Outcome     string   `json:"outcome"`
	Reason      string   `json:"reason"`
	Resource    string   `json:"resource"`
	Provider    string   `json:"provider_department"`
	Subject     string   `json:"subject"`
	Fields      []string `json:"fields"`
	Grant       string   `json:"grant_id"`
	Purpose     string   `json:"purpose"`
	Department  string   `json:"department_code"`
	Role        string   `json:"role"`
	Account     string   `json:"account_id"`
	Application string   `json:"application_id"`
	// Ticket is the hotline ticket of a lookup for a ticket; omitted
	// otherwise, so rows from before tickets were cases digest as they did.
	Ticket string `json:"ticket_id,omitempty"`
	Case   string `json:"case_number"`
	Salt   string `json:"salt"`
}

// logAccess writes an access-log row and its ledger entry in tx.
func (s *Store) logAccess(ctx context.Context, tx *db.Tx, p *identity.Principal, pl *plan, outcome, reason, id string, now time.Time) error {
	var salt [16]byte
	rand.Read(salt[:])
	st := accessState{ID: id, At: ledger.FormatTime(now), Outcome: outcome, Reason: reason, Resource: pl.res.Code, Provider: pl.res.Department,
		Subject: pl.subject, Fields: pl.fields, Department: pl.department, Role: string(pl.role), Account: p.Account.ID,
		Application: pl.caseID, Ticket: pl.ticketID, Case: pl.caseNumber, Salt: hex.EncodeToString(salt[:])}
	if st.Fields == nil {
		st.Fields = []string{}
	}
	if pl.grant != nil {
		st.Grant, st.Purpose = pl.grant.ID, pl.grant.Purpose
	}
	fields, _ := json.Marshal(st.Fields)
	_, err := tx.ExecContext(ctx, `INSERT INTO exchange_access_log (id, at, outcome, reason, resource_code, provider_department, subject, fields,
		grant_id, purpose, department_code, role, account_id, application_id, ticket_id, case_number, salt)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		st.ID, db.NewTime(now), st.Outcome, st.Reason, st.Resource, st.Provider, st.Subject, string(fields), st.Grant, st.Purpose,
		st.Department, st.Role, st.Account, st.Application, st.Ticket, st.Case, st.Salt)
	if err != nil {
		return fmt.Errorf("exchange: access log: %w", err)
	}
	state, err := json.Marshal(st)
	if err != nil {
		return err
	}
	event := "query"
	if outcome == "refused" {
		event = "query_refused"
	}
	_, err = ledger.Append(ctx, tx, ledger.Entry{At: st.At, Event: event, ObjectType: LedgerObject, ObjectID: id,
		Department: st.Department, Role: st.Role, State: state})
	return err
}

// LedgerState returns an access-log row's canonical state as its ledger
// entry digested it, for `tongban verify`: an edited or deleted row no
// longer matches its entry.
func (s *Store) LedgerState(ctx context.Context, id string) ([]byte, error) {
	var st accessState
	var at db.Time
	var fields string
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, at, outcome, reason, resource_code, provider_department, subject, fields, grant_id, purpose,
		department_code, role, account_id, application_id, ticket_id, case_number, salt FROM exchange_access_log WHERE id = $1`, id).Scan(
		&st.ID, &at, &st.Outcome, &st.Reason, &st.Resource, &st.Provider, &st.Subject, &fields, &st.Grant, &st.Purpose,
		&st.Department, &st.Role, &st.Account, &st.Application, &st.Ticket, &st.Case, &st.Salt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("exchange: access %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: access %s: %w", id, err)
	}
	st.At = ledger.FormatTime(at.Time)
	if err := json.Unmarshal([]byte(fields), &st.Fields); err != nil {
		return nil, fmt.Errorf("exchange: access %s fields: %w", id, err)
	}
	return json.Marshal(st)
}
