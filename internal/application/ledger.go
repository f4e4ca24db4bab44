package application

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/workflow"
)

// LedgerObject is the ledger's object type for applications.
const LedgerObject = "application"

// ledgerEvent returns the ledger event an action of the application's log
// is stamped with, or "" for actions that change nothing a decision rests
// on (claims, hand-overs, deadline warnings, drafts).
func ledgerEvent(action, to string) string {
	switch action {
	case "submitted", "withdrawn", "supplement_requested", "supplement_answered", "signed", "returned", "deadlines_recomputed",
		ActAccept, ActRefuse, ActPass, ActReject, ActApprove, ActDeny, ActConclude:
		return action
	case "state":
		return to // accepted, refused, concluded
	}
	return ""
}

// stamp is a ledger entry waiting for the end of its transaction, when the
// application's state after the whole change is known.
type stamp struct {
	appID, event, dept, role string
	at                       time.Time
}

// tx runs fn in a transaction and, before it commits, appends a ledger
// entry for every stamped action fn logged, each with the digest of the
// application's canonical state at the end of the transaction. Every
// transaction that may log a stamped action runs through tx.
func (s *Store) tx(ctx context.Context, fn func(tx *db.Tx) error) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error { return s.stamped(ctx, tx, fn) })
}

// batch is tx for writes that may share one durable commit with
// concurrent ones (db.Batch): each runs in its own savepoint, and its
// ledger entries are appended inside it.
func (s *Store) batch(ctx context.Context, fn func(tx *db.Tx) error) error {
	return s.db.Batch(ctx, func(ctx context.Context, tx *db.Tx) error { return s.stamped(ctx, tx, fn) })
}

// stamped runs fn in tx and then appends the ledger entries of the
// actions it logged, each with the application's state as fn left it.
func (s *Store) stamped(ctx context.Context, tx *db.Tx, fn func(tx *db.Tx) error) error {
	p := &pending{states: map[string][]byte{}}
	s.stamps.Store(tx, p)
	defer s.stamps.Delete(tx)
	if err := fn(tx); err != nil {
		return err
	}
	states := p.states
	for _, st := range p.stamps {
		state, ok := states[st.appID]
		if !ok {
			var err error
			if state, err = CanonicalState(ctx, tx, st.appID); err != nil {
				return err
			}
			states[st.appID] = state
		}
		if _, err := ledger.Append(ctx, tx, ledger.Entry{At: ledger.FormatTime(st.at), Event: st.event, ObjectType: LedgerObject,
			ObjectID: st.appID, Department: st.dept, Role: st.role, State: state}); err != nil {
			return err
		}
	}
	return nil
}

// pending is what a transaction run through Store.tx or Store.batch
// holds for the ledger until fn returns.
type pending struct {
	stamps []stamp
	// states are canonical states fn already knows to be final, by
	// application ID; the others are read after fn.
	states map[string][]byte
}

// stampLater queues the ledger entry for an action logged in tx.
func (s *Store) stampLater(tx *db.Tx, st stamp) error {
	v, ok := s.stamps.Load(tx)
	if !ok {
		return fmt.Errorf("application: %s logged outside Store.tx, so it would miss its ledger entry", st.event)
	}
	p := v.(*pending)
	p.stamps = append(p.stamps, st)
	return nil
}

// finalState records the canonical state application id has at the end
// of tx, so the ledger entries need not read it back. The caller
// guarantees nothing fn writes after the call changes it.
func (s *Store) finalState(tx *db.Tx, id string, c *canonicalApp) error {
	v, ok := s.stamps.Load(tx)
	if !ok {
		return fmt.Errorf("application: %s: canonical state outside Store.tx", id)
	}
	state, err := json.Marshal(c)
	if err != nil {
		return err
	}
	v.(*pending).states[id] = state
	return nil
}

// canonicalApp is an application's canonical state for the ledger: what
// decisions change and nothing else (no assignee, warnings, revisions or
// update times, which change without a decision). Its JSON encoding, with
// fields in this order, is the state whose digests the ledger entries carry.
type canonicalApp struct {
	ID              string              `json:"id"`
	Number          string              `json:"number"`
	ServiceCode     string              `json:"service_code"`
	ServiceVersion  int                 `json:"service_version"`
	ProcessCode     string              `json:"process_code"`
	ProcessVersion  int                 `json:"process_version"`
	DepartmentCode  string              `json:"department_code"`
	ApplicantID     string              `json:"applicant_id"`
	OrganizationID  string              `json:"organization_id"`
	State           string              `json:"state"`
	Result          string              `json:"result"`
	FormSHA256      string              `json:"form_sha256"`
	SupplementCount int                 `json:"supplement_count"`
	AcceptDate      string              `json:"accept_date"`
	StatutoryDue    string              `json:"statutory_due"`
	PromisedDue     string              `json:"promised_due"`
	SubmittedAt     string              `json:"submitted_at"`
	ConcludedAt     string              `json:"concluded_at"`
	Tasks           []canonicalTask     `json:"tasks"`
	Signatures      []canonicalSig      `json:"signatures"`
	Supplements     []canonicalSupp     `json:"supplements"`
	Materials       []canonicalMaterial `json:"materials"`
	Letter          *canonicalLetter    `json:"letter"`
	// Fulfilments are left out while there are none, so the state of an
	// application filed before materials could be fulfilled by data
	// digests as it always did.
	Fulfilments []canonicalFulfilment `json:"fulfilments,omitempty"`
}

// canonicalFulfilment is a material fulfilled by data, without personal
// data: the license number only as a salted digest.
type canonicalFulfilment struct {
	Requirement   string `json:"requirement_code"`
	Source        string `json:"source"`
	LicenseType   string `json:"license_type,omitempty"`
	LicenseID     string `json:"license_id,omitempty"`
	LicenseNumber string `json:"license_number_sha256,omitempty"`
	ValidUntil    string `json:"valid_until,omitempty"`
	Resource      string `json:"resource,omitempty"`
	GrantID       string `json:"grant_id,omitempty"`
	Department    string `json:"department_code"`
}

type canonicalTask struct {
	ID         string `json:"id"`
	StepID     string `json:"step_id"`
	Department string `json:"department_code"`
	Role       string `json:"role"`
	State      string `json:"state"`
	Outcome    string `json:"outcome"`
	DueDate    string `json:"due_date"`
	ClosedAt   string `json:"closed_at"`
	Superseded bool   `json:"superseded"`
}

type canonicalSig struct {
	TaskID    string `json:"task_id"`
	AccountID string `json:"account_id"`
	Outcome   string `json:"outcome"`
	Opinion   string `json:"opinion_sha256"`
}

type canonicalSupp struct {
	Seq      int    `json:"seq"`
	Items    string `json:"items_sha256"`
	Answered string `json:"answered_at"`
}

type canonicalMaterial struct {
	ID          string `json:"id"`
	Requirement string `json:"requirement_code"`
	SHA256      string `json:"sha256"`
	Replaced    bool   `json:"replaced"`
}

type canonicalLetter struct {
	Number string `json:"number"`
	SHA256 string `json:"sha256"`
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// CanonicalState returns the canonical JSON state of an application as the
// ledger digests it: the application's decision fields, its tasks' states
// and outcomes, countersignatures, supplement requests, the materials that
// were sent (not those of a supplement answer still being prepared), the
// materials fulfilled by data, and the decision letter's hash. q is the
// database or the transaction that changed it.
func CanonicalState(ctx context.Context, q querier, id string) ([]byte, error) {
	c, err := readCanonical(ctx, q, id)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// readCanonical reads what CanonicalState encodes.
func readCanonical(ctx context.Context, q querier, id string) (*canonicalApp, error) {
	var c canonicalApp
	var form string
	err := q.QueryRowContext(ctx, `SELECT id, COALESCE(number, ''), service_code, service_version, process_code, process_version, department_code,
		applicant_id, COALESCE(organization_id, ''), state, result, form, supplement_count, COALESCE(accept_date, ''),
		COALESCE(statutory_due, ''), COALESCE(promised_due, ''), COALESCE(submitted_at, ''), COALESCE(concluded_at, '')
		FROM applications WHERE id = $1`, id).Scan(&c.ID, &c.Number, &c.ServiceCode, &c.ServiceVersion, &c.ProcessCode, &c.ProcessVersion,
		&c.DepartmentCode, &c.ApplicantID, &c.OrganizationID, &c.State, &c.Result, &form, &c.SupplementCount, &c.AcceptDate,
		&c.StatutoryDue, &c.PromisedDue, &c.SubmittedAt, &c.ConcludedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("application %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("application: canonical state: %w", err)
	}
	c.FormSHA256 = sum(form)
	c.Tasks, c.Signatures, c.Supplements, c.Materials = []canonicalTask{}, []canonicalSig{}, []canonicalSupp{}, []canonicalMaterial{}
	scan := func(query string, row func(*sql.Rows) error) error {
		rows, err := q.QueryContext(ctx, query, id)
		if err != nil {
			return fmt.Errorf("application: canonical state: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := row(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err = scan(`SELECT id, step_id, department_code, role, state, outcome, COALESCE(due_date, ''), COALESCE(closed_at, ''), superseded
		FROM tasks WHERE application_id = $1 ORDER BY id`, func(r *sql.Rows) error {
		var t canonicalTask
		err := r.Scan(&t.ID, &t.StepID, &t.Department, &t.Role, &t.State, &t.Outcome, &t.DueDate, &t.ClosedAt, &t.Superseded)
		c.Tasks = append(c.Tasks, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = scan(`SELECT s.task_id, s.account_id, s.outcome, s.opinion FROM task_signatures s JOIN tasks t ON t.id = s.task_id
		WHERE t.application_id = $1 ORDER BY s.task_id, s.account_id`, func(r *sql.Rows) error {
		var s canonicalSig
		var opinion string
		err := r.Scan(&s.TaskID, &s.AccountID, &s.Outcome, &opinion)
		s.Opinion = sum(opinion)
		c.Signatures = append(c.Signatures, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = scan(`SELECT seq, items, COALESCE(answered_at, '') FROM supplement_requests WHERE application_id = $1 ORDER BY seq`, func(r *sql.Rows) error {
		var s canonicalSupp
		var items string
		err := r.Scan(&s.Seq, &items, &s.Answered)
		s.Items = sum(items)
		c.Supplements = append(c.Supplements, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = scan(`SELECT m.id, m.requirement_code, m.sha256, m.replaced FROM application_materials m
		LEFT JOIN supplement_requests r ON r.id = m.supplement_id
		WHERE m.application_id = $1 AND (m.supplement_id IS NULL OR r.answered_at IS NOT NULL) ORDER BY m.id`, func(r *sql.Rows) error {
		var m canonicalMaterial
		err := r.Scan(&m.ID, &m.Requirement, &m.SHA256, &m.Replaced)
		c.Materials = append(c.Materials, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	// A draft's fulfilments are not filed yet.
	if c.State != string(Draft) {
		if c.Fulfilments, err = canonicalFulfilments(ctx, q, id); err != nil {
			return nil, err
		}
	}
	var l canonicalLetter
	err = q.QueryRowContext(ctx, `SELECT letter_number, sha256 FROM application_results WHERE application_id = $1`, id).Scan(&l.Number, &l.SHA256)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("application: canonical state: letter: %w", err)
	default:
		c.Letter = &l
	}
	return &c, nil
}

// canonicalFulfilments reads the materials application id has fulfilled
// by data, in the database's order of their requirement codes (its
// collation decides it, so it is not redone in Go).
func canonicalFulfilments(ctx context.Context, q querier, id string) ([]canonicalFulfilment, error) {
	rows, err := q.QueryContext(ctx, `SELECT requirement_code, source, license_type, license_id, license_number, number_salt, valid_until, resource_code, grant_id, department_code
		FROM application_fulfilments WHERE application_id = $1 AND lapsed_at IS NULL ORDER BY requirement_code`, id)
	if err != nil {
		return nil, fmt.Errorf("application: canonical state: %w", err)
	}
	defer rows.Close()
	var out []canonicalFulfilment
	for rows.Next() {
		var f canonicalFulfilment
		var number, salt string
		if err := rows.Scan(&f.Requirement, &f.Source, &f.LicenseType, &f.LicenseID, &number, &salt, &f.ValidUntil, &f.Resource, &f.GrantID, &f.Department); err != nil {
			return nil, err
		}
		if number != "" {
			// Salted: a resident ID card's number is its holder's ID
			// number, which a bare digest would let anyone test.
			f.LicenseNumber = sum(salt + "\n" + number)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// filedState is the canonical state of draft a as Submit leaves it,
// put together from what Submit writes instead of read back: the draft's
// row as read before (a draft changes only its form and materials, and
// Submit writes the form and reads the materials in its transaction),
// the service and process versions it pins, the form raw, the time filed,
// the one task opened, the draft's materials and its fulfilments. A
// draft has no countersignatures, supplement requests or letter. The
// tracking number is left for the caller.
func filedState(a *Application, svc *catalog.Service, def *workflow.Definition, raw json.RawMessage, filedAt time.Time,
	t *Task, materials []Material, fulfilments []canonicalFulfilment) *canonicalApp {
	c := &canonicalApp{ID: a.ID, ServiceCode: a.ServiceCode, ServiceVersion: svc.Version, ProcessCode: def.Code, ProcessVersion: def.Version,
		DepartmentCode: a.DepartmentCode, ApplicantID: a.ApplicantID, OrganizationID: a.OrganizationID, State: string(Submitted),
		Result: string(a.Result), FormSHA256: sum(string(raw)), SupplementCount: a.SupplementCount, AcceptDate: a.AcceptDate,
		StatutoryDue: a.StatutoryDue, PromisedDue: a.PromisedDue, SubmittedAt: db.NewTime(filedAt).Stored(),
		Tasks:       []canonicalTask{{ID: t.ID, StepID: t.StepID, Department: t.DepartmentCode, Role: t.Role, State: string(TaskOpen), DueDate: t.DueDate}},
		Signatures:  []canonicalSig{},
		Supplements: []canonicalSupp{},
		Materials:   []canonicalMaterial{},
		Fulfilments: fulfilments,
	}
	if a.ConcludedAt != nil {
		c.ConcludedAt = db.NewTime(*a.ConcludedAt).Stored()
	}
	for _, m := range materials {
		if m.SupplementID == "" {
			c.Materials = append(c.Materials, canonicalMaterial{ID: m.ID, Requirement: m.RequirementCode, SHA256: m.SHA256, Replaced: m.Replaced})
		}
	}
	// Ordered by ID as readCanonical orders them: hexadecimal IDs sort
	// alike in every collation.
	slices.SortFunc(c.Materials, func(x, y canonicalMaterial) int { return strings.Compare(x.ID, y.ID) })
	return c
}

// LedgerState returns an application's current canonical state, for
// checking it against its latest ledger entry.
func (s *Store) LedgerState(ctx context.Context, id string) ([]byte, error) {
	return CanonicalState(ctx, s.db.Read(), id)
}
