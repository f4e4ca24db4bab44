package application

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tongban/tongban/internal/fielderr"
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
