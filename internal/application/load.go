package application

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/workflow"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier = db.Querier

const appColumns = `id, COALESCE(number, ''), service_code, service_version, service_name, service_name_en, process_code, process_version,
	department_code, applicant_id, COALESCE(organization_id, ''), applicant_name, state, result, form,
	statutory_days, promised_days, COALESCE(accept_date, ''), COALESCE(statutory_due, ''), COALESCE(promised_due, ''),
	supplement_count, created_at, updated_at, submitted_at, concluded_at, revision`

func scanApp(row interface{ Scan(...any) error }) (*Application, error) {
	var a Application
	var form string
	var created, updated, submitted, concluded db.Time
	err := row.Scan(&a.ID, &a.Number, &a.ServiceCode, &a.ServiceVersion, &a.ServiceName, &a.ServiceNameEn, &a.ProcessCode, &a.ProcessVersion,
		&a.DepartmentCode, &a.ApplicantID, &a.OrganizationID, &a.ApplicantName, &a.State, &a.Result, &form,
		&a.StatutoryDays, &a.PromisedDays, &a.AcceptDate, &a.StatutoryDue, &a.PromisedDue,
		&a.SupplementCount, &created, &updated, &submitted, &concluded, &a.Revision)
	if err != nil {
		return nil, err
	}
	a.Form = json.RawMessage(form)
	a.CreatedAt, a.UpdatedAt = created.Time, updated.Time
	if !submitted.IsZero() {
		t := submitted.Time
		a.SubmittedAt = &t
	}
	if !concluded.IsZero() {
		t := concluded.Time
		a.ConcludedAt = &t
	}
	return &a, nil
}

// load reads an application and everything attached to it, without any
// permission check.
func (s *Store) load(ctx context.Context, q querier, id string) (*Application, error) {
	a, err := loadRow(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if err := s.loadMaterials(ctx, q, a); err != nil {
		return nil, err
	}
	if err := s.loadTasks(ctx, q, a); err != nil {
		return nil, err
	}
	if err := s.loadSupplements(ctx, q, a); err != nil {
		return nil, err
	}
	if err := s.loadEvents(ctx, q, a); err != nil {
		return nil, err
	}
	if err := s.loadLetter(ctx, q, a); err != nil {
		return nil, err
	}
	if err := s.loadFulfilments(ctx, q, a); err != nil {
		return nil, err
	}
	return a, nil
}

// loadForSubmit reads what Submit checks a draft against: its row, its
// materials and its fulfilments (as stored: not masked). A draft has
// no tasks, supplements or letter, and submitting needs not its log.
func (s *Store) loadForSubmit(ctx context.Context, id string) (*Application, error) {
	q := s.db.Read()
	a, err := loadRow(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if err := s.loadMaterials(ctx, q, a); err != nil {
		return nil, err
	}
	if err := s.loadFulfilments(ctx, q, a); err != nil {
		return nil, err
	}
	return a, nil
}

// loadForDecide reads, in the transaction of a decision, what the
// decision itself uses of an application: its row and its supplement
// requests (which stop the clocks that set deadlines), and its log only
// for a conclusion, whose letter gives the deciding opinions as reasons.
// Its tasks are read by advance once the decision closed its own; its
// materials, letter and fulfilments no decision reads.
func (s *Store) loadForDecide(ctx context.Context, q querier, id string, events bool) (*Application, error) {
	a, err := loadRow(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if err := s.loadSupplements(ctx, q, a); err != nil {
		return nil, err
	}
	if events {
		if err := s.loadEvents(ctx, q, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// taskStates returns what the process advances on: the outcome of each
// step whose current task is done and the steps with an open task. Tasks
// superseded by a return count for nothing; of two tasks of one step the
// later opened wins, as in loadTasks' order.
func taskStates(ctx context.Context, q querier, appID string) (map[string]workflow.Outcome, []string, error) {
	rows, err := q.QueryContext(ctx, `SELECT step_id, state, outcome FROM tasks
		WHERE application_id = $1 AND NOT superseded ORDER BY opened_at, id`, appID)
	if err != nil {
		return nil, nil, fmt.Errorf("application: tasks: %w", err)
	}
	defer rows.Close()
	done := map[string]workflow.Outcome{}
	var active []string
	for rows.Next() {
		var step, outcome string
		var state TaskState
		if err := rows.Scan(&step, &state, &outcome); err != nil {
			return nil, nil, err
		}
		switch state {
		case TaskDone:
			done[step] = workflow.Outcome(outcome)
		case TaskOpen:
			active = append(active, step)
		}
	}
	return done, active, rows.Err()
}

// loadRow reads an application's own row, nothing attached to it.
func loadRow(ctx context.Context, q querier, id string) (*Application, error) {
	a, err := scanApp(q.QueryRowContext(ctx, `SELECT `+appColumns+` FROM applications WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("application %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("application: load: %w", err)
	}
	return a, nil
}

func (s *Store) loadMaterials(ctx context.Context, q querier, a *Application) error {
	rows, err := q.QueryContext(ctx, `SELECT id, requirement_code, file_name, content_type, size, sha256, blob_key, COALESCE(supplement_id, ''), uploaded_at, replaced
		FROM application_materials WHERE application_id = $1 ORDER BY uploaded_at, id`, a.ID)
	if err != nil {
		return fmt.Errorf("application: materials: %w", err)
	}
	defer rows.Close()
	a.Materials = []Material{}
	for rows.Next() {
		var m Material
		var at db.Time
		if err := rows.Scan(&m.ID, &m.RequirementCode, &m.FileName, &m.ContentType, &m.Size, &m.SHA256, &m.blobKey, &m.SupplementID, &at, &m.Replaced); err != nil {
			return err
		}
		m.UploadedAt = at.Time
		a.Materials = append(a.Materials, m)
	}
	return rows.Err()
}

const taskColumns = `t.id, t.application_id, t.step_id, t.kind, t.department_code, t.role, t.state, t.outcome,
	COALESCE(t.assignee_id, ''), COALESCE(acc.name, ''), t.signers, t.days, t.opened_at, t.opened_date,
	COALESCE(t.due_date, ''), COALESCE(t.yellow_date, ''), t.warning, t.closed_at, t.superseded, t.revision`

func scanTask(row interface{ Scan(...any) error }, extra ...any) (*Task, error) {
	var t Task
	var opened, closed db.Time
	dest := []any{&t.ID, &t.ApplicationID, &t.StepID, &t.Kind, &t.DepartmentCode, &t.Role, &t.State, &t.Outcome,
		&t.AssigneeID, &t.AssigneeName, &t.Signers, &t.Days, &opened, &t.OpenedDate,
		&t.DueDate, &t.YellowDate, &t.Warning, &closed, &t.Superseded, &t.Revision}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	t.OpenedAt = opened.Time
	if !closed.IsZero() {
		c := closed.Time
		t.ClosedAt = &c
	}
	return &t, nil
}

func (s *Store) loadTasks(ctx context.Context, q querier, a *Application) error {
	rows, err := q.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks t LEFT JOIN accounts acc ON acc.id = t.assignee_id
		WHERE t.application_id = $1 ORDER BY t.opened_at, t.id`, a.ID)
	if err != nil {
		return fmt.Errorf("application: tasks: %w", err)
	}
	a.Tasks = []Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return err
		}
		a.Tasks = append(a.Tasks, *t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range a.Tasks {
		if a.Tasks[i].Signers <= 1 {
			continue
		}
		sigs, err := loadSignatures(ctx, q, a.Tasks[i].ID)
		if err != nil {
			return err
		}
		a.Tasks[i].Signatures = sigs
	}
	return nil
}

func loadSignatures(ctx context.Context, q querier, taskID string) ([]Signature, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.account_id, a.name, s.outcome, s.opinion, s.signed_at FROM task_signatures s JOIN accounts a ON a.id = s.account_id
		WHERE s.task_id = $1 ORDER BY s.signed_at`, taskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Signature
	for rows.Next() {
		var sg Signature
		var at db.Time
		if err := rows.Scan(&sg.AccountID, &sg.Name, &sg.Outcome, &sg.Opinion, &at); err != nil {
			return nil, err
		}
		sg.SignedAt = at.Time
		out = append(out, sg)
	}
	return out, rows.Err()
}

func (s *Store) loadSupplements(ctx context.Context, q querier, a *Application) error {
	rows, err := q.QueryContext(ctx, `SELECT id, seq, task_id, items, repeat_reason, requested_at, requested_date, answered_at, COALESCE(answered_date, ''), note
		FROM supplement_requests WHERE application_id = $1 ORDER BY seq`, a.ID)
	if err != nil {
		return fmt.Errorf("application: supplements: %w", err)
	}
	defer rows.Close()
	a.Supplements = []SupplementRequest{}
	for rows.Next() {
		var r SupplementRequest
		var items string
		var at, answered db.Time
		if err := rows.Scan(&r.ID, &r.Seq, &r.TaskID, &items, &r.RepeatReason, &at, &r.RequestedDate, &answered, &r.AnsweredDate, &r.Note); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(items), &r.Items); err != nil {
			return err
		}
		r.RequestedAt = at.Time
		if !answered.IsZero() {
			t := answered.Time
			r.AnsweredAt = &t
		}
		a.Supplements = append(a.Supplements, r)
	}
	return rows.Err()
}

func (s *Store) loadEvents(ctx context.Context, q querier, a *Application) error {
	rows, err := q.QueryContext(ctx, `SELECT e.seq, e.at, COALESCE(e.actor_id, ''), COALESCE(acc.name, ''), e.actor_role, e.department_code, e.action, e.from_state, e.to_state, e.step_id, e.task_id, e.opinion, e.detail
		FROM application_events e LEFT JOIN accounts acc ON acc.id = e.actor_id WHERE e.application_id = $1 ORDER BY e.seq`, a.ID)
	if err != nil {
		return fmt.Errorf("application: events: %w", err)
	}
	defer rows.Close()
	a.Events = []Event{}
	for rows.Next() {
		var e Event
		var at db.Time
		var detail string
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.ActorName, &e.ActorRole, &e.DepartmentCode, &e.Action, &e.FromState, &e.ToState, &e.StepID, &e.TaskID, &e.Opinion, &detail); err != nil {
			return err
		}
		e.At = at.Time
		if detail != "" && detail != "{}" {
			e.Detail = json.RawMessage(detail)
		}
		a.Events = append(a.Events, e)
	}
	return rows.Err()
}

func (s *Store) loadLetter(ctx context.Context, q querier, a *Application) error {
	var l Letter
	var body string
	var at db.Time
	err := q.QueryRowContext(ctx, `SELECT letter_number, body, sha256, created_at FROM application_results WHERE application_id = $1`, a.ID).Scan(&l.Number, &body, &l.SHA256, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("application: letter: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &l.Body); err != nil {
		return err
	}
	l.CreatedAt = at.Time
	a.Letter = &l
	return nil
}

// lockApplication makes tx the only transaction changing application id
// until it ends; a second one waits here, and then reads what the first
// wrote. Every transaction that changes an application's tasks or log
// takes it before it changes any of them, so concurrent actions on one
// application (two departments deciding their parallel steps, a decision
// and a deadline warning) neither number two log entries alike nor miss
// each other's tasks when they ask the process what comes next. The
// statement changes nothing: it is how both databases lock a row (on
// SQLite, writers are serialized anyway).
func lockApplication(ctx context.Context, tx *db.Tx, id string) error {
	res, err := tx.ExecContext(ctx, `UPDATE applications SET revision = revision WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("application: lock: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("application %s: %w", id, db.ErrNotFound)
	}
	return nil
}

// event appends an entry to the application's action log within tx, and
// queues a ledger entry for the actions decisions rest on (see ledgerEvent).
func (s *Store) event(ctx context.Context, tx *db.Tx, appID string, p *identity.Principal, role, dept, action, from, to, stepID, taskID, opinion string, detail any) error {
	var actor sql.NullString
	if p != nil && !p.Anonymous() {
		actor = sql.NullString{String: p.Account.ID, Valid: true}
	}
	d := "{}"
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		d = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, seq, at, actor_id, actor_role, department_code, action, from_state, to_state, step_id, task_id, opinion, detail)
		VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM application_events WHERE application_id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		appID, db.NewTime(s.now()), actor, role, dept, action, from, to, stepID, taskID, opinion, d)
	if err != nil {
		return fmt.Errorf("application: log %s: %w", action, err)
	}
	if ev := ledgerEvent(action, to); ev != "" {
		return s.stampLater(tx, stamp{appID: appID, event: ev, dept: dept, role: role, at: s.now()})
	}
	return nil
}

// stepName returns the display name of a step from the pinned process.
func stepName(def *workflow.Definition, id string) string {
	if def == nil {
		return id
	}
	if st, ok := def.Step(id); ok {
		return st.Name
	}
	return id
}
