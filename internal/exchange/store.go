package exchange

import (
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

// Store runs the shared-data catalog, grants, queries and the access log.
type Store struct {
	db       *db.DB
	identity *identity.Store
	registry Connector
	provider Connector
	now      func() time.Time
	loc      *time.Location
}

// Deps are what a Store needs.
type Deps struct {
	DB       *db.DB
	Identity *identity.Store
	// Provider reaches provider systems; nil leaves provider resources
	// unavailable (their queries fail with ErrProviderUnavailable).
	Provider Connector
	// Now defaults to time.Now; Location (for night-time patterns) to UTC.
	Now      func() time.Time
	Location *time.Location
}

// NewStore returns a Store.
func NewStore(d Deps) *Store {
	s := &Store{db: d.DB, identity: d.Identity, registry: Registry{DB: d.DB}, provider: d.Provider, now: d.Now, loc: d.Location}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.provider == nil {
		s.provider = (*Provider)(nil)
	}
	return s
}

func (s *Store) connector(r *Resource) Connector {
	if r.Source == FromProvider {
		return s.provider
	}
	return s.registry
}

type querier = db.Querier

const resourceColumns = `code, department_code, name, name_en, description, subject_kind, sharing_class, update_frequency, source, provider_url, fields, created_at, updated_at`

func scanResource(row interface{ Scan(...any) error }) (*Resource, error) {
	var r Resource
	var fields string
	var created, updated db.Time
	if err := row.Scan(&r.Code, &r.Department, &r.Name, &r.NameEn, &r.Description, &r.SubjectKind, &r.SharingClass, &r.UpdateFrequency,
		&r.Source, &r.ProviderURL, &fields, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return nil, fmt.Errorf("exchange: resource %s fields: %w", r.Code, err)
	}
	r.CreatedAt, r.UpdatedAt = created.Time, updated.Time
	return &r, nil
}

func loadResource(ctx context.Context, q querier, code string) (*Resource, error) {
	r, err := scanResource(q.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM exchange_resources WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("exchange: resource %s: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: resource %s: %w", code, err)
	}
	return r, nil
}

// Resource returns one catalog entry.
func (s *Store) Resource(ctx context.Context, code string) (*Resource, error) {
	return loadResource(ctx, s.db.Read(), code)
}

// Resources lists the catalog, by department and code. The catalog is
// open to all staff: it says what exists, not what it holds.
func (s *Store) Resources(ctx context.Context) ([]*Resource, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+resourceColumns+` FROM exchange_resources ORDER BY department_code, code`)
	if err != nil {
		return nil, fmt.Errorf("exchange: resources: %w", err)
	}
	defer rows.Close()
	var out []*Resource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutResource registers or updates a resource of p's department. A
// resource cannot move to another department.
func (s *Store) PutResource(ctx context.Context, p *identity.Principal, r Resource) (*Resource, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	if !p.CanIn(identity.PermExchangeManage, r.Department) {
		return nil, identity.ErrForbidden
	}
	fields, err := json.Marshal(r.Fields)
	if err != nil {
		return nil, err
	}
	now := db.NewTime(s.now())
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		old, err := loadResource(ctx, tx, r.Code)
		switch {
		case errors.Is(err, db.ErrNotFound):
			_, err = tx.ExecContext(ctx, `INSERT INTO exchange_resources (`+resourceColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
				r.Code, r.Department, r.Name, r.NameEn, r.Description, r.SubjectKind, r.SharingClass, r.UpdateFrequency, r.Source, r.ProviderURL, string(fields), now)
			if db.IsForeignKeyViolation(err) {
				return fielderr.New("department_code", "exchange_department_unknown")
			}
			return err
		case err != nil:
			return err
		}
		if old.Department != r.Department {
			if !p.CanIn(identity.PermExchangeManage, old.Department) {
				return fmt.Errorf("exchange: resource %s: %w", r.Code, db.ErrNotFound)
			}
			return fielderr.New("department_code", "exchange_resource_department_fixed")
		}
		_, err = tx.ExecContext(ctx, `UPDATE exchange_resources SET name = $2, name_en = $3, description = $4, subject_kind = $5, sharing_class = $6,
			update_frequency = $7, source = $8, provider_url = $9, fields = $10, updated_at = $11 WHERE code = $1`,
			r.Code, r.Name, r.NameEn, r.Description, r.SubjectKind, r.SharingClass, r.UpdateFrequency, r.Source, r.ProviderURL, string(fields), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Resource(ctx, r.Code)
}

// PutRecord stores a subject's record in a registry kept inside Tongban:
// the registry's department (or the demo loader, as a platform admin)
// keeps it. Values must name fields of the resource.
func (s *Store) PutRecord(ctx context.Context, p *identity.Principal, code, subject string, values map[string]string) error {
	r, err := s.Resource(ctx, code)
	if err != nil {
		return err
	}
	if !p.CanIn(identity.PermExchangeManage, r.Department) {
		return identity.ErrForbidden
	}
	if r.Source != FromRegistry {
		return fielderr.New("resource", "exchange_not_registry")
	}
	if subject, err = checkSubject(r.SubjectKind, subject); err != nil {
		return err
	}
	for k := range values {
		if r.Field(k) == nil {
			return fielderr.New("values."+k, "exchange_field_unknown")
		}
	}
	data, err := json.Marshal(values)
	if err != nil {
		return err
	}
	_, err = s.db.Write().ExecContext(ctx, `INSERT INTO exchange_records (resource_code, subject, data, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (resource_code, subject) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		code, subject, string(data), db.NewTime(s.now()))
	if err != nil {
		return fmt.Errorf("exchange: put record: %w", err)
	}
	return nil
}
