package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ledger"
	"github.com/tongban/tongban/internal/segment"
)

// Store reads and writes the catalog.
type Store struct {
	db  *db.DB
	seg *segment.Segmenter
	now func() time.Time
	syn synonymCache
}

// NewStore returns a Store. seg segments text for search; now is the clock.
func NewStore(d *db.DB, seg *segment.Segmenter, now func() time.Time) *Store {
	return &Store{db: d, seg: seg, now: now}
}

// Entry is a service as the editor sees it: its draft, status and the
// number of the version that is live.
type Entry struct {
	Service          Service   `json:"draft"`
	Status           Status    `json:"status"`
	PublishedVersion int       `json:"published_version,omitempty"`
	DraftUpdatedAt   time.Time `json:"draft_updated_at"`
	// Unpublished is true when the draft differs from the live version.
	Unpublished bool `json:"unpublished_changes"`
}

// Summary is a published service in a list.
type Summary struct {
	Code           string     `json:"code"`
	Version        int        `json:"version"`
	Name           string     `json:"name"`
	Kind           Kind       `json:"kind"`
	DepartmentCode string     `json:"department_code"`
	Audience       []Audience `json:"audience"`
	Depth          Depth      `json:"depth"`
}

// Create adds a new service as a draft. The actor needs PermCatalogEdit in
// the service's department.
func (s *Store) Create(ctx context.Context, actor *identity.Principal, svc Service) (*Entry, error) {
	svc.Normalize()
	svc.Version = 0
	verr := svc.Validate()
	if !actor.CanIn(identity.PermCatalogEdit, svc.DepartmentCode) {
		if verr != nil {
			return nil, verr
		}
		return nil, identity.ErrForbidden
	}
	doc, err := json.Marshal(svc)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := s.checkDraft(ctx, tx, &svc, verr); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO services (code, department_code, status, draft, draft_updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			svc.Code, svc.DepartmentCode, Draft, string(doc), db.NewTime(now))
		if db.IsUniqueViolation(err) {
			return fielderr.New("code", "service_code_taken")
		}
		if err != nil {
			return fmt.Errorf("catalog: create: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Entry{Service: svc, Status: Draft, DraftUpdatedAt: now, Unpublished: true}, nil
}

// checkDraft reports every problem of a service being saved at once: verr,
// what Validate found, with what only the database can tell (its
// department exists; its form answers its process's conditions). An admin
// used to hear of a form its process cannot run on only after fixing
// every other field. What Validate found wrong is not checked again: a
// form schema that does not parse has no fields to compare.
func (s *Store) checkDraft(ctx context.Context, tx *db.Tx, svc *Service, verr error) error {
	var fe fielderr.Errors
	if verr != nil && !fe.Merge("", verr) {
		return verr
	}
	if !fe.Has("department_code") {
		if err := departmentExists(ctx, tx, svc.DepartmentCode); err != nil && !fe.Merge("", err) {
			return err
		}
	}
	if !fe.Has("form_schema") && !fe.Has("process") {
		if err := s.checkProcess(ctx, tx, svc); err != nil && !fe.Merge("", err) {
			return err
		}
	}
	return fe.Err()
}

func departmentExists(ctx context.Context, tx *db.Tx, code string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM departments WHERE code = $1`, code).Scan(&n); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if n == 0 {
		return fielderr.New("department_code", "department_unknown")
	}
	return nil
}

// UpdateDraft replaces a service's draft. Published versions do not change.
// The actor needs PermCatalogEdit in the service's current department and,
// when the draft moves it, in the new one.
func (s *Store) UpdateDraft(ctx context.Context, actor *identity.Principal, code string, svc Service) (*Entry, error) {
	svc.Normalize()
	svc.Code = code
	svc.Version = 0
	cur, err := s.Entry(ctx, actor, code)
	if err != nil {
		return nil, err
	}
	if !actor.CanIn(identity.PermCatalogEdit, cur.Service.DepartmentCode) {
		return nil, identity.ErrForbidden
	}
	verr := svc.Validate()
	if !actor.CanIn(identity.PermCatalogEdit, svc.DepartmentCode) {
		if verr != nil {
			return nil, verr
		}
		return nil, identity.ErrForbidden
	}
	doc, err := json.Marshal(svc)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if err := s.checkDraft(ctx, tx, &svc, verr); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE services SET draft = $1, draft_updated_at = $2, department_code = $3 WHERE code = $4`,
			string(doc), db.NewTime(now), svc.DepartmentCode, code)
		if err != nil {
			return fmt.Errorf("catalog: update draft: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Entry(ctx, actor, code)
}

// Publish makes the draft a new immutable version and puts it live. The
// actor needs PermCatalogPublish in the service's department. Publishing a
// draft identical to the live version is a no-op that returns it.
func (s *Store) Publish(ctx context.Context, actor *identity.Principal, code string) (*Service, error) {
	var out *Service
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		stats := dfDelta{}
		if out, err = s.publishTx(ctx, tx, actor, code, 0, stats); err != nil {
			return err
		}
		return stats.apply(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	s.seg.AddWords(out.Name)
	return out, nil
}

// publishTx publishes the draft of code inside tx. A non-zero version asks
// for that version number (import keeps the numbers of the catalog it
// reads); it must be above every existing one. The change to search term
// statistics is added to stats for the caller to apply.
func (s *Store) publishTx(ctx context.Context, tx *db.Tx, actor *identity.Principal, code string, version int, stats dfDelta) (*Service, error) {
	var draft string
	var status Status
	var deptCode string
	var live sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT draft, status, department_code, published_version FROM services WHERE code = $1`, code).Scan(&draft, &status, &deptCode, &live)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog: service %q: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: publish: %w", err)
	}
	if !actor.CanIn(identity.PermCatalogPublish, deptCode) {
		return nil, identity.ErrForbidden
	}
	var svc Service
	if err := json.Unmarshal([]byte(draft), &svc); err != nil {
		return nil, fmt.Errorf("catalog: publish: stored draft: %w", err)
	}
	if err := svc.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkProcess(ctx, tx, &svc); err != nil {
		return nil, err
	}
	var maxVersion int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM service_versions WHERE service_code = $1`, code).Scan(&maxVersion); err != nil {
		return nil, fmt.Errorf("catalog: publish: %w", err)
	}
	if live.Valid && status == Published {
		cur, err := s.versionTx(ctx, tx, code, int(live.Int64))
		if err != nil {
			return nil, err
		}
		if sameDocument(cur, &svc) && (version == 0 || version == cur.Version) {
			return cur, nil
		}
	}
	if version == 0 {
		version = maxVersion + 1
	} else if version <= maxVersion {
		return nil, fielderr.New("version", "version_not_increasing")
	}
	svc.Version = version
	doc, err := json.Marshal(svc)
	if err != nil {
		return nil, err
	}
	aud := make([]string, len(svc.Audience))
	for i, a := range svc.Audience {
		aud[i] = string(a)
	}
	now := db.NewTime(s.now())
	_, err = tx.ExecContext(ctx, `INSERT INTO service_versions (service_code, version, name, kind, department_code, audience, depth, document, published_at, published_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		code, version, svc.Name, svc.Kind, svc.DepartmentCode, strings.Join(aud, ","), svc.Depth, string(doc), now, actor.Account.ID)
	if err != nil {
		return nil, fmt.Errorf("catalog: publish: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE services SET status = $1, published_version = $2 WHERE code = $3`, Published, version, code); err != nil {
		return nil, fmt.Errorf("catalog: publish: %w", err)
	}
	if err := s.index(ctx, tx, &svc, stats); err != nil {
		return nil, err
	}
	// The published version is stamped into the ledger in the same
	// transaction: its canonical JSON, exactly the stored document, is
	// what the entry digests.
	role := identity.DeptAdmin
	if actor.Has(identity.PlatformAdmin) {
		role = identity.PlatformAdmin
	}
	if _, err := ledger.Append(ctx, tx, ledger.Entry{At: ledger.FormatTime(now.Time), Event: "published", ObjectType: LedgerObject,
		ObjectID: LedgerID(code, version), Department: deptCode, Role: string(role), State: doc}); err != nil {
		return nil, err
	}
	return &svc, nil
}

// LedgerObject is the ledger's object type for published service
// versions. Each version is one object, stamped once, when it is
// published; a version never changes afterwards.
const LedgerObject = "service_version"

// LedgerID is the ledger's object ID of a published version: the service
// code, "@" and the version number.
func LedgerID(code string, version int) string { return code + "@" + strconv.Itoa(version) }

// LedgerState returns the canonical JSON of the published version a
// ledger object ID names, for `tongban verify`.
func (s *Store) LedgerState(ctx context.Context, id string) ([]byte, error) {
	code, ver, ok := strings.Cut(id, "@")
	v, err := strconv.Atoi(ver)
	if !ok || err != nil {
		return nil, fmt.Errorf("catalog: ledger ID %q: %w", id, db.ErrNotFound)
	}
	var doc string
	err = s.db.Read().QueryRowContext(ctx, `SELECT document FROM service_versions WHERE service_code = $1 AND version = $2`, code, v).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog: version %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: version %s: %w", id, err)
	}
	return []byte(doc), nil
}

func sameDocument(a, b *Service) bool {
	x, y := *a, *b
	x.Version, y.Version = 0, 0
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// Withdraw takes a service down: it disappears from the public catalog and
// search, while its versions stay for anything that references them.
func (s *Store) Withdraw(ctx context.Context, actor *identity.Principal, code string) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		var status Status
		var dept string
		err := tx.QueryRowContext(ctx, `SELECT status, department_code FROM services WHERE code = $1`, code).Scan(&status, &dept)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("catalog: service %q: %w", code, db.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("catalog: withdraw: %w", err)
		}
		if !actor.CanIn(identity.PermCatalogPublish, dept) {
			return identity.ErrForbidden
		}
		if status != Published {
			return fielderr.New("status", "not_published")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE services SET status = $1 WHERE code = $2`, Withdrawn, code); err != nil {
			return fmt.Errorf("catalog: withdraw: %w", err)
		}
		stats := dfDelta{}
		if err := s.unindex(ctx, tx, code, stats); err != nil {
			return err
		}
		return stats.apply(ctx, tx)
	})
}

// Entry returns the editor's view of a service. Staff without
// PermCatalogEdit in its department get db.ErrNotFound, so hidden drafts are
// not revealed.
func (s *Store) Entry(ctx context.Context, actor *identity.Principal, code string) (*Entry, error) {
	var draft string
	var e Entry
	var live sql.NullInt64
	var updated db.Time
	err := s.db.Read().QueryRowContext(ctx, `SELECT draft, status, published_version, draft_updated_at FROM services WHERE code = $1`, code).Scan(&draft, &e.Status, &live, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog: service %q: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: entry: %w", err)
	}
	if err := json.Unmarshal([]byte(draft), &e.Service); err != nil {
		return nil, fmt.Errorf("catalog: entry: %w", err)
	}
	if !actor.CanIn(identity.PermCatalogEdit, e.Service.DepartmentCode) {
		return nil, fmt.Errorf("catalog: service %q: %w", code, db.ErrNotFound)
	}
	e.DraftUpdatedAt = updated.Time
	e.Unpublished = true
	if live.Valid {
		e.PublishedVersion = int(live.Int64)
		if v, err := s.versionTx(ctx, s.db.Read(), code, e.PublishedVersion); err == nil {
			e.Unpublished = !sameDocument(v, &e.Service)
		}
	}
	return &e, nil
}

// Entries lists the services an editor may edit: every service when all is
// true, else those of the given departments.
func (s *Store) Entries(ctx context.Context, depts []string, all bool) ([]*Entry, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT code, department_code, draft, status, COALESCE(published_version, 0), draft_updated_at FROM services ORDER BY department_code, code`)
	if err != nil {
		return nil, fmt.Errorf("catalog: entries: %w", err)
	}
	defer rows.Close()
	allowed := map[string]bool{}
	for _, d := range depts {
		allowed[d] = true
	}
	var out []*Entry
	for rows.Next() {
		var code, dept, draft string
		var updated db.Time
		e := &Entry{}
		if err := rows.Scan(&code, &dept, &draft, &e.Status, &e.PublishedVersion, &updated); err != nil {
			return nil, fmt.Errorf("catalog: entries: %w", err)
		}
		if !all && !allowed[dept] {
			continue
		}
		if err := json.Unmarshal([]byte(draft), &e.Service); err != nil {
			return nil, fmt.Errorf("catalog: entries: %w", err)
		}
		e.DraftUpdatedAt = updated.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Store) versionTx(ctx context.Context, q rowQuerier, code string, version int) (*Service, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT document FROM service_versions WHERE service_code = $1 AND version = $2`, code, version).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog: service %q version %d: %w", code, version, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: version: %w", err)
	}
	var svc Service
	if err := json.Unmarshal([]byte(doc), &svc); err != nil {
		return nil, fmt.Errorf("catalog: version: %w", err)
	}
	return &svc, nil
}

// Version returns a specific published version of a service, live or not:
// applications pin the version they were made under.
func (s *Store) Version(ctx context.Context, code string, version int) (*Service, error) {
	return s.versionTx(ctx, s.db.Read(), code, version)
}

// Published returns the live version of a published service, or
// db.ErrNotFound for drafts, withdrawn and unknown services.
func (s *Store) Published(ctx context.Context, code string) (*Service, error) {
	v, err := s.PublishedVersion(ctx, code)
	if err != nil {
		return nil, err
	}
	return s.Version(ctx, code, v)
}

// PublishedVersion returns the number of a published service's live
// version, or db.ErrNotFound for drafts, withdrawn and unknown services.
func (s *Store) PublishedVersion(ctx context.Context, code string) (int, error) {
	var v int
	err := s.db.Read().QueryRowContext(ctx, `SELECT published_version FROM services WHERE code = $1 AND status = $2`, code, Published).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("catalog: service %q: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("catalog: published: %w", err)
	}
	return v, nil
}

// Filter narrows List.
type Filter struct {
	Department string
	Kind       Kind
	Audience   Audience
}

// List returns the live published services matching f, by department and
// code.
func (s *Store) List(ctx context.Context, f Filter) ([]Summary, error) {
	q := `SELECT v.service_code, v.version, v.name, v.kind, v.department_code, v.audience, v.depth
		FROM services s JOIN service_versions v ON v.service_code = s.code AND v.version = s.published_version
		WHERE s.status = 'published'`
	var args []any
	if f.Department != "" {
		args = append(args, f.Department)
		q += fmt.Sprintf(" AND v.department_code = $%d", len(args))
	}
	if f.Kind != "" {
		args = append(args, f.Kind)
		q += fmt.Sprintf(" AND v.kind = $%d", len(args))
	}
	if f.Audience != "" {
		args = append(args, "%"+string(f.Audience)+"%")
		q += fmt.Sprintf(" AND v.audience LIKE $%d", len(args))
	}
	q += " ORDER BY v.department_code, v.service_code"
	return s.summaries(ctx, q, args...)
}

func (s *Store) summaries(ctx context.Context, q string, args ...any) ([]Summary, error) {
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: list: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var sm Summary
		var aud string
		if err := rows.Scan(&sm.Code, &sm.Version, &sm.Name, &sm.Kind, &sm.DepartmentCode, &aud, &sm.Depth); err != nil {
			return nil, fmt.Errorf("catalog: list: %w", err)
		}
		for _, a := range strings.Split(aud, ",") {
			sm.Audience = append(sm.Audience, Audience(a))
		}
		out = append(out, sm)
	}
	return out, rows.Err()
}

// Counts returns the number of live services per department.
func (s *Store) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT department_code, COUNT(*) FROM services WHERE status = 'published' GROUP BY department_code`)
	if err != nil {
		return nil, fmt.Errorf("catalog: counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var d string
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, err
		}
		out[d] = n
	}
	return out, rows.Err()
}
