package license

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/ledger"
)

// Outcome is what a verification concludes.
type Outcome string

// The outcomes. Only a genuine license (its signature verifies with its
// department's published key) gets one of the first five.
const (
	OutcomeValid     Outcome = "valid"
	OutcomeExpired   Outcome = "expired"
	OutcomeNotYet    Outcome = "not_yet_valid"
	OutcomeSuspended Outcome = "suspended"
	OutcomeRevoked   Outcome = "revoked"
	// OutcomeInvalid: not a license of this platform, or not genuine;
	// Problem says why.
	OutcomeInvalid Outcome = "invalid"
)

// Problems beyond those of a signed file (ProblemMalformed …).
const (
	ProblemUnknownLicense = "unknown_license"       // no such license in the register
	ProblemCodeMismatch   = "code_mismatch"         // the QR code's verification code is not the license's
	ProblemNotRegistered  = "not_registered"        // signed, but not in the register
	ProblemAltered        = "differs_from_register" // signed file differs from the register's
	ProblemShareUnknown   = "share_unknown"
	ProblemShareExpired   = "share_expired"
	ProblemShareRevoked   = "share_revoked"
)

// PublicField is a printed field as the verification page shows it.
type PublicField struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	LabelEn string `json:"label_en,omitempty"`
	Value   string `json:"value"`
}

// Public is what anyone verifying a license sees: the fields printed on
// it, the holder's ID number masked.
type Public struct {
	Number         string     `json:"number"`
	Type           string     `json:"type"`
	TypeName       string     `json:"type_name"`
	TypeNameEn     string     `json:"type_name_en,omitempty"`
	Department     string     `json:"department_code"`
	DepartmentName string     `json:"department_name"`
	HolderKind     HolderKind `json:"holder_kind"`
	// Holder is the credit code, or the ID number masked.
	Holder     string        `json:"holder"`
	HolderName string        `json:"holder_name"`
	ValidFrom  string        `json:"valid_from"`
	ValidUntil string        `json:"valid_until,omitempty"`
	IssuedAt   string        `json:"issued_at"`
	Fields     []PublicField `json:"fields"`
}

// Verification is the answer to "is this license genuine and valid?".
type Verification struct {
	Outcome Outcome `json:"outcome"`
	// Genuine is true when the signatures verify with the issuing
	// department's published keys and match the register.
	Genuine bool `json:"genuine"`
	// Algorithms are the signatures that verified.
	Algorithms []string `json:"algorithms,omitempty"`
	// Problem says why a license is not genuine or not found.
	Problem string `json:"problem,omitempty"`
	// Reason is the department's reason for a revocation or suspension.
	Reason  string     `json:"reason,omitempty"`
	StateAt *time.Time `json:"state_at,omitempty"`
	License *Public    `json:"license,omitempty"`
	// SharedUntil is when a share link stops working.
	SharedUntil *time.Time `json:"shared_until,omitempty"`
	CheckedAt   time.Time  `json:"checked_at"`
}

func (s *Store) invalid(problem string) *Verification {
	return &Verification{Outcome: OutcomeInvalid, Problem: problem, CheckedAt: s.now()}
}

// Check verifies a license from its QR code: its ID and verification code
// (License.Code). A code that is not the license's means the QR code was
// altered or forged.
func (s *Store) Check(ctx context.Context, id, code string) (*Verification, error) {
	l, err := s.load(ctx, s.db.Read(), id)
	if errors.Is(err, db.ErrNotFound) {
		return s.invalid(ProblemUnknownLicense), nil
	}
	if err != nil {
		return nil, err
	}
	if code == "" || code != l.Code() {
		return s.invalid(ProblemCodeMismatch), nil
	}
	return s.verdict(ctx, l)
}

// CheckShare verifies the license behind a share link's token.
func (s *Store) CheckShare(ctx context.Context, token string) (*Verification, error) {
	var sh *Share
	var err error
	if token != "" {
		sh, err = scanShare(s.db.Read().QueryRowContext(ctx, `SELECT id, license_id, created_at, expires_at, revoked_at FROM license_shares
			WHERE token_hash = $1`, tokenHash(token)))
	}
	switch {
	case token == "" || errors.Is(err, sql.ErrNoRows):
		return s.invalid(ProblemShareUnknown), nil
	case err != nil:
		return nil, fmt.Errorf("license: share: %w", err)
	case sh.RevokedAt != nil:
		return s.invalid(ProblemShareRevoked), nil
	case !s.now().Before(sh.ExpiresAt):
		return s.invalid(ProblemShareExpired), nil
	}
	l, err := s.load(ctx, s.db.Read(), sh.LicenseID)
	if err != nil {
		return nil, err
	}
	v, err := s.verdict(ctx, l)
	if err == nil {
		until := sh.ExpiresAt
		v.SharedUntil = &until
	}
	return v, err
}

// CheckSigned verifies an uploaded signed license: its signatures against
// this platform's keys for the issuing department, then the register's
// copy and state.
func (s *Store) CheckSigned(ctx context.Context, raw []byte) (*Verification, error) {
	_, d, canonical, err := ParseSigned(raw)
	var es *ErrSigned
	if errors.As(err, &es) {
		return s.invalid(es.Problem), nil
	}
	if err != nil {
		return nil, err
	}
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM license_types WHERE department_code = $1`, d.Department).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		// No department of this platform issues licenses under that code:
		// no key of ours can have signed it.
		return s.invalid(ProblemUnknownKey), nil
	}
	known, err := s.departmentVerifiers(d.Department)
	if err != nil {
		return nil, err
	}
	_, algs, err := VerifySigned(raw, known)
	if errors.As(err, &es) {
		return s.invalid(es.Problem), nil
	}
	if err != nil {
		return nil, err
	}
	l, err := s.load(ctx, s.db.Read(), d.ID)
	if errors.Is(err, db.ErrNotFound) {
		return s.invalid(ProblemNotRegistered), nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canonical, l.document) {
		return s.invalid(ProblemAltered), nil
	}
	v, err := s.verdict(ctx, l)
	if err == nil && v.Genuine {
		v.Algorithms = algs
	}
	return v, err
}

func (s *Store) departmentVerifiers(dept string) (note.Verifiers, error) {
	keys, err := s.keys.Keys(dept)
	if err != nil {
		return nil, err
	}
	retired, err := s.keys.Retired(dept)
	if err != nil {
		return nil, err
	}
	return Verifiers([]PublicKey{{Department: dept, Ed25519: keys.Ed25519Verifier, SM2: keys.SM2Verifier, Retired: retired}})
}

// published reports whether vkey is one of the department's current or
// retired verifier keys.
func (s *Store) published(dept, vkey string) (bool, error) {
	keys, err := s.keys.Keys(dept)
	if err != nil {
		return false, err
	}
	if vkey == keys.Ed25519Verifier || vkey == keys.SM2Verifier {
		return true, nil
	}
	retired, err := s.keys.Retired(dept)
	if err != nil {
		return false, err
	}
	return slices.Contains(retired, vkey), nil
}

// verdict checks a registered license's signatures with the keys that
// signed it, which must be its department's current or retired published
// keys, and reports its state.
func (s *Store) verdict(ctx context.Context, l *License) (*Verification, error) {
	for _, k := range []string{l.keyEd, l.keySM2} {
		if k == "" {
			continue
		}
		ok, err := s.published(l.Department, k)
		if err != nil {
			return nil, err
		}
		if !ok {
			return s.invalid(ProblemUnknownKey), nil
		}
	}
	ed, err := note.NewVerifier(l.keyEd)
	if err != nil {
		return s.invalid(ProblemUnknownKey), nil
	}
	sig, err := decodeStd(l.sigEd)
	if err != nil || !ed.Verify(l.document, sig) {
		return s.invalid(ProblemSignature), nil
	}
	algs := []string{"ed25519"}
	if l.sigSM2 != "" {
		sm, err := ledger.NewSM2Verifier(l.keySM2)
		if err != nil {
			return s.invalid(ProblemUnknownKey), nil
		}
		sig, err := decodeStd(l.sigSM2)
		if err != nil || !sm.Verify(l.document, sig) {
			return s.invalid(ProblemSignature), nil
		}
		algs = append(algs, "sm2-sm3")
	}
	var d Document
	if err := json.Unmarshal(l.document, &d); err != nil {
		return s.invalid(ProblemMalformed), nil
	}
	v := &Verification{Genuine: true, Algorithms: algs, CheckedAt: s.now(), Reason: l.Reason, StateAt: l.StateAt}
	today := s.today().Format(dateLayout)
	switch {
	case l.stored == Revoked:
		v.Outcome = OutcomeRevoked
	case l.stored == Suspended:
		v.Outcome = OutcomeSuspended
	case d.ValidUntil != "" && today > d.ValidUntil:
		v.Outcome = OutcomeExpired
	case today < d.ValidFrom:
		v.Outcome = OutcomeNotYet
	default:
		v.Outcome = OutcomeValid
	}
	t, _ := loadType(ctx, s.db.Read(), d.Type)
	v.License = publicView(&d, t)
	return v, nil
}

// publicView keeps what is printed on the license.
func publicView(d *Document, t *Type) *Public {
	p := &Public{Number: d.Number, Type: d.Type, TypeName: d.TypeName, Department: d.Department, DepartmentName: d.DepartmentName,
		HolderKind: d.HolderKind, HolderName: d.HolderName, ValidFrom: d.ValidFrom, ValidUntil: d.ValidUntil, IssuedAt: d.IssuedAt,
		Fields: []PublicField{}}
	p.Holder = d.HolderKey
	if d.HolderKind != Organization {
		p.Holder = idcheck.MaskIDNumber(d.HolderKey)
	}
	if t == nil {
		return p
	}
	p.TypeNameEn = t.NameEn
	for _, f := range t.Fields {
		if v, ok := d.Fields[f.Name]; ok && f.Printed {
			p.Fields = append(p.Fields, PublicField{Name: f.Name, Label: f.Label, LabelEn: f.LabelEn, Value: v})
		}
	}
	return p
}

// PublicKeys lists the verifier keys of every department that issues
// licenses, creating a department's keys at first need.
func (s *Store) PublicKeys(ctx context.Context) ([]PublicKey, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT DISTINCT t.department_code, d.name FROM license_types t
		JOIN departments d ON d.code = t.department_code ORDER BY t.department_code`)
	if err != nil {
		return nil, fmt.Errorf("license: keys: %w", err)
	}
	type dept struct{ code, name string }
	var depts []dept
	for rows.Next() {
		var d dept
		if err := rows.Scan(&d.code, &d.name); err != nil {
			rows.Close()
			return nil, err
		}
		depts = append(depts, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []PublicKey{}
	for _, d := range depts {
		k, err := s.keys.Keys(d.code)
		if err != nil {
			return nil, err
		}
		retired, err := s.keys.Retired(d.code)
		if err != nil {
			return nil, err
		}
		out = append(out, PublicKey{Department: d.code, DepartmentName: d.name, Ed25519: k.Ed25519Verifier, SM2: k.SM2Verifier, Retired: retired})
	}
	return out, nil
}
