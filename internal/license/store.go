package license

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// Store runs license types, licenses, share links and verification.
type Store struct {
	db       *db.DB
	identity *identity.Store
	keys     *Keyring
	now      func() time.Time
	loc      *time.Location
}

// Deps are what a Store needs.
type Deps struct {
	DB       *db.DB
	Identity *identity.Store
	Keys     *Keyring
	// Now defaults to time.Now; Location (where a day of validity starts
	// and ends) to UTC.
	Now      func() time.Time
	Location *time.Location
}

// NewStore returns a Store.
func NewStore(d Deps) *Store {
	s := &Store{db: d.DB, identity: d.Identity, keys: d.Keys, now: d.Now, loc: d.Location}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	return s
}

// Keys returns the store's keyring.
func (s *Store) Keys() *Keyring { return s.keys }

// today is the platform's current civil date, as midnight UTC.
func (s *Store) today() time.Time {
	y, m, d := s.now().In(s.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

type querier = db.Querier

// License types.

const typeColumns = `code, department_code, name, name_en, prefix, holder_kind, validity_years, fields, created_at, updated_at`

func scanType(row interface{ Scan(...any) error }) (*Type, error) {
	var t Type
	var fields string
	var created, updated db.Time
	if err := row.Scan(&t.Code, &t.Department, &t.Name, &t.NameEn, &t.Prefix, &t.HolderKind, &t.ValidityYears, &fields, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &t.Fields); err != nil {
		return nil, fmt.Errorf("license: type %s fields: %w", t.Code, err)
	}
	t.CreatedAt, t.UpdatedAt = created.Time, updated.Time
	return &t, nil
}

func loadType(ctx context.Context, q querier, code string) (*Type, error) {
	t, err := scanType(q.QueryRowContext(ctx, `SELECT `+typeColumns+` FROM license_types WHERE code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("license: type %s: %w", code, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("license: type %s: %w", code, err)
	}
	return t, nil
}

// Type returns one license type. Types are public: they say what a
// department issues.
func (s *Store) Type(ctx context.Context, code string) (*Type, error) {
	return loadType(ctx, s.db.Read(), code)
}

// Types lists the license types, by department and code; dept narrows to
// one department.
func (s *Store) Types(ctx context.Context, dept string) ([]*Type, error) {
	q := `SELECT ` + typeColumns + ` FROM license_types`
	var args []any
	if dept != "" {
		q += ` WHERE department_code = $1`
		args = append(args, dept)
	}
	rows, err := s.db.Read().QueryContext(ctx, q+` ORDER BY department_code, code`, args...)
	if err != nil {
		return nil, fmt.Errorf("license: types: %w", err)
	}
	defer rows.Close()
	out := []*Type{}
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ManagedTypes lists the types of the departments in which p manages
// license types.
func (s *Store) ManagedTypes(ctx context.Context, p *identity.Principal) ([]*Type, error) {
	all, err := s.Types(ctx, "")
	if err != nil {
		return nil, err
	}
	out := []*Type{}
	for _, t := range all {
		if p.CanIn(identity.PermLicenseTypes, t.Department) {
			out = append(out, t)
		}
	}
	return out, nil
}

// PutType registers or updates a license type of p's department. A type
// cannot move to another department, and its number prefix is fixed once
// licenses were issued under it.
func (s *Store) PutType(ctx context.Context, p *identity.Principal, t Type) (*Type, error) {
	t.normalize()
	if err := t.validate(); err != nil {
		return nil, err
	}
	if !p.CanIn(identity.PermLicenseTypes, t.Department) {
		return nil, identity.ErrForbidden
	}
	fields, err := json.Marshal(t.Fields)
	if err != nil {
		return nil, err
	}
	now := db.NewTime(s.now())
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		old, err := loadType(ctx, tx, t.Code)
		switch {
		case errors.Is(err, db.ErrNotFound):
			_, err = tx.ExecContext(ctx, `INSERT INTO license_types (`+typeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
				t.Code, t.Department, t.Name, t.NameEn, t.Prefix, string(t.HolderKind), t.ValidityYears, string(fields), now)
			if db.IsForeignKeyViolation(err) {
				return fielderr.New("department_code", "license_department_unknown")
			}
			return err
		case err != nil:
			return err
		}
		if old.Department != t.Department {
			if !p.CanIn(identity.PermLicenseTypes, old.Department) {
				return fmt.Errorf("license: type %s: %w", t.Code, db.ErrNotFound)
			}
			return fielderr.New("department_code", "license_type_department_fixed")
		}
		if old.Prefix != t.Prefix {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM licenses WHERE type_code = $1`, t.Code).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fielderr.New("prefix", "license_prefix_fixed")
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE license_types SET name = $2, name_en = $3, prefix = $4, holder_kind = $5, validity_years = $6,
			fields = $7, updated_at = $8 WHERE code = $1`, t.Code, t.Name, t.NameEn, t.Prefix, string(t.HolderKind), t.ValidityYears, string(fields), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Type(ctx, t.Code)
}

// Licenses.

const licenseColumns = `l.id, l.number, l.type_code, COALESCE(t.name_en, ''), l.department_code, l.holder_kind, l.holder_key, l.holder_name,
	l.valid_from, COALESCE(l.valid_until, ''), l.fields, l.document, l.sig_ed25519, l.sig_sm2, l.key_ed25519, l.key_sm2, l.state, l.reason,
	l.state_at, COALESCE(l.source, ''), l.issued_at`

const licenseFrom = ` FROM licenses l LEFT JOIN license_types t ON t.code = l.type_code`

func (s *Store) scanLicense(row interface{ Scan(...any) error }) (*License, error) {
	var l License
	var from, until, fields, doc, source string
	var stateAt, issued db.Time
	if err := row.Scan(&l.ID, &l.Number, &l.Type, &l.TypeNameEn, &l.Department, &l.HolderKind, &l.HolderKey, &l.HolderName,
		&from, &until, &fields, &doc, &l.sigEd, &l.sigSM2, &l.keyEd, &l.keySM2, &l.stored, &l.Reason, &stateAt, &source, &issued); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &l.Fields); err != nil {
		return nil, fmt.Errorf("license: %s fields: %w", l.ID, err)
	}
	var d Document
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("license: %s document: %w", l.ID, err)
	}
	l.document = []byte(doc)
	l.TypeName, l.DepartmentName = d.TypeName, d.DepartmentName
	var err error
	if l.ValidFrom, err = time.Parse(dateLayout, from); err != nil {
		return nil, fmt.Errorf("license: %s valid_from: %w", l.ID, err)
	}
	if until != "" {
		u, err := time.Parse(dateLayout, until)
		if err != nil {
			return nil, fmt.Errorf("license: %s valid_until: %w", l.ID, err)
		}
		l.ValidUntil = &u
	}
	if !stateAt.IsZero() {
		t := stateAt.Time
		l.StateAt = &t
	}
	l.IssuedAt = issued.Time
	l.ApplicationID, _ = strings.CutPrefix(source, "application:")
	if strings.HasPrefix(source, "demo:") {
		l.ApplicationID = ""
	}
	l.State = l.stored
	if l.stored == Valid && l.ValidUntil != nil && s.today().After(*l.ValidUntil) {
		l.State = Expired
	}
	return &l, nil
}

func (s *Store) load(ctx context.Context, q querier, id string) (*License, error) {
	l, err := s.scanLicense(q.QueryRowContext(ctx, `SELECT `+licenseColumns+licenseFrom+` WHERE l.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("license %s: %w", id, db.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("license %s: %w", id, err)
	}
	return l, nil
}

func (s *Store) list(ctx context.Context, where string, limit int, args ...any) ([]*License, error) {
	return s.listIn(ctx, s.db.Read(), where, limit, args...)
}

// listIn is list read in q; a limit of 0 lists all.
func (s *Store) listIn(ctx context.Context, q querier, where string, limit int, args ...any) ([]*License, error) {
	query := `SELECT ` + licenseColumns + licenseFrom + ` WHERE ` + where + ` ORDER BY l.issued_at DESC, l.id DESC`
	if limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("license: list: %w", err)
	}
	defer rows.Close()
	out := []*License{}
	for rows.Next() {
		l, err := s.scanLicense(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// current returns the holder's licenses of the type that are not revoked
// (valid, suspended or expired), newest first, read in q (the
// transaction that replaces them).
func (s *Store) current(ctx context.Context, q querier, typ, holderKey string) ([]*License, error) {
	return s.listIn(ctx, q, `l.holder_key = $1 AND l.type_code = $2 AND l.state <> 'revoked'`, 0, holderKey, typ)
}

// Held returns the holder's newest license of the type that is valid now:
// not revoked, not suspended, inside its validity. It returns (nil, nil)
// when the holder has none. holderKey is an ID number or credit code.
func (s *Store) Held(ctx context.Context, holderKey, licenseType string) (*License, error) {
	today := s.today().Format(dateLayout)
	list, err := s.list(ctx, `l.holder_key = $1 AND l.type_code = $2 AND `+validOn("$3"), 1, holderKey, licenseType, today)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// validOn is the condition a license l holds on the day (YYYY-MM-DD) the
// placeholder day gives: not revoked, not suspended, inside its validity.
func validOn(day string) string {
	return `l.state = 'valid' AND l.valid_from <= ` + day + ` AND (l.valid_until IS NULL OR l.valid_until >= ` + day + `)`
}

// StillValid reports which of the licenses ids are valid now by the rule
// Held goes by: not revoked, not suspended, inside their validity. It
// reads no more than their state and dates.
func (s *Store) StillValid(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{s.today().Format(dateLayout)}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT l.id FROM licenses l WHERE l.id IN (`+db.Placeholders(2, len(ids))+`) AND `+validOn("$1"), args...)
	if err != nil {
		return nil, fmt.Errorf("license: still valid: %w", err)
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

// subjects returns the holder keys p may see licenses of: their own ID
// number and the credit codes of the organizations they act for.
func (s *Store) subjects(ctx context.Context, p *identity.Principal) ([]string, error) {
	if !p.Can(identity.PermLicenseHold) {
		return nil, identity.ErrForbidden
	}
	var out []string
	if p.Account.IDNumber != "" {
		out = append(out, p.Account.IDNumber)
	}
	if s.identity != nil {
		orgs, err := s.identity.Organizations(ctx, p.Account.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range orgs {
			out = append(out, o.CreditCode)
		}
	}
	return out, nil
}

// Wallet lists the licenses p holds, for themselves and for the
// organizations they act for, newest first.
func (s *Store) Wallet(ctx context.Context, p *identity.Principal) ([]*License, error) {
	subs, err := s.subjects(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return []*License{}, nil
	}
	marks := make([]string, len(subs))
	args := make([]any, len(subs))
	for i, v := range subs {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = v
	}
	return s.list(ctx, `l.holder_key IN (`+strings.Join(marks, ", ")+`)`, 500, args...)
}

// Get returns one license to its holder or to staff of its issuing
// department who manage licenses; to anyone else it does not exist.
func (s *Store) Get(ctx context.Context, p *identity.Principal, id string) (*License, error) {
	l, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if p.CanIn(identity.PermLicenseManage, l.Department) {
		return l, nil
	}
	if p.Can(identity.PermLicenseHold) {
		subs, err := s.subjects(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, k := range subs {
			if k == l.HolderKey {
				return l, nil
			}
		}
	}
	return nil, fmt.Errorf("license %s: %w", id, db.ErrNotFound)
}

// IssuedFor returns the license the conclusion of an application issued,
// when p may see it (its holder, or the issuing department's managers);
// (nil, nil) otherwise.
func (s *Store) IssuedFor(ctx context.Context, p *identity.Principal, applicationID string) (*License, error) {
	var id string
	err := s.db.Read().QueryRowContext(ctx, `SELECT id FROM licenses WHERE source = $1`, "application:"+applicationID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("license: of application %s: %w", applicationID, err)
	}
	l, err := s.Get(ctx, p, id)
	if errors.Is(err, db.ErrNotFound) || errors.Is(err, identity.ErrForbidden) {
		return nil, nil
	}
	return l, err
}

// Issued lists the licenses issued by the departments in which p manages
// licenses, newest first; number narrows to one license number.
func (s *Store) Issued(ctx context.Context, p *identity.Principal, number string) ([]*License, error) {
	depts, all := p.Departments(identity.PermLicenseManage)
	if !all && len(depts) == 0 {
		return nil, identity.ErrForbidden
	}
	var where []string
	var args []any
	if !all {
		marks := make([]string, len(depts))
		for i, d := range depts {
			args = append(args, d)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, `l.department_code IN (`+strings.Join(marks, ", ")+`)`)
	}
	if number = strings.TrimSpace(number); number != "" {
		args = append(args, number)
		where = append(where, fmt.Sprintf(`l.number = $%d`, len(args)))
	}
	if len(where) == 0 {
		where = append(where, "1 = 1")
	}
	return s.list(ctx, strings.Join(where, " AND "), 200, args...)
}

// Signed returns the license's signed file, as its holder downloads it.
func (l *License) Signed() ([]byte, error) {
	s := Signed{Format: SignedFormat, License: json.RawMessage(l.document), Signatures: []Signature{{Alg: "ed25519", Key: keyID(l.keyEd), Sig: l.sigEd}}}
	if l.sigSM2 != "" {
		s.Signatures = append(s.Signatures, Signature{Alg: "sm2-sm3", Key: keyID(l.keySM2), Sig: l.sigSM2})
	}
	return json.MarshalIndent(s, "", "  ")
}

// Code is the verification code the license's QR code carries: its
// Ed25519 signature in unpadded base64url.
func (l *License) Code() string {
	b, err := decodeStd(l.sigEd)
	if err != nil {
		return ""
	}
	return encodeURL(b)
}

// LedgerObject is the ledger's object type for licenses.
const LedgerObject = "license"

// ledgerState is the canonical state a license's ledger entries digest:
// the signed document's SHA-256, the stored state and its reason.
func ledgerState(document []byte, state State, reason string) []byte {
	sum := sha256Hex(document)
	b, _ := json.Marshal(struct {
		Document string `json:"document_sha256"`
		Reason   string `json:"reason"`
		State    State  `json:"state"`
	}{sum, reason, state})
	return b
}

// LedgerState returns a license's current canonical state, for checking
// the store against the ledger.
func (s *Store) LedgerState(ctx context.Context, id string) ([]byte, error) {
	l, err := s.load(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	return ledgerState(l.document, l.stored, l.Reason), nil
}
