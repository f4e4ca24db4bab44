// Package license owns electronic licenses (电子证照): the license types
// each department issues, the licenses themselves, their signatures, the
// holder's wallet and share links, and public verification.
//
// A license is issued when an application of a service that names a
// license type (catalog.Service.IssuesLicense) concludes approved, in the
// same transaction as the conclusion: [Store.IssueForApplication]
// implements application.Issuer. At issue the license's canonical JSON
// ([Document]) is signed with the issuing department's keys, Ed25519 and
// SM2 (GB/T 32918, with SM3), kept in key files in the manner of the
// ledger's (see [Keyring]); the public keys are published so that anyone
// can verify a downloaded signed license offline ([VerifySigned]).
// Issuing, revoking, suspending and reinstating are stamped in the ledger
// (object type "license") without personal data in clear.
//
// The signed form follows the usual shape of detached signatures over a
// canonical serialization (as in the Go checksum database's signed notes):
// the signature covers the exact bytes of the canonical JSON, documented in
// docs/licenses.md.
package license

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/fielderr"
)

// HolderKind says who may hold a license of a type.
type HolderKind string

// The holder kinds. A person is keyed by their ID number, an organization
// by its unified social credit code.
const (
	Person       HolderKind = "person"
	Organization HolderKind = "organization"
	// Any: persons and organizations, such as the business license held
	// by a company or by the operator of a sole proprietorship (个体工商户).
	Any HolderKind = "any"
)

// State is where a license stands. Valid, Suspended and Revoked are
// stored; Expired is Valid past its validity, computed when it is read.
type State string

// The states.
const (
	Valid     State = "valid"
	Suspended State = "suspended" // 暂扣/中止: may be reinstated
	Revoked   State = "revoked"   // 吊销/注销: final
	Expired   State = "expired"   // past valid_until
)

// Field is one field of a license type.
type Field struct {
	// Name identifies the field in the document and the catalog mapping.
	Name    string `json:"name"`
	Label   string `json:"label"`
	LabelEn string `json:"label_en,omitempty"`
	// Printed fields appear on the license itself and on the public
	// verification page; the others are known only to the holder and the
	// issuing department.
	Printed bool `json:"printed"`
}

// Type is a license type (证照类型) a department issues.
type Type struct {
	Code string `json:"code"`
	// Department is the issuing department's code.
	Department string `json:"department_code"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en,omitempty"`
	// Prefix starts every license number of the type, such as "YYZZ".
	Prefix     string     `json:"prefix"`
	HolderKind HolderKind `json:"holder_kind"`
	// ValidityYears is how long a new license is valid; 0 for no limit.
	ValidityYears int       `json:"validity_years"`
	Fields        []Field   `json:"fields"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Field returns the named field, or nil.
func (t *Type) Field(name string) *Field {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return &t.Fields[i]
		}
	}
	return nil
}

// Allows reports whether a holder of kind k may hold a license of t.
func (t *Type) Allows(k HolderKind) bool { return t.HolderKind == Any || t.HolderKind == k }

// License is an issued electronic license.
type License struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	// Type is the license type's code.
	Type       string `json:"type"`
	TypeName   string `json:"type_name"`
	TypeNameEn string `json:"type_name_en,omitempty"`
	// Department is the issuing department's code.
	Department     string     `json:"department_code"`
	DepartmentName string     `json:"department_name"`
	HolderKind     HolderKind `json:"holder_kind"`
	// HolderKey is the holder's ID number or credit code.
	HolderKey  string `json:"holder_key"`
	HolderName string `json:"holder_name"`
	// ValidFrom is the first day of validity; ValidUntil the last, nil for
	// a license valid without limit. Both are dates at midnight UTC.
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	// Fields are the type's field values, by field name.
	Fields map[string]string `json:"fields"`
	// State is the license's state when it was read (expired included).
	State State `json:"state"`
	// Reason is why it was suspended or revoked.
	Reason   string     `json:"reason,omitempty"`
	StateAt  *time.Time `json:"state_at,omitempty"`
	IssuedAt time.Time  `json:"issued_at"`
	// ApplicationID is the application whose conclusion issued it.
	ApplicationID string `json:"application_id,omitempty"`

	stored   State
	document []byte
	sigEd    string
	sigSM2   string
	keyEd    string
	keySM2   string
}

// Until returns the last day of validity as YYYY-MM-DD, or "" for none.
func (l *License) Until() string {
	if l.ValidUntil == nil {
		return ""
	}
	return l.ValidUntil.Format(dateLayout)
}

const dateLayout = "2006-01-02"

var (
	codeRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
	prefixRE = regexp.MustCompile(`^[A-Z]{1,8}$`)
	deptRE   = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,39}$`)
)

const maxFields = 30

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// validate checks a type as its department registers it.
func (t *Type) validate() error {
	var fe fielderr.Errors
	if !codeRE.MatchString(t.Code) {
		fe.Add("code", "license_type_code_invalid")
	}
	if t.Department == "" {
		fe.Add("department_code", "required")
	}
	switch {
	case strings.TrimSpace(t.Name) == "":
		fe.Add("name", "required")
	case tooLong(t.Name, 60):
		fe.Add("name", "text_too_long", 60)
	}
	if tooLong(t.NameEn, 120) {
		fe.Add("name_en", "text_too_long", 120)
	}
	if !prefixRE.MatchString(t.Prefix) {
		fe.Add("prefix", "license_prefix_invalid")
	}
	if !slices.Contains([]HolderKind{Person, Organization, Any}, t.HolderKind) {
		fe.Add("holder_kind", "license_choice_invalid")
	}
	if t.ValidityYears < 0 || t.ValidityYears > 100 {
		fe.Add("validity_years", "license_validity_range")
	}
	if len(t.Fields) > maxFields {
		fe.Add("fields", "too_many_items", maxFields)
	}
	seen := map[string]bool{}
	for i, f := range t.Fields {
		at := fmt.Sprintf("fields.%d", i)
		if !codeRE.MatchString(f.Name) {
			fe.Add(at+".name", "license_field_name_invalid")
		} else if seen[f.Name] {
			fe.Add(at+".name", "license_field_duplicate")
		}
		seen[f.Name] = true
		switch {
		case strings.TrimSpace(f.Label) == "":
			fe.Add(at+".label", "required")
		case tooLong(f.Label, 30):
			fe.Add(at+".label", "text_too_long", 30)
		}
		if tooLong(f.LabelEn, 60) {
			fe.Add(at+".label_en", "text_too_long", 60)
		}
	}
	return fe.Err()
}

func (t *Type) normalize() {
	t.Code = strings.TrimSpace(t.Code)
	t.Name = strings.TrimSpace(t.Name)
	t.NameEn = strings.TrimSpace(t.NameEn)
	t.Prefix = strings.TrimSpace(t.Prefix)
	for i := range t.Fields {
		f := &t.Fields[i]
		f.Name = strings.TrimSpace(f.Name)
		f.Label = strings.TrimSpace(f.Label)
		f.LabelEn = strings.TrimSpace(f.LabelEn)
	}
}
