package application

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/workflow"
)

// process returns the definition a service follows: its named process at
// the given version (0: the latest), or, for a service whose department has
// not defined one yet, the standard four steps in its own department.
func (s *Store) process(ctx context.Context, svc *catalog.Service, code string, version int) (*workflow.Definition, error) {
	if code == "" {
		return DefaultProcess(svc), nil
	}
	var def *workflow.Definition
	var err error
	if version > 0 {
		def, err = s.processes.Version(ctx, code, version)
	} else {
		def, err = s.processes.Latest(ctx, code)
	}
	if err != nil {
		return nil, fmt.Errorf("application: process %s: %w", code, err)
	}
	return def, nil
}

// DefaultProcess is the standard process of a service without its own:
// intake, review, decision and conclusion in the service's department, the
// review taking what the promised limit leaves.
func DefaultProcess(svc *catalog.Service) *workflow.Definition {
	review := svc.Guide.PromisedDays - 3
	if review < 1 {
		review = 1
	}
	d := svc.DepartmentCode
	return &workflow.Definition{
		Name: svc.Name, DepartmentCode: d,
		Steps: []workflow.Step{
			{ID: "accept", Kind: workflow.Accept, Name: "受理", NameEn: "Intake", DepartmentCode: d, Role: identity.Clerk, Days: 1},
			{ID: "review", Kind: workflow.Review, Name: "审查", NameEn: "Review", DepartmentCode: d, Role: identity.Reviewer, Days: review, After: []string{"accept"}},
			{ID: "decide", Kind: workflow.Decide, Name: "决定", NameEn: "Decision", DepartmentCode: d, Role: identity.Approver, Days: 1, After: []string{"review"}},
			{ID: "conclude", Kind: workflow.Conclude, Name: "办结", NameEn: "Conclusion", DepartmentCode: d, Role: identity.Clerk, Days: 1, After: []string{"decide"}},
		},
	}
}

// Submit files a draft. form, when not nil, replaces the saved form first.
// The form is validated against the service's current published version,
// which the application then keeps; every required material must be
// uploaded. Submitting an application that is already submitted returns it
// unchanged, so a double click or a retried request files it once.
func (s *Store) Submit(ctx context.Context, p *identity.Principal, id string, form json.RawMessage) (*Application, error) {
	a, err := s.loadForSubmit(ctx, id)
	if err != nil {
		return nil, err
	}
	// Who Get shows it to (a draft only to whoever started it) and who may
	// act as its applicant.
	if !s.isApplicant(ctx, p, a) || (a.State == Draft && a.ApplicantID != p.Account.ID) {
		return nil, fmt.Errorf("application %s: %w", id, db.ErrNotFound)
	}
	if a.State != Draft {
		if a.Number != "" {
			return s.Get(ctx, p, id) // already filed: the retry gets the same answer
		}
		return nil, ErrState
	}
	raw := a.Form
	if form != nil {
		raw = form
	}
	raw, vals, err := parseForm(raw)
	if err != nil {
		return nil, err
	}
	svc, err := s.published(ctx, a.ServiceCode)
	if errors.Is(err, db.ErrNotFound) {
		return nil, fielderr.New("service", "service_not_available")
	}
	if err != nil {
		return nil, err
	}
	// The verified-identity fields are what the platform knows, whatever
	// was typed.
	h, err := s.holderOf(ctx, a.ApplicantID, a.OrganizationID)
	if err != nil {
		return nil, err
	}
	if changed, err := lockIdentity(svc.FormSchema, vals, h); err != nil {
		return nil, fmt.Errorf("application: prefill %s: %w", svc.Code, err)
	} else if changed {
		if raw, err = json.Marshal(vals); err != nil {
			return nil, err
		}
		form = raw
	}
	// Materials taken from licenses and shared data count only while the
	// license is valid and the grant live; a lapsed one must be uploaded.
	fulfilled, synced, lapsed, err := s.syncFulfilments(ctx, a, svc, h)
	if errors.Is(err, ErrStale) {
		// A concurrent submit of the same draft filed it first.
		if b, gerr := s.Get(ctx, p, id); gerr == nil && b.Number != "" {
			return b, nil
		}
	}
	if err != nil {
		return nil, err
	}
	var fe fielderr.Errors
	if err := validateForm(svc.FormSchema, raw); err != nil {
		if !fe.Merge("", err) {
			return nil, err
		}
	}
	missingMaterials(&fe, svc, a.Materials, fulfilled, lapsed)
	if err := fe.Err(); err != nil {
		// Keep what was typed even though it cannot be filed yet; if even
		// that fails, the store is in trouble and the caller must hear it.
		if form != nil {
			if _, serr := s.db.Write().ExecContext(ctx, `UPDATE applications SET form = $1, updated_at = $2, revision = revision + 1 WHERE id = $3 AND state = 'draft'`, string(raw), db.NewTime(s.now()), id); serr != nil {
				return nil, fmt.Errorf("application: keep the typed form: %w", serr)
			}
		}
		return nil, err
	}
	def, err := s.process(ctx, svc, svc.Process, 0)
	if err != nil {
		return nil, err
	}
	cal, err := s.calendar.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today()
	st := def.First()
	// What the transaction writes, for the answer.
	var (
		filedAt  time.Time
		revision int
		task     *Task
	)
	// Concurrent submissions share one durable commit (group commit); a
	// failure here rolls back this submission alone.
	err = s.batch(ctx, func(tx *db.Tx) error {
		// Filed first: the row stays locked to the commit, so an upload
		// or removal racing this submission waits for it and then finds
		// the application filed (they lock the row too); a failed check
		// below rolls this back.
		filedAt = s.now()
		err := tx.QueryRowContext(ctx, `UPDATE applications SET state = 'submitted', service_version = $1, service_name = $2, service_name_en = $10,
			process_code = $3, process_version = $4, form = $5, statutory_days = $6, promised_days = $7,
			submitted_at = $8, updated_at = $8, revision = revision + 1
			WHERE id = $9 AND state = 'draft' RETURNING revision`,
			svc.Version, svc.Name, def.Code, def.Version, string(raw), svc.Guide.StatutoryDays, svc.Guide.PromisedDays, db.NewTime(filedAt), id, svc.NameEn).Scan(&revision)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrStale
		}
		if err != nil {
			return err
		}
		// Check the licenses and grants again as the application is filed:
		// one revoked a moment ago no longer counts.
		now2, err := s.recheck(ctx, svc, h, fulfilled)
		if err != nil {
			return err
		}
		// And the uploads as they are filed: one removed since they were
		// read before is missing after all.
		filed := &Application{ID: id}
		if err := s.loadMaterials(ctx, tx, filed); err != nil {
			return err
		}
		var fe fielderr.Errors
		missingMaterials(&fe, svc, filed.Materials, now2, lapsedCodes(fulfilled, now2))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := s.fileFulfilments(ctx, tx, id, synced, now2); err != nil {
			return err
		}
		a.Materials = filed.Materials
		codes := []string{}
		for _, f := range now2 {
			codes = append(codes, f.RequirementCode)
		}
		t, err := s.insertTask(ctx, tx, a, st, cal, today)
		if err != nil {
			return err
		}
		task = t
		holders, err := roleHolders(ctx, tx, t.DepartmentCode, t.Role)
		if err != nil {
			return err
		}
		// The ledger's canonical state is made before the number is
		// taken: the number is all that changes it from here on.
		fuls, err := canonicalFulfilments(ctx, tx, id)
		if err != nil {
			return err
		}
		c := filedState(a, svc, def, raw, filedAt, t, filed.Materials, fuls)
		// The tracking number comes last, with only what carries it left
		// to write: its daily sequence stays locked until the commit
		// (PostgreSQL), which is what keeps the numbers gap-free, so every
		// other submission of the department that day waits for this
		// rest of the transaction.
		number, err := s.numberApplication(ctx, tx, id, a.DepartmentCode, today)
		if err != nil {
			return err
		}
		a.Number = number
		c.Number = number
		if err := s.finalState(tx, id, c); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, p, string(applicantRole(a)), "", "submitted", string(Draft), string(Submitted), "", "", "", map[string]any{"service_version": svc.Version, "number": number, "fulfilled": codes}); err != nil {
			return err
		}
		return s.announceTask(ctx, tx, a, st, t, holders, Notice{AccountID: a.ApplicantID, Kind: "application_submitted", Link: "/applications/" + id,
			Params: map[string]string{"number": number, "service": svc.Name, "service_en": svc.NameEn}})
	})
	if errors.Is(err, ErrStale) {
		// A concurrent submit of the same draft won; answer as it did.
		if b, gerr := s.Get(ctx, p, id); gerr == nil && b.Number != "" {
			return b, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("application: submit: %w", err)
	}
	// The answer is what Get would read back now, put together from the
	// draft and what the transaction wrote: a filed application has the
	// one task just opened and no supplements or letter yet. Only the log
	// and the fulfilments, as the database numbers and orders them, are
	// read again.
	at := stored(filedAt)
	a.State, a.ServiceVersion, a.ServiceName, a.ServiceNameEn = Submitted, svc.Version, svc.Name, svc.NameEn
	a.ProcessCode, a.ProcessVersion, a.Form = def.Code, def.Version, raw
	a.StatutoryDays, a.PromisedDays = svc.Guide.StatutoryDays, svc.Guide.PromisedDays
	a.SubmittedAt, a.UpdatedAt, a.Revision = &at, at, revision
	task.OpenedAt, task.Revision = stored(task.OpenedAt), 1
	task.StepName, task.StepNameEn = st.Name, st.NameEn
	a.Tasks, a.Supplements, a.Letter = []Task{*task}, []SupplementRequest{}, nil
	q := s.db.Read()
	if err := s.loadEvents(ctx, q, a); err != nil {
		return nil, err
	}
	if err := s.loadFulfilments(ctx, q, a); err != nil {
		return nil, err
	}
	maskFulfilments(a)
	return a, nil
}

// missingMaterials adds to fe every required material of svc that is
// neither uploaded nor fulfilled by data (the form filed online is its
// own material): lapsed names those whose license or grant no longer
// holds, which the applicant is told so.
func missingMaterials(fe *fielderr.Errors, svc *catalog.Service, uploads []Material, fulfilled []Fulfilment, lapsed []string) {
	have := map[string]bool{}
	for _, m := range uploads {
		have[m.RequirementCode] = true
	}
	for _, f := range fulfilled {
		have[f.RequirementCode] = true
	}
	for _, m := range svc.Guide.Materials {
		switch {
		case !m.Required || m.OnlineForm || have[m.Code]:
		case slices.Contains(lapsed, m.Code):
			fe.Add("materials."+m.Code, "material_license_lapsed")
		default:
			fe.Add("materials."+m.Code, "material_missing")
		}
	}
}

// fileFulfilments records, as a draft is filed, the fulfilments in effect
// now (fresh) over those stored. Mostly they rest on the same licenses and
// grants as stored, and only the time they were last checked changes.
func (s *Store) fileFulfilments(ctx context.Context, tx *db.Tx, id string, stored, fresh []Fulfilment) error {
	if !unchanged(stored, fresh) {
		_, err := saveFulfilments(ctx, tx, id, stored, fresh, s.now())
		return err
	}
	if len(fresh) == 0 {
		return nil
	}
	// fulfil checks them all at one time.
	if _, err := tx.ExecContext(ctx, `UPDATE application_fulfilments SET checked_at = $1 WHERE application_id = $2 AND lapsed_at IS NULL`,
		db.NewTime(fresh[0].CheckedAt), id); err != nil {
		return fmt.Errorf("application: fulfilments checked: %w", err)
	}
	return nil
}

// stored returns t as the database gives it back: UTC, to the
// microsecond (db.Time).
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// requirement returns the material requirement of svc with code, or nil.
func requirement(svc *catalog.Service, code string) *catalog.MaterialRequirement {
	for i := range svc.Guide.Materials {
		if svc.Guide.Materials[i].Code == code {
			return &svc.Guide.Materials[i]
		}
	}
	return nil
}

// numberApplication gives the application id its tracking number: the
// department code, the date and a five-digit daily sequence, e.g.
// SCJG2026112900042. The sequence's row stays locked until tx ends.
func (s *Store) numberApplication(ctx context.Context, tx *db.Tx, id, dept string, today calendar.Date) (string, error) {
	prefix := dept + strings.ReplaceAll(today.String(), "-", "")
	n, err := nextSequence(ctx, tx, prefix)
	if err != nil {
		return "", err
	}
	number := fmt.Sprintf("%s%05d", prefix, n)
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET number = $1 WHERE id = $2`, number, id); err != nil {
		return "", fmt.Errorf("application: number: %w", err)
	}
	return number, nil
}

func nextSequence(ctx context.Context, tx *db.Tx, prefix string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO number_sequences (prefix, last) VALUES ($1, 1)
		ON CONFLICT (prefix) DO UPDATE SET last = number_sequences.last + 1 RETURNING last`, prefix).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("application: number sequence: %w", err)
	}
	return n, nil
}

// openTask opens the task of a step, with its deadline, and tells the
// people who can take it that there is new work (task_assigned).
func (s *Store) openTask(ctx context.Context, tx *db.Tx, a *Application, def *workflow.Definition, st workflow.Step, cal *calendar.Calendar, today calendar.Date) (*Task, error) {
	return s.openTaskTelling(ctx, tx, a, st, cal, today, opened{})
}

// opened is what the people who can take a newly opened task are told:
// by default that there is new work (task_assigned); after a return, that
// the application came back to their step, and why (task_returned).
type opened struct {
	// ReturnReason is the reason of the return that reopened the step;
	// empty for a step opened in the process's course.
	ReturnReason string
}

func (o opened) notice(a *Application, st workflow.Step, t *Task, to string) Notice {
	n := Notice{AccountID: to, Kind: "task_assigned", Link: "/staff/tasks/" + t.ID,
		Params: map[string]string{"number": a.Number, "service": a.ServiceName, "service_en": a.ServiceNameEn, "step": st.Name, "due": t.DueDate}}
	if o.ReturnReason != "" {
		n.Kind = "task_returned"
		n.Params["reason"] = o.ReturnReason
	}
	return n
}

// openTaskTelling is openTask telling the people what o says.
func (s *Store) openTaskTelling(ctx context.Context, tx *db.Tx, a *Application, st workflow.Step, cal *calendar.Calendar, today calendar.Date, o opened) (*Task, error) {
	t, err := s.insertTask(ctx, tx, a, st, cal, today)
	if err != nil {
		return nil, err
	}
	holders, err := roleHolders(ctx, tx, t.DepartmentCode, t.Role)
	if err != nil {
		return nil, err
	}
	if err := s.announceTaskTelling(ctx, tx, a, st, t, holders, o); err != nil {
		return nil, err
	}
	return t, nil
}

// insertTask writes the open task of a step, with its deadline.
func (s *Store) insertTask(ctx context.Context, tx *db.Tx, a *Application, st workflow.Step, cal *calendar.Calendar, today calendar.Date) (*Task, error) {
	t := &Task{ID: db.NewID(), ApplicationID: a.ID, StepID: st.ID, StepName: st.Name, Kind: st.Kind, DepartmentCode: st.DepartmentCode,
		Role: string(st.Role), State: TaskOpen, Signers: max(st.Signers, 1), Days: st.Days, OpenedAt: s.now(), OpenedDate: today.String()}
	var due, yellow any
	if a.State != Supplement {
		d, y, ok, err := s.deadlines(cal, t.OpenedDate, t.Days, a.Supplements)
		if err != nil {
			return nil, err
		}
		if ok {
			t.DueDate, t.YellowDate = d.String(), y.String()
			due, yellow = t.DueDate, t.YellowDate
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO tasks (id, application_id, step_id, kind, department_code, role, state, signers, days, opened_at, opened_date, due_date, yellow_date)
		VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11, $12)`,
		t.ID, a.ID, t.StepID, string(t.Kind), t.DepartmentCode, t.Role, t.Signers, t.Days, db.NewTime(t.OpenedAt), t.OpenedDate, due, yellow)
	if err != nil {
		return nil, fmt.Errorf("application: open task: %w", err)
	}
	return t, nil
}

// announceTask logs that task t of step st opened and tells holders, the
// accounts that can take it, and then whoever else the notices more
// name, all with one Notifier call.
func (s *Store) announceTask(ctx context.Context, tx *db.Tx, a *Application, st workflow.Step, t *Task, holders []string, more ...Notice) error {
	return s.announceTaskTelling(ctx, tx, a, st, t, holders, opened{}, more...)
}

// announceTaskTelling is announceTask telling the holders what o says.
func (s *Store) announceTaskTelling(ctx context.Context, tx *db.Tx, a *Application, st workflow.Step, t *Task, holders []string, o opened, more ...Notice) error {
	if err := s.event(ctx, tx, a.ID, nil, "", t.DepartmentCode, "step_opened", "", "", t.StepID, t.ID, "", map[string]any{"due_date": t.DueDate, "days": t.Days}); err != nil {
		return err
	}
	ns := make([]Notice, 0, len(holders)+len(more))
	for _, id := range holders {
		ns = append(ns, o.notice(a, st, t, id))
	}
	ns = append(ns, more...)
	if len(ns) == 0 {
		return nil
	}
	return s.notices(ctx, tx, ns...)
}

// roleHolders lists the active accounts holding role in dept.
func roleHolders(ctx context.Context, tx querier, dept, role string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT a.id FROM account_roles r JOIN accounts a ON a.id = r.account_id
		WHERE r.department_code = $1 AND r.role = $2 AND NOT a.disabled ORDER BY a.id`, dept, role)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Withdraw takes back an application that has not been accepted yet.
func (s *Store) Withdraw(ctx context.Context, p *identity.Principal, id, reason string) (*Application, error) {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > 500 {
		return nil, fielderr.New("reason", "text_too_long", 500)
	}
	err := s.tx(ctx, func(tx *db.Tx) error {
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.isApplicant(ctx, p, a) {
			return db.ErrNotFound
		}
		if err := withdrawable(a); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET state = 'withdrawn', concluded_at = $1, updated_at = $1, revision = revision + 1 WHERE id = $2 AND state IN ('submitted', 'supplement') AND accept_date IS NULL`, db.NewTime(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'cancelled', closed_at = $1, revision = revision + 1 WHERE application_id = $2 AND state = 'open'`, db.NewTime(s.now()), id); err != nil {
			return err
		}
		return s.event(ctx, tx, id, p, string(applicantRole(a)), "", "withdrawn", string(a.State), string(Withdrawn), "", "", reason, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// withdrawable tells why a cannot be withdrawn, as an error on field
// "state", or nil when it can: when it is filed and intake has not
// accepted it, also while intake waits for a supplement.
// Withdrawable reports whether the applicant may still withdraw a: it is
// filed and intake has not accepted it.
func (a *Application) Withdrawable() bool { return withdrawable(a) == nil }

func withdrawable(a *Application) error {
	switch {
	case a.State == Withdrawn:
		return fielderr.New("state", "withdraw_already_withdrawn")
	case a.State == Draft:
		return fielderr.New("state", "withdraw_draft")
	case a.State == Refused:
		return fielderr.New("state", "withdraw_refused")
	case a.State == Concluded:
		return fielderr.New("state", "withdraw_concluded")
	case a.AcceptDate != "" || (a.State != Submitted && a.State != Supplement):
		return fielderr.New("state", "withdraw_not_possible")
	}
	return nil
}

// AnswerSupplement sends the applicant's answer to the open supplement
// request: every material it asks for must have a new upload, and form
// fields it asks about may be corrected in form. The clock restarts today.
// Every problem of an answer is reported at once (一次性告知): the note,
// the missing materials, fields changed that were not asked about and
// what the schema finds wrong with the form.
func (s *Store) AnswerSupplement(ctx context.Context, p *identity.Principal, id string, form json.RawMessage, note string) (*Application, error) {
	note = strings.TrimSpace(note)
	cal, err := s.calendar.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today()
	err = s.tx(ctx, func(tx *db.Tx) error {
		if err := lockApplication(ctx, tx, id); err != nil {
			return err
		}
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.isApplicant(ctx, p, a) {
			return db.ErrNotFound
		}
		req := a.OpenSupplement()
		if a.State != Supplement || req == nil {
			return fielderr.New("state", "no_open_supplement")
		}
		var fe fielderr.Errors
		if len([]rune(note)) > 1000 {
			fe.Add("note", "text_too_long", 1000)
		}
		answered := map[string]bool{}
		for _, m := range a.Materials {
			if m.SupplementID == req.ID {
				answered[m.RequirementCode] = true
			}
		}
		for _, it := range req.Items {
			if it.Material != "" && !answered[it.Material] {
				fe.Add("materials."+it.Material, "material_missing")
			}
		}
		newForm := a.Form
		formRead := true
		if form != nil {
			raw, vals, err := parseForm(form)
			if err != nil {
				// Said with the rest; there is no form to check further.
				if !fe.Merge("", err) {
					return err
				}
				formRead = false
			} else {
				// Only the fields asked about may change.
				old := formValues(a.Form)
				for k, v := range vals {
					if !req.asksField(k) && !jsonEqual(old[k], v) {
						fe.Add("form."+k, "field_not_requested")
					}
				}
				for k := range old {
					if _, ok := vals[k]; !ok && !req.asksField(k) {
						fe.Add("form."+k, "field_not_requested")
					}
				}
				newForm = raw
			}
		}
		svc, err := s.service(ctx, a.ServiceCode, a.ServiceVersion)
		if err != nil {
			return err
		}
		if formRead {
			// Only what the request asks about is judged: the rest was
			// filed before and may not change now, so a value an earlier
			// rule let through (a date typed by hand before dates were
			// checked) cannot hold the answer up.
			err := validateForm(svc.FormSchema, newForm)
			var inv *fielderr.Invalid
			if err != nil && !errors.As(err, &inv) {
				return err
			}
			if inv != nil {
				for _, f := range inv.Fields {
					if name, ok := strings.CutPrefix(f.Field, "form."); ok && !req.asksField(name) {
						continue
					}
					fe.Add(f.Field, f.Key, f.Params...)
				}
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		// The materials the answer replaces are marked, not deleted: the
		// history stays.
		for _, it := range req.Items {
			if it.Material == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE application_materials SET replaced = TRUE
				WHERE application_id = $1 AND requirement_code = $2 AND (supplement_id IS NULL OR supplement_id <> $3)`, id, it.Material, req.ID); err != nil {
				return err
			}
		}
		now := db.NewTime(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE supplement_requests SET answered_at = $1, answered_date = $2, note = $3 WHERE id = $4 AND answered_at IS NULL`, now, today.String(), note, req.ID); err != nil {
			return err
		}
		back := Submitted
		if a.AcceptDate != "" {
			back = Accepted
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET state = $1, form = $2, updated_at = $3, revision = revision + 1 WHERE id = $4 AND state = 'supplement'`, string(back), string(newForm), now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		for i := range a.Supplements {
			if a.Supplements[i].ID == req.ID {
				a.Supplements[i].AnsweredDate = today.String()
				t := s.now()
				a.Supplements[i].AnsweredAt = &t
			}
		}
		a.State = back
		if err := s.restartClocks(ctx, tx, a, cal, today); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, p, string(applicantRole(a)), "", "supplement_answered", string(Supplement), string(back), "", req.TaskID, note, map[string]any{"supplement": req.Seq}); err != nil {
			return err
		}
		// Tell whoever asked, or the task's role holders.
		for _, t := range a.Tasks {
			if t.ID != req.TaskID {
				continue
			}
			to := []string{t.AssigneeID}
			if t.AssigneeID == "" {
				if to, err = roleHolders(ctx, tx, t.DepartmentCode, t.Role); err != nil {
					return err
				}
			}
			for _, acc := range to {
				if err := s.notices(ctx, tx, Notice{AccountID: acc, Kind: "supplement_answered", Link: "/staff/tasks/" + t.ID,
					Params: map[string]string{"number": a.Number, "service": a.ServiceName, "service_en": a.ServiceNameEn}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
