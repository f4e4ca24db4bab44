// Package exchange is Tongban's data sharing between departments (政务数据
// 共享交换), under audited, purpose-bound grants.
//
// A department registers the data resources it offers in a catalog
// ([Resource]): fields with their sensitivity, the subject key (a person's
// ID number or an organization's credit code), the sharing class of the
// national rules for shared government data (unconditional, conditional,
// or none: the negative list, 负面清单), the update frequency, and where
// the data comes from: a registry kept inside Tongban or a provider system
// reached over HTTP with signed requests (the two [Connector]s).
//
// A consuming department asks for named fields with a purpose and legal
// basis ([AccessRequest]); unconditional resources are granted at once,
// conditional ones by the provider's administrator, negative-list ones
// never. A [Grant] states fields, purpose, expiry and a rate limit, and can
// be revoked.
//
// A query ([Store.Query]) is bound to a purpose in the way X-Road binds
// access to services and PIPL art. 6 binds processing to a purpose: staff
// look a subject up only through a grant their department holds, only its
// fields, and only while their department holds an open task on an
// application that concerns the subject. Every query, answered or refused,
// writes a row of the access log and a ledger entry (without personal data)
// in the transaction that releases the answer, so there is no answer
// without its record. The subject sees every use on a "who used my data"
// page (谁用了我的数据), as Estonia's Data Tracker shows citizens who
// looked at their data.
package exchange

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
)

// SubjectKind is the key a resource's records are looked up by.
type SubjectKind string

// The subject kinds.
const (
	ByIDNumber   SubjectKind = "id_number"   // 居民身份证号码
	ByCreditCode SubjectKind = "credit_code" // 统一社会信用代码
)

// SharingClass says how a resource may be shared (共享类型).
type SharingClass string

// The sharing classes.
const (
	Unconditional SharingClass = "unconditional" // 无条件共享: granted on request
	Conditional   SharingClass = "conditional"   // 有条件共享: the provider's admin decides
	NotShared     SharingClass = "none"          // 不予共享: the negative list
)

// Frequency is how often a resource's data is updated.
type Frequency string

// The update frequencies.
const (
	Realtime Frequency = "realtime"
	Daily    Frequency = "daily"
	Weekly   Frequency = "weekly"
	Monthly  Frequency = "monthly"
	Yearly   Frequency = "yearly"
)

// Source says where a resource's data comes from.
type Source string

// The sources, one per Connector.
const (
	FromRegistry Source = "registry" // a registry kept inside Tongban
	FromProvider Source = "provider" // a provider system over signed HTTP
)

// Sensitivity grades a field.
type Sensitivity string

// The sensitivities.
const (
	Public            Sensitivity = "public"
	Internal          Sensitivity = "internal"
	Personal          Sensitivity = "personal"
	SensitivePersonal Sensitivity = "sensitive" // 敏感个人信息 (PIPL art. 28)
)

const (
	maxFields = 40  // fields of one resource
	maxText   = 500 // runes of a purpose, legal basis or reason
)

// Field is one field of a resource.
type Field struct {
	// Name identifies the field in requests, grants and answers.
	Name        string      `json:"name"`
	Label       string      `json:"label"`
	LabelEn     string      `json:"label_en,omitempty"`
	Sensitivity Sensitivity `json:"sensitivity"`
}

// Resource is an entry of the shared-data catalog (政务数据资源目录).
type Resource struct {
	Code string `json:"code"`
	// Department is the providing department's code.
	Department      string       `json:"department_code"`
	Name            string       `json:"name"`
	NameEn          string       `json:"name_en,omitempty"`
	Description     string       `json:"description,omitempty"`
	SubjectKind     SubjectKind  `json:"subject_kind"`
	SharingClass    SharingClass `json:"sharing_class"`
	UpdateFrequency Frequency    `json:"update_frequency"`
	Source          Source       `json:"source"`
	// ProviderURL is the provider system's endpoint, for Source provider.
	ProviderURL string    `json:"provider_url,omitempty"`
	Fields      []Field   `json:"fields"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Field returns the named field, or nil.
func (r *Resource) Field(name string) *Field {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return &r.Fields[i]
		}
	}
	return nil
}

// FieldNames lists the resource's field names in catalog order.
func (r *Resource) FieldNames() []string {
	out := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		out[i] = f.Name
	}
	return out
}

var (
	codeRE  = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,39}$`)
	fieldRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// validate checks a resource as its department registers it.
func (r *Resource) validate() error {
	var fe fielderr.Errors
	if !codeRE.MatchString(r.Code) {
		fe.Add("code", "exchange_code_invalid")
	}
	if r.Department == "" {
		fe.Add("department_code", "required")
	}
	switch {
	case strings.TrimSpace(r.Name) == "":
		fe.Add("name", "required")
	case tooLong(r.Name, 100):
		fe.Add("name", "text_too_long", 100)
	}
	if tooLong(r.NameEn, 200) {
		fe.Add("name_en", "text_too_long", 200)
	}
	if tooLong(r.Description, 2000) {
		fe.Add("description", "text_too_long", 2000)
	}
	if r.SubjectKind != ByIDNumber && r.SubjectKind != ByCreditCode {
		fe.Add("subject_kind", "exchange_choice_invalid")
	}
	if !slices.Contains([]SharingClass{Unconditional, Conditional, NotShared}, r.SharingClass) {
		fe.Add("sharing_class", "exchange_choice_invalid")
	}
	if !slices.Contains([]Frequency{Realtime, Daily, Weekly, Monthly, Yearly}, r.UpdateFrequency) {
		fe.Add("update_frequency", "exchange_choice_invalid")
	}
	switch r.Source {
	case FromRegistry:
		if r.ProviderURL != "" {
			fe.Add("provider_url", "exchange_provider_url_unused")
		}
	case FromProvider:
		u, err := url.Parse(r.ProviderURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			fe.Add("provider_url", "exchange_provider_url_invalid")
		}
	default:
		fe.Add("source", "exchange_choice_invalid")
	}
	if len(r.Fields) == 0 {
		fe.Add("fields", "required")
	}
	if len(r.Fields) > maxFields {
		fe.Add("fields", "too_many_items", maxFields)
	}
	seen := map[string]bool{}
	sensitive := false
	for i, f := range r.Fields {
		at := fmt.Sprintf("fields.%d", i)
		if !fieldRE.MatchString(f.Name) {
			fe.Add(at+".name", "exchange_field_name_invalid")
		} else if seen[f.Name] {
			fe.Add(at+".name", "exchange_field_duplicate")
		}
		seen[f.Name] = true
		if strings.TrimSpace(f.Label) == "" {
			fe.Add(at+".label", "required")
		} else if tooLong(f.Label, 60) {
			fe.Add(at+".label", "text_too_long", 60)
		}
		if tooLong(f.LabelEn, 120) {
			fe.Add(at+".label_en", "text_too_long", 120)
		}
		if !slices.Contains([]Sensitivity{Public, Internal, Personal, SensitivePersonal}, f.Sensitivity) {
			fe.Add(at+".sensitivity", "exchange_choice_invalid")
		}
		sensitive = sensitive || f.Sensitivity == SensitivePersonal
	}
	// Sensitive personal information (PIPL art. 28) is never shared
	// without a decision on the request.
	if sensitive && r.SharingClass == Unconditional {
		fe.Add("sharing_class", "exchange_sensitive_unconditional")
	}
	return fe.Err()
}

// checkSubject validates a subject key of the given kind and returns it
// normalized.
func checkSubject(kind SubjectKind, s string) (string, error) {
	switch kind {
	case ByCreditCode:
		s = idcheck.NormalizeCreditCode(s)
		if err := idcheck.CreditCode(s); err != nil {
			return "", fielderr.New("subject", "exchange_subject_invalid")
		}
	default:
		s = idcheck.NormalizeIDNumber(s)
		if err := idcheck.IDNumber(s); err != nil {
			return "", fielderr.New("subject", "exchange_subject_invalid")
		}
	}
	return s, nil
}
