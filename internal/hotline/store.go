package hotline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/blob"
	"github.com/tongban/tongban/internal/calendar"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/notify"
	"github.com/tongban/tongban/internal/ratelimit"
)

// BlobRefs are the columns of this package's tables that hold blob keys,
// for the sweeper of unreferenced content ([blob.Sweeper]).
var BlobRefs = []blob.Ref{{Table: "ticket_attachments", Column: "blob_key"}}

// Store runs the hotline.
type Store struct {
	db          *db.DB
	calendar    *calendar.Store
	blobs       blob.Store
	notices     Notifier
	loc         *time.Location
	now         func() time.Time
	yellowDays  int
	uploadLimit int64
}

// Deps are what a Store needs.
type Deps struct {
	DB       *db.DB
	Calendar *calendar.Store
	Blobs    blob.Store
	// Notices queues notices; nil queues them in the platform's outbox
	// (notify.Enqueue).
	Notices  Notifier
	Location *time.Location
	Now      func() time.Time
	// YellowDays is how many working days before the deadline a ticket
	// turns yellow; default 1.
	YellowDays int
	// UploadLimit caps one attachment, in bytes; default 20 MiB.
	UploadLimit int64
}

// Notifier queues a notice within tx.
type Notifier func(ctx context.Context, tx *db.Tx, n notify.Notice) error

// NewStore returns a Store.
func NewStore(d Deps) *Store {
	s := &Store{db: d.DB, calendar: d.Calendar, blobs: d.Blobs, notices: d.Notices, loc: d.Location, now: d.Now,
		yellowDays: d.YellowDays, uploadLimit: d.UploadLimit}
	if s.notices == nil {
		s.notices = notify.Enqueue
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.yellowDays <= 0 {
		s.yellowDays = 1
	}
	if s.uploadLimit <= 0 {
		s.uploadLimit = 20 << 20
	}
	return s
}

// UploadLimit is the largest attachment accepted, in bytes.
func (s *Store) UploadLimit() int64 { return s.uploadLimit }

// ErrState is returned when an action does not fit the ticket's state.
var ErrState = errors.New("hotline: not possible in the current state")

// ErrStale is returned when someone else changed the ticket first.
var ErrStale = fmt.Errorf("hotline: changed by someone else: %w", db.ErrConflict)

// ErrBadKey is returned for a missing, unknown or revoked Open311 API key.
var ErrBadKey = errors.New("hotline: invalid api_key")

func (s *Store) today() calendar.Date { return calendar.DateIn(s.now(), s.loc) }

func runes(s string) int { return utf8.RuneCountInString(s) }

var codeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Categories returns the category tree in display order: each parent
// followed by its children.
func (s *Store) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT code, COALESCE(parent_code, ''), name, name_en, description, position, active, attributes FROM hotline_categories ORDER BY position, code`)
	if err != nil {
		return nil, fmt.Errorf("hotline: categories: %w", err)
	}
	defer rows.Close()
	var all []Category
	for rows.Next() {
		var c Category
		var attrs string
		if err := rows.Scan(&c.Code, &c.ParentCode, &c.Name, &c.NameEn, &c.Description, &c.Position, &c.Active, &attrs); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(attrs), &c.Attributes); err != nil {
			return nil, fmt.Errorf("hotline: category %s attributes: %w", c.Code, err)
		}
		if c.Attributes == nil {
			c.Attributes = []Attribute{}
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Category
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, c := range all {
			if c.ParentCode == parent {
				c.Depth = depth
				out = append(out, c)
				walk(c.Code, depth+1)
			}
		}
	}
	walk("", 0)
	return out, nil
}

// Category returns one category.
func (s *Store) Category(ctx context.Context, code string) (*Category, error) {
	all, err := s.Categories(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Code == code {
			return &all[i], nil
		}
	}
	return nil, fmt.Errorf("hotline: category %s: %w", code, db.ErrNotFound)
}

var datatypes = map[string]bool{"string": true, "number": true, "text": true, "singlevaluelist": true}

func (c *Category) validate() error {
	var e fielderr.Errors
	if !codeRE.MatchString(c.Code) {
		e.Add("code", "hotline_code_invalid")
	}
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		e.Add("name", "required")
	} else if runes(c.Name) > 50 {
		e.Add("name", "text_too_long", 50)
	}
	if runes(c.NameEn) > 100 {
		e.Add("name_en", "text_too_long", 100)
	}
	if runes(c.Description) > 500 {
		e.Add("description", "text_too_long", 500)
	}
	if c.ParentCode == c.Code && c.Code != "" {
		e.Add("parent_code", "hotline_parent_invalid")
	}
	if len(c.Attributes) > 20 {
		e.Add("attributes", "hotline_too_many_attributes", 20)
	}
	seen := map[string]bool{}
	for i, a := range c.Attributes {
		f := fmt.Sprintf("attributes.%d", i)
		if !codeRE.MatchString(a.Code) || a.Code == "kind" || seen[a.Code] {
			e.Add(f+".code", "hotline_code_invalid")
		}
		seen[a.Code] = true
		if strings.TrimSpace(a.Description) == "" || runes(a.Description) > 200 {
			e.Add(f+".description", "required")
		}
		if !datatypes[a.Datatype] {
			e.Add(f+".datatype", "hotline_datatype_invalid")
		}
		if a.Datatype == "singlevaluelist" && len(a.Values) == 0 {
			e.Add(f+".values", "required")
		}
	}
	if c.Attributes == nil {
		c.Attributes = []Attribute{}
	}
	return e.Err()
}

// PutCategory creates or changes a category (platform admins).
func (s *Store) PutCategory(ctx context.Context, p *identity.Principal, c Category) (*Category, error) {
	return s.putCategory(ctx, p, c, false)
}

// CreateCategory adds a category and never replaces one: a code already
// taken, also by a creation that commits at the same moment, is the field
// error hotline_code_taken.
func (s *Store) CreateCategory(ctx context.Context, p *identity.Principal, c Category) (*Category, error) {
	return s.putCategory(ctx, p, c, true)
}

func (s *Store) putCategory(ctx context.Context, p *identity.Principal, c Category, create bool) (*Category, error) {
	if !p.Can(identity.PermHotlineAdmin) {
		return nil, identity.ErrForbidden
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var parent any
		if c.ParentCode != "" {
			// The parent must exist and must not be the category or one
			// of its descendants.
			for at := c.ParentCode; at != ""; {
				if at == c.Code {
					return fielderr.New("parent_code", "hotline_parent_invalid")
				}
				var up string
				err := tx.QueryRowContext(ctx, `SELECT COALESCE(parent_code, '') FROM hotline_categories WHERE code = $1`, at).Scan(&up)
				if errors.Is(err, sql.ErrNoRows) {
					return fielderr.New("parent_code", "hotline_parent_invalid")
				}
				if err != nil {
					return err
				}
				at = up
			}
			parent = c.ParentCode
		}
		attrs := jsonText(c.Attributes)
		if !create {
			res, err := tx.ExecContext(ctx, `UPDATE hotline_categories SET parent_code = $2, name = $3, name_en = $4, description = $5, position = $6, active = $7, attributes = $8 WHERE code = $1`,
				c.Code, parent, c.Name, c.NameEn, c.Description, c.Position, c.Active, attrs)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				return nil
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hotline_categories (code, parent_code, name, name_en, description, position, active, attributes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.Code, parent, c.Name, c.NameEn, c.Description, c.Position, c.Active, attrs)
		if create && db.IsUniqueViolation(err) {
			return fielderr.New("code", "hotline_code_taken")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Category(ctx, c.Code)
}

// Rules lists the dispatch rules.
func (s *Store) Rules(ctx context.Context) ([]Rule, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, category_code, division_code, department_code FROM hotline_rules ORDER BY category_code, division_code`)
	if err != nil {
		return nil, fmt.Errorf("hotline: rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.ID, &r.CategoryCode, &r.DivisionCode, &r.DepartmentCode); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutRule sets the department suggested for a category in a division (or
// everywhere), replacing the rule for that pair if there was one.
func (s *Store) PutRule(ctx context.Context, p *identity.Principal, r Rule) (*Rule, error) {
	if !p.Can(identity.PermHotlineAdmin) {
		return nil, identity.ErrForbidden
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var e fielderr.Errors
		if ok, err := exists(ctx, tx, `SELECT 1 FROM hotline_categories WHERE code = $1`, r.CategoryCode); err != nil {
			return err
		} else if !ok {
			e.Add("category_code", "hotline_category_unknown")
		}
		if r.DivisionCode != "" {
			if ok, err := exists(ctx, tx, `SELECT 1 FROM divisions WHERE code = $1`, r.DivisionCode); err != nil {
				return err
			} else if !ok {
				e.Add("division_code", "hotline_division_unknown")
			}
		}
		if ok, err := exists(ctx, tx, `SELECT 1 FROM departments WHERE code = $1`, r.DepartmentCode); err != nil {
			return err
		} else if !ok {
			e.Add("department_code", "hotline_department_unknown")
		}
		if err := e.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hotline_rules WHERE category_code = $1 AND division_code = $2`, r.CategoryCode, r.DivisionCode); err != nil {
			return err
		}
		r.ID = db.NewID()
		_, err := tx.ExecContext(ctx, `INSERT INTO hotline_rules (id, category_code, division_code, department_code) VALUES ($1, $2, $3, $4)`,
			r.ID, r.CategoryCode, r.DivisionCode, r.DepartmentCode)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteRule removes a dispatch rule.
func (s *Store) DeleteRule(ctx context.Context, p *identity.Principal, id string) error {
	if !p.Can(identity.PermHotlineAdmin) {
		return identity.ErrForbidden
	}
	res, err := s.db.Write().ExecContext(ctx, `DELETE FROM hotline_rules WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("hotline: rule %s: %w", id, db.ErrNotFound)
	}
	return nil
}

// suggest returns the department the rules propose for a category in a
// division: the rule of the category or its nearest ancestor, one for the
// division before one for everywhere; "" when no rule applies.
func suggest(ctx context.Context, q querier, category, division string) (string, error) {
	for at := category; at != ""; {
		var dept string
		err := q.QueryRowContext(ctx, `SELECT department_code FROM hotline_rules WHERE category_code = $1 AND division_code IN ($2, '') ORDER BY division_code DESC LIMIT 1`, at, division).Scan(&dept)
		if err == nil {
			return dept, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
		if err := q.QueryRowContext(ctx, `SELECT COALESCE(parent_code, '') FROM hotline_categories WHERE code = $1`, at).Scan(&at); err != nil {
			return "", err
		}
	}
	return "", nil
}

// Deadlines returns the working days to reply, per kind.
func (s *Store) Deadlines(ctx context.Context) (map[Kind]int, error) {
	out := map[Kind]int{}
	for k, d := range DefaultDays {
		out[k] = d
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT kind, days FROM hotline_deadlines`)
	if err != nil {
		return nil, fmt.Errorf("hotline: deadlines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var d int
		if err := rows.Scan(&k, &d); err != nil {
			return nil, err
		}
		out[Kind(k)] = d
	}
	return out, rows.Err()
}

// SetDeadline sets the working days departments have to reply to tickets
// of a kind; tickets already dispatched keep their deadline.
func (s *Store) SetDeadline(ctx context.Context, p *identity.Principal, kind Kind, days int) error {
	if !p.Can(identity.PermHotlineAdmin) {
		return identity.ErrForbidden
	}
	if !kind.Valid() {
		return fielderr.New("kind", "hotline_kind_invalid")
	}
	if days < 1 || days > 60 {
		return fielderr.New("days", "hotline_days_range", 1, 60)
	}
	_, err := s.db.Write().ExecContext(ctx, `INSERT INTO hotline_deadlines (kind, days) VALUES ($1, $2) ON CONFLICT (kind) DO UPDATE SET days = excluded.days`, string(kind), days)
	return err
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// IssueKey makes a new Open311 API key for an app. The key is returned
// once; only its hash is kept.
func (s *Store) IssueKey(ctx context.Context, p *identity.Principal, name string) (string, *APIKey, error) {
	if !p.Can(identity.PermHotlineAdmin) {
		return "", nil, identity.ErrForbidden
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, fielderr.New("name", "required")
	}
	if runes(name) > 100 {
		return "", nil, fielderr.New("name", "text_too_long", 100)
	}
	var b [24]byte
	rand.Read(b[:])
	key := "o311_" + hex.EncodeToString(b[:])
	k, err := s.SeedKey(ctx, name, key)
	return key, k, err
}

// SeedKey stores a known key (the demo's) unless it is stored already.
func (s *Store) SeedKey(ctx context.Context, name, key string) (*APIKey, error) {
	k := &APIKey{ID: db.NewID(), Name: name, CreatedAt: s.now()}
	_, err := s.db.Write().ExecContext(ctx, `INSERT INTO open311_keys (id, key_sha256, name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key_sha256) DO NOTHING`,
		k.ID, keyHash(key), name, db.NewTime(k.CreatedAt))
	if err != nil {
		return nil, fmt.Errorf("hotline: store key: %w", err)
	}
	return s.CheckKey(ctx, key)
}

// Keys lists the issued keys (without the keys themselves).
func (s *Store) Keys(ctx context.Context, p *identity.Principal) ([]APIKey, error) {
	if !p.Can(identity.PermHotlineAdmin) {
		return nil, identity.ErrForbidden
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, created_at, rate_limit FROM open311_keys WHERE revoked_at IS NULL ORDER BY created_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []APIKey{}
	for rows.Next() {
		var k APIKey
		var at db.Time
		if err := rows.Scan(&k.ID, &k.Name, &at, &k.RateLimit); err != nil {
			return nil, err
		}
		k.CreatedAt = at.Time
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey stops a key from working.
func (s *Store) RevokeKey(ctx context.Context, p *identity.Principal, id string) error {
	if !p.Can(identity.PermHotlineAdmin) {
		return identity.ErrForbidden
	}
	res, err := s.db.Write().ExecContext(ctx, `UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, db.NewTime(s.now()), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("hotline: key %s: %w", id, db.ErrNotFound)
	}
	return nil
}

// SetKeyRate gives an app's key its own rate limit ("N/DURATION", such as
// "1200/1m"), or the platform's default again with "".
func (s *Store) SetKeyRate(ctx context.Context, p *identity.Principal, id, rate string) error {
	if !p.Can(identity.PermHotlineAdmin) {
		return identity.ErrForbidden
	}
	rate = strings.TrimSpace(rate)
	if rate != "" {
		r, err := ratelimit.ParseRate(rate)
		if err != nil || r.Off() {
			return fielderr.New("rate_limit", "hotline_rate_limit_invalid")
		}
		rate = r.String()
	}
	res, err := s.db.Write().ExecContext(ctx, `UPDATE open311_keys SET rate_limit = $1 WHERE id = $2 AND revoked_at IS NULL`, rate, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("hotline: key %s: %w", id, db.ErrNotFound)
	}
	return nil
}

// CheckKey returns the app a key was issued to, or ErrBadKey.
func (s *Store) CheckKey(ctx context.Context, key string) (*APIKey, error) {
	if key == "" || len(key) > 200 {
		return nil, ErrBadKey
	}
	var k APIKey
	var at db.Time
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, name, created_at, rate_limit FROM open311_keys WHERE key_sha256 = $1 AND revoked_at IS NULL`, keyHash(key)).Scan(&k.ID, &k.Name, &at, &k.RateLimit)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadKey
	}
	if err != nil {
		return nil, err
	}
	k.CreatedAt = at.Time
	return &k, nil
}

type querier = db.Querier

func exists(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
