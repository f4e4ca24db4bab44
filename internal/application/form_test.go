package application

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/i18n"
)

// Compiled schemas are kept by their text: a second schema with the same
// field but other rules is not answered from the first one's, and a full
// cache starts afresh without losing correctness.
func TestValidateFormCompiledSchemas(t *testing.T) {
	small := json.RawMessage(`{"type":"object","properties":{"area":{"type":"number","maximum":100}}}`)
	large := json.RawMessage(`{"type":"object","properties":{"area":{"type":"number","maximum":1000}}}`)
	form := json.RawMessage(`{"area":500}`)
	for range 2 {
		err := validateForm(small, form)
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) || inv.Get("form.area") == "" {
			t.Fatalf("area 500 under a maximum of 100: got %v, want an error on form.area", err)
		}
		if err := validateForm(large, form); err != nil {
			t.Fatalf("area 500 under a maximum of 1000: %v", err)
		}
	}
	for i := range maxCompiledSchemas + 10 {
		s := json.RawMessage(fmt.Sprintf(`{"type":"object","properties":{"area":{"type":"number","maximum":%d}}}`, i))
		if err := validateForm(s, json.RawMessage(fmt.Sprintf(`{"area":%d}`, i))); err != nil {
			t.Fatalf("schema %d: %v", i, err)
		}
	}
	if n := len(compiledSchemas.m); n > maxCompiledSchemas {
		t.Errorf("cache holds %d schemas, want at most %d", n, maxCompiledSchemas)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			want := i%2 == 0
			s := small
			if !want {
				s = large
			}
			if got := validateForm(s, form) != nil; got != want {
				t.Errorf("concurrent validation %d: error %v, want %v", i, got, want)
			}
		})
	}
	wg.Wait()
}

// TestFormErrorsNameTheBound: a value outside a bound of the schema is
// told the bound, in both languages; "the length is not allowed" and "the
// number is out of range" left the applicant to guess.
func TestFormErrorsNameTheBound(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{
		"name":{"type":"string","minLength":5,"maxLength":8},
		"area":{"type":"number","minimum":1,"maximum":10000},
		"rate":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":0.5},
		"rows":{"type":"array","minItems":1,"maxItems":2}}}`)
	for _, tc := range []struct {
		form, field, zh, en string
	}{
		{`{"name":"临江"}`, "form.name", "至少 5 个字。", "At least 5 characters."},
		{`{"name":"临江市滨江区李四小吃店"}`, "form.name", "最多 8 个字。", "At most 8 characters."},
		{`{"area":0}`, "form.area", "不能小于 1。", "Must be at least 1."},
		{`{"area":20000}`, "form.area", "不能大于 10000。", "Must be at most 10000."},
		{`{"rate":0}`, "form.rate", "须大于 0。", "Must be more than 0."},
		{`{"rate":0.5}`, "form.rate", "须小于 0.5。", "Must be less than 0.5."},
		{`{"rows":[]}`, "form.rows", "至少填写 1 项。", "At least 1 entry."},
		{`{"rows":[1,2,3]}`, "form.rows", "最多填写 2 项。", "At most 2 entries."},
	} {
		var inv *fielderr.Invalid
		if err := validateForm(schema, json.RawMessage(tc.form)); !errors.As(err, &inv) {
			t.Errorf("%s: %v, want a field error", tc.form, err)
			continue
		}
		for _, f := range inv.Fields {
			if f.Field != tc.field {
				continue
			}
			if zh, en := i18n.T(i18n.ZH, f.Key, f.Params...), i18n.T(i18n.EN, f.Key, f.Params...); zh != tc.zh || en != tc.en {
				t.Errorf("%s: %q / %q, want %q / %q", tc.form, zh, en, tc.zh, tc.en)
			}
		}
	}
}
