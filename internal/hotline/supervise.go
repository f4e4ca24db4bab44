package hotline

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// SuperviseFilter narrows the supervisors' ticket list. Every field is
// optional; the filters combine.
type SuperviseFilter struct {
	State      State  `json:"state,omitempty"`
	Kind       Kind   `json:"kind,omitempty"`
	Category   string `json:"category_code,omitempty"`
	Department string `json:"department_code,omitempty"`
	Division   string `json:"division_code,omitempty"`
	// Warning is "yellow", "red" (overdue) or "any" (either).
	Warning string `json:"warning,omitempty"`
	// From and To bound the filing day, inclusive, as civil dates
	// (YYYY-MM-DD) in the platform's time zone.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Number searches the ticket number: "RX2026…" or its digits alone
	// match numbers that start with it; anything else, numbers that
	// contain it.
	Number string `json:"q,omitempty"`
	// After is the cursor of the page before (SupervisePage.Next).
	After string `json:"after,omitempty"`
	// Limit is the page size, 1 to 200; default 50.
	Limit int `json:"limit,omitempty"`
}

// SupervisePage is one page of the supervisors' list, newest first.
type SupervisePage struct {
	Tickets []*Ticket `json:"tickets"`
	// Next is the cursor of the following page; empty on the last.
	Next string `json:"next,omitempty"`
}

// cursor is a position in the list's order: (created_at, id) descending.
func encodeCursor(t *Ticket) string {
	v, _ := db.NewTime(t.CreatedAt).Value()
	return base64.RawURLEncoding.EncodeToString([]byte(v.(string) + "|" + t.ID))
}

func decodeCursor(s string) (db.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return db.Time{}, "", false
	}
	at, id, ok := strings.Cut(string(b), "|")
	var t db.Time
	if !ok || id == "" || len(id) > 64 || t.Scan(at) != nil {
		return db.Time{}, "", false
	}
	return t, id, true
}

// Supervise lists tickets of every department for supervisors, newest
// first, one page at a time. Pages are keyset-paginated on (created_at,
// id): the next page starts after the last row of this one, so a page
// costs the same at the millionth ticket as at the first, and tickets
// filed meanwhile do not shift the pages. Each filter has an index that
// ends in that order (migration 00017).
func (s *Store) Supervise(ctx context.Context, p *identity.Principal, f SuperviseFilter) (*SupervisePage, error) {
	if !p.Can(identity.PermSupervise) {
		return nil, identity.ErrForbidden
	}
	var e fielderr.Errors
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	midnight := func(d calendar.Date) db.Time { return db.NewTime(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, s.loc)) }
	// Tickets with a warning are few and have their own index in list
	// order; when the filter asks for them, the other columns are
	// compared as expressions (col || '') that no index serves, so both
	// databases walk that small index rather than, say, all of a
	// department's tickets looking for the warned ones.
	eq := func(col string) string {
		if f.Warning != "" {
			return col + " || ''"
		}
		return col
	}
	if f.State != "" {
		switch f.State {
		case Dispatching, Dispatched, Handling, Replied, Closed, Merged:
			where = append(where, eq("t.state")+" = "+arg(string(f.State)))
		default:
			e.Add("state", "hotline_state_invalid")
		}
	}
	if f.Kind != "" {
		if !f.Kind.Valid() {
			e.Add("kind", "hotline_kind_invalid")
		} else {
			where = append(where, eq("t.kind")+" = "+arg(string(f.Kind)))
		}
	}
	// A category covers its sub-categories, as it does for dispatch rules.
	switch {
	case f.Category == "":
	case len(f.Category) > 64:
		e.Add("category_code", "text_too_long", 64)
	default:
		codes, err := s.categoryAndBelow(ctx, f.Category)
		if err != nil {
			return nil, err
		}
		if len(codes) == 1 {
			// A leaf: the category's index serves the list order.
			where = append(where, eq("t.category_code")+" = "+arg(codes[0]))
			break
		}
		in := make([]string, len(codes))
		for i, c := range codes {
			in[i] = arg(c)
		}
		where = append(where, eq("t.category_code")+" IN ("+strings.Join(in, ", ")+")")
	}
	for _, c := range []struct{ field, col, v string }{
		{"department_code", "t.department_code", f.Department}, {"division_code", "t.division_code", f.Division},
	} {
		if c.v == "" {
			continue
		}
		if len(c.v) > 64 {
			e.Add(c.field, "text_too_long", 64)
			continue
		}
		where = append(where, eq(c.col)+" = "+arg(c.v))
	}
	// "warning <> ''" is written out, as in the partial index on the
	// tickets that have a warning, so that the index applies.
	switch f.Warning {
	case "":
	case "any":
		where = append(where, "t.warning <> ''")
	case string(Yellow), string(Red):
		where = append(where, "t.warning <> '' AND t.warning = '"+f.Warning+"'")
	default:
		e.Add("warning", "hotline_warning_invalid")
	}
	from, ferr := calendar.ParseDate(f.From)
	switch {
	case f.From == "":
	case ferr != nil:
		e.Add("from", "date_invalid")
	default:
		where = append(where, "t.created_at >= "+arg(midnight(from)))
	}
	to, terr := calendar.ParseDate(f.To)
	switch {
	case f.To == "":
	case terr != nil:
		e.Add("to", "date_invalid")
	case f.From != "" && ferr == nil && to.Before(from):
		e.Add("to", "hotline_range_invalid")
	default:
		where = append(where, "t.created_at < "+arg(midnight(to.AddDays(1))))
	}
	if q := strings.ToUpper(strings.TrimSpace(f.Number)); q != "" {
		switch {
		case len(q) > 32:
			e.Add("q", "text_too_long", 32)
		case strings.HasPrefix(q, "RX") || (len(q) >= 8 && strings.Trim(q, "0123456789") == ""):
			// A prefix of the number: a range of the unique index.
			if !strings.HasPrefix(q, "RX") {
				q = "RX" + q
			}
			col := "t.number"
			if len(q) == 10 {
				// RX and a date: the tickets numbered that day, which
				// are the tickets filed that day (numbers count days in
				// the platform's zone), walked in list order through
				// the filing-time index rather than sorted.
				if d, err := calendar.ParseDate(q[2:6] + "-" + q[6:8] + "-" + q[8:10]); err == nil {
					where = append(where, "t.created_at >= "+arg(midnight(d))+" AND t.created_at < "+arg(midnight(d.AddDays(1))))
					col = "t.number || ''"
				}
			}
			where = append(where, col+" >= "+arg(q)+" AND "+col+" < "+arg(q+"\x7f"))
		default:
			where = append(where, "t.number LIKE "+arg("%"+db.LikeEscape(q)+"%")+" ESCAPE '\\'")
		}
	}
	if f.After != "" {
		at, id, ok := decodeCursor(f.After)
		if !ok {
			e.Add("after", "hotline_cursor_invalid")
		} else {
			where = append(where, "(t.created_at, t.id) < ("+arg(at)+", "+arg(id)+")")
		}
	}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		e.Add("limit", "hotline_limit_range", 1, 200)
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	q := `SELECT ` + ticketColumns + ticketFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY t.created_at DESC, t.id DESC LIMIT %d", limit+1)
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("hotline: supervise: %w", err)
	}
	defer rows.Close()
	page := &SupervisePage{Tickets: []*Ticket{}}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		page.Tickets = append(page.Tickets, redact(p, t))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Tickets) > limit {
		page.Tickets = page.Tickets[:limit]
		page.Next = encodeCursor(page.Tickets[limit-1])
	}
	return page, nil
}

// categoryAndBelow returns code and the codes of all its sub-categories
// (code alone when there is no such category). Categories lists each
// category followed by its subtree, deeper than itself.
func (s *Store) categoryAndBelow(ctx context.Context, code string) ([]string, error) {
	cats, err := s.Categories(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{code}
	for i, c := range cats {
		if c.Code != code {
			continue
		}
		for _, d := range cats[i+1:] {
			if d.Depth <= c.Depth {
				break
			}
			out = append(out, d.Code)
		}
		break
	}
	return out, nil
}
