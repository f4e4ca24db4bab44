package catalog

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A form schema may mark a top-level string property with "x-prefill":
// where the platform takes its value from when an applicant starts the
// service, so the applicant does not type what the government already
// holds. The sources are:
//
//	applicant.name          the applicant: the organization's name when
//	                        applying for one, else the person's name
//	applicant.id_number     the acting person's ID number
//	person.name             the acting person's name
//	organization.name, organization.credit_code,
//	organization.legal_representative, organization.address
//	                        the applying organization's registered data
//	                        (nothing when a person applies for themselves)
//	license:<type>.number   the number of a license the holder holds
//	license:<type>.<field>  a field of that license
//
// The applicant.*, person.* and organization.* sources are the verified
// identity: the platform sets them again at submission, so they cannot be
// changed. License fields are suggestions the applicant may correct.

// Prefill is one property's prefill source.
type Prefill struct {
	// Source is the x-prefill value as written.
	Source string
	// Identity is true for the verified-identity sources.
	Identity bool
	// LicenseType and LicenseField are set for license:<type>.<field>.
	LicenseType, LicenseField string
}

// IdentitySources are the verified-identity prefill sources.
var IdentitySources = []string{"applicant.name", "applicant.id_number", "person.name",
	"organization.name", "organization.credit_code", "organization.legal_representative", "organization.address"}

// ParsePrefill parses an x-prefill value.
func ParsePrefill(src string) (Prefill, error) {
	p := Prefill{Source: src}
	if oneOf(src, IdentitySources) {
		p.Identity = true
		return p, nil
	}
	rest, ok := strings.CutPrefix(src, "license:")
	if !ok {
		return p, fmt.Errorf("catalog: unknown prefill source %q", src)
	}
	typ, field, ok := strings.Cut(rest, ".")
	if !ok || !licenseTypeRE.MatchString(typ) || field == "" || len(field) > 60 {
		return p, fmt.Errorf("catalog: prefill %q: want license:<type>.<field>", src)
	}
	p.LicenseType, p.LicenseField = typ, field
	return p, nil
}

// Prefills returns the prefill sources of a form schema's top-level
// properties, by property name. A property marked x-prefill must be a
// string property and name a known source.
func Prefills(schema json.RawMessage) (map[string]Prefill, error) {
	if len(schema) == 0 {
		return nil, nil
	}
	var doc struct {
		Properties map[string]struct {
			Type    any             `json:"type"`
			Prefill json.RawMessage `json:"x-prefill"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(schema, &doc); err != nil {
		return nil, fmt.Errorf("catalog: form schema: %w", err)
	}
	out := map[string]Prefill{}
	for name, prop := range doc.Properties {
		if prop.Prefill == nil {
			continue
		}
		var src string
		if err := json.Unmarshal(prop.Prefill, &src); err != nil {
			return nil, fmt.Errorf("catalog: form property %q: x-prefill must be a string", name)
		}
		if prop.Type != "string" {
			return nil, fmt.Errorf("catalog: form property %q: only string properties are prefilled", name)
		}
		p, err := ParsePrefill(src)
		if err != nil {
			return nil, fmt.Errorf("catalog: form property %q: %w", name, err)
		}
		out[name] = p
	}
	return out, nil
}
