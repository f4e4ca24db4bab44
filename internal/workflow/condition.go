package workflow

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Condition is a test on one field of the application form, which decides
// whether a conditional step runs.
type Condition struct {
	// Field is a top-level property of the service's form schema.
	Field string `json:"field"`
	// Op is eq, ne, gt, gte, lt, lte or in. The ordering operators need a
	// number or integer field; in needs a list of values.
	Op string `json:"op"`
	// Value is compared with the form's value: a string, number or boolean
	// matching the field's type, or a list of them for in.
	Value any `json:"value"`
}

// The operators.
const (
	OpEq  = "eq"
	OpNe  = "ne"
	OpGt  = "gt"
	OpGte = "gte"
	OpLt  = "lt"
	OpLte = "lte"
	OpIn  = "in"
)

// Ops lists the operators.
var Ops = []string{OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpIn}

func ordering(op string) bool { return op == OpGt || op == OpGte || op == OpLt || op == OpLte }

// Holds reports whether the condition holds on a decoded form (as
// json.Unmarshal into map[string]any gives it; Go integers and json.Number
// work too). A condition on a field the form lacks, or whose value has
// another type, does not hold. A nil condition always holds.
func (c *Condition) Holds(form map[string]any) bool {
	if c == nil {
		return true
	}
	v, ok := form[c.Field]
	if !ok || v == nil {
		return false
	}
	switch c.Op {
	case OpEq:
		return equal(v, c.Value)
	case OpNe:
		return comparable(v, c.Value) && !equal(v, c.Value)
	case OpIn:
		list, ok := asList(c.Value)
		if !ok {
			return false
		}
		for _, x := range list {
			if equal(v, x) {
				return true
			}
		}
		return false
	case OpGt, OpGte, OpLt, OpLte:
		a, ok1 := number(v)
		b, ok2 := number(c.Value)
		if !ok1 || !ok2 {
			return false
		}
		switch c.Op {
		case OpGt:
			return a > b
		case OpGte:
			return a >= b
		case OpLt:
			return a < b
		default:
			return a <= b
		}
	}
	return false
}

// asList returns the elements of a list value: []any as decoded from
// JSON, or any other slice built in Go.
func asList(v any) ([]any, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// number converts the numeric types a decoded form can hold.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func comparable(a, b any) bool {
	if _, ok := number(a); ok {
		_, ok := number(b)
		return ok
	}
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	case bool:
		_, ok := b.(bool)
		return ok
	}
	return false
}

func equal(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}

// String writes the condition as a short expression, e.g. "经营面积 > 500"
// or "迁入类别 ∈ {人才落户, 其他}", for diagrams and lists.
func (c *Condition) String() string {
	if c == nil {
		return ""
	}
	sym := map[string]string{OpEq: "=", OpNe: "≠", OpGt: ">", OpGte: "≥", OpLt: "<", OpLte: "≤", OpIn: "∈"}[c.Op]
	if sym == "" {
		sym = c.Op
	}
	return c.Field + " " + sym + " " + valueString(c.Value)
}

func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	if list, ok := asList(v); ok {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = valueString(e)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}
