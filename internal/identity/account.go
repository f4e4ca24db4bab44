package identity

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
)

// Kind tells a natural person's account from a staff account.
type Kind string

// The account kinds.
const (
	KindPerson Kind = "person"
	KindStaff  Kind = "staff"
)

// Account is a sign-in identity. IDNumber and Phone are personal data: they
// never leave this package unmasked except to the account holder's own
// forms, and never appear in logs or URLs.
type Account struct {
	ID             string
	Kind           Kind
	Username       string
	Name           string
	IDNumber       string // persons only
	Phone          string
	Email          string
	DepartmentCode string // staff only
	Disabled       bool
}

// MaskedIDNumber returns the ID number with all but its first 3 and last 4
// characters hidden.
func (a *Account) MaskedIDNumber() string { return idcheck.MaskIDNumber(a.IDNumber) }

// MaskedPhone returns the phone number with its middle hidden.
func (a *Account) MaskedPhone() string { return idcheck.MaskPhone(a.Phone) }

// MarshalJSON writes the account as the API shows it: personal data masked.
// It has a value receiver so that an Account marshaled by value (not only
// through a pointer) is masked too.
func (a Account) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID             string `json:"id"`
		Kind           Kind   `json:"kind"`
		Username       string `json:"username"`
		Name           string `json:"name"`
		IDNumber       string `json:"id_number_masked,omitempty"`
		Phone          string `json:"phone_masked,omitempty"`
		Email          string `json:"email,omitempty"`
		DepartmentCode string `json:"department_code,omitempty"`
		Disabled       bool   `json:"disabled,omitempty"`
	}{a.ID, a.Kind, a.Username, a.Name, a.MaskedIDNumber(), a.MaskedPhone(), a.Email, a.DepartmentCode, a.Disabled})
}

// PersonInput is a natural person's registration.
type PersonInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
}

// StaffInput creates a staff account.
type StaffInput struct {
	Username       string      `json:"username"`
	Password       string      `json:"password"`
	Name           string      `json:"name"`
	Phone          string      `json:"phone"`
	Email          string      `json:"email"`
	DepartmentCode string      `json:"department_code"`
	Roles          []RoleGrant `json:"roles"`
}

// OrganizationInput registers an organization (法人).
type OrganizationInput struct {
	Name                string `json:"name"`
	CreditCode          string `json:"credit_code"`
	LegalRepresentative string `json:"legal_representative"`
	Address             string `json:"address"`
}

// Organization is a legal person that acts through authorized agents.
type Organization struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	CreditCode          string   `json:"credit_code"`
	LegalRepresentative string   `json:"legal_representative"`
	Address             string   `json:"address,omitempty"`
	Agents              []string `json:"agents,omitempty"` // usernames
}

var (
	usernameRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{2,31}$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func validName(s string) bool {
	n := len([]rune(strings.TrimSpace(s)))
	return n >= 2 && n <= 40
}

func (in *PersonInput) normalize() {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	in.IDNumber = idcheck.NormalizeIDNumber(in.IDNumber)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Email = strings.TrimSpace(in.Email)
}

func (in *PersonInput) validate() error {
	var fe fielderr.Errors
	if !usernameRE.MatchString(in.Username) {
		fe.Add("username", "username_invalid")
	}
	if checkPasswordPolicy(in.Password) != nil {
		fe.Add("password", "password_weak")
	}
	if !validName(in.Name) {
		fe.Add("name", "name_invalid")
	}
	if err := idcheck.IDNumber(in.IDNumber); err != nil {
		fe.Add("id_number", idNumberKey(err))
	}
	if err := idcheck.Phone(in.Phone); err != nil {
		fe.Add("phone", "phone_invalid")
	}
	if in.Email != "" && !emailRE.MatchString(in.Email) {
		fe.Add("email", "email_invalid")
	}
	return fe.Err()
}

func idNumberKey(err error) string {
	switch {
	case err == nil:
		return ""
	case errorsIs(err, idcheck.ErrCheckDigit):
		return "id_number_check"
	case errorsIs(err, idcheck.ErrDate):
		return "id_number_date"
	case errorsIs(err, idcheck.ErrRegion):
		return "id_number_region"
	}
	return "id_number_format"
}

func (in *StaffInput) normalize() {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Email = strings.TrimSpace(in.Email)
	in.DepartmentCode = strings.TrimSpace(in.DepartmentCode)
	// Copy before filling in departments: in.Roles shares its array with
	// the caller's slice.
	in.Roles = slices.Clone(in.Roles)
	for i := range in.Roles {
		if in.Roles[i].Role.DepartmentScoped() && in.Roles[i].Department == "" {
			in.Roles[i].Department = in.DepartmentCode
		}
	}
}

func (in *StaffInput) validate() error {
	var fe fielderr.Errors
	if !usernameRE.MatchString(in.Username) {
		fe.Add("username", "username_invalid")
	}
	if checkPasswordPolicy(in.Password) != nil {
		fe.Add("password", "password_weak")
	}
	if !validName(in.Name) {
		fe.Add("name", "name_invalid")
	}
	if in.Phone != "" && idcheck.ContactPhone(in.Phone) != nil {
		fe.Add("phone", "phone_invalid")
	}
	if in.Email != "" && !emailRE.MatchString(in.Email) {
		fe.Add("email", "email_invalid")
	}
	if in.DepartmentCode == "" {
		fe.Add("department_code", "required")
	}
	if len(in.Roles) == 0 {
		fe.Add("roles", "roles_required")
	}
	for _, g := range in.Roles {
		if !g.Role.Valid() || g.Role == Citizen || g.Role == OrgAgent {
			fe.Add("roles", "role_invalid")
			break
		}
	}
	return fe.Err()
}

func (in *OrganizationInput) normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.CreditCode = idcheck.NormalizeCreditCode(in.CreditCode)
	in.LegalRepresentative = strings.TrimSpace(in.LegalRepresentative)
	in.Address = strings.TrimSpace(in.Address)
}

func (in *OrganizationInput) validate() error {
	var fe fielderr.Errors
	if n := len([]rune(in.Name)); n < 2 || n > 100 {
		fe.Add("name", "name_invalid")
	}
	if err := idcheck.CreditCode(in.CreditCode); err != nil {
		if errorsIs(err, idcheck.ErrCheckDigit) {
			fe.Add("credit_code", "credit_code_check")
		} else {
			fe.Add("credit_code", "credit_code_format")
		}
	}
	if !validName(in.LegalRepresentative) {
		fe.Add("legal_representative", "name_invalid")
	}
	if len([]rune(in.Address)) > 200 {
		fe.Add("address", "text_too_long", 200)
	}
	return fe.Err()
}
