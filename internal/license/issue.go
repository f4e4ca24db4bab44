package license

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
	"github.com/tongban/tongban/internal/ledger"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func decodeStd(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func encodeURL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Issue is what a license is issued from.
type Issue struct {
	Type string
	// HolderKind, HolderKey and HolderName say who holds it.
	HolderKind HolderKind
	HolderKey  string
	HolderName string
	// Fields are values of the type's fields; others are refused.
	Fields map[string]string
	// ValidFrom is the first day of validity (YYYY-MM-DD); ValidUntil
	// the last, computed from the type's validity when empty and the
	// type has one.
	ValidFrom  string
	ValidUntil string
	// Source identifies what issued it, once: "application:<id>" for an
	// application's conclusion. A second issue from the same source
	// returns the first license.
	Source string
	// Department and Role are the actor stamped in the ledger.
	Department, Role string
	At               time.Time
	// Quiet issues without a notice to the holder: for entering
	// licenses issued before the platform ran.
	Quiet bool
	// Replaces makes the license replace the holder's current licenses
	// of the type (catalog.LicenseIssue.Replaces).
	Replaces bool
}

// IssueForApplication issues the license an application concluded
// approved names, in the conclusion's transaction (application.Issuer).
// The holder is the organization applied for, or else the applicant; the
// type must allow that kind of holder.
func (s *Store) IssueForApplication(ctx context.Context, tx *db.Tx, c application.Conclusion) error {
	in := Issue{Type: c.License.Type, ValidFrom: c.Date, Source: "application:" + c.ApplicationID, Department: c.Department, Role: c.Role, At: c.At,
		Replaces: c.License.Replaces}
	acc, err := s.identity.Account(ctx, c.ApplicantID)
	if err != nil {
		return fmt.Errorf("license: applicant: %w", err)
	}
	if c.OrganizationID != "" {
		orgs, err := s.identity.Organizations(ctx, c.ApplicantID)
		if err != nil {
			return fmt.Errorf("license: organization: %w", err)
		}
		for _, o := range orgs {
			if o.ID == c.OrganizationID {
				in.HolderKind, in.HolderKey, in.HolderName = Organization, o.CreditCode, o.Name
			}
		}
		if in.HolderKey == "" {
			return fmt.Errorf("license: organization %s: %w", c.OrganizationID, db.ErrNotFound)
		}
	} else {
		in.HolderKind, in.HolderKey, in.HolderName = Person, acc.IDNumber, acc.Name
	}
	var form map[string]any
	if len(c.Form) > 0 {
		if err := json.Unmarshal(c.Form, &form); err != nil {
			return fmt.Errorf("license: form: %w", err)
		}
	}
	in.Fields = map[string]string{}
	for lf, ff := range c.License.Fields {
		if v := formText(form[ff]); v != "" {
			in.Fields[lf] = v
		}
	}
	_, err = s.issue(ctx, tx, in)
	return err
}

// formText writes a form value as license text.
func formText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if t := formText(e); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, "、")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// IssueDirect issues a license outside any application, in its own
// transaction: entering a department's existing register (the demo does).
func (s *Store) IssueDirect(ctx context.Context, in Issue) (*License, error) {
	var id string
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		id, err = s.issue(ctx, tx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.db.Read(), id)
}

// issue checks, numbers, signs, stores and stamps a license in tx and
// returns its ID.
func (s *Store) issue(ctx context.Context, tx *db.Tx, in Issue) (string, error) {
	if in.Source != "" {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM licenses WHERE source = $1`, in.Source).Scan(&id)
		if err == nil {
			return id, nil
		}
	}
	t, err := loadType(ctx, tx, in.Type)
	if errors.Is(err, db.ErrNotFound) {
		return "", fielderr.New("issues_license.type", "license_type_unknown")
	}
	if err != nil {
		return "", err
	}
	var fe fielderr.Errors
	if !t.Allows(in.HolderKind) {
		fe.Add("holder", "license_holder_kind_mismatch")
	}
	switch in.HolderKind {
	case Person:
		in.HolderKey = idcheck.NormalizeIDNumber(in.HolderKey)
		if idcheck.IDNumber(in.HolderKey) != nil {
			fe.Add("holder", "license_holder_invalid")
		}
	case Organization:
		in.HolderKey = idcheck.NormalizeCreditCode(in.HolderKey)
		if idcheck.CreditCode(in.HolderKey) != nil {
			fe.Add("holder", "license_holder_invalid")
		}
	default:
		fe.Add("holder", "license_holder_invalid")
	}
	if strings.TrimSpace(in.HolderName) == "" {
		fe.Add("holder", "license_holder_invalid")
	}
	for k, v := range in.Fields {
		if t.Field(k) == nil {
			fe.Add("fields."+k, "license_field_unknown")
		} else if tooLong(v, 500) {
			fe.Add("fields."+k, "text_too_long", 500)
		}
	}
	from, err := time.Parse(dateLayout, in.ValidFrom)
	if err != nil {
		fe.Add("valid_from", "license_date_invalid")
	}
	until := in.ValidUntil
	if until == "" && t.ValidityYears > 0 && err == nil {
		until = from.AddDate(t.ValidityYears, 0, -1).Format(dateLayout)
	}
	if until != "" {
		u, err := time.Parse(dateLayout, until)
		if err != nil || u.Before(from) {
			fe.Add("valid_until", "license_date_invalid")
		}
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	if in.At.IsZero() {
		in.At = s.now()
	}
	var deptName string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM departments WHERE code = $1`, t.Department).Scan(&deptName); err != nil {
		return "", fmt.Errorf("license: department %s: %w", t.Department, err)
	}
	year := from.Format("2006")
	var seq int
	if err := tx.QueryRowContext(ctx, `INSERT INTO license_sequences (key, value) VALUES ($1, 1)
		ON CONFLICT (key) DO UPDATE SET value = license_sequences.value + 1 RETURNING value`, t.Department+"/"+t.Code+"/"+year).Scan(&seq); err != nil {
		return "", fmt.Errorf("license: number: %w", err)
	}
	// A replacement starts from the fields of the license it replaces
	// (the newest, if the holder has several) and takes the new values
	// over them.
	var replaced []*License
	if in.Replaces {
		if replaced, err = s.current(ctx, tx, in.Type, in.HolderKey); err != nil {
			return "", err
		}
	}
	fields := map[string]string{}
	if len(replaced) > 0 {
		for k, v := range replaced[0].Fields {
			if t.Field(k) != nil {
				fields[k] = v
			}
		}
	}
	for k, v := range in.Fields {
		fields[k] = v
	}
	doc := Document{Department: t.Department, DepartmentName: deptName, Fields: fields, Format: Format, HolderKey: in.HolderKey,
		HolderKind: in.HolderKind, HolderName: strings.TrimSpace(in.HolderName), ID: db.NewID(), IssuedAt: ledger.FormatTime(in.At),
		Number: fmt.Sprintf("%s-%s-%s-%06d", t.Department, t.Prefix, year, seq), Type: t.Code, TypeName: t.Name,
		ValidFrom: in.ValidFrom, ValidUntil: until}
	canonical, err := doc.Canonical()
	if err != nil {
		return "", err
	}
	sigEd, sigSM, keys, err := s.keys.sign(t.Department, canonical)
	if err != nil {
		return "", err
	}
	fieldsJSON, _ := json.Marshal(fields)
	var untilArg any
	if until != "" {
		untilArg = until
	}
	var source any
	if in.Source != "" {
		source = in.Source
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO licenses (id, number, type_code, department_code, holder_kind, holder_key, holder_name,
		valid_from, valid_until, fields, document, sig_ed25519, sig_sm2, key_ed25519, key_sm2, state, source, issued_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'valid', $16, $17)`,
		doc.ID, doc.Number, t.Code, t.Department, string(in.HolderKind), in.HolderKey, doc.HolderName, in.ValidFrom, untilArg,
		string(fieldsJSON), string(canonical), sigEd, sigSM, keys.Ed25519Verifier, keys.SM2Verifier, source, db.NewTime(in.At)); err != nil {
		return "", fmt.Errorf("license: issue: %w", err)
	}
	if _, err := ledger.Append(ctx, tx, ledger.Entry{Event: "issued", ObjectType: LedgerObject, ObjectID: doc.ID,
		Department: in.Department, Role: in.Role, At: ledger.FormatTime(in.At), State: ledgerState(canonical, Valid, "")}); err != nil {
		return "", err
	}
	for _, old := range replaced {
		reason := "已换发：" + doc.Number
		if _, err := tx.ExecContext(ctx, `UPDATE licenses SET state = 'revoked', reason = $1, state_at = $2 WHERE id = $3`,
			reason, db.NewTime(in.At), old.ID); err != nil {
			return "", fmt.Errorf("license: replace %s: %w", old.Number, err)
		}
		if _, err := ledger.Append(ctx, tx, ledger.Entry{Event: "revoked", ObjectType: LedgerObject, ObjectID: old.ID,
			Department: in.Department, Role: in.Role, At: ledger.FormatTime(in.At), State: ledgerState(old.document, Revoked, reason)}); err != nil {
			return "", err
		}
	}
	if !in.Quiet {
		if err := s.notifyHolder(ctx, tx, noticeIssued, in.HolderKey, t.Name, t.NameEn, doc.Number, doc.ID, in.At); err != nil {
			return "", err
		}
	}
	return doc.ID, nil
}
