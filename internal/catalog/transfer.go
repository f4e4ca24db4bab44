package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/org"
	"github.com/tongban/tongban/internal/workflow"
)

// FormatV1 identifies the catalog exchange format, described by the JSON
// Schema in docs/catalog-format.schema.json.
const FormatV1 = "tongban-catalog/v1"

// Document is a whole catalog in the exchange format: what a city exports
// from one platform and imports into another.
type Document struct {
	Format      string           `json:"format"`
	Divisions   []org.Division   `json:"divisions"`
	Departments []org.Department `json:"departments"`
	Services    []ServiceRecord  `json:"services"`
	Themes      []Theme          `json:"themes"`
	Synonyms    []Synonym        `json:"synonyms"`
}

// ServiceRecord is one service in the exchange format: its status, its live
// version (if published or withdrawn) and its draft when that differs.
type ServiceRecord struct {
	Code      string   `json:"code"`
	Status    Status   `json:"status"`
	Published *Service `json:"published,omitempty"`
	Draft     *Service `json:"draft,omitempty"`
}

// Export writes the whole catalog. Needs PermCatalogAdmin.
func (s *Store) Export(ctx context.Context, actor *identity.Principal, orgs *org.Store, w io.Writer) error {
	if !actor.Can(identity.PermCatalogAdmin) {
		return identity.ErrForbidden
	}
	doc := Document{Format: FormatV1}
	var err error
	if doc.Divisions, err = orgs.Divisions(ctx); err != nil {
		return err
	}
	if doc.Departments, err = orgs.Departments(ctx); err != nil {
		return err
	}
	entries, err := s.Entries(ctx, nil, true)
	if err != nil {
		return err
	}
	for _, e := range entries {
		rec := ServiceRecord{Code: e.Service.Code, Status: e.Status}
		draft := e.Service
		if e.PublishedVersion > 0 {
			rec.Published, err = s.Version(ctx, e.Service.Code, e.PublishedVersion)
			if err != nil {
				return err
			}
			if !sameDocument(rec.Published, &draft) {
				rec.Draft = &draft
			}
		} else {
			rec.Draft = &draft
		}
		doc.Services = append(doc.Services, rec)
	}
	if doc.Themes, err = s.Themes(ctx); err != nil {
		return err
	}
	if doc.Synonyms, err = s.Synonyms(ctx); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Departments int `json:"departments"`
	Services    int `json:"services"`
	Published   int `json:"versions_published"`
	Themes      int `json:"themes"`
	Synonyms    int `json:"synonyms"`
}

// maxImportBytes bounds an import document.
const maxImportBytes = 64 << 20

// Import reads a catalog document and applies it in one transaction: all or
// nothing. Existing entries with the same codes are updated; nothing is
// deleted. Published versions keep their numbers. Needs PermCatalogAdmin.
func (s *Store) Import(ctx context.Context, actor *identity.Principal, orgs *org.Store, r io.Reader) (*ImportResult, error) {
	if !actor.Can(identity.PermCatalogAdmin) {
		return nil, identity.ErrForbidden
	}
	dec := json.NewDecoder(io.LimitReader(r, maxImportBytes))
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, fielderr.New("document", "import_not_json", err.Error())
	}
	if doc.Format != FormatV1 {
		return nil, fielderr.New("format", "import_format_unknown")
	}
	// Validate everything before writing anything, and report every
	// problem with its path in the document.
	var fe fielderr.Errors
	for i := range doc.Divisions {
		if err := doc.Divisions[i].Validate(); err != nil {
			fe.Merge(fmt.Sprintf("divisions[%d]", i), err)
		}
	}
	for i := range doc.Departments {
		if err := doc.Departments[i].Validate(); err != nil {
			fe.Merge(fmt.Sprintf("departments[%d]", i), err)
		}
	}
	seen := map[string]bool{}
	for i := range doc.Services {
		rec := &doc.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		if seen[rec.Code] {
			fe.Add(p+".code", "service_code_duplicate")
		}
		seen[rec.Code] = true
		switch rec.Status {
		case Draft:
			if rec.Draft == nil || rec.Published != nil {
				fe.Add(p, "import_record_inconsistent")
			}
		case Published, Withdrawn:
			if rec.Published == nil {
				fe.Add(p+".published", "required")
			}
		default:
			fe.Add(p+".status", "status_invalid")
		}
		for _, part := range []struct {
			name string
			svc  *Service
		}{{"published", rec.Published}, {"draft", rec.Draft}} {
			if part.svc == nil {
				continue
			}
			part.svc.Normalize()
			if part.svc.Code != rec.Code {
				fe.Add(p+"."+part.name+".code", "import_code_mismatch")
			}
			if err := part.svc.Validate(); err != nil {
				fe.Merge(p+"."+part.name, err)
			}
		}
	}
	for i := range doc.Synonyms {
		if err := normalizeSynonym(&doc.Synonyms[i]); err != nil {
			fe.Merge(fmt.Sprintf("synonyms[%d]", i), err)
		}
	}
	for i := range doc.Themes {
		if err := doc.Themes[i].validate(); err != nil {
			fe.Merge(fmt.Sprintf("themes[%d]", i), err)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	res := &ImportResult{}
	var names []string
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		// Parents before children.
		sort.SliceStable(doc.Divisions, func(i, j int) bool { return len(doc.Divisions[i].ParentCode) < len(doc.Divisions[j].ParentCode) })
		for i, v := range doc.Divisions {
			if err := orgs.PutDivision(ctx, tx, v); err != nil {
				return prefixed(fmt.Sprintf("divisions[%d]", i), err)
			}
		}
		sort.SliceStable(doc.Departments, func(i, j int) bool { return len(doc.Departments[i].ParentCode) < len(doc.Departments[j].ParentCode) })
		for i, d := range doc.Departments {
			if err := orgs.PutDepartment(ctx, tx, d); err != nil {
				return prefixed(fmt.Sprintf("departments[%d]", i), err)
			}
			res.Departments++
		}
		// The processes' locks (see checkProcess), all at once and in
		// order, so two imports naming them in other orders cannot
		// deadlock.
		var procs []string
		for _, rec := range doc.Services {
			for _, svc := range []*Service{rec.Published, rec.Draft} {
				if svc != nil && svc.Process != "" {
					procs = append(procs, svc.Process)
				}
			}
		}
		slices.Sort(procs)
		for _, code := range slices.Compact(procs) {
			if err := s.db.Lock(ctx, tx, workflow.LockKey(code)); err != nil {
				return err
			}
		}
		stats := dfDelta{}
		for i, rec := range doc.Services {
			p := fmt.Sprintf("services[%d]", i)
			published, err := s.importService(ctx, tx, actor, rec, stats)
			if err != nil {
				return prefixed(p, err)
			}
			res.Services++
			res.Published += published
			if rec.Published != nil {
				names = append(names, rec.Published.Name)
			}
		}
		if err := stats.apply(ctx, tx); err != nil {
			return err
		}
		// Fresh planner statistics for the index, as after any bulk load:
		// without them PostgreSQL may read every posting of a query's terms
		// instead of probing by service.
		if _, err := tx.ExecContext(ctx, `ANALYZE search_terms`); err != nil {
			return fmt.Errorf("catalog: import: %w", err)
		}
		for i, t := range doc.Themes {
			if err := putThemeTx(ctx, tx, t); err != nil {
				return prefixed(fmt.Sprintf("themes[%d]", i), err)
			}
			res.Themes++
		}
		for _, sy := range doc.Synonyms {
			if err := s.putSynonymTx(ctx, tx, sy); err != nil {
				return err
			}
			res.Synonyms++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.seg.AddWords(names...)
	s.invalidateSynonyms()
	return res, nil
}

func prefixed(prefix string, err error) error {
	var fe fielderr.Errors
	if fe.Merge(prefix, err) {
		return fe.Err()
	}
	return err
}

// importService writes one record inside tx and returns how many versions
// it published.
func (s *Store) importService(ctx context.Context, tx *db.Tx, actor *identity.Principal, rec ServiceRecord, stats dfDelta) (int, error) {
	first := rec.Draft
	if rec.Published != nil {
		first = rec.Published
	}
	if err := s.putDraftTx(ctx, tx, first); err != nil {
		return 0, err
	}
	published := 0
	if rec.Published != nil {
		var maxVersion int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM service_versions WHERE service_code = $1`, rec.Code).Scan(&maxVersion); err != nil {
			return 0, fmt.Errorf("catalog: import: %w", err)
		}
		var latest *Service
		if maxVersion > 0 {
			v, err := s.versionTx(ctx, tx, rec.Code, maxVersion)
			if err != nil {
				return 0, err
			}
			latest = v
		}
		if latest != nil && sameDocument(latest, rec.Published) {
			// Already have this version: make it live again if the
			// document says so, without a new version.
			if rec.Status == Published {
				if _, err := tx.ExecContext(ctx, `UPDATE services SET status = $1, published_version = $2 WHERE code = $3`, Published, maxVersion, rec.Code); err != nil {
					return 0, fmt.Errorf("catalog: import: %w", err)
				}
				if err := s.index(ctx, tx, latest, stats); err != nil {
					return 0, err
				}
			}
		} else {
			want := rec.Published.Version
			if want <= maxVersion {
				want = 0 // that number is taken: publish as the next one
			}
			if _, err := s.publishTx(ctx, tx, actor, rec.Code, want, stats); err != nil {
				return 0, err
			}
			published++
		}
	}
	if rec.Draft != nil && rec.Published != nil {
		if err := s.putDraftTx(ctx, tx, rec.Draft); err != nil {
			return 0, err
		}
	}
	if rec.Status == Withdrawn {
		if _, err := tx.ExecContext(ctx, `UPDATE services SET status = $1 WHERE code = $2`, Withdrawn, rec.Code); err != nil {
			return 0, err
		}
		if err := s.unindex(ctx, tx, rec.Code, stats); err != nil {
			return 0, err
		}
	}
	return published, nil
}

func (s *Store) putDraftTx(ctx context.Context, tx *db.Tx, svc *Service) error {
	c := *svc
	c.Version = 0
	if err := departmentExists(ctx, tx, c.DepartmentCode); err != nil {
		return err
	}
	if err := s.checkProcess(ctx, tx, &c); err != nil {
		return err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	now := db.NewTime(s.now())
	_, err = tx.ExecContext(ctx, `INSERT INTO services (code, department_code, status, draft, draft_updated_at, created_at) VALUES ($1, $2, 'draft', $3, $4, $4)
		ON CONFLICT (code) DO UPDATE SET department_code = excluded.department_code, draft = excluded.draft, draft_updated_at = excluded.draft_updated_at`,
		c.Code, c.DepartmentCode, string(doc), now)
	if err != nil {
		return fmt.Errorf("catalog: import: %w", err)
	}
	return nil
}
