// Package catalog owns the service catalog (事项目录): government services
// and their guides (办事指南), published as immutable versions; themes that
// bundle services into life events and business paths (主题服务); and
// Chinese-language search over what is published.
//
// A guide carries the elements of the national guide standard for
// government service items (GB/T 42276, 办事指南要素): code, name, kind,
// responsible department, audience, conditions, legal basis, materials,
// fees, statutory and promised time limits, depth of online service, where
// and when to apply, contact numbers, FAQs, the application form and the
// process reference.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/idcheck"
)

// Kind is the legal category of a service (事项类型).
type Kind string

// The kinds.
const (
	Licensing     Kind = "licensing"      // 行政许可
	Confirmation  Kind = "confirmation"   // 行政确认
	Benefit       Kind = "benefit"        // 行政给付
	PublicService Kind = "public_service" // 公共服务
	Other         Kind = "other"          // 其他
)

// Kinds lists the kinds in display order.
var Kinds = []Kind{Licensing, Confirmation, Benefit, PublicService, Other}

// Audience is who a service is for (服务对象).
type Audience string

// The audiences.
const (
	Person       Audience = "person"       // 自然人
	Organization Audience = "organization" // 法人
)

// Depth is how far a service can be done online (办理深度).
type Depth string

// The depths.
const (
	FullOnline     Depth = "full_online"     // 全程网办
	OnlinePrecheck Depth = "online_precheck" // 网上预审
	Offline        Depth = "offline"         // 线下办理
)

// Depths lists the depths in display order.
var Depths = []Depth{FullOnline, OnlinePrecheck, Offline}

// Status is where a service stands in its life.
type Status string

// The statuses.
const (
	Draft     Status = "draft"     // never published
	Published Status = "published" // a version is live
	Withdrawn Status = "withdrawn" // was published, taken down
)

// Service is one government service item and its guide. Published services
// are immutable versions: editing changes the draft, and publishing the
// draft makes a new version.
type Service struct {
	Code           string     `json:"code"`
	Version        int        `json:"version,omitempty"`
	Name           string     `json:"name"`
	NameEn         string     `json:"name_en,omitempty"`
	Kind           Kind       `json:"kind"`
	DepartmentCode string     `json:"department_code"`
	Audience       []Audience `json:"audience"`
	Depth          Depth      `json:"depth"`
	Summary        string     `json:"summary,omitempty"`
	Keywords       []string   `json:"keywords,omitempty"`
	Guide          Guide      `json:"guide"`
	// FormSchema is the application form as a JSON Schema (draft 2020-12)
	// that the platform renders and validates.
	FormSchema json.RawMessage `json:"form_schema,omitempty"`
	// Process names the workflow definition the service follows.
	Process string `json:"process,omitempty"`
	// IssuesLicense names the electronic license (电子证照) that an
	// approved conclusion of the service issues, and which form fields
	// fill which license fields.
	IssuesLicense *LicenseIssue `json:"issues_license,omitempty"`
}

// LicenseIssue says which electronic license a service issues.
type LicenseIssue struct {
	// Type is the license type's code, such as "food_business_license".
	Type string `json:"type"`
	// Fields maps a license field name to the name of the application
	// form's field whose value it takes.
	Fields map[string]string `json:"fields,omitempty"`
	// Replaces makes the license replace the holder's current license of
	// the type (换发: a change, a renewal, a replacement): the new one
	// starts from the current one's fields, takes the form's values over
	// them, and the current one is revoked as it is issued.
	Replaces bool `json:"replaces,omitempty"`
}

// Guide is the published guide (办事指南).
type Guide struct {
	Conditions     string                `json:"conditions"`
	LegalBasis     []LegalBasis          `json:"legal_basis"`
	Materials      []MaterialRequirement `json:"materials"`
	Fees           Fees                  `json:"fees"`
	StatutoryDays  int                   `json:"statutory_days"`
	PromisedDays   int                   `json:"promised_days"`
	VisitsRequired int                   `json:"visits_required"`
	Result         string                `json:"result,omitempty"`
	Locations      []Location            `json:"locations,omitempty"`
	ContactPhone   string                `json:"contact_phone"`
	ComplaintPhone string                `json:"complaint_phone,omitempty"`
	FAQs           []FAQ                 `json:"faqs,omitempty"`
}

// LegalBasis is one law or rule the service rests on (设定依据).
type LegalBasis struct {
	Name    string `json:"name"`
	Article string `json:"article,omitempty"`
}

// MaterialForm is how a material must be provided.
type MaterialForm string

// The material forms.
const (
	FormOriginal   MaterialForm = "original"   // 原件
	FormCopy       MaterialForm = "copy"       // 复印件
	FormBoth       MaterialForm = "both"       // 原件和复印件
	FormElectronic MaterialForm = "electronic" // 电子文件
)

// MaterialRequirement is a document the applicant must provide (申请材料).
type MaterialRequirement struct {
	Code string       `json:"code"`
	Name string       `json:"name"`
	Form MaterialForm `json:"form"`
	// Count is the number of copies (份数).
	Count int `json:"count"`
	// Required is false for a conditional material; Condition then says
	// when it is needed.
	Required  bool   `json:"required"`
	Condition string `json:"condition,omitempty"`
	Notes     string `json:"notes,omitempty"`
	// LicenseType is the electronic-license type that can replace it
	// (免提交), if any.
	LicenseType string `json:"license_type,omitempty"`
	// DataResource is the shared data resource (an exchange resource
	// code such as GA-HOUSEHOLD) from which the service's department can
	// verify what the material proves, if any: when the department holds
	// a live grant on it, the applicant need not provide the material.
	DataResource string `json:"data_resource,omitempty"`
	// OnlineForm is true for the application form itself (申请书,
	// 申请表): the form filled in online is the material, so nothing is
	// uploaded for it. Only a service with a form schema may say so.
	OnlineForm bool `json:"online_form,omitempty"`
}

// Fees states what the service costs (收费).
type Fees struct {
	Free  bool      `json:"free"`
	Items []FeeItem `json:"items,omitempty"`
}

// FeeItem is one charge with its legal basis.
type FeeItem struct {
	Name   string `json:"name"`
	Amount string `json:"amount"`
	Basis  string `json:"basis"`
}

// Location is a place to apply in person.
type Location struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Hours   string `json:"hours"`
}

// FAQ is a frequently asked question with its answer.
type FAQ struct {
	Q string `json:"q"`
	A string `json:"a"`
}

var (
	serviceCodeRE  = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z-]{3,39}$`)
	materialCodeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	licenseCodeRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
	processCodeRE  = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,39}$`)
	licenseTypeRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{1,59}$`)
	// resourceCodeRE is the exchange resource code format (package
	// exchange).
	resourceCodeRE = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,39}$`)
)

// Normalize trims text fields and drops empty list items, so that what is
// stored is what is validated.
func (s *Service) Normalize() {
	s.Code = strings.TrimSpace(s.Code)
	s.Name = strings.TrimSpace(s.Name)
	s.NameEn = strings.TrimSpace(s.NameEn)
	s.DepartmentCode = strings.TrimSpace(s.DepartmentCode)
	s.Summary = strings.TrimSpace(s.Summary)
	s.Process = strings.TrimSpace(s.Process)
	if s.IssuesLicense != nil {
		s.IssuesLicense.Type = strings.TrimSpace(s.IssuesLicense.Type)
		if s.IssuesLicense.Type == "" && len(s.IssuesLicense.Fields) == 0 {
			s.IssuesLicense = nil
		}
	}
	s.Keywords = compact(s.Keywords)
	g := &s.Guide
	g.Conditions = strings.TrimSpace(g.Conditions)
	g.Result = strings.TrimSpace(g.Result)
	g.ContactPhone = strings.TrimSpace(g.ContactPhone)
	g.ComplaintPhone = strings.TrimSpace(g.ComplaintPhone)
	if g.Fees.Free {
		g.Fees.Items = nil
	}
	if len(bytes.TrimSpace(s.FormSchema)) == 0 || string(bytes.TrimSpace(s.FormSchema)) == "null" {
		s.FormSchema = nil
	} else {
		var buf bytes.Buffer
		if json.Compact(&buf, s.FormSchema) == nil {
			s.FormSchema = buf.Bytes()
		}
	}
}

func compact(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Validate checks everything about a service that does not need the
// database: every failure is reported with its field path.
func (s *Service) Validate() error {
	var fe fielderr.Errors
	if !serviceCodeRE.MatchString(s.Code) {
		fe.Add("code", "service_code_invalid")
	}
	if n := len([]rune(s.Name)); n < 2 || n > 100 {
		fe.Add("name", "service_name_invalid")
	}
	if !oneOf(s.Kind, Kinds) {
		fe.Add("kind", "kind_invalid")
	}
	if s.DepartmentCode == "" {
		fe.Add("department_code", "required")
	}
	if len(s.Audience) == 0 {
		fe.Add("audience", "audience_required")
	}
	for _, a := range s.Audience {
		if a != Person && a != Organization {
			fe.Add("audience", "audience_invalid")
			break
		}
	}
	if !oneOf(s.Depth, Depths) {
		fe.Add("depth", "depth_invalid")
	}
	if len([]rune(s.Summary)) > 500 {
		fe.Add("summary", "text_too_long", 500)
	}
	g := &s.Guide
	if g.Conditions == "" {
		fe.Add("guide.conditions", "required")
	}
	if len(g.LegalBasis) == 0 {
		fe.Add("guide.legal_basis", "legal_basis_required")
	}
	for i, lb := range g.LegalBasis {
		if strings.TrimSpace(lb.Name) == "" {
			fe.Add(fmt.Sprintf("guide.legal_basis[%d].name", i), "required")
		}
	}
	codes := map[string]bool{}
	for i, m := range g.Materials {
		p := fmt.Sprintf("guide.materials[%d]", i)
		if !materialCodeRE.MatchString(m.Code) {
			fe.Add(p+".code", "material_code_invalid")
		} else if codes[m.Code] {
			fe.Add(p+".code", "material_code_duplicate")
		}
		codes[m.Code] = true
		if strings.TrimSpace(m.Name) == "" {
			fe.Add(p+".name", "required")
		}
		switch m.Form {
		case FormOriginal, FormCopy, FormBoth, FormElectronic:
		default:
			fe.Add(p+".form", "material_form_invalid")
		}
		if m.Count < 1 || m.Count > 99 {
			fe.Add(p+".count", "material_count_invalid")
		}
		if !m.Required && strings.TrimSpace(m.Condition) == "" {
			fe.Add(p+".condition", "material_condition_required")
		}
		if m.LicenseType != "" && !licenseTypeRE.MatchString(m.LicenseType) {
			fe.Add(p+".license_type", "license_type_invalid")
		}
		if m.DataResource != "" && !resourceCodeRE.MatchString(m.DataResource) {
			fe.Add(p+".data_resource", "data_resource_invalid")
		}
		if m.OnlineForm && len(s.FormSchema) == 0 {
			fe.Add(p+".online_form", "material_online_form_without_form")
		}
	}
	if !g.Fees.Free && len(g.Fees.Items) == 0 {
		fe.Add("guide.fees", "fees_required")
	}
	for i, f := range g.Fees.Items {
		p := fmt.Sprintf("guide.fees.items[%d]", i)
		if strings.TrimSpace(f.Name) == "" {
			fe.Add(p+".name", "required")
		}
		if strings.TrimSpace(f.Amount) == "" {
			fe.Add(p+".amount", "required")
		}
		if strings.TrimSpace(f.Basis) == "" {
			fe.Add(p+".basis", "fee_basis_required")
		}
	}
	if g.StatutoryDays < 0 || g.StatutoryDays > 365 {
		fe.Add("guide.statutory_days", "days_invalid")
	}
	if g.PromisedDays < 0 || g.PromisedDays > 365 {
		fe.Add("guide.promised_days", "days_invalid")
	} else if g.StatutoryDays > 0 && g.PromisedDays > g.StatutoryDays {
		fe.Add("guide.promised_days", "promised_exceeds_statutory")
	}
	if g.VisitsRequired < 0 || g.VisitsRequired > 9 {
		fe.Add("guide.visits_required", "visits_invalid")
	}
	if g.ContactPhone == "" {
		fe.Add("guide.contact_phone", "required")
	} else if idcheck.ContactPhone(g.ContactPhone) != nil {
		fe.Add("guide.contact_phone", "phone_invalid")
	}
	if g.ComplaintPhone != "" && idcheck.ContactPhone(g.ComplaintPhone) != nil {
		fe.Add("guide.complaint_phone", "phone_invalid")
	}
	if s.Depth != FullOnline && len(g.Locations) == 0 {
		fe.Add("guide.locations", "locations_required")
	}
	for i, l := range g.Locations {
		if strings.TrimSpace(l.Name) == "" || strings.TrimSpace(l.Address) == "" {
			fe.Add(fmt.Sprintf("guide.locations[%d]", i), "location_incomplete")
		}
	}
	for i, q := range g.FAQs {
		if strings.TrimSpace(q.Q) == "" || strings.TrimSpace(q.A) == "" {
			fe.Add(fmt.Sprintf("guide.faqs[%d]", i), "faq_incomplete")
		}
	}
	if s.Process != "" && !processCodeRE.MatchString(s.Process) {
		fe.Add("process", "process_code_invalid")
	}
	if s.FormSchema != nil {
		if err := CheckFormSchema(s.FormSchema); err != nil {
			fe.Add("form_schema", "form_schema_invalid")
		} else if _, err := Prefills(s.FormSchema); err != nil {
			fe.Add("form_schema", "form_prefill_invalid")
		}
	}
	if li := s.IssuesLicense; li != nil {
		if !licenseCodeRE.MatchString(li.Type) {
			fe.Add("issues_license.type", "license_type_code_invalid")
		}
		props := formProperties(s.FormSchema)
		for lf, ff := range li.Fields {
			if !licenseCodeRE.MatchString(lf) {
				fe.Add("issues_license.fields."+lf, "license_field_name_invalid")
			} else if !props[ff] {
				fe.Add("issues_license.fields."+lf, "license_form_field_unknown")
			}
		}
	}
	return fe.Err()
}

// formProperties returns the top-level property names of a form schema.
func formProperties(raw json.RawMessage) map[string]bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	out := map[string]bool{}
	if json.Unmarshal(raw, &s) == nil {
		for k := range s.Properties {
			out[k] = true
		}
	}
	return out
}

// CheckFormSchema reports whether raw is a valid JSON Schema (draft 2020-12)
// describing an object, as the application form must.
func CheckFormSchema(raw json.RawMessage) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("catalog: form schema is not JSON: %w", err)
	}
	m, ok := doc.(map[string]any)
	if !ok || m["type"] != "object" {
		return fmt.Errorf("catalog: form schema must be an object schema")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("form.json", doc); err != nil {
		return fmt.Errorf("catalog: form schema: %w", err)
	}
	if _, err := c.Compile("form.json"); err != nil {
		return fmt.Errorf("catalog: form schema: %w", err)
	}
	return nil
}

func oneOf[T comparable](v T, set []T) bool {
	for _, x := range set {
		if x == v {
			return true
		}
	}
	return false
}

// HasAudience reports whether the service is for a.
func (s Service) HasAudience(a Audience) bool { return oneOf(a, s.Audience) }
