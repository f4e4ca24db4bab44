package hotline

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// tell queues a notice of kind about t for each account; the arguments are
// the ticket number and category (in English for English readers, where
// the category has an English name), and for warnings the due date.
func (s *Store) tell(ctx context.Context, tx *db.Tx, to []string, kind string, t *Ticket, link string) error {
	var name, nameEn string
	if err := tx.QueryRowContext(ctx, `SELECT name, name_en FROM hotline_categories WHERE code = $1`, t.CategoryCode).Scan(&name, &nameEn); err != nil {
		return err
	}
	if t.CategoryName != "" {
		name = t.CategoryName
	}
	args := []string{t.Number, name}
	if kind == "ticket_yellow" || kind == "ticket_red" {
		args = append(args, t.DueDate)
	}
	argsEn := notify.EnglishArgs(args, 1, nameEn)
	for _, id := range to {
		if err := s.notices(ctx, tx, notify.Notice{AccountID: id, Kind: notify.Kind(kind), Args: args, ArgsEn: argsEn, Link: link, CreatedAt: s.now()}); err != nil {
			return err
		}
	}
	return nil
}

func ticketLink(t *Ticket) string { return "/hotline/tickets/" + t.ID }

// change runs fn on ticket id inside a transaction, after locking the
// ticket's row, so two actions on one ticket never interleave.
func (s *Store) change(ctx context.Context, id string, fn func(tx *db.Tx, t *Ticket) error) (*Ticket, error) {
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET revision = revision + 1 WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("hotline: lock: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("hotline: ticket %s: %w", id, db.ErrNotFound)
		}
		t, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		return fn(tx, t)
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.db.Read(), id)
}

// clock computes the due and yellow dates of a limit of days counted from
// today.
func (s *Store) clock(ctx context.Context, days int) (start, due, yellow calendar.Date, err error) {
	cal, err := s.calendar.Calendar(ctx)
	if err != nil {
		return start, due, yellow, err
	}
	start = s.today()
	due, yellow = s.dueOn(cal, start, days)
	return start, due, yellow, nil
}

// dueOn computes on cal the due and yellow dates of a limit of days
// counted from start.
func (s *Store) dueOn(cal *calendar.Calendar, start calendar.Date, days int) (due, yellow calendar.Date) {
	due = cal.AddWorkdays(start, days)
	return due, cal.WarnFrom(due, s.yellowDays)
}

func note(field, text string, required bool, max int) (string, error) {
	text = cleanText(text)
	if required && text == "" {
		return "", fielderr.New(field, "required")
	}
	if runes(text) > max {
		return "", fielderr.New(field, "text_too_long", max)
	}
	return text, nil
}

// Dispatch sends a ticket waiting for dispatch to a department (派单):
// the one the rules suggested, or another the dispatcher chose (the log
// says which). The department's clock starts today.
func (s *Store) Dispatch(ctx context.Context, p *identity.Principal, id, dept, text string) (*Ticket, error) {
	if !p.Can(identity.PermHotlineDispatch) {
		return nil, identity.ErrForbidden
	}
	text, err := note("note", text, false, maxNote)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if t.State != Dispatching {
			return ErrState
		}
		if dept == "" {
			dept = t.SuggestedDepartment
		}
		if ok, err := exists(ctx, tx, `SELECT 1 FROM departments WHERE code = $1`, dept); err != nil {
			return err
		} else if !ok {
			return fielderr.New("department_code", "hotline_department_unknown")
		}
		start, due, yellow, err := s.clock(ctx, t.Days)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET state = 'dispatched', department_code = $1, clock_date = $2, due_date = $3, yellow_date = $4, warning = '', updated_at = $5 WHERE id = $6`,
			dept, start.String(), due.String(), yellow.String(), db.NewTime(s.now()), id); err != nil {
			return err
		}
		action := "dispatched"
		if t.SuggestedDepartment != "" && dept != t.SuggestedDepartment {
			action = "dispatched_override"
		}
		if err := s.event(ctx, tx, id, p, dept, action, t.State, Dispatched, text); err != nil {
			return err
		}
		staff, err := departmentStaff(ctx, tx, dept)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, staff, "ticket_dispatched", t, ticketLink(t))
	})
}

// handler checks that p handles tickets of the ticket's department.
func handler(p *identity.Principal, t *Ticket) error {
	if t.DepartmentCode == "" || !p.CanIn(identity.PermStaffDesk, t.DepartmentCode) {
		return fmt.Errorf("hotline: ticket %s: %w", t.ID, db.ErrNotFound)
	}
	return nil
}

// Sign takes a dispatched ticket into the department's hands (签收).
func (s *Store) Sign(ctx context.Context, p *identity.Principal, id string) (*Ticket, error) {
	return s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if err := handler(p, t); err != nil {
			return err
		}
		if t.State != Dispatched {
			return ErrState
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET state = 'handling', updated_at = $1 WHERE id = $2`, db.NewTime(s.now()), id); err != nil {
			return err
		}
		return s.event(ctx, tx, id, p, t.DepartmentCode, "signed", t.State, Handling, "")
	})
}

// Return sends a dispatched ticket back to the dispatchers as not the
// department's (退单), with the reason.
func (s *Store) Return(ctx context.Context, p *identity.Principal, id, reason string) (*Ticket, error) {
	reason, err := note("reason", reason, true, maxNote)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if err := handler(p, t); err != nil {
			return err
		}
		if t.State != Dispatched {
			return ErrState
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET state = 'dispatching', department_code = NULL, clock_date = NULL, due_date = NULL, yellow_date = NULL, warning = '', updated_at = $1 WHERE id = $2`,
			db.NewTime(s.now()), id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, p, t.DepartmentCode, "returned", t.State, Dispatching, reason); err != nil {
			return err
		}
		ids, err := holders(ctx, tx, "", identity.Dispatcher)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, ids, "ticket_returned", t, ticketLink(t))
	})
}

// Reply records the department's answer (回复); the reporter is asked
// for the callback.
func (s *Store) Reply(ctx context.Context, p *identity.Principal, id, text string) (*Ticket, error) {
	text, err := note("reply", text, true, maxReply)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if err := handler(p, t); err != nil {
			return err
		}
		if t.State != Handling {
			return ErrState
		}
		now := db.NewTime(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET state = 'replied', reply = $1, replied_at = $2, warning = '', updated_at = $2 WHERE id = $3`, text, now, id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, p, t.DepartmentCode, "replied", t.State, Replied, text); err != nil {
			return err
		}
		to := []string{}
		if t.reporterID != "" {
			to = append(to, t.reporterID)
		} else if to, err = holders(ctx, tx, "", identity.Dispatcher); err != nil {
			return err
		}
		return s.tell(ctx, tx, to, "ticket_replied", t, ticketLink(t))
	})
}

// Callback records the reporter's verdict on the reply (回访): solved and
// at least basically satisfied closes the ticket; otherwise it reopens for
// the same department with a new deadline, the earlier reply kept in the
// log. The reporter answers for themselves; a dispatcher records what a
// reporter without an account said on the telephone.
func (s *Store) Callback(ctx context.Context, p *identity.Principal, id string, solved bool, sat Satisfaction, comment string) (*Ticket, error) {
	if !sat.Valid() {
		return nil, fielderr.New("satisfaction", "hotline_satisfaction_invalid")
	}
	comment, err := note("comment", comment, false, maxNote)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if p.Anonymous() || !(t.Mine(p.Account.ID) || (p.Can(identity.PermHotlineDispatch) && !t.HasReporterAccount())) {
			if canSee(p, t) {
				return identity.ErrForbidden
			}
			return fmt.Errorf("hotline: ticket %s: %w", id, db.ErrNotFound)
		}
		if t.State != Replied {
			return ErrState
		}
		now := db.NewTime(s.now())
		verdict := fmt.Sprintf("solved=%t satisfaction=%s", solved, sat)
		if comment != "" {
			verdict += "\n" + comment
		}
		if solved && sat != Unsatisfied {
			if _, err := tx.ExecContext(ctx, `UPDATE tickets SET state = 'closed', solved = $1, satisfaction = $2, closed_at = $3, updated_at = $3 WHERE id = $4`, solved, string(sat), now, id); err != nil {
				return err
			}
			return s.event(ctx, tx, id, p, t.DepartmentCode, "callback_closed", t.State, Closed, verdict)
		}
		start, due, yellow, err := s.clock(ctx, t.Days)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET state = 'handling', solved = $1, satisfaction = $2, reopen_count = reopen_count + 1,
			clock_date = $3, due_date = $4, yellow_date = $5, warning = '', updated_at = $6 WHERE id = $7`,
			solved, string(sat), start.String(), due.String(), yellow.String(), now, id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, p, t.DepartmentCode, "reopened", t.State, Handling, verdict); err != nil {
			return err
		}
		staff, err := departmentStaff(ctx, tx, t.DepartmentCode)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, staff, "ticket_reopened", t, ticketLink(t))
	})
}

// Urge presses the department on a ticket it has not answered (督办).
func (s *Store) Urge(ctx context.Context, p *identity.Principal, id, text string) (*Ticket, error) {
	if !p.Can(identity.PermSupervise) {
		return nil, identity.ErrForbidden
	}
	text, err := note("note", text, true, maxNote)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if t.State != Dispatched && t.State != Handling {
			return ErrState
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET urge_count = urge_count + 1, updated_at = $1 WHERE id = $2`, db.NewTime(s.now()), id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, p, t.DepartmentCode, "urged", "", "", text); err != nil {
			return err
		}
		staff, err := departmentStaff(ctx, tx, t.DepartmentCode)
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, staff, "ticket_urged", t, ticketLink(t))
	})
}

// Reveal tells a supervisor who filed an anonymous or name-protected
// ticket. The reveal, by whom and why, is logged in the same transaction,
// so no identity leaves the store unrecorded.
func (s *Store) Reveal(ctx context.Context, p *identity.Principal, id, reason string) (*Identity, error) {
	if !p.Can(identity.PermHotlineReveal) {
		return nil, identity.ErrForbidden
	}
	reason, err := note("reason", reason, true, maxNote)
	if err != nil {
		return nil, err
	}
	var who Identity
	_, err = s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if t.Protection == Public {
			return fielderr.New("reason", "hotline_not_protected")
		}
		who = Identity{Name: t.ReporterName, Phone: t.ReporterPhone, Email: t.ReporterEmail}
		if t.reporterID != "" {
			if err := tx.QueryRowContext(ctx, `SELECT username, name, phone, email FROM accounts WHERE id = $1`, t.reporterID).Scan(&who.Username, &who.Name, &who.Phone, &who.Email); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, id, p, "", "revealed", "", "", reason)
	})
	if err != nil {
		return nil, err
	}
	return &who, nil
}

// Merge closes a ticket as a duplicate of another open one; both logs say
// so, and the duplicate's reporter is told where to follow it.
func (s *Store) Merge(ctx context.Context, p *identity.Principal, id, into string) (*Ticket, error) {
	if !p.Can(identity.PermHotlineDispatch) {
		return nil, identity.ErrForbidden
	}
	if into == id || into == "" {
		return nil, fielderr.New("into", "hotline_merge_target")
	}
	target, err := s.load(ctx, s.db.Read(), into)
	if err != nil {
		return nil, fielderr.New("into", "hotline_merge_target")
	}
	return s.change(ctx, id, func(tx *db.Tx, t *Ticket) error {
		if !t.State.Open() {
			return ErrState
		}
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM tickets WHERE id = $1`, into).Scan(&state); err != nil {
			return err
		}
		if !State(state).Open() {
			return fielderr.New("into", "hotline_merge_target")
		}
		now := db.NewTime(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET state = 'merged', merged_into = $1, due_date = NULL, yellow_date = NULL, warning = '', closed_at = $2, updated_at = $2 WHERE id = $3`, into, now, id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, p, "", "merged", t.State, Merged, target.Number); err != nil {
			return err
		}
		if err := s.event(ctx, tx, into, p, "", "merged_from", "", "", t.Number); err != nil {
			return err
		}
		if t.reporterID != "" {
			return s.tell(ctx, tx, []string{t.reporterID}, "ticket_merged", t, ticketLink(t))
		}
		return nil
	})
}

// Similarity thresholds for duplicate suggestions.
const (
	similarDays   = 30
	similarMeters = 500
	similarScore  = 0.3
)

// Similar suggests open tickets that may be about the same thing as
// ticket id, best first: the same category, filed within 30 days, near the
// same place (within 500 m, or the same division or address when
// coordinates are missing) and with similar text (character bigrams).
func (s *Store) Similar(ctx context.Context, p *identity.Principal, id string) ([]Match, error) {
	if !p.Can(identity.PermHotlineDispatch) {
		return nil, identity.ErrForbidden
	}
	t, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	from := t.CreatedAt.AddDate(0, 0, -similarDays)
	cands, err := s.list(ctx, Filter{Category: t.CategoryCode, From: from, Limit: 500}, []string{"t.state NOT IN ('closed', 'merged')", "t.id <> $1"}, []any{t.ID},
		func(c *Ticket) *Ticket { return redact(p, c) })
	if err != nil {
		return nil, err
	}
	grams := bigrams(t.Text)
	out := []Match{}
	for _, c := range cands {
		m := Match{Ticket: c, Meters: -1}
		near := false
		switch {
		case t.Lat != nil && c.Lat != nil:
			m.Meters = meters(*t.Lat, *t.Lon, *c.Lat, *c.Lon)
			near = m.Meters <= similarMeters
		case t.DivisionCode != "" && t.DivisionCode == c.DivisionCode:
			near = true
		case t.Address != "" && strings.EqualFold(strings.TrimSpace(t.Address), strings.TrimSpace(c.Address)):
			near = true
		}
		if !near {
			continue
		}
		m.Score = jaccard(grams, bigrams(c.Text))
		if m.Score >= similarScore {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}

// bigrams returns the set of adjacent character pairs of s, ignoring
// spaces and punctuation, which suits Chinese text without segmentation.
func bigrams(s string) map[string]bool {
	var rs []rune
	for _, r := range strings.ToLower(s) {
		if r > ' ' && !strings.ContainsRune("，。、！？；：“”‘’（）,.!?;:\"'()-", r) {
			rs = append(rs, r)
		}
	}
	out := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for k := range a {
		if b[k] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// meters is the great-circle distance between two points.
func meters(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371000
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
