package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/tongban/tongban/internal/fielderr"
)

// An application form is a JSON Schema (see catalog.Service.FormSchema).
// The page renders one input per top-level property, chosen by its type,
// and turns the posted fields back into the JSON the schema validates, so
// the browser and the API go through the same validation.

// formField is one property of a form schema, ready for the template.
type formField struct {
	Name        string
	Title       string
	Description string
	Type        string // string, number, integer, boolean, array
	Format      string // date, email …
	Enum        []string
	Required    bool
	MaxLength   int
	Min, Max    string
	Multiline   bool
	// ItemEnum is set for an array of strings chosen from a list.
	ItemEnum []string
	// Columns is set for an array of objects: the row's fields.
	Columns []formField
	// Value is the current value as text; Values for lists; Rows for
	// arrays of objects (one map per row, plus blank rows to fill).
	Value  string
	Values []string
	Rows   []map[string]string
	// Locked is set for a verified-identity field (x-prefill applicant.*,
	// person.*, organization.*) that holds its verified value: shown read
	// only, and set again by the server at submission. FromLicense is set
	// for a field prefilled from a license, which stays editable.
	Locked      bool
	FromLicense bool
}

// formCell is one value of a filled-in form, to read.
type formCell struct {
	Title, Type, Value string
}

// Cell is the field's value to read.
func (f formField) Cell() formCell {
	return formCell{Title: f.Title, Type: f.Type, Value: f.Value}
}

// FilledRows lists a table's rows that hold something, each as its filled
// cells in column order.
func (f formField) FilledRows() [][]formCell {
	var out [][]formCell
	for _, row := range f.Rows {
		var cells []formCell
		for _, c := range f.Columns {
			if v := row[c.Name]; v != "" {
				cells = append(cells, formCell{Title: c.Title, Type: c.Type, Value: v})
			}
		}
		if len(cells) > 0 {
			out = append(out, cells)
		}
	}
	return out
}

// Input names: "f.<property>", and "f.<property>.<row>.<column>" for rows.
func fieldInput(name string) string { return "f." + name }

type schemaProp struct {
	Type        any                   `json:"type"`
	Title       string                `json:"title"`
	Description string                `json:"description"`
	Format      string                `json:"format"`
	Enum        []any                 `json:"enum"`
	MaxLength   int                   `json:"maxLength"`
	Minimum     *float64              `json:"minimum"`
	Maximum     *float64              `json:"maximum"`
	Items       *schemaProp           `json:"items"`
	Properties  map[string]schemaProp `json:"properties"`
	Required    []string              `json:"required"`
	Order       int                   `json:"x-order"`
}

func (p schemaProp) typ() string {
	switch t := p.Type.(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
	}
	return "string"
}

// schemaFields lists a schema's top-level properties in the schema's own
// order (the order they appear in the document), and so the columns of a
// table (an array of objects).
func schemaFields(schema json.RawMessage) []formField {
	if len(schema) == 0 {
		return nil
	}
	var s schemaProp
	if json.Unmarshal(schema, &s) != nil {
		return nil
	}
	order := propertyOrder(schema)
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	// A table's columns keep their order in the document too.
	var items struct {
		Properties map[string]struct {
			Items json.RawMessage `json:"items"`
		} `json:"properties"`
	}
	json.Unmarshal(schema, &items)
	var out []formField
	for _, name := range order {
		p, ok := s.Properties[name]
		if !ok {
			continue
		}
		f := makeField(name, p, required[name])
		if len(f.Columns) > 1 {
			pos := map[string]int{}
			for i, n := range propertyOrder(items.Properties[name].Items) {
				pos[n] = i + 1
			}
			sort.SliceStable(f.Columns, func(i, j int) bool {
				a, b := pos[f.Columns[i].Name], pos[f.Columns[j].Name]
				return a != 0 && (b == 0 || a < b)
			})
		}
		out = append(out, f)
	}
	return out
}

func makeField(name string, p schemaProp, required bool) formField {
	f := formField{Name: name, Title: p.Title, Description: p.Description, Type: p.typ(), Format: p.Format, Required: required, MaxLength: p.MaxLength}
	if f.Title == "" {
		f.Title = name
	}
	for _, e := range p.Enum {
		f.Enum = append(f.Enum, fmt.Sprint(e))
	}
	if p.Minimum != nil {
		f.Min = strconv.FormatFloat(*p.Minimum, 'f', -1, 64)
	}
	if p.Maximum != nil {
		f.Max = strconv.FormatFloat(*p.Maximum, 'f', -1, 64)
	}
	f.Multiline = f.Type == "string" && p.MaxLength > 200 && p.Format == "" && len(f.Enum) == 0
	if f.Type == "array" && p.Items != nil {
		switch p.Items.typ() {
		case "object":
			req := map[string]bool{}
			for _, r := range p.Items.Required {
				req[r] = true
			}
			names := make([]string, 0, len(p.Items.Properties))
			for n := range p.Items.Properties {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				c := makeField(n, p.Items.Properties[n], req[n])
				c.Multiline = false
				f.Columns = append(f.Columns, c)
			}
		default:
			for _, e := range p.Items.Enum {
				f.ItemEnum = append(f.ItemEnum, fmt.Sprint(e))
			}
		}
	}
	return f
}

// propertyOrder returns the names of the schema's top-level properties in
// document order.
func propertyOrder(schema json.RawMessage) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(schema, &top) != nil {
		return nil
	}
	raw, ok := top["properties"]
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var names []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return names
		}
		name, _ := t.(string)
		names = append(names, name)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return names
		}
	}
	return names
}

// blankRows is how many empty rows an array-of-objects field offers.
const blankRows = 2

// fillFields sets the fields' current values from a stored form.
func fillFields(fields []formField, form json.RawMessage) []formField {
	var vals map[string]any
	json.Unmarshal(form, &vals)
	for i := range fields {
		f := &fields[i]
		v, ok := vals[f.Name]
		switch {
		case f.Type == "array" && len(f.Columns) > 0:
			if rows, ok := v.([]any); ok {
				for _, r := range rows {
					m := map[string]string{}
					if obj, ok := r.(map[string]any); ok {
						for k, x := range obj {
							m[k] = textOf(x)
						}
					}
					f.Rows = append(f.Rows, m)
				}
			}
			for range blankRows {
				f.Rows = append(f.Rows, map[string]string{})
			}
		case f.Type == "array":
			if list, ok := v.([]any); ok {
				for _, x := range list {
					f.Values = append(f.Values, textOf(x))
				}
			}
			f.Value = strings.Join(f.Values, "\n")
		case ok:
			f.Value = textOf(v)
		}
	}
	return fields
}

func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// formFromPost turns posted inputs back into the form's JSON. A number that
// does not parse is kept as the text typed, so the page shows it again
// unchanged, and reported in bad, on its top-level field: NaN and
// infinities are not numbers here either, as JSON has none. err is set
// only when the form cannot be encoded, and then form is nil: the caller
// must not go on, or the draft would be emptied.
func formFromPost(fields []formField, post url.Values) (form json.RawMessage, bad, err error) {
	out := map[string]any{}
	var fe fielderr.Errors
	value := func(f formField, typ, v string) any {
		x, ok := scalar(typ, v)
		if !ok && !fe.Has("form."+f.Name) {
			key := "number_invalid"
			if typ == "integer" {
				key = "whole_number_invalid"
			}
			fe.Add("form."+f.Name, key)
		}
		return x
	}
	for _, f := range fields {
		key := fieldInput(f.Name)
		switch {
		case f.Type == "array" && len(f.Columns) > 0:
			var rows []any
			for i := 0; i < 100; i++ {
				row := map[string]any{}
				filled := false
				present := false
				for _, c := range f.Columns {
					k := fmt.Sprintf("%s.%d.%s", key, i, c.Name)
					if _, ok := post[k]; ok {
						present = true
					}
					if v := strings.TrimSpace(post.Get(k)); v != "" {
						row[c.Name] = value(f, c.Type, v)
						filled = true
					}
				}
				if !present {
					break
				}
				if filled {
					rows = append(rows, row)
				}
			}
			if len(rows) > 0 {
				out[f.Name] = rows
			}
		case f.Type == "array" && len(f.ItemEnum) > 0:
			if vs := post[key]; len(vs) > 0 {
				list := make([]any, 0, len(vs))
				for _, v := range vs {
					list = append(list, v)
				}
				out[f.Name] = list
			}
		case f.Type == "array":
			var list []any
			for _, line := range strings.Split(post.Get(key), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					list = append(list, line)
				}
			}
			if len(list) > 0 {
				out[f.Name] = list
			}
		case f.Type == "boolean":
			if _, ok := post[key]; ok {
				out[f.Name] = post.Get(key) == "true"
			}
		default:
			if v := strings.TrimSpace(post.Get(key)); v != "" {
				out[f.Name] = value(f, f.Type, v)
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, nil, fmt.Errorf("web: encode the posted form: %w", err)
	}
	return b, fe.Err(), nil
}

// scalar reads one typed value of type typ; ok is false for a number that
// does not parse, which is returned as the text typed. A number is
// written in decimal and finite; a boolean (in a table row, chosen from
// 是/否) is "true" or "false".
//
// Digits typed with a Chinese input method in full width (１２, ３．５) are
// read as the digits they are.
func scalar(typ, v string) (x any, ok bool) {
	if typ == "number" || typ == "integer" {
		v = halfWidthNumber(v)
	}
	switch typ {
	case "number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || strings.ContainsAny(v, "xX") {
			return v, false
		}
		return json.Number(strconv.FormatFloat(n, 'f', -1, 64)), true
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return v, false
		}
		return n, true
	case "boolean":
		if v == "true" || v == "false" {
			return v == "true", true
		}
	}
	return v, true
}

// fullWidthNumber maps the full-width forms of what a number is written
// with to their ASCII forms.
var fullWidthNumber = strings.NewReplacer(
	"０", "0", "１", "1", "２", "2", "３", "3", "４", "4",
	"５", "5", "６", "6", "７", "7", "８", "8", "９", "9",
	"．", ".", "－", "-", "＋", "+", "ｅ", "e", "Ｅ", "E", "\u3000", "")

// halfWidthNumber is v with full-width digits, point and signs written as
// ASCII, and the ideographic space dropped.
func halfWidthNumber(v string) string {
	return strings.TrimSpace(fullWidthNumber.Replace(v))
}
