package rating

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

const rectColumns = `x.id, x.rating_id, x.department_code, x.state, x.opened_date, x.due_date, x.warning, x.cause, x.action,
	x.answered_at, x.on_time, x.callback_satisfied, x.callback_comment, x.callback_channel, x.callback_at, x.created_at, x.updated_at, x.revision`

// rectSelect reads a rectification with its rating.
const rectSelect = `SELECT ` + ratingColumns + `, ` + rectColumns + ` FROM rectifications x JOIN ratings r ON r.id = x.rating_id`

func scanRectification(row interface{ Scan(...any) error }) (*Rectification, error) {
	var x Rectification
	var answered, cbAt, created, updated db.Time
	var onTime, satisfied sql.NullBool
	r, err := scanRating(row, &x.ID, &x.RatingID, &x.DepartmentCode, &x.State, &x.OpenedDate, &x.DueDate, &x.Warning, &x.Cause, &x.Action,
		&answered, &onTime, &satisfied, &x.CallbackComment, &x.CallbackChannel, &cbAt, &created, &updated, &x.Revision)
	if err != nil {
		return nil, err
	}
	x.Rating = r
	if !answered.IsZero() {
		t := answered.Time
		x.AnsweredAt = &t
	}
	if !cbAt.IsZero() {
		t := cbAt.Time
		x.CallbackAt = &t
	}
	if onTime.Valid {
		x.OnTime = &onTime.Bool
	}
	if satisfied.Valid {
		x.CallbackSatisfied = &satisfied.Bool
	}
	x.CreatedAt, x.UpdatedAt = created.Time, updated.Time
	return &x, nil
}

func (s *Store) loadRect(ctx context.Context, q querier, id string) (*Rectification, error) {
	x, err := scanRectification(q.QueryRowContext(ctx, rectSelect+` WHERE x.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rating: rectification %s: %w", id, db.ErrNotFound)
	}
	return x, err
}

// Rectification returns one rectification with its rating, for the rater,
// the department's staff and supervisors; others get db.ErrNotFound.
func (s *Store) Rectification(ctx context.Context, p *identity.Principal, id string) (*Rectification, error) {
	x, err := s.loadRect(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !canSee(p, x.Rating) {
		return nil, fmt.Errorf("rating: rectification %s: %w", id, db.ErrNotFound)
	}
	x.Rating.Mine = x.Rating.raterID == p.Account.ID
	return x, nil
}

// CanAnswer reports whether p answers rectification x for its department.
func CanAnswer(p *identity.Principal, x *Rectification) bool {
	return x.State == Open && deptStaff(p, x.DepartmentCode)
}

// CanCallback reports whether p records the callback of x: the rater, or
// a supervisor recording a telephone callback.
func CanCallback(p *identity.Principal, x *Rectification) bool {
	return x.State == Answered && !p.Anonymous() && (x.Rating.raterID == p.Account.ID || canOversee(p))
}

// Rectifications lists the rectifications p may see (supervisors: all;
// department staff: their departments'), red first, then yellow, then
// open before answered before closed, then by due date.
func (s *Store) Rectifications(ctx context.Context, p *identity.Principal, f Filter) ([]*Rectification, error) {
	if p.Anonymous() {
		return nil, identity.ErrForbidden
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if !canOversee(p) {
		var depts []string
		for _, g := range p.Grants {
			if g.Role.DepartmentScoped() && g.Role.Grants(identity.PermStaffDesk) {
				depts = append(depts, arg(g.Department))
			}
		}
		if len(depts) == 0 {
			return []*Rectification{}, nil
		}
		where = append(where, "x.department_code IN ("+strings.Join(depts, ", ")+")")
	}
	if f.State != "" {
		if !f.State.Valid() {
			return nil, fielderr.New("state", "rectification_state_invalid")
		}
		where = append(where, "x.state = "+arg(string(f.State)))
	}
	switch f.Warning {
	case NoWarning:
	case Yellow, Red:
		where = append(where, "x.warning = "+arg(string(f.Warning)))
	default:
		return nil, fielderr.New("warning", "rectification_warning_invalid")
	}
	switch f.Callback {
	case "":
	case CallbackSatisfied, CallbackUnsatisfied:
		where = append(where, "x.callback_satisfied = "+arg(f.Callback == CallbackSatisfied))
	default:
		return nil, fielderr.New("callback", "rectification_callback_invalid")
	}
	if f.Department != "" {
		where = append(where, "x.department_code = "+arg(f.Department))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	q := rectSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY CASE x.warning WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END,
		CASE x.state WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END, x.due_date, x.id LIMIT ` + strconv.Itoa(limit)
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rating: rectifications: %w", err)
	}
	defer rows.Close()
	out := []*Rectification{}
	for rows.Next() {
		x, err := scanRectification(rows)
		if err != nil {
			return nil, err
		}
		x.Rating.Mine = x.Rating.raterID == p.Account.ID
		out = append(out, x)
	}
	return out, rows.Err()
}

// change runs fn on rectification id in a transaction, after locking its
// row, so two actions on one rectification never interleave.
func (s *Store) change(ctx context.Context, p *identity.Principal, id string, fn func(tx *db.Tx, x *Rectification) error) (*Rectification, error) {
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE rectifications SET revision = revision + 1 WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("rating: lock: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("rating: rectification %s: %w", id, db.ErrNotFound)
		}
		x, err := s.loadRect(ctx, tx, id)
		if err != nil {
			return err
		}
		if !canSee(p, x.Rating) {
			return fmt.Errorf("rating: rectification %s: %w", id, db.ErrNotFound)
		}
		return fn(tx, x)
	})
	if err != nil {
		return nil, err
	}
	return s.Rectification(ctx, p, id)
}

func answerText(e *fielderr.Errors, field, text string) string {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		e.Add(field, "rectification_"+field+"_required")
	case utf8.RuneCountInString(text) > MaxAnswer:
		e.Add(field, "rectification_text_too_long", MaxAnswer)
	}
	return text
}

// Answer records the department's answer to a rectification: what was
// wrong (cause) and what it did (action), and whether it came by the due
// date. The rater is told and asked for the callback.
func (s *Store) Answer(ctx context.Context, p *identity.Principal, id, cause, action string) (*Rectification, error) {
	var e fielderr.Errors
	cause = answerText(&e, "cause", cause)
	action = answerText(&e, "action", action)
	if err := e.Err(); err != nil {
		return nil, err
	}
	return s.change(ctx, p, id, func(tx *db.Tx, x *Rectification) error {
		if !deptStaff(p, x.DepartmentCode) {
			return identity.ErrForbidden
		}
		if x.State != Open {
			return ErrState
		}
		now := s.now()
		onTime := !s.today().After(mustDate(x.DueDate))
		if _, err := tx.ExecContext(ctx, `UPDATE rectifications SET state = 'answered', cause = $1, action = $2, answered_by = $3, answered_at = $4,
			on_time = $5, warning = '', updated_at = $4 WHERE id = $6`, cause, action, p.Account.ID, db.NewTime(now), onTime, id); err != nil {
			return err
		}
		if err := s.stampRectification(ctx, tx, id, "answered", x.DepartmentCode, "staff", now); err != nil {
			return err
		}
		if err := tallyRectification(ctx, tx, x.DepartmentCode, x.Rating.ServiceCode, rectTally{done: 1, doneOnTime: b2i(onTime), overdue: -b2i(x.Warning == Red)}); err != nil {
			return err
		}
		return s.tell(ctx, tx, []string{x.Rating.raterID}, "rectification_answered", "/rectifications/"+id, now, x.Rating.ID, x.Rating.ObjectNumber, x.Rating.ServiceName)
	})
}

// Callback records the citizen's verdict on the rectification (回访):
// satisfied or not, with an optional comment. The rater answers on the
// web or through the API; a supervisor records what the citizen said on
// the telephone (channel phone). The rectification is then closed.
func (s *Store) Callback(ctx context.Context, p *identity.Principal, id string, ch Channel, satisfied bool, comment string) (*Rectification, error) {
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > MaxText {
		return nil, fielderr.New("comment", "rating_text_too_long", MaxText)
	}
	return s.change(ctx, p, id, func(tx *db.Tx, x *Rectification) error {
		rater := x.Rating.raterID == p.Account.ID
		switch {
		case ch == Phone && canOversee(p):
		case (ch == Web || ch == API) && rater:
		default:
			return identity.ErrForbidden
		}
		if x.State != Answered {
			return ErrState
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE rectifications SET state = 'closed', callback_satisfied = $1, callback_comment = $2, callback_channel = $3,
			callback_by = $4, callback_at = $5, updated_at = $5 WHERE id = $6`, satisfied, comment, string(ch), p.Account.ID, db.NewTime(now), id); err != nil {
			return err
		}
		role := "applicant"
		if ch == Phone {
			role = string(identity.Supervisor)
		}
		if err := tallyRectification(ctx, tx, x.DepartmentCode, x.Rating.ServiceCode, rectTally{calledBack: 1, satisfied: b2i(satisfied)}); err != nil {
			return err
		}
		return s.stampRectification(ctx, tx, id, "callback", "", role, now)
	})
}
