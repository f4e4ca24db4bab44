package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// Directory answers what validation needs to know about the organization:
// that departments exist and have active staff in a role.
// identity.Store implements it.
type Directory interface {
	DepartmentExists(ctx context.Context, code string) (bool, error)
	// HasRole reports whether an active staff member holds role in dept.
	HasRole(ctx context.Context, dept string, role identity.Role) (bool, error)
}

// RoleCounter is an optional extension of a Directory: when the directory
// implements it, Validate also checks that a countersigned step has as
// many active staff in its role as it needs signers.
type RoleCounter interface {
	CountRole(ctx context.Context, dept string, role identity.Role) (int, error)
}

// Limits of a definition.
const (
	MinDays    = 1
	MaxDays    = 60
	MaxSigners = 9
	MaxSteps   = 50
)

var (
	codeRE   = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,39}$`)
	stepIDRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// Validate checks a definition and reports every problem at once, each
// with its field path (e.g. steps[2].after) and an i18n message key. dir
// answers whether departments exist and are staffed; form is the JSON
// Schema of the application form of the service that uses the process
// (its top-level properties are what conditions may test; nil when no
// service uses it yet, and then no condition is allowed). Errors other
// than *fielderr.Invalid come from dir.
func (d *Definition) Validate(ctx context.Context, dir Directory, form json.RawMessage) error {
	v := validator{ctx: ctx, dir: dir, depts: map[string]bool{}, roles: map[string]int{}}
	if err := v.check(d, form); err != nil {
		return err
	}
	return v.fe.Err()
}

type validator struct {
	ctx   context.Context
	dir   Directory
	fe    fielderr.Errors
	depts map[string]bool // cached DepartmentExists
	roles map[string]int  // cached staff count per dept/role (-1: has some, count unknown)
}

func (v *validator) department(code string) (bool, error) {
	if ok, seen := v.depts[code]; seen {
		return ok, nil
	}
	ok, err := v.dir.DepartmentExists(v.ctx, code)
	if err != nil {
		return false, fmt.Errorf("workflow: validate: %w", err)
	}
	v.depts[code] = ok
	return ok, nil
}

// staff returns how many active staff hold role in dept (-1 when the
// directory only says that some do).
func (v *validator) staff(dept string, role identity.Role) (int, error) {
	key := dept + "/" + string(role)
	if n, seen := v.roles[key]; seen {
		return n, nil
	}
	n, err := countRole(v.ctx, v.dir, dept, role)
	if err != nil {
		return 0, fmt.Errorf("workflow: validate: %w", err)
	}
	v.roles[key] = n
	return n, nil
}

// countRole returns how many active staff hold role in dept, or -1 for
// "some" when dir cannot count (no RoleCounter).
func countRole(ctx context.Context, dir Directory, dept string, role identity.Role) (int, error) {
	if rc, ok := dir.(RoleCounter); ok {
		return rc.CountRole(ctx, dept, role)
	}
	has, err := dir.HasRole(ctx, dept, role)
	if err != nil || !has {
		return 0, err
	}
	return -1, nil
}

func (v *validator) check(d *Definition, form json.RawMessage) error {
	fe := &v.fe
	if !codeRE.MatchString(d.Code) {
		fe.Add("code", "process_code_invalid")
	}
	if n := len([]rune(d.Name)); n < 2 || n > 100 {
		fe.Add("name", "process_name_invalid")
	}
	if len([]rune(d.NameEn)) > 200 {
		fe.Add("name_en", "text_too_long", 200)
	}
	if d.DepartmentCode == "" {
		fe.Add("department_code", "required")
	} else if ok, err := v.department(d.DepartmentCode); err != nil {
		return err
	} else if !ok {
		fe.Add("department_code", "department_unknown")
	}
	if len(d.Steps) == 0 {
		fe.Add("steps", "process_steps_required")
		return nil
	}
	if len(d.Steps) > MaxSteps {
		fe.Add("steps", "process_steps_too_many", MaxSteps)
		return nil
	}
	fields, formErr := schemaProperties(form)

	ids := map[string]int{}
	accepts, concludes := 0, 0
	for i, s := range d.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		switch {
		case !stepIDRE.MatchString(s.ID):
			fe.Add(p+".id", "process_step_id_invalid")
		case ids[s.ID] > 0:
			fe.Add(p+".id", "process_step_id_duplicate")
		}
		ids[s.ID]++
		switch s.Kind {
		case Accept:
			accepts++
		case Conclude:
			concludes++
		case Review, Decide:
		default:
			fe.Add(p+".kind", "process_step_kind_invalid")
		}
		if n := len([]rune(s.Name)); n < 1 || n > 40 {
			fe.Add(p+".name", "process_step_name_invalid")
		}
		if len([]rune(s.NameEn)) > 100 {
			fe.Add(p+".name_en", "text_too_long", 100)
		}
		if s.Days < MinDays || s.Days > MaxDays {
			fe.Add(p+".days", "process_step_days_invalid", MinDays, MaxDays)
		}
		if s.Signers < 0 || s.Signers > MaxSigners {
			fe.Add(p+".signers", "process_step_signers_invalid", MaxSigners)
		} else if s.Signers > 1 && (s.Kind == Accept || s.Kind == Conclude) {
			fe.Add(p+".signers", "process_step_signers_kind")
		}
		roleOK := slices.Contains(StepRoles, s.Role)
		if !roleOK {
			fe.Add(p+".role", "process_step_role_invalid")
		}
		deptOK := false
		if s.DepartmentCode == "" {
			fe.Add(p+".department_code", "required")
		} else if ok, err := v.department(s.DepartmentCode); err != nil {
			return err
		} else if !ok {
			fe.Add(p+".department_code", "department_unknown")
		} else {
			deptOK = true
		}
		if roleOK && deptOK {
			n, err := v.staff(s.DepartmentCode, s.Role)
			if err != nil {
				return err
			}
			switch {
			case n == 0:
				fe.Add(p+".role", "process_step_role_unstaffed")
			case n > 0 && s.Signers > n && s.Signers <= MaxSigners:
				fe.Add(p+".signers", "process_step_signers_unstaffed", n)
			}
		}
		if s.Kind == Accept && len(s.After) > 0 {
			fe.Add(p+".after", "process_accept_after")
		}
		if s.Kind != Accept && len(s.After) == 0 {
			fe.Add(p+".after", "process_step_after_required")
		}
		if s.When != nil {
			switch s.Kind {
			case Accept:
				fe.Add(p+".when", "process_accept_when")
			case Conclude:
				fe.Add(p+".when", "process_conclude_when")
			default:
				v.condition(p+".when", s.When, fields, formErr)
			}
		}
	}
	if accepts != 1 {
		fe.Add("steps", "process_accept_count")
	}
	if concludes != 1 {
		fe.Add("steps", "process_conclude_count")
	}
	for i, s := range d.Steps {
		for _, a := range s.After {
			if ids[a] == 0 {
				fe.Add(fmt.Sprintf("steps[%d].after", i), "process_step_after_unknown", a)
			}
		}
	}
	v.graph(d, ids, accepts == 1, concludes == 1)
	return nil
}

// graph reports cycles, steps the accept step does not lead to, and steps
// that do not lead to the conclude step.
func (v *validator) graph(d *Definition, ids map[string]int, oneAccept, oneConclude bool) {
	idx := d.index()
	// Cycles: a step is on one when it can reach itself.
	succ := d.successors()
	reach := func(from string, next func(string) []string) map[string]bool {
		seen := map[string]bool{}
		queue := []string{from}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, n := range next(cur) {
				if !seen[n] && ids[n] == 1 {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		return seen
	}
	forward := func(id string) []string { return succ[id] }
	backward := func(id string) []string {
		if i, ok := idx[id]; ok {
			return d.Steps[i].After
		}
		return nil
	}
	for i, s := range d.Steps {
		if ids[s.ID] != 1 {
			continue
		}
		if reach(s.ID, forward)[s.ID] {
			v.fe.Add(fmt.Sprintf("steps[%d].after", i), "process_cycle")
		}
	}
	if oneAccept {
		from := reach(d.First().ID, forward)
		for i, s := range d.Steps {
			if s.Kind != Accept && ids[s.ID] == 1 && !from[s.ID] {
				v.fe.Add(fmt.Sprintf("steps[%d].after", i), "process_step_unreachable")
			}
		}
	}
	if oneConclude {
		to := reach(d.Last().ID, backward)
		for i, s := range d.Steps {
			if s.Kind != Conclude && ids[s.ID] == 1 && !to[s.ID] {
				v.fe.Add(fmt.Sprintf("steps[%d]", i), "process_step_dead_end")
			}
		}
	}
}

// property is what a condition needs to know of a form field.
type property struct {
	Type string
	Enum []any
}

// schemaProperties reads the top-level properties of a form schema.
func schemaProperties(form json.RawMessage) (map[string]property, error) {
	if len(form) == 0 {
		return nil, nil
	}
	var sch struct {
		Properties map[string]struct {
			Type any   `json:"type"`
			Enum []any `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(form, &sch); err != nil {
		return nil, err
	}
	out := make(map[string]property, len(sch.Properties))
	for name, p := range sch.Properties {
		t, _ := p.Type.(string)
		if list, ok := p.Type.([]any); ok {
			// ["number", "null"] and the like: the first non-null type.
			for _, x := range list {
				if s, _ := x.(string); s != "" && s != "null" {
					t = s
					break
				}
			}
		}
		out[name] = property{Type: t, Enum: p.Enum}
	}
	return out, nil
}

// FormMismatch is a condition of a process that one service's form cannot
// answer.
type FormMismatch struct {
	// Step is the conditional step.
	Step Step
	// Missing is true when the form lacks the field the condition tests,
	// false when the field's type or choices do not fit the condition.
	Missing bool
}

// FormMismatches checks the conditions of d against the form schema of one
// service that uses it, by the rule Validate applies to each such form,
// and returns the steps whose conditions the form cannot answer. A service
// without a form (nil) has none of the fields a condition may test.
func (d *Definition) FormMismatches(form json.RawMessage) []FormMismatch {
	fields, err := schemaProperties(form)
	if fields == nil || err != nil {
		fields = map[string]property{}
	}
	var out []FormMismatch
	for _, s := range d.Steps {
		if s.When == nil || s.Kind == Accept || s.Kind == Conclude {
			continue
		}
		var v validator
		v.condition("when", s.When, fields, nil)
		var inv *fielderr.Invalid
		if !errors.As(v.fe.Err(), &inv) {
			continue
		}
		m := FormMismatch{Step: s}
		for _, f := range inv.Fields {
			m.Missing = m.Missing || f.Key == "process_when_field_unknown"
		}
		out = append(out, m)
	}
	return out
}

// condition checks a step's condition against the form's fields.
func (v *validator) condition(p string, c *Condition, fields map[string]property, formErr error) {
	fe := &v.fe
	if !slices.Contains(Ops, c.Op) {
		fe.Add(p+".op", "process_when_op_invalid")
	}
	if fields == nil || formErr != nil {
		fe.Add(p+".field", "process_when_no_form")
		return
	}
	f, ok := fields[c.Field]
	if !ok {
		fe.Add(p+".field", "process_when_field_unknown", c.Field)
		return
	}
	if !slices.Contains(Ops, c.Op) {
		return
	}
	switch f.Type {
	case "number", "integer":
	case "string", "boolean":
		if ordering(c.Op) {
			fe.Add(p+".op", "process_when_op_type")
			return
		}
	default:
		// Arrays, objects and untyped fields cannot be compared.
		fe.Add(p+".field", "process_when_field_type")
		return
	}
	values := []any{c.Value}
	if c.Op == OpIn {
		list, ok := asList(c.Value)
		if !ok || len(list) == 0 {
			fe.Add(p+".value", "process_when_value_list")
			return
		}
		values = list
	}
	for _, x := range values {
		if !fits(f.Type, x) {
			fe.Add(p+".value", "process_when_value_type")
			return
		}
		if len(f.Enum) > 0 && !slices.ContainsFunc(f.Enum, func(e any) bool { return equal(x, e) }) {
			fe.Add(p+".value", "process_when_value_choice", valueString(x))
			return
		}
	}
}

// fits reports whether a condition value suits a field type.
func fits(typ string, x any) bool {
	switch typ {
	case "number":
		_, ok := number(x)
		return ok
	case "integer":
		f, ok := number(x)
		return ok && f == float64(int64(f))
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	}
	return false
}
