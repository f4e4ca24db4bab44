package workflow

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// Forms gives the application-form schemas of the services that use a
// process, which its conditions are checked against (a service without a
// form gives a schema without properties). catalog.Store implements it,
// and checks the other way round as it saves a service: its form against
// the conditions of its process ([Definition.FormMismatches]).
type Forms interface {
	ProcessForms(ctx context.Context, q db.Querier, process string) ([]json.RawMessage, error)
}

// LockKey names the lock ([db.DB.Lock]) that saving process code and
// saving a service that uses it both take, so that neither checks against
// what the other is about to change.
func LockKey(code string) string { return "process:" + code }

// Store keeps process definitions as immutable versions.
type Store struct {
	db    *db.DB
	dir   Directory
	forms Forms
	now   func() time.Time
}

// NewStore returns a Store. dir and forms serve validation; now is the
// clock.
func NewStore(d *db.DB, dir Directory, forms Forms, now func() time.Time) *Store {
	return &Store{db: d, dir: dir, forms: forms, now: now}
}

// ErrStale is returned by [Store.PutFrom] when the process has a newer
// version than the one the edit started from: someone else saved
// meanwhile. The error is a [*StaleError], which says which version is
// the latest now.
var ErrStale = fmt.Errorf("workflow: process changed by someone else: %w", db.ErrConflict)

// StaleError is [ErrStale] with the latest version: the one that was
// saved while the edit was in progress.
type StaleError struct {
	Code   string
	Latest int
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("workflow: process %s is at version %d: %v", e.Code, e.Latest, ErrStale)
}

func (e *StaleError) Unwrap() error { return ErrStale }

// Put validates def and stores it as the next version of its process,
// whatever the latest version is: for loaders that are not edits, such as
// the demo. Interactive edits use [Store.PutFrom], so that one person's
// save cannot silently replace another's. A definition identical to the
// latest version is not stored again: Put returns the latest version. The
// actor needs PermCatalogEdit in the definition's department and, for an
// existing process, in the department that owns it now; processes of
// departments the actor cannot edit are reported as not found, as in the
// catalog.
func (s *Store) Put(ctx context.Context, actor *identity.Principal, def Definition) (*Definition, error) {
	return s.put(ctx, actor, def, -1)
}

// PutFrom is [Store.Put] for an edit of version base of the process (0 for
// a process that has no version yet). If the latest version is no longer
// base, nothing is stored and PutFrom returns a [*StaleError]; a base the
// process never had (above its latest version) is a field error on
// "version". The check is made under the process's lock, in the
// transaction that stores the new version, so of two saves from the same
// base only one succeeds.
func (s *Store) PutFrom(ctx context.Context, actor *identity.Principal, def Definition, base int) (*Definition, error) {
	if base < 0 {
		return nil, fielderr.New("version", "process_version_unknown", base)
	}
	return s.put(ctx, actor, def, base)
}

// put is Put when base is negative, else PutFrom.
func (s *Store) put(ctx context.Context, actor *identity.Principal, def Definition, base int) (*Definition, error) {
	def.Normalize()
	def.Version = 0
	if !actor.Can(identity.PermCatalogEdit) {
		return nil, identity.ErrForbidden
	}
	// Checked before the transaction too, so that a process of another
	// department is not found without waiting for its lock.
	if _, err := s.latestEditable(ctx, s.db.Read(), actor, def.Code); err != nil {
		return nil, err
	}
	if def.DepartmentCode != "" && !actor.CanIn(identity.PermCatalogEdit, def.DepartmentCode) {
		return nil, identity.ErrForbidden
	}
	var same *Definition
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		// The forms are read under the lock a service save takes too, so
		// a form losing a field cannot pass unseen while a condition on
		// it is added here (catalog's checkProcess). The latest version
		// is read under it as well, so two saves from one base cannot
		// both pass the check below.
		if err := s.db.Lock(ctx, tx, LockKey(def.Code)); err != nil {
			return err
		}
		cur, err := s.latestEditable(ctx, tx, actor, def.Code)
		if err != nil {
			return err
		}
		last := 0
		if cur != nil {
			last = cur.Version
		}
		switch {
		case base < 0 || base == last:
		case base > last:
			return fielderr.New("version", "process_version_unknown", base)
		default:
			return &StaleError{Code: def.Code, Latest: last}
		}
		if err := s.validate(ctx, tx, &def); err != nil {
			return err
		}
		if cur != nil && sameDefinition(cur, &def) {
			same = cur
			return nil
		}
		doc, err := json.Marshal(def)
		if err != nil {
			return err
		}
		def.Version = last + 1
		_, err = tx.ExecContext(ctx, `INSERT INTO processes (code, version, department_code, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
			def.Code, def.Version, def.DepartmentCode, string(doc), db.NewTime(s.now()), actor.Account.ID)
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("workflow: put %s: %w", def.Code, db.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("workflow: put: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if same != nil {
		return same, nil
	}
	return &def, nil
}

// latestEditable returns the latest version of process code as q sees it,
// nil when there is none (or the code is not a valid one), and not found
// when the actor cannot edit the department that owns it.
func (s *Store) latestEditable(ctx context.Context, q db.Querier, actor *identity.Principal, code string) (*Definition, error) {
	if !codeRE.MatchString(code) {
		return nil, nil
	}
	c, err := LatestIn(ctx, q, code)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case !actor.CanIn(identity.PermCatalogEdit, c.DepartmentCode):
		return nil, fmt.Errorf("workflow: process %q: %w", code, db.ErrNotFound)
	}
	return c, nil
}

// validate checks def against the form of every service that uses it and
// reports each distinct problem once.
func (s *Store) validate(ctx context.Context, q db.Querier, def *Definition) error {
	forms, err := s.forms.ProcessForms(ctx, q, def.Code)
	if err != nil {
		return fmt.Errorf("workflow: forms of %s: %w", def.Code, err)
	}
	if len(forms) == 0 {
		forms = []json.RawMessage{nil}
	}
	var all fielderr.Errors
	seen := map[string]bool{}
	for _, f := range forms {
		err := def.Validate(ctx, s.dir, f)
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) {
			if err != nil {
				return err
			}
			continue
		}
		for _, x := range inv.Fields {
			if k := x.Field + "\x00" + x.Key; !seen[k] {
				seen[k] = true
				all.Add(x.Field, x.Key, x.Params...)
			}
		}
	}
	return all.Err()
}

// Validate checks def as Put would, without storing it: for previews.
func (s *Store) Validate(ctx context.Context, def *Definition) error {
	return s.validate(ctx, s.db.Read(), def)
}

func sameDefinition(a, b *Definition) bool {
	x, y := *a, *b
	x.Version, y.Version = 0, 0
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func scanDefinition(row *sql.Row, what string) (*Definition, error) {
	var doc string
	var version int
	err := row.Scan(&doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("workflow: process %s: %w", what, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("workflow: process %s: %w", what, err)
	}
	var d Definition
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("workflow: process %s: stored definition: %w", what, err)
	}
	d.Version = version
	return &d, nil
}

// Latest returns the newest version of a process, or db.ErrNotFound.
func (s *Store) Latest(ctx context.Context, code string) (*Definition, error) {
	return LatestIn(ctx, s.db.Read(), code)
}

// LatestIn returns the newest version of a process as q sees it, or
// db.ErrNotFound: inside a transaction, for a check that must see what
// the transaction sees (the catalog checks a service's form against its
// process as it saves the service).
func LatestIn(ctx context.Context, q db.Querier, code string) (*Definition, error) {
	row := q.QueryRowContext(ctx, `SELECT definition, version FROM processes WHERE code = $1 ORDER BY version DESC LIMIT 1`, code)
	return scanDefinition(row, code)
}

// Version returns one version of a process, or db.ErrNotFound:
// applications stay on the version they started under.
func (s *Store) Version(ctx context.Context, code string, version int) (*Definition, error) {
	row := s.db.Read().QueryRowContext(ctx, `SELECT definition, version FROM processes WHERE code = $1 AND version = $2`, code, version)
	return scanDefinition(row, fmt.Sprintf("%s v%d", code, version))
}

// List returns the newest version of every process, by department and
// code.
func (s *Store) List(ctx context.Context) ([]*Definition, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT p.definition, p.version FROM processes p
		WHERE p.version = (SELECT MAX(q.version) FROM processes q WHERE q.code = p.code)
		ORDER BY p.department_code, p.code`)
	if err != nil {
		return nil, fmt.Errorf("workflow: list: %w", err)
	}
	defer rows.Close()
	var out []*Definition
	for rows.Next() {
		var doc string
		d := &Definition{}
		if err := rows.Scan(&doc, &d.Version); err != nil {
			return nil, fmt.Errorf("workflow: list: %w", err)
		}
		v := d.Version
		if err := json.Unmarshal([]byte(doc), d); err != nil {
			return nil, fmt.Errorf("workflow: list: %w", err)
		}
		d.Version = v
		out = append(out, d)
	}
	return out, rows.Err()
}
