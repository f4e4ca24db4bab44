// Package fielderr carries validation failures from the domain packages to
// the user: a list of (field, message key) pairs. The web layer translates
// each key into the user's language; the domain never formats user text.
package fielderr

import (
	"errors"
	"sort"
	"strings"
)

// Errors is a set of field-level validation failures. Its zero value is
// empty and ready to use.
type Errors struct {
	list []Field
}

// Field is one failure: the field's name as the API and form call it, and a
// message key (see the i18n catalog), with optional parameters for the
// message.
type Field struct {
	Field  string
	Key    string
	Params []any
}

// New returns an error with a single field failure.
func New(field, key string, params ...any) error {
	var e Errors
	e.Add(field, key, params...)
	return e.Err()
}

// Add records a failure.
func (e *Errors) Add(field, key string, params ...any) {
	e.list = append(e.list, Field{Field: field, Key: key, Params: params})
}

// Has reports whether field already has a failure.
func (e *Errors) Has(field string) bool {
	for _, f := range e.list {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Merge adds every failure in err, if err is a *Invalid, under prefix.
// It returns false (and adds nothing) for any other error.
func (e *Errors) Merge(prefix string, err error) bool {
	var inv *Invalid
	if !errors.As(err, &inv) {
		return false
	}
	for _, f := range inv.Fields {
		name := f.Field
		if prefix != "" {
			name = prefix + "." + name
		}
		e.list = append(e.list, Field{Field: name, Key: f.Key, Params: f.Params})
	}
	return true
}

// Err returns nil when no failure was added, or an *Invalid.
func (e *Errors) Err() error {
	if len(e.list) == 0 {
		return nil
	}
	fields := append([]Field(nil), e.list...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	return &Invalid{Fields: fields}
}

// Invalid is the error type for validation failures.
type Invalid struct {
	Fields []Field
}

func (v *Invalid) Error() string {
	var b strings.Builder
	b.WriteString("invalid: ")
	for i, f := range v.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Field + ": " + f.Key)
	}
	return b.String()
}

// Get returns the message key for field, or "".
func (v *Invalid) Get(field string) string {
	for _, f := range v.Fields {
		if f.Field == field {
			return f.Key
		}
	}
	return ""
}

// Rename returns err with the failures of field from reported on field to
// instead, for a page whose forms name the same thing differently (two
// forms on one page, each with a "reason"). Any other error is returned
// as it is.
func Rename(err error, from, to string) error {
	var inv *Invalid
	if !errors.As(err, &inv) {
		return err
	}
	out := &Invalid{Fields: make([]Field, len(inv.Fields))}
	for i, f := range inv.Fields {
		if f.Field == from {
			f.Field = to
		}
		out.Fields[i] = f
	}
	return out
}
