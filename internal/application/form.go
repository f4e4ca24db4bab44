package application

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/tongban/tongban/internal/fielderr"
)

// maxFormBytes caps the JSON of one application form.
const maxFormBytes = 64 << 10

// parseForm checks raw is a JSON object of reasonable size whose numbers
// all fit a float64 (what forms are read back as, for conditions, pages
// and supplement answers), and returns it compacted with its decoded
// value.
func parseForm(raw json.RawMessage) (json.RawMessage, map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if len(raw) > maxFormBytes {
		return nil, nil, fielderr.New("form", "form_too_large")
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, nil, fielderr.New("form", "form_not_object")
	}
	var fe fielderr.Errors
	for name, v := range m {
		if !numbersFit(v) {
			fe.Add("form."+name, "form_field_range")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, nil, fielderr.New("form", "form_not_object")
	}
	return buf.Bytes(), m, nil
}

// numbersFit reports whether every number in v (decoded with UseNumber)
// is a finite float64: JSON allows 1e400, which no page could show again.
func numbersFit(v any) bool {
	switch v := v.(type) {
	case json.Number:
		_, err := strconv.ParseFloat(string(v), 64)
		return err == nil
	case map[string]any:
		for _, e := range v {
			if !numbersFit(e) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !numbersFit(e) {
				return false
			}
		}
	}
	return true
}

// compiledSchemas keeps the form schemas already compiled, by their text:
// a published version's schema never changes, and compiling it is a good
// part of validating a form.
var compiledSchemas = &schemaCache{m: map[string]*jsonschema.Schema{}}

// maxCompiledSchemas bounds the cache; past it, the cache starts afresh.
const maxCompiledSchemas = 256

type schemaCache struct {
	mu sync.Mutex
	m  map[string]*jsonschema.Schema
}

// get returns schema compiled, compiling it on first use. A compiled
// schema validates concurrently.
func (c *schemaCache) get(schema json.RawMessage) (*jsonschema.Schema, error) {
	c.mu.Lock()
	sch, ok := c.m[string(schema)]
	c.mu.Unlock()
	if ok {
		return sch, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("application: service form schema: %w", err)
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	// "format" is only an annotation in draft 2020-12 unless asserted: a
	// date field must hold a date.
	comp.AssertFormat()
	if err := comp.AddResource("form.json", doc); err != nil {
		return nil, fmt.Errorf("application: service form schema: %w", err)
	}
	sch, err = comp.Compile("form.json")
	if err != nil {
		return nil, fmt.Errorf("application: service form schema: %w", err)
	}
	c.mu.Lock()
	if len(c.m) >= maxCompiledSchemas {
		clear(c.m)
	}
	c.m[string(schema)] = sch
	c.mu.Unlock()
	return sch, nil
}

// formValues decodes a stored form for condition evaluation.
func formValues(raw json.RawMessage) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return map[string]any{}
	}
	return m
}

// validateForm checks the form against the service's JSON Schema and
// returns field-level errors keyed by the top-level property that failed,
// as "form.<property>".
func validateForm(schema, raw json.RawMessage) error {
	if len(schema) == 0 {
		return nil
	}
	sch, err := compiledSchemas.get(schema)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fielderr.New("form", "form_not_object")
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("application: validate form: %w", err)
	}
	var fe fielderr.Errors
	collectFormErrors(&fe, ve)
	if fe.Err() == nil {
		fe.Add("form", "form_invalid")
	}
	return fe.Err()
}

// collectFormErrors walks the validation error tree down to its leaves and
// reports each failing top-level property once.
func collectFormErrors(fe *fielderr.Errors, ve *jsonschema.ValidationError) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			collectFormErrors(fe, c)
		}
		return
	}
	loc := ve.InstanceLocation
	if r, ok := ve.ErrorKind.(*kind.Required); ok {
		// A required property is missing: at the top level it names the
		// field; deeper down the field is the top-level one that holds it.
		if len(loc) == 0 {
			for _, name := range r.Missing {
				if !fe.Has("form." + name) {
					fe.Add("form."+name, "form_field_required")
				}
			}
			return
		}
	}
	if len(loc) == 0 {
		if !fe.Has("form") {
			key, params := formErrorKey(ve)
			fe.Add("form", key, params...)
		}
		return
	}
	name := "form." + loc[0]
	if !fe.Has(name) {
		key, params := formErrorKey(ve)
		fe.Add(name, key, params...)
	}
}

// formErrorKey maps a schema failure to a message key and its arguments:
// a bound that was not met is named with its value ("At least 5
// characters", "Must be at most 100"), which "the length is not allowed"
// left the applicant to guess.
func formErrorKey(ve *jsonschema.ValidationError) (string, []any) {
	switch k := ve.ErrorKind.(type) {
	case *kind.MinLength:
		return "form_field_min_length", []any{k.Want}
	case *kind.MaxLength:
		return "form_field_max_length", []any{k.Want}
	case *kind.Minimum:
		return "form_field_minimum", []any{ratText(k.Want)}
	case *kind.Maximum:
		return "form_field_maximum", []any{ratText(k.Want)}
	case *kind.ExclusiveMinimum:
		return "form_field_above", []any{ratText(k.Want)}
	case *kind.ExclusiveMaximum:
		return "form_field_below", []any{ratText(k.Want)}
	case *kind.MinItems:
		return "form_field_min_items", []any{k.Want}
	case *kind.MaxItems:
		return "form_field_max_items", []any{k.Want}
	}
	kp := ve.ErrorKind.KeywordPath()
	if len(kp) == 0 {
		return "form_field_invalid", nil
	}
	switch kp[len(kp)-1] {
	case "type":
		return "form_field_type", nil
	case "pattern", "format":
		return "form_field_format", nil
	case "enum", "const":
		return "form_field_choice", nil
	case "required":
		return "form_field_required", nil
	}
	return "form_field_invalid", nil
}

// ratText writes a schema's bound as people write the number: 500, 0.5.
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}
