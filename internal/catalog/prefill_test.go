package catalog

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/tongban/tongban/internal/fielderr"
)

func TestPrefills(t *testing.T) {
	tests := []struct {
		name    string
		schema  string
		want    map[string]Prefill
		wantErr bool
	}{
		{"none", `{"type":"object","properties":{"a":{"type":"string"}}}`, map[string]Prefill{}, false},
		{"identity", `{"type":"object","properties":{"名称":{"type":"string","x-prefill":"organization.name"}}}`,
			map[string]Prefill{"名称": {Source: "organization.name", Identity: true}}, false},
		{"license field", `{"type":"object","properties":{"法定代表人":{"type":"string","x-prefill":"license:business_license.legal_representative"}}}`,
			map[string]Prefill{"法定代表人": {Source: "license:business_license.legal_representative", LicenseType: "business_license", LicenseField: "legal_representative"}}, false},
		{"license number", `{"type":"object","properties":{"n":{"type":"string","x-prefill":"license:food_business_license.number"}}}`,
			map[string]Prefill{"n": {Source: "license:food_business_license.number", LicenseType: "food_business_license", LicenseField: "number"}}, false},
		{"unknown source", `{"type":"object","properties":{"a":{"type":"string","x-prefill":"applicant.phone"}}}`, nil, true},
		{"license without field", `{"type":"object","properties":{"a":{"type":"string","x-prefill":"license:business_license"}}}`, nil, true},
		{"bad license type", `{"type":"object","properties":{"a":{"type":"string","x-prefill":"license:Business.name"}}}`, nil, true},
		{"not a string property", `{"type":"object","properties":{"a":{"type":"number","x-prefill":"person.name"}}}`, nil, true},
		{"not a string value", `{"type":"object","properties":{"a":{"type":"string","x-prefill":1}}}`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Prefills(json.RawMessage(tc.schema))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Prefills(%s) error = %v, want error %v", tc.schema, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Prefills(%s) = %v, want %v", tc.schema, got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("Prefills(%s)[%q] = %+v, want %+v", tc.schema, k, got[k], v)
				}
			}
		})
	}
}

// TestValidateFulfilmentFields checks the catalog refuses malformed
// license types, data resources, online-form materials without a form and
// bad prefill annotations, each on its field.
func TestValidateFulfilmentFields(t *testing.T) {
	base := func() Service {
		return Service{Code: "TEST-001", Name: "测试事项", Kind: Licensing, DepartmentCode: "SCJG", Audience: []Audience{Person}, Depth: FullOnline,
			Guide: Guide{Conditions: "无", LegalBasis: []LegalBasis{{Name: "某法"}}, Fees: Fees{Free: true}, ContactPhone: "12345",
				Materials: []MaterialRequirement{{Code: "m1", Name: "申请书", Form: FormElectronic, Count: 1, Required: true}}}}
	}
	tests := []struct {
		name  string
		edit  func(*Service)
		field string
		code  string
	}{
		{"license type", func(s *Service) { s.Guide.Materials[0].LicenseType = "Business License" }, "guide.materials[0].license_type", "license_type_invalid"},
		{"data resource", func(s *Service) { s.Guide.Materials[0].DataResource = "ga-household" }, "guide.materials[0].data_resource", "data_resource_invalid"},
		{"online form without a form", func(s *Service) { s.Guide.Materials[0].OnlineForm = true }, "guide.materials[0].online_form", "material_online_form_without_form"},
		{"prefill", func(s *Service) {
			s.FormSchema = json.RawMessage(`{"type":"object","properties":{"a":{"type":"string","x-prefill":"someone.else"}}}`)
		}, "form_schema", "form_prefill_invalid"},
	}
	ok := base()
	ok.Guide.Materials[0].LicenseType, ok.Guide.Materials[0].DataResource = "resident_id_card", "GA-HOUSEHOLD"
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid service: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.edit(&s)
			err := s.Validate()
			if err == nil || !fieldHas(err, tc.field, tc.code) {
				t.Errorf("Validate() = %v, want %s on %s", err, tc.code, tc.field)
			}
		})
	}
}

func fieldHas(err error, field, code string) bool {
	var inv *fielderr.Invalid
	return errors.As(err, &inv) && inv.Get(field) == code
}
