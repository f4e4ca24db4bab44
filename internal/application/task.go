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
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/catalog"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/workflow"
)

// The actions staff take on a task. Which are allowed depends on the step.
const (
	ActAccept     = "accept"     // 受理
	ActRefuse     = "refuse"     // 不予受理
	ActSupplement = "supplement" // 补正
	ActPass       = "pass"       // review: agree
	ActReject     = "reject"     // review: disagree
	ActApprove    = "approve"    // 准予
	ActDeny       = "deny"       // 不予
	ActConclude   = "conclude"   // 办结
)

// Actions lists the actions a task of the given kind allows.
func Actions(kind workflow.StepKind) []string {
	switch kind {
	case workflow.Accept:
		return []string{ActAccept, ActSupplement, ActRefuse}
	case workflow.Review:
		return []string{ActPass, ActReject, ActSupplement}
	case workflow.Decide:
		return []string{ActApprove, ActDeny}
	case workflow.Conclude:
		return []string{ActConclude}
	}
	return nil
}

// Decision is what a staff member decides on a task.
type Decision struct {
	Action string `json:"action"`
	// Opinion is the written opinion (审查意见 / 决定意见); required for
	// review and decide steps, and as the reason of a refusal.
	Opinion string `json:"opinion"`
	// LegalBasis is the legal reason of a denial or refusal.
	LegalBasis string `json:"legal_basis,omitempty"`
	// Items lists everything a supplement request asks for (tell-once).
	Items []SupplementItem `json:"items,omitempty"`
	// RepeatReason explains a second or later supplement request.
	RepeatReason string `json:"repeat_reason,omitempty"`
	// Revision is the task revision the decision was made on; 0 skips the
	// check.
	Revision int `json:"revision,omitempty"`
}

// ShownWarning is the task's warning as pages show it: none on a closed
// task, nor while its clock is stopped for a supplement (no deadline runs
// then; the mark it keeps is lowered or kept when the clock restarts).
func (t *Task) ShownWarning() Warning {
	if t.State != TaskOpen || t.DueDate == "" {
		return NoWarning
	}
	return t.Warning
}

// SignedBy reports whether the account has signed this countersigned
// task already.
func (t *Task) SignedBy(accountID string) bool {
	for _, sg := range t.Signatures {
		if sg.AccountID == accountID {
			return true
		}
	}
	return false
}

// Offered lists the actions p may take on task t of application a now:
// none on a closed task, to someone without the step's role, on a task a
// colleague has claimed (but a countersigned step, which each signer signs
// in turn), to one who has signed it already, or while the application
// waits for the applicant's supplement (nobody acts until it is answered).
func Offered(p *identity.Principal, t *Task, a *Application) []string {
	switch {
	case t.State != TaskOpen || !holdsRole(p, t.Role, t.DepartmentCode):
		return nil
	case t.Signers <= 1 && t.AssigneeID != "" && t.AssigneeID != p.Account.ID:
		return nil
	case t.Signers > 1 && t.SignedBy(p.Account.ID):
		return nil
	case a != nil && a.State == Supplement:
		return nil
	}
	return Actions(t.Kind)
}

// MayHandOver reports whether p may hand task t over: a department admin
// of its department, or a holder of its role while it is unclaimed or
// theirs.
func MayHandOver(p *identity.Principal, t *Task) bool {
	if t.State != TaskOpen {
		return false
	}
	if holdsRole(p, string(identity.DeptAdmin), t.DepartmentCode) {
		return true
	}
	return holdsRole(p, t.Role, t.DepartmentCode) && (t.AssigneeID == "" || t.AssigneeID == p.Account.ID)
}

// ErrNotAssignee is returned when a task is claimed by someone else.
var ErrNotAssignee = fmt.Errorf("application: task is claimed by a colleague: %w", db.ErrConflict)

// holdsRole reports whether p holds role in dept.
func holdsRole(p *identity.Principal, role, dept string) bool {
	if p.Anonymous() {
		return false
	}
	for _, g := range p.Grants {
		if string(g.Role) == role && g.Department == dept {
			return true
		}
	}
	return false
}

func (s *Store) loadTask(ctx context.Context, q querier, id string) (*Task, error) {
	t, err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks t LEFT JOIN accounts acc ON acc.id = t.assignee_id WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("task %s: %w", id, db.ErrNotFound)
	}
	return t, err
}

// Task returns a task and its application for staff who may act on or see
// it; others get db.ErrNotFound.
func (s *Store) Task(ctx context.Context, p *identity.Principal, id string) (*Task, *Application, error) {
	t, err := s.loadTask(ctx, s.db.Read(), id)
	if err != nil {
		return nil, nil, err
	}
	if !p.CanIn(identity.PermStaffDesk, t.DepartmentCode) && !p.Can(identity.PermSupervise) {
		return nil, nil, fmt.Errorf("task %s: %w", id, db.ErrNotFound)
	}
	a, err := s.Get(ctx, p, t.ApplicationID)
	if err != nil {
		return nil, nil, err
	}
	for i := range a.Tasks {
		if a.Tasks[i].ID == id {
			t = &a.Tasks[i]
		}
	}
	t.Number, t.ServiceName, t.ApplicantName = a.Number, a.ServiceName, a.ApplicantName
	t.ServiceCode, t.ServiceVersion = a.ServiceCode, a.ServiceVersion
	if def, err := s.pinned(ctx, a); err == nil {
		for i := range a.Tasks {
			a.Tasks[i].StepName = stepName(def, a.Tasks[i].StepID)
		}
	}
	return t, a, nil
}

// namedTask reads a task as an action answers it: with its step's names
// and its application's number, service and applicant, as the work queue
// and Task give them.
func (s *Store) namedTask(ctx context.Context, id string) (*Task, error) {
	q := s.db.Read()
	t, err := s.loadTask(ctx, q, id)
	if err != nil {
		return nil, err
	}
	a, err := loadRow(ctx, q, t.ApplicationID)
	if err != nil {
		return nil, err
	}
	t.Number, t.ServiceName, t.ApplicantName = a.Number, a.ServiceName, a.ApplicantName
	t.ServiceCode, t.ServiceVersion = a.ServiceCode, a.ServiceVersion
	t.StepName, t.StepNameEn = s.stepName(ctx, a, t.StepID)
	return t, nil
}

// pinned returns the process definition an application was filed under.
func (s *Store) pinned(ctx context.Context, a *Application) (*workflow.Definition, error) {
	if a.ProcessCode == "" {
		svc, err := s.service(ctx, a.ServiceCode, a.ServiceVersion)
		if err != nil {
			return nil, err
		}
		return DefaultProcess(svc), nil
	}
	return s.processes.Version(ctx, a.ProcessCode, a.ProcessVersion)
}

// QueueFilter narrows the work queue.
type QueueFilter struct {
	// Mine limits the queue to tasks claimed by the viewer.
	Mine bool
	// Department limits it to one department.
	Department string
	// Warning limits it to tasks marked Yellow or Red.
	Warning Warning
	// Query finds tasks by their application's tracking number (the
	// start of it, in any case) or applicant's name (any part of it).
	Query string
	// Offset skips that many tasks of the queue's order; Limit caps the
	// number returned (default and most 200).
	Offset, Limit int
}

// QueueCounts counts a queue's tasks (under every filter but Warning and
// the paging) and those marked yellow and red.
type QueueCounts struct {
	Total  int `json:"total"`
	Yellow int `json:"yellow"`
	Red    int `json:"red"`
}

// maxQueueQuery is the longest search text a queue takes.
const maxQueueQuery = 50

// Validate checks f's warning, search text and offset: a *fielderr.Invalid
// naming each that is wrong.
func (f QueueFilter) Validate() error {
	var e fielderr.Errors
	if f.Warning != NoWarning && f.Warning != Yellow && f.Warning != Red {
		e.Add("warning", "queue_warning_invalid")
	}
	if len([]rune(f.Query)) > maxQueueQuery {
		e.Add("q", "text_too_long", maxQueueQuery)
	}
	if f.Offset < 0 {
		e.Add("offset", "queue_offset_invalid")
	}
	return e.Err()
}

// queueSQL is a queue as SQL: its tables (tasks t, joined to their
// applications ap when a search needs them), its condition and the
// condition's arguments.
type queueSQL struct {
	from, where string
	args        []any
}

// queueFor is p's queue under f (all of f but its Warning and paging); nil
// when p has no queue at all.
func (s *Store) queueFor(ctx context.Context, p *identity.Principal, f QueueFilter) (*queueSQL, error) {
	if !p.Can(identity.PermStaffDesk) {
		return nil, identity.ErrForbidden
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var conds []string
	var args []any
	if p.Can(identity.PermSupervise) {
		if f.Department != "" {
			args = append(args, f.Department)
			conds = append(conds, "t.department_code = $1")
		} else {
			conds = append(conds, "TRUE")
		}
	}
	for _, g := range p.Grants {
		if !g.Role.DepartmentScoped() {
			continue
		}
		if f.Department != "" && g.Department != f.Department {
			continue
		}
		args = append(args, g.Department)
		if g.Role == identity.DeptAdmin {
			conds = append(conds, fmt.Sprintf("t.department_code = $%d", len(args)))
		} else {
			args = append(args, string(g.Role))
			conds = append(conds, fmt.Sprintf("(t.department_code = $%d AND t.role = $%d)", len(args)-1, len(args)))
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	q := &queueSQL{from: "tasks t", where: "t.state = 'open' AND (" + strings.Join(conds, " OR ") + ")", args: args}
	if f.Mine {
		q.args = append(q.args, p.Account.ID)
		q.where += fmt.Sprintf(" AND t.assignee_id = $%d", len(q.args))
	}
	if text := strings.TrimSpace(f.Query); text != "" {
		// The search finds the applications first, through the numbers'
		// index or a read of the applications in process, and then their
		// open tasks through tasks_application: a search that matches few
		// costs what it finds, not a walk of the whole queue. One that
		// matches many walks the queue, where it meets them soon.
		cond, args := searchCond(text, "", 1)
		ids, err := s.matching(ctx, cond, args)
		if err != nil {
			return nil, err
		}
		switch {
		case ids == nil:
			cond, args := searchCond(text, "ap.", len(q.args)+1)
			q.from += " JOIN applications ap ON ap.id = t.application_id"
			q.where += " AND " + cond
			q.args = append(q.args, args...)
		case len(ids) == 0:
			q.where += " AND FALSE"
		default:
			for _, id := range ids {
				q.args = append(q.args, id)
			}
			q.where += " AND t.application_id IN (" + db.Placeholders(len(q.args)-len(ids)+1, len(ids)) + ")"
		}
	}
	return q, nil
}

// searchCond is the condition on applications (their columns prefixed
// with col) that a queue search sets, with its arguments numbered from
// $from. With digits in it, and nothing but ASCII letters and digits, a
// search is the start of a tracking number (SCJG2026112900042), taken as
// a range of the numbers' unique index; otherwise it is the start of a
// number or any part of the applicant's name.
func searchCond(text, col string, from int) (string, []any) {
	if numberLike(text) {
		lo := strings.ToUpper(text)
		if hi, ok := numberAfter(lo); ok {
			return fmt.Sprintf("(%snumber >= $%d AND %snumber < $%d)", col, from, col, from+1), []any{lo, hi}
		}
		return fmt.Sprintf("%snumber >= $%d", col, from), []any{lo}
	}
	return fmt.Sprintf(`(%snumber LIKE $%d ESCAPE '\' OR %sapplicant_name LIKE $%d ESCAPE '\')`, col, from, col, from+1),
		[]any{strings.ToUpper(db.LikeEscape(text)) + "%", "%" + db.LikeEscape(text) + "%"}
}

// numberLike reports whether a search reads as the start of a tracking
// number: ASCII letters and digits, at least one digit. Names have no
// digits, or a Han character besides.
func numberLike(text string) bool {
	digit := false
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		default:
			return false
		}
	}
	return digit
}

// maxMatching is how many applications a queue search lists before it
// lets the queue's walk find them instead.
var maxMatching = 500

// numberAfter is the first string of upper-case letters and digits after
// every one that starts with prefix (SCJG2027 for SCJG2026, SCJH for
// SCJG…Z…), or false when there is none (a prefix of only Zs).
// Digits sort before letters and upper-case letters in alphabetical
// order in every collation, byte order included, so numbers starting with
// prefix are exactly those from prefix up to this.
func numberAfter(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		switch {
		case b[i] == '9':
			b[i] = 'A'
			return string(b[:i+1]), true
		case b[i] < 'Z':
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// matching lists the applications in process (those that can have open
// tasks) that meet cond, or nil when there are more than maxMatching.
func (s *Store) matching(ctx context.Context, cond string, args []any) ([]string, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id FROM applications WHERE `+cond+`
		AND state IN ('submitted', 'accepted', 'supplement') LIMIT `+fmt.Sprint(maxMatching+1), args...)
	if err != nil {
		return nil, fmt.Errorf("application: queue: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) > maxMatching {
		return nil, rows.Err()
	}
	return ids, rows.Err()
}

// Queue lists the open tasks p can act on, soonest deadline first (tasks
// with a stopped clock last): tasks of the roles p holds, in their
// departments; department admins see all of their department's, and
// supervisors every department's (to watch, not to act).
func (s *Store) Queue(ctx context.Context, p *identity.Principal, f QueueFilter) ([]Task, error) {
	q, err := s.queueFor(ctx, p, f)
	if err != nil {
		return nil, err
	}
	return s.queueTasks(ctx, q, f)
}

// QueuePage returns what Queue and QueueCounts do, working out the queue
// (its search included) once for both.
func (s *Store) QueuePage(ctx context.Context, p *identity.Principal, f QueueFilter) ([]Task, QueueCounts, error) {
	q, err := s.queueFor(ctx, p, f)
	if err != nil {
		return nil, QueueCounts{}, err
	}
	c, err := s.countQueue(ctx, q)
	if err != nil {
		return nil, c, err
	}
	tasks, err := s.queueTasks(ctx, q, f)
	return tasks, c, err
}

// queueTasks reads the page of queue q that f's warning and paging select.
func (s *Store) queueTasks(ctx context.Context, q *queueSQL, f QueueFilter) ([]Task, error) {
	if q == nil {
		return []Task{}, nil
	}
	if f.Warning != NoWarning {
		q = &queueSQL{from: q.from, where: q.where, args: slices.Clone(q.args)}
		q.args = append(q.args, string(f.Warning))
		// A mark counts while its clock runs (see Task.ShownWarning).
		q.where += fmt.Sprintf(" AND t.warning = $%d AND t.due_date IS NOT NULL", len(q.args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	ids, err := s.queueIDs(ctx, q, f.Offset, limit)
	if err != nil || len(ids) == 0 {
		return []Task{}, err
	}
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		idArgs[i] = id
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+taskColumns+`, COALESCE(ap.number, ''), ap.service_name, ap.applicant_name,
		ap.service_code, ap.service_version, ap.process_code, ap.process_version
		FROM tasks t JOIN applications ap ON ap.id = t.application_id LEFT JOIN accounts acc ON acc.id = t.assignee_id
		WHERE t.id IN (`+db.Placeholders(1, len(ids))+`)`, idArgs...)
	if err != nil {
		return nil, fmt.Errorf("application: queue: %w", err)
	}
	defer rows.Close()
	byID := make(map[string]*Task, len(ids))
	for rows.Next() {
		var a Application
		t, err := scanTask(rows, &a.Number, &a.ServiceName, &a.ApplicantName, &a.ServiceCode, &a.ServiceVersion, &a.ProcessCode, &a.ProcessVersion)
		if err != nil {
			return nil, err
		}
		t.Number, t.ServiceName, t.ApplicantName = a.Number, a.ServiceName, a.ApplicantName
		t.ServiceCode, t.ServiceVersion = a.ServiceCode, a.ServiceVersion
		// Process versions are cached, so naming the steps costs no query.
		t.StepName, t.StepNameEn = s.stepName(ctx, &a, t.StepID)
		byID[t.ID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Task, 0, len(ids))
	for _, id := range ids {
		if t := byID[id]; t != nil { // closed in between: left out
			out = append(out, *t)
		}
	}
	return out, nil
}

// queueIDs picks the IDs of a page of queue q: the tasks with a deadline
// by deadline, then those whose clock is stopped by when they opened. The
// two halves are read apart so that each walks an index of open tasks in
// its order (tasks_due, tasks_stopped) and stops at the page's end,
// rather than sorting every open task.
func (s *Store) queueIDs(ctx context.Context, q *queueSQL, offset, limit int) ([]string, error) {
	from, where, args := q.from, q.where, q.args
	read := func(q string, args ...any) ([]string, error) {
		rows, err := s.db.Read().QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("application: queue: %w", err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, rows.Err()
	}
	ids, err := read(`SELECT t.id FROM `+from+` WHERE `+where+` AND t.due_date IS NOT NULL
		ORDER BY t.due_date, t.opened_at, t.id LIMIT `+fmt.Sprint(limit)+` OFFSET `+fmt.Sprint(offset), args...)
	if err != nil || len(ids) == limit {
		return ids, err
	}
	// The page runs past the tasks with a deadline: how many there are
	// tells where the stopped ones start.
	withDue := offset + len(ids)
	if len(ids) == 0 && offset > 0 {
		if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from+` WHERE `+where+` AND t.due_date IS NOT NULL`, args...).Scan(&withDue); err != nil {
			return nil, fmt.Errorf("application: queue: %w", err)
		}
	}
	stopped, err := read(`SELECT t.id FROM `+from+` WHERE `+where+` AND t.due_date IS NULL
		ORDER BY t.opened_at, t.id LIMIT `+fmt.Sprint(limit-len(ids))+` OFFSET `+fmt.Sprint(max(offset-withDue, 0)), args...)
	return append(ids, stopped...), err
}

// QueueCounts counts p's queue under f (all but its Warning and paging):
// every task, and those marked yellow and red.
func (s *Store) QueueCounts(ctx context.Context, p *identity.Principal, f QueueFilter) (QueueCounts, error) {
	q, err := s.queueFor(ctx, p, f)
	if err != nil {
		return QueueCounts{}, err
	}
	return s.countQueue(ctx, q)
}

// countQueue counts queue q's tasks, and those marked yellow and red.
func (s *Store) countQueue(ctx context.Context, q *queueSQL) (QueueCounts, error) {
	var c QueueCounts
	if q == nil {
		return c, nil
	}
	err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN t.warning = 'yellow' AND t.due_date IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN t.warning = 'red' AND t.due_date IS NOT NULL THEN 1 ELSE 0 END), 0) FROM `+q.from+` WHERE `+q.where, q.args...).Scan(&c.Total, &c.Yellow, &c.Red)
	if err != nil {
		return c, fmt.Errorf("application: queue counts: %w", err)
	}
	return c, nil
}

// Claim takes an open task for p. When two people claim at once exactly
// one succeeds; the other gets ErrNotAssignee.
func (s *Store) Claim(ctx context.Context, p *identity.Principal, taskID string) (*Task, error) {
	err := s.tx(ctx, func(tx *db.Tx) error {
		t, err := s.loadTask(ctx, tx, taskID)
		if err != nil {
			return err
		}
		if err := lockApplication(ctx, tx, t.ApplicationID); err != nil {
			return err
		}
		if !holdsRole(p, t.Role, t.DepartmentCode) {
			return s.notYours(p, t)
		}
		if t.State != TaskOpen {
			return fielderr.New("task", "task_closed")
		}
		if t.AssigneeID == p.Account.ID {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET assignee_id = $1, revision = revision + 1 WHERE id = $2 AND state = 'open' AND assignee_id IS NULL`, p.Account.ID, taskID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotAssignee
		}
		return s.event(ctx, tx, t.ApplicationID, p, t.Role, t.DepartmentCode, "claimed", "", "", t.StepID, t.ID, "", nil)
	})
	if err != nil {
		return nil, err
	}
	return s.namedTask(ctx, taskID)
}

// notYours is the error for a task p may not act on: not found when p
// cannot even see the department's tasks, forbidden otherwise.
func (s *Store) notYours(p *identity.Principal, t *Task) error {
	if p.CanIn(identity.PermStaffDesk, t.DepartmentCode) {
		return identity.ErrForbidden
	}
	return fmt.Errorf("task %s: %w", t.ID, db.ErrNotFound)
}

const maxOpinion = 2000

// maxLegalBasis caps the legal basis cited with a decision, maxItemReason
// what a supplement request says of one item, and maxSupplementItems how
// many items one request lists (a form's fields and a service's materials
// are far fewer).
const (
	maxLegalBasis      = 500
	maxItemReason      = 500
	maxSupplementItems = 100
)

func (d *Decision) validate(kind workflow.StepKind, a *Application, svc *catalog.Service) error {
	d.Opinion = strings.TrimSpace(d.Opinion)
	d.LegalBasis = strings.TrimSpace(d.LegalBasis)
	d.RepeatReason = strings.TrimSpace(d.RepeatReason)
	var fe fielderr.Errors
	allowed := false
	for _, x := range Actions(kind) {
		allowed = allowed || x == d.Action
	}
	if !allowed {
		fe.Add("action", "action_invalid")
		return fe.Err()
	}
	if len([]rune(d.Opinion)) > maxOpinion {
		fe.Add("opinion", "text_too_long", maxOpinion)
	}
	if len([]rune(d.LegalBasis)) > maxLegalBasis {
		fe.Add("legal_basis", "text_too_long", maxLegalBasis)
	}
	switch d.Action {
	case ActPass, ActReject, ActApprove, ActDeny:
		if d.Opinion == "" {
			fe.Add("opinion", "opinion_required")
		}
	case ActRefuse:
		if d.Opinion == "" {
			fe.Add("opinion", "refusal_reason_required")
		}
	}
	if (d.Action == ActDeny || d.Action == ActRefuse) && d.LegalBasis == "" {
		fe.Add("legal_basis", "decision_legal_basis_required")
	}
	if d.Action == ActSupplement {
		if len(d.Items) == 0 {
			fe.Add("items", "supplement_items_required")
		}
		fields := formFields(svc.FormSchema)
		// One item per material or field: the applicant is shown one
		// reason beside each, so two items on one thing would hide one.
		asked := map[string]bool{}
		for i, it := range d.Items {
			it.Reason = strings.TrimSpace(it.Reason)
			d.Items[i] = it
			name := fmt.Sprintf("items[%d]", i)
			switch {
			case it.Material != "" && it.Field != "":
				fe.Add(name, "supplement_item_one_thing")
			case it.Material != "":
				if !hasRequirement(svc, it.Material) {
					fe.Add(name+".material", "material_unknown")
				} else if asked["m:"+it.Material] {
					fe.Add(name+".material", "supplement_item_duplicate")
				}
				asked["m:"+it.Material] = true
			case it.Field != "":
				if !fields[it.Field] {
					fe.Add(name+".field", "form_field_unknown")
				} else if asked["f:"+it.Field] {
					fe.Add(name+".field", "supplement_item_duplicate")
				}
				asked["f:"+it.Field] = true
			default:
				fe.Add(name, "supplement_item_empty")
			}
			switch n := len([]rune(it.Reason)); {
			case n == 0:
				fe.Add(name+".reason", "supplement_reason_required")
			case n > maxItemReason:
				fe.Add(name+".reason", "text_too_long", maxItemReason)
			}
		}
		if len(d.Items) > maxSupplementItems {
			fe.Add("items", "supplement_items_too_many", maxSupplementItems)
		}
		switch {
		case a.SupplementCount > 0 && d.RepeatReason == "":
			fe.Add("repeat_reason", "supplement_repeat_reason_required")
		case len([]rune(d.RepeatReason)) > maxOpinion:
			fe.Add("repeat_reason", "text_too_long", maxOpinion)
		}
	}
	return fe.Err()
}

// formFields lists the top-level properties of a form schema.
func formFields(schema json.RawMessage) map[string]bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	json.Unmarshal(schema, &s)
	out := map[string]bool{}
	for k := range s.Properties {
		out[k] = true
	}
	return out
}

// Decide records p's decision on a task and moves the application on:
// intake accepts, refuses or asks for a supplement; a review passes or
// rejects; a decision approves or denies; conclusion issues the result.
// The task must be open and either unclaimed or claimed by p; if someone
// else acts on it first, Decide returns ErrStale and changes nothing.
// It returns the application as the decision left it.
func (s *Store) Decide(ctx context.Context, p *identity.Principal, taskID string, d Decision) (*Application, error) {
	id, err := s.decide(ctx, p, taskID, d)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// Act records p's decision on a task as Decide does, without reading the
// application back (about ten queries): for callers that do not show it,
// such as a form that redirects to the work queue.
func (s *Store) Act(ctx context.Context, p *identity.Principal, taskID string, d Decision) error {
	_, err := s.decide(ctx, p, taskID, d)
	return err
}

// decide records the decision and returns the application's ID.
func (s *Store) decide(ctx context.Context, p *identity.Principal, taskID string, d Decision) (string, error) {
	t0, err := s.loadTask(ctx, s.db.Read(), taskID)
	if err != nil {
		return "", err
	}
	if !holdsRole(p, t0.Role, t0.DepartmentCode) {
		return "", s.notYours(p, t0)
	}
	// Validation and the process need only the application's own row.
	a0, err := loadRow(ctx, s.db.Read(), t0.ApplicationID)
	if err != nil {
		return "", err
	}
	svc, err := s.service(ctx, a0.ServiceCode, a0.ServiceVersion)
	if err != nil {
		return "", err
	}
	if err := d.validate(t0.Kind, a0, svc); err != nil {
		return "", err
	}
	def, err := s.definition(ctx, a0)
	if err != nil {
		return "", err
	}
	cal, err := s.calendar.Calendar(ctx)
	if err != nil {
		return "", err
	}
	today := s.today()
	// Only letters (a conclusion's, a refusal's notice) name the
	// department.
	var dept string
	if d.Action == ActConclude || d.Action == ActRefuse {
		if dp, err := s.org.Department(ctx, a0.DepartmentCode); err == nil {
			dept = dp.Name
		}
	}
	// Decisions made at the same moment share one durable commit, each in
	// its own savepoint, as submissions do.
	err = s.batch(ctx, func(tx *db.Tx) error {
		if err := lockApplication(ctx, tx, t0.ApplicationID); err != nil {
			return err
		}
		t, err := s.loadTask(ctx, tx, taskID)
		if err != nil {
			return err
		}
		if t.State != TaskOpen {
			return ErrStale
		}
		if d.Revision != 0 && d.Revision != t.Revision {
			return ErrStale
		}
		if t.Signers <= 1 && t.AssigneeID != "" && t.AssigneeID != p.Account.ID {
			return ErrNotAssignee
		}
		a, err := s.loadForDecide(ctx, tx, t.ApplicationID, d.Action == ActConclude)
		if err != nil {
			return err
		}
		if a.State == Supplement && d.Action != ActSupplement {
			return fielderr.New("action", "waiting_for_supplement")
		}
		if a.State == Supplement {
			return fielderr.New("action", "supplement_already_open")
		}
		switch d.Action {
		case ActSupplement:
			// One who has countersigned has had their say on the step.
			if err := refuseSigner(ctx, tx, p, t); err != nil {
				return err
			}
			return s.requestSupplement(ctx, tx, p, a, t, d, today)
		case ActRefuse:
			if err := s.closeTask(ctx, tx, p, t, workflow.Denied, d); err != nil {
				return err
			}
			return s.refuse(ctx, tx, p, a, t, d, svc, dept, today)
		case ActConclude:
			if err := s.closeTask(ctx, tx, p, t, workflow.Passed, d); err != nil {
				return err
			}
			return s.conclude(ctx, tx, p, a, t, svc, dept, today)
		}
		outcome := workflow.Passed
		if d.Action == ActReject || d.Action == ActDeny {
			outcome = workflow.Denied
		}
		if t.Signers > 1 {
			done, o, err := s.sign(ctx, tx, p, t, outcome, d)
			if err != nil || !done {
				return err
			}
			outcome = o
		}
		if err := s.closeTask(ctx, tx, p, t, outcome, d); err != nil {
			return err
		}
		if d.Action == ActAccept && a.State == Submitted {
			if err := s.accept(ctx, tx, p, a, t, cal, today); err != nil {
				return err
			}
		}
		return s.advance(ctx, tx, a, def, cal, today)
	})
	if err != nil {
		return "", err
	}
	return t0.ApplicationID, nil
}

// sign records one countersignature. The step is done when enough people
// agreed, or as soon as one disagrees.
func (s *Store) sign(ctx context.Context, tx *db.Tx, p *identity.Principal, t *Task, outcome workflow.Outcome, d Decision) (bool, workflow.Outcome, error) {
	_, err := tx.ExecContext(ctx, `INSERT INTO task_signatures (task_id, account_id, outcome, opinion, signed_at) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, p.Account.ID, string(outcome), d.Opinion, db.NewTime(s.now()))
	if db.IsUniqueViolation(err) {
		return false, "", fielderr.New("task", "already_signed")
	}
	if err != nil {
		return false, "", err
	}
	detail := map[string]any{"outcome": outcome}
	if d.LegalBasis != "" {
		detail["legal_basis"] = d.LegalBasis
	}
	if err := s.event(ctx, tx, t.ApplicationID, p, t.Role, t.DepartmentCode, "signed", "", "", t.StepID, t.ID, d.Opinion, detail); err != nil {
		return false, "", err
	}
	if outcome == workflow.Denied {
		return true, workflow.Denied, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_signatures WHERE task_id = $1 AND outcome = 'passed'`, t.ID).Scan(&n); err != nil {
		return false, "", err
	}
	if n < t.Signers {
		// Still open for the other signers; bump the revision so a stale
		// form elsewhere notices.
		_, err := tx.ExecContext(ctx, `UPDATE tasks SET revision = revision + 1 WHERE id = $1`, t.ID)
		return false, "", err
	}
	return true, workflow.Passed, nil
}

// closeTask marks the task done with its outcome, guarded against a
// concurrent action.
func (s *Store) closeTask(ctx context.Context, tx *db.Tx, p *identity.Principal, t *Task, outcome workflow.Outcome, d Decision) error {
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'done', outcome = $1, closed_at = $2, assignee_id = COALESCE(assignee_id, $3), revision = revision + 1
		WHERE id = $4 AND state = 'open' AND revision = $5`,
		string(outcome), db.NewTime(s.now()), p.Account.ID, t.ID, t.Revision)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStale
	}
	detail := map[string]any{"action": d.Action, "outcome": outcome}
	if d.LegalBasis != "" {
		detail["legal_basis"] = d.LegalBasis
	}
	return s.event(ctx, tx, t.ApplicationID, p, t.Role, t.DepartmentCode, d.Action, "", "", t.StepID, t.ID, d.Opinion, detail)
}

func (s *Store) accept(ctx context.Context, tx *db.Tx, p *identity.Principal, a *Application, t *Task, cal *calendar.Calendar, today calendar.Date) error {
	res, err := tx.ExecContext(ctx, `UPDATE applications SET state = 'accepted', accept_date = $1, updated_at = $2, revision = revision + 1 WHERE id = $3 AND state = 'submitted'`,
		today.String(), db.NewTime(s.now()), a.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStale
	}
	a.State, a.AcceptDate = Accepted, today.String()
	if err := s.setApplicationDues(ctx, tx, a, cal); err != nil {
		return err
	}
	if err := s.event(ctx, tx, a.ID, p, t.Role, t.DepartmentCode, "state", string(Submitted), string(Accepted), t.StepID, t.ID, "", nil); err != nil {
		return err
	}
	return s.notices(ctx, tx, Notice{AccountID: a.ApplicantID, Kind: "application_accepted", Link: "/applications/" + a.ID,
		Params: map[string]string{"number": a.Number, "service": a.ServiceName, "service_en": a.ServiceNameEn}})
}

// refuse ends an application at intake (不予受理) and issues the written
// notice of it the Administrative Licensing Law asks for (art. 32): dated,
// numbered, with the reason, the legal basis and the applicant's remedies.
func (s *Store) refuse(ctx context.Context, tx *db.Tx, p *identity.Principal, a *Application, t *Task, d Decision, svc *catalog.Service, deptName string, today calendar.Date) error {
	now := db.NewTime(s.now())
	res, err := tx.ExecContext(ctx, `UPDATE applications SET state = 'refused', result = 'denied', concluded_at = $1, updated_at = $1, revision = revision + 1 WHERE id = $2 AND state = 'submitted'`, now, a.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStale
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'cancelled', closed_at = $1, revision = revision + 1 WHERE application_id = $2 AND state = 'open'`, now, a.ID); err != nil {
		return err
	}
	body := LetterBody{Kind: RefusalNotice, ApplicationNumber: a.Number, ServiceCode: a.ServiceCode, ServiceName: a.ServiceName, ServiceKind: svc.Kind,
		ApplicantName: a.ApplicantName, DepartmentCode: a.DepartmentCode, DepartmentName: deptName, Result: Denied, Date: today.String(),
		Reasons: []string{d.Opinion}, LegalBasis: splitLegalBasis(d.LegalBasis)}
	letterNo, err := s.issueLetter(ctx, tx, a, body, today, now)
	if err != nil {
		return err
	}
	if err := s.event(ctx, tx, a.ID, p, t.Role, t.DepartmentCode, "state", string(Submitted), string(Refused), t.StepID, t.ID, d.Opinion, map[string]any{"legal_basis": d.LegalBasis, "letter": letterNo}); err != nil {
		return err
	}
	return s.notices(ctx, tx, Notice{AccountID: a.ApplicantID, Kind: "application_refused", Link: "/applications/" + a.ID,
		Params: map[string]string{"number": a.Number, "service": a.ServiceName, "service_en": a.ServiceNameEn}})
}

func (s *Store) requestSupplement(ctx context.Context, tx *db.Tx, p *identity.Principal, a *Application, t *Task, d Decision, today calendar.Date) error {
	if t.AssigneeID == "" {
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET assignee_id = $1 WHERE id = $2`, p.Account.ID, t.ID); err != nil {
			return err
		}
	}
	items, err := json.Marshal(d.Items)
	if err != nil {
		return err
	}
	seq := a.SupplementCount + 1
	_, err = tx.ExecContext(ctx, `INSERT INTO supplement_requests (id, application_id, seq, task_id, items, repeat_reason, requested_by, requested_at, requested_date)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		db.NewID(), a.ID, seq, t.ID, string(items), d.RepeatReason, p.Account.ID, db.NewTime(s.now()), today.String())
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE applications SET state = 'supplement', supplement_count = supplement_count + 1, updated_at = $1, revision = revision + 1
		WHERE id = $2 AND state IN ('submitted', 'accepted') AND revision = $3`, db.NewTime(s.now()), a.ID, a.Revision)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStale
	}
	if err := stopClocks(ctx, tx, a.ID); err != nil {
		return err
	}
	if err := s.event(ctx, tx, a.ID, p, t.Role, t.DepartmentCode, "supplement_requested", string(a.State), string(Supplement), t.StepID, t.ID, d.Opinion,
		map[string]any{"items": d.Items, "seq": seq, "repeat_reason": d.RepeatReason}); err != nil {
		return err
	}
	return s.notices(ctx, tx, Notice{AccountID: a.ApplicantID, Kind: "supplement_requested", Link: "/applications/" + a.ID,
		Params: map[string]string{"number": a.Number, "service": a.ServiceName, "service_en": a.ServiceNameEn, "count": fmt.Sprint(len(d.Items))}})
}

// advance asks the process what comes next and does it: skip steps whose
// condition does not hold, cancel what an early denial ends, open what is
// ready, and settle the result. a is the application as loadForDecide
// read it in tx, with what the decision changed since; its tasks are read
// here, after the decision closed one.
func (s *Store) advance(ctx context.Context, tx *db.Tx, a *Application, def *workflow.Definition, cal *calendar.Calendar, today calendar.Date) error {
	done, active, err := taskStates(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	pr := def.Advance(done, active, formValues(a.Form))
	now := db.NewTime(s.now())
	for _, id := range pr.Skip {
		st, _ := def.Step(id)
		if _, err := tx.ExecContext(ctx, `INSERT INTO tasks (id, application_id, step_id, kind, department_code, role, state, outcome, signers, days, opened_at, opened_date, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'done', 'skipped', 1, $7, $8, $9, $8)`,
			db.NewID(), a.ID, st.ID, string(st.Kind), st.DepartmentCode, string(st.Role), max(st.Days, 1), now, today.String()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a.ID, nil, "", st.DepartmentCode, "step_skipped", "", "", st.ID, "", "", nil); err != nil {
			return err
		}
	}
	for _, id := range pr.Cancel {
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'cancelled', closed_at = $1, revision = revision + 1 WHERE application_id = $2 AND step_id = $3 AND state = 'open'`, now, a.ID, id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a.ID, nil, "", "", "step_cancelled", "", "", id, "", "", nil); err != nil {
			return err
		}
	}
	if pr.Result != "" {
		r := Approved
		if pr.Result == workflow.Denied {
			r = Denied
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET result = $1 WHERE id = $2`, string(r), a.ID); err != nil {
			return err
		}
	}
	for _, id := range pr.Activate {
		st, ok := def.Step(id)
		if !ok {
			return fmt.Errorf("application: process %s has no step %q", def.Code, id)
		}
		if _, err := s.openTask(ctx, tx, a, def, st, cal, today); err != nil {
			return err
		}
	}
	// The decision is made when the conclude step opens: the applicant
	// is told whether it was approved now, and gets the result (the
	// letter) with the conclusion.
	if pr.Result != "" && slices.Contains(pr.Activate, def.Last().ID) {
		kind := "application_approved"
		if pr.Result == workflow.Denied {
			kind = "application_denied"
		}
		return s.notices(ctx, tx, Notice{AccountID: a.ApplicantID, Kind: kind, Link: "/applications/" + a.ID,
			Params: map[string]string{"number": a.Number, "service": a.ServiceName, "service_en": a.ServiceNameEn}})
	}
	return nil
}

// conclude finishes an application and issues its decision letter.
func (s *Store) conclude(ctx context.Context, tx *db.Tx, p *identity.Principal, a *Application, t *Task, svc *catalog.Service, deptName string, today calendar.Date) error {
	result := a.Result
	if result == "" {
		result = Approved
	}
	body := LetterBody{ApplicationNumber: a.Number, ServiceCode: a.ServiceCode, ServiceName: a.ServiceName, ServiceKind: svc.Kind,
		ApplicantName: a.ApplicantName, DepartmentCode: a.DepartmentCode, DepartmentName: deptName, Result: result, Date: today.String()}
	superseded, err := supersededTasks(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	body.Reasons, body.LegalBasis = letterGrounds(a.Events, result, superseded, svc.Guide.LegalBasis)
	now := db.NewTime(s.now())
	letterNo, err := s.issueLetter(ctx, tx, a, body, today, now)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE applications SET state = 'concluded', result = $1, concluded_at = $2, updated_at = $2, revision = revision + 1 WHERE id = $3 AND state = 'accepted'`,
		string(result), now, a.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStale
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'cancelled', closed_at = $1, revision = revision + 1 WHERE application_id = $2 AND state = 'open'`, now, a.ID); err != nil {
		return err
	}
	if err := s.event(ctx, tx, a.ID, p, t.Role, t.DepartmentCode, "state", string(Accepted), string(Concluded), t.StepID, t.ID, "", map[string]any{"result": result, "letter": letterNo}); err != nil {
		return err
	}
	if result == Approved && svc.IssuesLicense != nil && s.licenses != nil {
		if err := s.licenses.IssueForApplication(ctx, tx, Conclusion{ApplicationID: a.ID, ApplicationNumber: a.Number, License: *svc.IssuesLicense,
			Form: a.Form, ApplicantID: a.ApplicantID, OrganizationID: a.OrganizationID, Department: t.DepartmentCode, Role: t.Role,
			Date: today.String(), At: now.Time}); err != nil {
			return err
		}
	}
	return s.notices(ctx, tx, Notice{AccountID: a.ApplicantID, Kind: "concluded", Link: "/applications/" + a.ID,
		Params: map[string]string{"number": a.Number, "service": a.ServiceName, "service_en": a.ServiceNameEn, "result": string(result)}})
}

// issueLetter numbers and stores the letter of application a, the one
// result it has, and returns its number. Decision letters and refusal
// notices share a department's yearly numbering.
func (s *Store) issueLetter(ctx context.Context, tx *db.Tx, a *Application, body LetterBody, today calendar.Date, now db.Time) (string, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	seq, err := nextSequence(ctx, tx, "L"+a.DepartmentCode+today.String()[:4])
	if err != nil {
		return "", err
	}
	kind := "decision_letter"
	if body.Kind == RefusalNotice {
		kind = "refusal_notice"
	}
	letterNo := fmt.Sprintf("%s〔%s〕%d号", a.DepartmentCode, today.String()[:4], seq)
	if _, err := tx.ExecContext(ctx, `INSERT INTO application_results (application_id, kind, letter_number, body, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.ID, kind, letterNo, string(raw), hex.EncodeToString(sum[:]), now); err != nil {
		return "", err
	}
	return letterNo, nil
}

// splitLegalBasis splits an entry of legal basis citing several (separated
// by semicolons or lines) into its citations.
func splitLegalBasis(text string) []string {
	var out []string
	for _, lb := range strings.FieldsFunc(text, func(r rune) bool { return r == '；' || r == ';' || r == '\n' }) {
		if lb = strings.TrimSpace(lb); lb != "" {
			out = append(out, lb)
		}
	}
	return out
}

// supersededTasks lists an application's done tasks whose step a return
// sent it back to (or before), decided again since.
func supersededTasks(ctx context.Context, q querier, appID string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM tasks WHERE application_id = $1 AND superseded`, appID)
	if err != nil {
		return nil, fmt.Errorf("application: superseded tasks: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// letterGrounds gives a decision letter's reasons and legal basis from the
// log. The reasons are the opinions of the decisions that led to the
// result: approvals for an approval; denials and rejections (a review's,
// parallel ones included, where one ends the process) for a denial. On a
// countersigned step (会签) each signer's opinion counts, in the order
// they signed. The legal basis is what those decisions cited (an entry of
// several, separated by semicolons, cites each), then the service guide's
// general list, each once however it is spaced. Decisions of tasks a
// return superseded led to nothing and count for nothing.
func letterGrounds(events []Event, result Result, superseded map[string]bool, guide []catalog.LegalBasis) (reasons, basis []string) {
	seen := map[string]bool{}
	cite := func(text string) {
		for _, lb := range splitLegalBasis(text) {
			key := strings.Join(strings.Fields(lb), "")
			if seen[key] {
				continue
			}
			seen[key] = true
			basis = append(basis, lb)
		}
	}
	type detail struct {
		Outcome    workflow.Outcome `json:"outcome"`
		LegalBasis string           `json:"legal_basis"`
	}
	detailOf := func(e Event) detail {
		var d detail
		json.Unmarshal(e.Detail, &d)
		return d
	}
	signed := map[string][]Event{}
	for _, e := range events {
		if superseded[e.TaskID] {
			continue
		}
		if e.Action == "signed" {
			signed[e.TaskID] = append(signed[e.TaskID], e)
			continue
		}
		decided := (result == Approved && e.Action == ActApprove) || (result == Denied && (e.Action == ActDeny || e.Action == ActReject))
		if !decided {
			continue
		}
		grounds := []Event{e}
		if sigs := signed[e.TaskID]; len(sigs) > 0 {
			// The closing entry repeats its last signer's opinion; before
			// it stand every signature of the outcome the step closed with.
			want := detailOf(e).Outcome
			grounds = nil
			for _, sg := range sigs {
				if detailOf(sg).Outcome == want {
					grounds = append(grounds, sg)
				}
			}
			grounds = append(grounds, Event{Detail: e.Detail}) // its legal basis, which signatures logged before did not carry
		}
		for _, g := range grounds {
			if g.Opinion != "" {
				reasons = append(reasons, g.Opinion)
			}
			cite(detailOf(g).LegalBasis)
		}
	}
	// The guide's general list grounds an approval (the law the license
	// is granted under); a denial stands on what its deciders cited,
	// which they must give, and the guide's list only when none did. A
	// law the decisions cite by article is not cited again whole.
	if result == Denied && len(basis) > 0 {
		return reasons, basis
	}
	for _, lb := range guide {
		name := strings.TrimSpace(lb.Name)
		// 《…》 closes a law's name, so a citation of an article of it
		// starts with the whole name and nothing longer.
		if strings.TrimSpace(lb.Article) == "" && strings.HasSuffix(name, "》") && slices.ContainsFunc(basis, func(b string) bool { return strings.HasPrefix(b, name) }) {
			continue
		}
		cite(strings.TrimSpace(lb.Name + " " + lb.Article))
	}
	return reasons, basis
}

// Return sends an application back from a task to an earlier step of the
// process, with a reason: the task and everything after that step is
// cancelled and the earlier step opens again.
func (s *Store) Return(ctx context.Context, p *identity.Principal, taskID, toStep, reason string) (*Application, error) {
	reason = strings.TrimSpace(reason)
	t0, err := s.loadTask(ctx, s.db.Read(), taskID)
	if err != nil {
		return nil, err
	}
	if !holdsRole(p, t0.Role, t0.DepartmentCode) {
		return nil, s.notYours(p, t0)
	}
	// Validation and the process need only the application's own row.
	a0, err := loadRow(ctx, s.db.Read(), t0.ApplicationID)
	if err != nil {
		return nil, err
	}
	def, err := s.pinned(ctx, a0)
	if err != nil {
		return nil, err
	}
	var fe fielderr.Errors
	if reason == "" {
		fe.Add("reason", "return_reason_required")
	} else if len([]rune(reason)) > maxOpinion {
		fe.Add("reason", "text_too_long", maxOpinion)
	}
	earlier := false
	for _, id := range def.Ancestors(t0.StepID) {
		earlier = earlier || id == toStep
	}
	if !earlier {
		fe.Add("to_step", "return_step_invalid")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	cal, err := s.calendar.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today()
	err = s.tx(ctx, func(tx *db.Tx) error {
		if err := lockApplication(ctx, tx, t0.ApplicationID); err != nil {
			return err
		}
		t, err := s.loadTask(ctx, tx, taskID)
		if err != nil {
			return err
		}
		if t.State != TaskOpen {
			return ErrStale
		}
		if t.AssigneeID != "" && t.AssigneeID != p.Account.ID {
			return ErrNotAssignee
		}
		// Returning a countersigned step would throw away the signatures;
		// one who signed has had their say on it.
		if err := refuseSigner(ctx, tx, p, t); err != nil {
			return err
		}
		a, err := s.load(ctx, tx, t.ApplicationID)
		if err != nil {
			return err
		}
		if a.State != Accepted {
			return fielderr.New("to_step", "return_not_possible")
		}
		redo := append([]string{toStep}, def.Descendants(toStep)...)
		now := db.NewTime(s.now())
		for _, id := range redo {
			if _, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'cancelled', closed_at = $1, revision = revision + 1 WHERE application_id = $2 AND step_id = $3 AND state = 'open'`, now, a.ID, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tasks SET superseded = TRUE WHERE application_id = $1 AND step_id = $2 AND state = 'done'`, a.ID, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET result = '', updated_at = $1, revision = revision + 1 WHERE id = $2`, now, a.ID); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a.ID, p, t.Role, t.DepartmentCode, "returned", "", "", t.StepID, t.ID, reason, map[string]any{"to_step": toStep}); err != nil {
			return err
		}
		a, err = s.load(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		st, _ := def.Step(toStep)
		_, err = s.openTaskTelling(ctx, tx, a, st, cal, today, opened{ReturnReason: reason})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, t0.ApplicationID)
}

// Handover gives a task to a colleague holding the same role in the same
// department, not to p (claiming is for that). The current assignee, a
// holder of the role while it is unclaimed, or a department admin may do
// it.
func (s *Store) Handover(ctx context.Context, p *identity.Principal, taskID, toAccount, reason string) (*Task, error) {
	reason = strings.TrimSpace(reason)
	err := s.tx(ctx, func(tx *db.Tx) error {
		t, err := s.loadTask(ctx, tx, taskID)
		if err != nil {
			return err
		}
		if err := lockApplication(ctx, tx, t.ApplicationID); err != nil {
			return err
		}
		admin := holdsRole(p, string(identity.DeptAdmin), t.DepartmentCode)
		if !admin && !holdsRole(p, t.Role, t.DepartmentCode) {
			return s.notYours(p, t)
		}
		if t.State != TaskOpen {
			return fielderr.New("task", "task_closed")
		}
		if !admin && t.AssigneeID != "" && t.AssigneeID != p.Account.ID {
			return ErrNotAssignee
		}
		var fe fielderr.Errors
		if reason == "" {
			fe.Add("reason", "handover_reason_required")
		} else if len([]rune(reason)) > maxOpinion {
			fe.Add("reason", "text_too_long", maxOpinion)
		}
		signed, err := signedBy(ctx, tx, t)
		if err != nil {
			return err
		}
		holders, err := roleHolders(ctx, tx, t.DepartmentCode, t.Role)
		if err != nil {
			return err
		}
		ok := false
		for _, h := range holders {
			ok = ok || h == toAccount
		}
		switch {
		case toAccount == p.Account.ID:
			fe.Add("to", "handover_to_self")
		case !ok || toAccount == t.AssigneeID:
			fe.Add("to", "handover_target_invalid")
		case signed[toAccount]:
			// A countersigned step left with one who signed it waits
			// for a signature they cannot give.
			fe.Add("to", "handover_target_signed")
		}
		if err := fe.Err(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET assignee_id = $1, revision = revision + 1 WHERE id = $2 AND state = 'open' AND revision = $3`, toAccount, t.ID, t.Revision)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		if err := s.event(ctx, tx, t.ApplicationID, p, t.Role, t.DepartmentCode, "handed_over", "", "", t.StepID, t.ID, reason, map[string]any{"to": toAccount}); err != nil {
			return err
		}
		var number, service, serviceEn string
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(number, ''), service_name, service_name_en FROM applications WHERE id = $1`, t.ApplicationID).Scan(&number, &service, &serviceEn); err != nil {
			return err
		}
		return s.notices(ctx, tx, Notice{AccountID: toAccount, Kind: "task_handed_over", Link: "/staff/tasks/" + t.ID, Params: map[string]string{"number": number, "service": service, "service_en": serviceEn}})
	})
	if err != nil {
		return nil, err
	}
	return s.namedTask(ctx, taskID)
}

// signedBy lists who has signed a countersigned task.
// refuseSigner refuses p acting on countersigned task t (other than by
// signing, which refuses a second signature itself) once p has signed it.
func refuseSigner(ctx context.Context, q querier, p *identity.Principal, t *Task) error {
	if t.Signers <= 1 {
		return nil
	}
	signed, err := signedBy(ctx, q, t)
	if err != nil {
		return err
	}
	if signed[p.Account.ID] {
		return fielderr.New("task", "already_signed")
	}
	return nil
}

func signedBy(ctx context.Context, q querier, t *Task) (map[string]bool, error) {
	out := map[string]bool{}
	if t.Signers <= 1 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT account_id FROM task_signatures WHERE task_id = $1`, t.ID)
	if err != nil {
		return nil, fmt.Errorf("application: signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Colleagues lists who p can hand a task to: the holders of its role in
// its department but p, its assignee and, on a countersigned step, those
// who have signed it.
func (s *Store) Colleagues(ctx context.Context, p *identity.Principal, t *Task) ([]*identity.Account, error) {
	ids, err := roleHolders(ctx, s.db.Read(), t.DepartmentCode, t.Role)
	if err != nil {
		return nil, err
	}
	signed, err := signedBy(ctx, s.db.Read(), t)
	if err != nil {
		return nil, err
	}
	var out []*identity.Account
	for _, id := range ids {
		if id == t.AssigneeID || id == p.Account.ID || signed[id] {
			continue
		}
		acc, err := s.identity.Account(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, acc)
	}
	return out, nil
}

// service returns a published version of a service, cached: versions
// never change once published (service_versions is written once per
// version), and decoding one's document at every submission and decision
// cost more than the rest of reading it. The value is shared: callers
// must not change it.
func (s *Store) service(ctx context.Context, code string, version int) (*catalog.Service, error) {
	key := code + "@" + strconv.Itoa(version)
	if v, ok := s.services.Load(key); ok {
		return v.(*catalog.Service), nil
	}
	svc, err := s.catalog.Version(ctx, code, version)
	if err != nil {
		return nil, err
	}
	s.services.Store(key, svc)
	return svc, nil
}

// published returns the live version of a published service, or
// db.ErrNotFound for drafts, withdrawn and unknown services.
func (s *Store) published(ctx context.Context, code string) (*catalog.Service, error) {
	v, err := s.catalog.PublishedVersion(ctx, code)
	if err != nil {
		return nil, err
	}
	return s.service(ctx, code, v)
}

// definition returns a pinned process version, cached: versions never
// change once stored.
func (s *Store) definition(ctx context.Context, a *Application) (*workflow.Definition, error) {
	key := a.ProcessCode + "@" + fmt.Sprint(a.ProcessVersion)
	if a.ProcessCode == "" {
		key = "default:" + a.ServiceCode + "@" + fmt.Sprint(a.ServiceVersion)
	}
	if v, ok := s.defs.Load(key); ok {
		return v.(*workflow.Definition), nil
	}
	def, err := s.pinned(ctx, a)
	if err != nil {
		return nil, err
	}
	s.defs.Store(key, def)
	return def, nil
}

// StepNames maps the step IDs of an application's process to their names
// in Chinese, or English when en is set and the process has one.
func (s *Store) StepNames(ctx context.Context, a *Application, en bool) map[string]string {
	out := map[string]string{}
	def, err := s.definition(ctx, a)
	if err != nil {
		return out
	}
	for _, st := range def.Steps {
		out[st.ID] = st.Name
		if en && st.NameEn != "" {
			out[st.ID] = st.NameEn
		}
	}
	return out
}

// stepName names a step of an application's pinned process in Chinese
// and English (the English name may be empty).
func (s *Store) stepName(ctx context.Context, a *Application, stepID string) (string, string) {
	def, err := s.definition(ctx, a)
	if err != nil {
		return stepID, ""
	}
	if st, ok := def.Step(stepID); ok {
		return st.Name, st.NameEn
	}
	return stepID, ""
}

// EarlierSteps lists the steps a task may be returned to.
func (s *Store) EarlierSteps(ctx context.Context, a *Application, t *Task) []string {
	def, err := s.definition(ctx, a)
	if err != nil {
		return nil
	}
	return def.Ancestors(t.StepID)
}
