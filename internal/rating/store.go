package rating

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
)

// Store keeps ratings and rectifications.
type Store struct {
	db          *db.DB
	calendar    *calendar.Store
	notices     Notifier
	loc         *time.Location
	now         func() time.Time
	amendWindow time.Duration
	rectifyDays int
	yellowDays  int
	figuresTTL  time.Duration

	figMu   sync.Mutex
	figures *Figures
	figAt   time.Time
}

// Deps are what a Store needs.
type Deps struct {
	DB       *db.DB
	Calendar *calendar.Store
	// Notices queues notices; nil queues them in the platform's outbox
	// (notify.Enqueue).
	Notices  Notifier
	Location *time.Location
	Now      func() time.Time
	// AmendWindow is how long after rating the rater may amend it;
	// default 7 days.
	AmendWindow time.Duration
	// RectifyDays is the rectification deadline in working days of the
	// official calendar; default 15.
	RectifyDays int
	// YellowDays is how many working days before the deadline an open
	// rectification turns yellow; default 3.
	YellowDays int
	// FiguresTTL is how long the public figures are served from memory
	// before they are computed again; 0 computes them on every call.
	FiguresTTL time.Duration
}

// Notifier queues a notice within tx.
type Notifier func(ctx context.Context, tx *db.Tx, n notify.Notice) error

// Defaults of Deps.
const (
	DefaultAmendWindow = 7 * 24 * time.Hour
	DefaultRectifyDays = 15
	DefaultYellowDays  = 3
)

// NewStore returns a Store.
func NewStore(d Deps) *Store {
	s := &Store{db: d.DB, calendar: d.Calendar, notices: d.Notices, loc: d.Location, now: d.Now,
		amendWindow: d.AmendWindow, rectifyDays: d.RectifyDays, yellowDays: d.YellowDays, figuresTTL: d.FiguresTTL}
	if s.notices == nil {
		s.notices = notify.Enqueue
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.amendWindow <= 0 {
		s.amendWindow = DefaultAmendWindow
	}
	if s.rectifyDays <= 0 {
		s.rectifyDays = DefaultRectifyDays
	}
	if s.yellowDays <= 0 {
		s.yellowDays = DefaultYellowDays
	}
	return s
}

// AmendWindow is how long a rating may be amended after it is given.
func (s *Store) AmendWindow() time.Duration { return s.amendWindow }

// ErrState is returned when an action does not fit the rectification's
// state.
var ErrState = errors.New("rating: not possible in the current state")

func (s *Store) today() calendar.Date { return calendar.DateIn(s.now(), s.loc) }

type querier = db.Querier

// subject is what a rating is about, read from the application's or the
// ticket's own table.
type subject struct {
	raterID, department, serviceCode, serviceName, number string
	// done: the application concluded (any result) or was refused; the
	// ticket is closed.
	done bool
}

func loadSubject(ctx context.Context, q querier, typ ObjectType, id string) (*subject, error) {
	var sub subject
	var state string
	var err error
	switch typ {
	case ApplicationObject:
		err = q.QueryRowContext(ctx, `SELECT applicant_id, department_code, service_code, service_name, COALESCE(number, ''), state
			FROM applications WHERE id = $1`, id).Scan(&sub.raterID, &sub.department, &sub.serviceCode, &sub.serviceName, &sub.number, &state)
		sub.done = state == "concluded" || state == "refused"
	case TicketObject:
		err = q.QueryRowContext(ctx, `SELECT COALESCE(t.reporter_id, ''), COALESCE(t.department_code, ''), c.name, t.number, t.state
			FROM tickets t JOIN hotline_categories c ON c.code = t.category_code WHERE t.id = $1`, id).Scan(&sub.raterID, &sub.department, &sub.serviceName, &sub.number, &state)
		sub.done = state == "closed" && sub.department != ""
	default:
		return nil, fmt.Errorf("rating: %s %s: %w", typ, id, db.ErrNotFound)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rating: %s %s: %w", typ, id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("rating: %s %s: %w", typ, id, err)
	}
	return &sub, nil
}

// checkInput validates a rating's level, tags and text.
func checkInput(in *Input) error {
	var e fielderr.Errors
	if !in.ObjectType.Valid() {
		e.Add("object_type", "rating_object_type_invalid")
	}
	if !in.Level.Valid() {
		e.Add("level", "rating_level_invalid")
	}
	seen := map[string]bool{}
	var tags []string
	for _, t := range in.Tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		if in.Level.Valid() && !validTag(in.Level, t) {
			if !e.Has("tags") {
				e.Add("tags", "rating_tag_invalid")
			}
			continue
		}
		tags = append(tags, t)
	}
	in.Tags = tags
	if in.Tags == nil {
		in.Tags = []string{}
	}
	in.Text = strings.TrimSpace(in.Text)
	if utf8.RuneCountInString(in.Text) > MaxText {
		e.Add("text", "rating_text_too_long", MaxText)
	}
	return e.Err()
}

// Rate records p's rating of the application or ticket in.ObjectID. Only
// the person who applied (for an organization: the agent who filed it) or
// filed the ticket may rate, once, after the application concluded or
// was refused or the ticket closed. A bad rating opens a rectification
// for the responsible department in the same transaction.
func (s *Store) Rate(ctx context.Context, p *identity.Principal, ch Channel, in Input) (*Rating, error) {
	if p.Anonymous() {
		return nil, identity.ErrForbidden
	}
	if ch != Web && ch != API {
		return nil, fmt.Errorf("rating: channel %q", ch)
	}
	if err := checkInput(&in); err != nil {
		return nil, err
	}
	var id string
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		sub, err := loadSubject(ctx, tx, in.ObjectType, in.ObjectID)
		if err != nil {
			return err
		}
		if sub.raterID != p.Account.ID {
			return fmt.Errorf("rating: %s %s: %w", in.ObjectType, in.ObjectID, db.ErrNotFound)
		}
		if !sub.done {
			return fielderr.New("rating", "rating_not_concluded")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ratings WHERE object_type = $1 AND object_id = $2`, string(in.ObjectType), in.ObjectID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fielderr.New("rating", "rating_already_rated")
		}
		now := s.now()
		id = db.NewID()
		tags, _ := json.Marshal(in.Tags)
		_, err = tx.ExecContext(ctx, `INSERT INTO ratings (id, object_type, object_id, object_number, rater_id, department_code, service_code, service_name,
			level, tags, text, channel, amend_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)`,
			id, string(in.ObjectType), in.ObjectID, sub.number, p.Account.ID, sub.department, sub.serviceCode, sub.serviceName,
			string(in.Level), string(tags), in.Text, string(ch), db.NewTime(now.Add(s.amendWindow)), db.NewTime(now))
		if db.IsUniqueViolation(err) {
			// Two ratings at once: the constraint let one through.
			return fielderr.New("rating", "rating_already_rated")
		}
		if err != nil {
			return fmt.Errorf("rating: insert: %w", err)
		}
		if err := s.stampRating(ctx, tx, id, "rated", now); err != nil {
			return err
		}
		if err := tallyRating(ctx, tx, sub.department, sub.serviceCode, sub.serviceName, in.Level, 1); err != nil {
			return err
		}
		if in.Level.Bad() {
			return s.open(ctx, tx, id, sub, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.rating(ctx, s.db.Read(), p, id)
}

// Amend changes p's rating of the object within the amendment window. A
// change to a bad level opens a rectification if none is open yet; a
// rectification once opened stays, so a department cannot have a bad
// rating talked away before it answers.
func (s *Store) Amend(ctx context.Context, p *identity.Principal, in Input) (*Rating, error) {
	if p.Anonymous() {
		return nil, identity.ErrForbidden
	}
	if err := checkInput(&in); err != nil {
		return nil, err
	}
	var id string
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM ratings WHERE object_type = $1 AND object_id = $2`, string(in.ObjectType), in.ObjectID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := loadSubject(ctx, tx, in.ObjectType, in.ObjectID); err != nil {
				return err
			}
			return fielderr.New("rating", "rating_not_rated")
		}
		if err != nil {
			return err
		}
		// Lock the row before reading what is amended, so two
		// amendments at once count the level they replace correctly.
		if _, err := tx.ExecContext(ctx, `UPDATE ratings SET amend_count = amend_count WHERE id = $1`, id); err != nil {
			return err
		}
		var rater, amendUntil, dept, service, serviceName string
		var old Level
		if err := tx.QueryRowContext(ctx, `SELECT rater_id, amend_until, level, department_code, service_code, service_name FROM ratings WHERE id = $1`, id).Scan(
			&rater, &amendUntil, &old, &dept, &service, &serviceName); err != nil {
			return err
		}
		if rater != p.Account.ID {
			return fmt.Errorf("rating: %s %s: %w", in.ObjectType, in.ObjectID, db.ErrNotFound)
		}
		var until db.Time
		if err := until.Scan(amendUntil); err != nil {
			return err
		}
		now := s.now()
		if !now.Before(until.Time) {
			return fielderr.New("rating", "rating_amend_closed")
		}
		tags, _ := json.Marshal(in.Tags)
		// The lock on the row: two amendments queue here.
		if _, err := tx.ExecContext(ctx, `UPDATE ratings SET level = $1, tags = $2, text = $3, amend_count = amend_count + 1, updated_at = $4 WHERE id = $5`,
			string(in.Level), string(tags), in.Text, db.NewTime(now), id); err != nil {
			return err
		}
		if err := s.stampRating(ctx, tx, id, "amended", now); err != nil {
			return err
		}
		if old != in.Level {
			if err := tallyRating(ctx, tx, dept, service, serviceName, old, -1); err != nil {
				return err
			}
			if err := tallyRating(ctx, tx, dept, service, serviceName, in.Level, 1); err != nil {
				return err
			}
		}
		if !in.Level.Bad() {
			return nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rectifications WHERE rating_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		sub, err := loadSubject(ctx, tx, in.ObjectType, in.ObjectID)
		if err != nil {
			return err
		}
		return s.open(ctx, tx, id, sub, now)
	})
	if err != nil {
		return nil, err
	}
	return s.rating(ctx, s.db.Read(), p, id)
}

// open opens the rectification of a bad rating with its deadline, and
// tells the department's staff.
func (s *Store) open(ctx context.Context, tx *db.Tx, ratingID string, sub *subject, now time.Time) error {
	cal, err := s.calendar.Calendar(ctx)
	if err != nil {
		return err
	}
	start := s.today()
	due, yellow := s.dueOn(cal, start, s.rectifyDays)
	id := db.NewID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO rectifications (id, rating_id, department_code, service_code, state, opened_date, days, due_date, yellow_date, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $9)`, id, ratingID, sub.department, sub.serviceCode, start.String(), s.rectifyDays, due.String(), yellow.String(), db.NewTime(now)); err != nil {
		return fmt.Errorf("rating: open rectification: %w", err)
	}
	if err := s.stampRectification(ctx, tx, id, "opened", sub.department, "", now); err != nil {
		return err
	}
	if err := tallyRectification(ctx, tx, sub.department, sub.serviceCode, rectTally{opened: 1}); err != nil {
		return err
	}
	staff, err := holders(ctx, tx, sub.department, identity.StaffRoles...)
	if err != nil {
		return err
	}
	return s.tell(ctx, tx, staff, "rectification_opened", "/rectifications/"+id, now, ratingID, sub.number, sub.serviceName, due.String())
}

// dueOn computes on cal the due and yellow dates of a limit of days
// counted from start.
func (s *Store) dueOn(cal *calendar.Calendar, start calendar.Date, days int) (due, yellow calendar.Date) {
	due = cal.AddWorkdays(start, days)
	return due, cal.WarnFrom(due, s.yellowDays)
}

// tell queues a notice of kind about the rating ratingID for each
// account; args are the rated object's number, the service's (or ticket
// category's) name, and what the kind adds. English readers read the
// name in English where it has one.
func (s *Store) tell(ctx context.Context, tx *db.Tx, to []string, kind, link string, now time.Time, ratingID string, args ...string) error {
	en, err := englishName(ctx, tx, ratingID)
	if err != nil {
		return err
	}
	argsEn := notify.EnglishArgs(args, 1, en)
	for _, id := range to {
		if err := s.notices(ctx, tx, notify.Notice{AccountID: id, Kind: notify.Kind(kind), Args: args, ArgsEn: argsEn, Link: link, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// englishName is the English name of what rating ratingID rates: the
// application's service as filed, or the ticket's category; "" if none.
func englishName(ctx context.Context, q querier, ratingID string) (string, error) {
	var en string
	err := q.QueryRowContext(ctx, `SELECT COALESCE(
		(SELECT a.service_name_en FROM applications a WHERE r.object_type = 'application' AND a.id = r.object_id),
		(SELECT c.name_en FROM tickets t JOIN hotline_categories c ON c.code = t.category_code WHERE r.object_type = 'ticket' AND t.id = r.object_id),
		'') FROM ratings r WHERE r.id = $1`, ratingID).Scan(&en)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("rating: english name: %w", err)
	}
	return en, nil
}

// holders returns the enabled accounts holding one of roles in department
// dept ("" for roles that are not department-scoped).
func holders(ctx context.Context, q querier, dept string, roles ...identity.Role) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, r := range roles {
		rows, err := q.QueryContext(ctx, `SELECT a.id FROM account_roles r JOIN accounts a ON a.id = r.account_id
			WHERE r.department_code = $1 AND r.role = $2 AND NOT a.disabled ORDER BY a.id`, dept, string(r))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const ratingColumns = `r.id, r.object_type, r.object_id, r.object_number, r.rater_id, r.department_code, r.service_code, r.service_name,
	r.level, r.tags, r.text, r.channel, r.amend_count, r.amend_until, r.created_at, r.updated_at, COALESCE(x.id, '')`

func scanRating(row interface{ Scan(...any) error }, extra ...any) (*Rating, error) {
	var r Rating
	var tags string
	var until, created, updated db.Time
	dest := append([]any{&r.ID, &r.ObjectType, &r.ObjectID, &r.ObjectNumber, &r.raterID, &r.DepartmentCode, &r.ServiceCode, &r.ServiceName,
		&r.Level, &tags, &r.Text, &r.Channel, &r.AmendCount, &until, &created, &updated, &r.RectificationID}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return nil, fmt.Errorf("rating: tags of %s: %w", r.ID, err)
	}
	r.AmendUntil, r.CreatedAt, r.UpdatedAt = until.Time, created.Time, updated.Time
	return &r, nil
}

// canOversee reports whether p sees every department's ratings and
// rectifications: supervisors (电子监察).
func canOversee(p *identity.Principal) bool { return p.Can(identity.PermSupervise) }

// deptStaff reports whether p works in department dept: a
// department-scoped role there that grants the staff desk. Supervisors and
// platform admins, whose desk is not bound to a department, are not its
// staff and do not answer for it.
func deptStaff(p *identity.Principal, dept string) bool {
	if p.Anonymous() {
		return false
	}
	for _, g := range p.Grants {
		if g.Role.DepartmentScoped() && g.Department == dept && g.Role.Grants(identity.PermStaffDesk) {
			return true
		}
	}
	return false
}

// canSee reports whether p may see rating r: the rater, the responsible
// department's staff and supervisors.
func canSee(p *identity.Principal, r *Rating) bool {
	if p.Anonymous() {
		return false
	}
	return r.raterID == p.Account.ID || deptStaff(p, r.DepartmentCode) || canOversee(p)
}

func (s *Store) rating(ctx context.Context, q querier, p *identity.Principal, id string) (*Rating, error) {
	r, err := scanRating(q.QueryRowContext(ctx, `SELECT `+ratingColumns+` FROM ratings r LEFT JOIN rectifications x ON x.rating_id = r.id WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rating: %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if !canSee(p, r) {
		return nil, fmt.Errorf("rating: %s: %w", id, db.ErrNotFound)
	}
	r.Mine = r.raterID == p.Account.ID
	return r, nil
}

// ForObject returns the rating of an application or ticket, for the rater,
// the responsible department's staff and supervisors; db.ErrNotFound when
// there is none or p may not see it.
func (s *Store) ForObject(ctx context.Context, p *identity.Principal, typ ObjectType, objectID string) (*Rating, error) {
	var id string
	err := s.db.Read().QueryRowContext(ctx, `SELECT id FROM ratings WHERE object_type = $1 AND object_id = $2`, string(typ), objectID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("rating: %s %s: %w", typ, objectID, db.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.rating(ctx, s.db.Read(), p, id)
}

// CanRate reports whether p may rate the object now: p applied or filed
// it, it is concluded or closed, and it has no rating yet.
func (s *Store) CanRate(ctx context.Context, p *identity.Principal, typ ObjectType, objectID string) (bool, error) {
	if p.Anonymous() {
		return false, nil
	}
	sub, err := loadSubject(ctx, s.db.Read(), typ, objectID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if sub.raterID != p.Account.ID || !sub.done {
		return false, nil
	}
	var n int
	err = s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM ratings WHERE object_type = $1 AND object_id = $2`, string(typ), objectID).Scan(&n)
	return n == 0, err
}

// Mine returns p's own ratings, newest first.
func (s *Store) Mine(ctx context.Context, p *identity.Principal) ([]*Rating, error) {
	if p.Anonymous() {
		return nil, identity.ErrForbidden
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+ratingColumns+` FROM ratings r LEFT JOIN rectifications x ON x.rating_id = r.id
		WHERE r.rater_id = $1 ORDER BY r.created_at DESC LIMIT 500`, p.Account.ID)
	if err != nil {
		return nil, fmt.Errorf("rating: mine: %w", err)
	}
	defer rows.Close()
	out := []*Rating{}
	for rows.Next() {
		r, err := scanRating(rows)
		if err != nil {
			return nil, err
		}
		r.Mine = true
		out = append(out, r)
	}
	return out, rows.Err()
}
