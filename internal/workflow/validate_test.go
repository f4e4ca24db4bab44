package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/identity"
)

// fakeDir is a Directory: departments and how many active staff hold each
// role in them.
type fakeDir map[string]map[identity.Role]int

func (f fakeDir) DepartmentExists(_ context.Context, code string) (bool, error) {
	_, ok := f[code]
	return ok, nil
}

func (f fakeDir) HasRole(_ context.Context, dept string, role identity.Role) (bool, error) {
	return f[dept][role] > 0, nil
}

func (f fakeDir) CountRole(_ context.Context, dept string, role identity.Role) (int, error) {
	return f[dept][role], nil
}

var testDir = fakeDir{
	"SCJG": {identity.Clerk: 2, identity.Reviewer: 2, identity.Approver: 1},
	"XF":   {identity.Reviewer: 1},
}

var testForm = json.RawMessage(`{"type":"object","properties":{
	"area":{"type":"number","title":"经营面积"},
	"floors":{"type":"integer"},
	"kind":{"type":"string","enum":["餐饮服务经营者","单位食堂"]},
	"name":{"type":"string"},
	"items":{"type":"array","items":{"type":"string"}},
	"ok":{"type":"boolean"}}}`)

func invalidFields(t *testing.T, err error) map[string]bool {
	t.Helper()
	var inv *fielderr.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("Validate = %v, want *fielderr.Invalid", err)
	}
	got := map[string]bool{}
	for _, f := range inv.Fields {
		got[f.Field+" "+f.Key] = true
	}
	return got
}

func TestValidateAcceptsGoodDefinitions(t *testing.T) {
	ctx := context.Background()
	for name, d := range map[string]*Definition{"sequence": sequence(), "branch": branch(), "countersign": countersignedTwo()} {
		if err := d.Validate(ctx, testDir, testForm); err != nil {
			t.Errorf("%s: Validate = %v, want nil", name, err)
		}
	}
	j := joint(true)
	j.Steps[4].Role = identity.Reviewer // XF has reviewers only
	if err := j.Validate(ctx, testDir, nil); err != nil {
		t.Errorf("joint: Validate = %v, want nil", err)
	}
}

// countersignedTwo is a review signed by both SCJG reviewers.
func countersignedTwo() *Definition {
	d := sequence()
	d.Steps[1].Signers = 2
	return d
}

func TestValidateReportsEachProblem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(d *Definition)
		form   json.RawMessage
		want   string // "field key"
	}{
		{"code", func(d *Definition) { d.Code = "seq 1" }, nil, "code process_code_invalid"},
		{"name", func(d *Definition) { d.Name = "" }, nil, "name process_name_invalid"},
		{"owner unknown", func(d *Definition) { d.DepartmentCode = "NOPE" }, nil, "department_code department_unknown"},
		{"no steps", func(d *Definition) { d.Steps = nil }, nil, "steps process_steps_required"},
		{"bad id", func(d *Definition) { d.Steps[1].ID = "Review"; d.Steps[2].After = []string{"Review"} }, nil, "steps[1].id process_step_id_invalid"},
		{"duplicate id", func(d *Definition) { d.Steps[2].ID = "review" }, nil, "steps[2].id process_step_id_duplicate"},
		{"unknown kind", func(d *Definition) { d.Steps[1].Kind = "inspect" }, nil, "steps[1].kind process_step_kind_invalid"},
		{"step name", func(d *Definition) { d.Steps[1].Name = "" }, nil, "steps[1].name process_step_name_invalid"},
		{"two accepts", func(d *Definition) { d.Steps[1].Kind = Accept }, nil, "steps process_accept_count"},
		{"no accept", func(d *Definition) { d.Steps[0].Kind = Review }, nil, "steps process_accept_count"},
		{"two concludes", func(d *Definition) { d.Steps[2].Kind = Conclude }, nil, "steps process_conclude_count"},
		{"no conclude", func(d *Definition) { d.Steps[3].Kind = Decide }, nil, "steps process_conclude_count"},
		{"accept with predecessors", func(d *Definition) { d.Steps[0].After = []string{"review"} }, nil, "steps[0].after process_accept_after"},
		{"accept with a condition", func(d *Definition) { d.Steps[0].When = &Condition{"area", OpGt, 1} }, testForm, "steps[0].when process_accept_when"},
		{"conclude with a condition", func(d *Definition) { d.Steps[3].When = &Condition{"area", OpGt, 1} }, testForm, "steps[3].when process_conclude_when"},
		{"no predecessors", func(d *Definition) { d.Steps[2].After = nil }, nil, "steps[2].after process_step_after_required"},
		{"unknown predecessor", func(d *Definition) { d.Steps[2].After = []string{"reveiw"} }, nil, "steps[2].after process_step_after_unknown"},
		{"cycle", func(d *Definition) { d.Steps[1].After = []string{"accept", "decide"} }, nil, "steps[1].after process_cycle"},
		{"self loop", func(d *Definition) { d.Steps[1].After = []string{"accept", "review"} }, nil, "steps[1].after process_cycle"},
		{"unreachable", func(d *Definition) {
			d.Steps = append(d.Steps, step("orphan", Review, "island"), step("island", Review, "orphan"))
			d.Steps[3].After = []string{"decide", "orphan"}
		}, nil, "steps[4].after process_step_unreachable"},
		{"dead end", func(d *Definition) { d.Steps = append(d.Steps, step("dangling", Review, "accept")) }, nil, "steps[4] process_step_dead_end"},
		{"after conclude", func(d *Definition) { d.Steps = append(d.Steps, step("late", Review, "conclude")) }, nil, "steps[4] process_step_dead_end"},
		{"days zero", func(d *Definition) { d.Steps[1].Days = 0 }, nil, "steps[1].days process_step_days_invalid"},
		{"days too many", func(d *Definition) { d.Steps[1].Days = 61 }, nil, "steps[1].days process_step_days_invalid"},
		{"signers negative", func(d *Definition) { d.Steps[2].Signers = -1 }, nil, "steps[2].signers process_step_signers_invalid"},
		{"signers too many", func(d *Definition) { d.Steps[2].Signers = 10 }, nil, "steps[2].signers process_step_signers_invalid"},
		{"countersigned accept", func(d *Definition) { d.Steps[0].Signers = 2 }, nil, "steps[0].signers process_step_signers_kind"},
		{"more signers than staff", func(d *Definition) { d.Steps[2].Signers = 2 }, nil, "steps[2].signers process_step_signers_unstaffed"},
		{"role not a step role", func(d *Definition) { d.Steps[1].Role = identity.DeptAdmin }, nil, "steps[1].role process_step_role_invalid"},
		{"role unknown", func(d *Definition) { d.Steps[1].Role = "inspector" }, nil, "steps[1].role process_step_role_invalid"},
		{"step department unknown", func(d *Definition) { d.Steps[1].DepartmentCode = "NOPE" }, nil, "steps[1].department_code department_unknown"},
		{"step department missing", func(d *Definition) { d.Steps[1].DepartmentCode = "" }, nil, "steps[1].department_code required"},
		{"a role no department has", func(d *Definition) { d.Steps[2].DepartmentCode = "XF" }, nil, "steps[2].role process_step_role_unstaffed"},
		{"condition without a form", func(d *Definition) { d.Steps[1].When = &Condition{"area", OpGt, 500} }, nil, "steps[1].when.field process_when_no_form"},
		{"condition on an unknown field", func(d *Definition) { d.Steps[1].When = &Condition{"size", OpGt, 500} }, testForm, "steps[1].when.field process_when_field_unknown"},
		{"condition with an unknown op", func(d *Definition) { d.Steps[1].When = &Condition{"area", "over", 500} }, testForm, "steps[1].when.op process_when_op_invalid"},
		{"gt on a string", func(d *Definition) { d.Steps[1].When = &Condition{"name", OpGt, "m"} }, testForm, "steps[1].when.op process_when_op_type"},
		{"gt on a boolean", func(d *Definition) { d.Steps[1].When = &Condition{"ok", OpGt, true} }, testForm, "steps[1].when.op process_when_op_type"},
		{"condition on an array", func(d *Definition) { d.Steps[1].When = &Condition{"items", OpEq, "x"} }, testForm, "steps[1].when.field process_when_field_type"},
		{"string value for a number", func(d *Definition) { d.Steps[1].When = &Condition{"area", OpGt, "500"} }, testForm, "steps[1].when.value process_when_value_type"},
		{"fraction for an integer", func(d *Definition) { d.Steps[1].When = &Condition{"floors", OpGte, 2.5} }, testForm, "steps[1].when.value process_when_value_type"},
		{"value not a choice", func(d *Definition) { d.Steps[1].When = &Condition{"kind", OpEq, "餐馆"} }, testForm, "steps[1].when.value process_when_value_choice"},
		{"in without a list", func(d *Definition) { d.Steps[1].When = &Condition{"kind", OpIn, "单位食堂"} }, testForm, "steps[1].when.value process_when_value_list"},
		{"in with a wrong element", func(d *Definition) { d.Steps[1].When = &Condition{"kind", OpIn, []any{"单位食堂", 3}} }, testForm, "steps[1].when.value process_when_value_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sequence()
			tc.change(d)
			got := invalidFields(t, d.Validate(context.Background(), testDir, tc.form))
			if !got[tc.want] {
				t.Errorf("Validate reported %v, want %q among them", keys(got), tc.want)
			}
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestValidateReportsEverythingAtOnce: one definition with many problems
// gets them all in one answer, so an editor fixes them in one go.
func TestValidateReportsEverythingAtOnce(t *testing.T) {
	d := &Definition{Code: "bad code", Name: "流", DepartmentCode: "NOPE", Steps: []Step{
		{ID: "accept", Kind: Accept, Name: "受理", DepartmentCode: "SCJG", Role: identity.Clerk, Days: 1, After: []string{"decide"}},
		{ID: "Review", Kind: "inspect", Name: "审查", DepartmentCode: "XF", Role: identity.Approver, Days: 0, After: []string{"accept"}},
		{ID: "decide", Kind: Decide, Name: "决定", DepartmentCode: "GHOST", Role: "boss", Days: 99, Signers: 12, After: []string{"nowhere"},
			When: &Condition{Field: "name", Op: OpGt, Value: "x"}},
		{ID: "decide", Kind: Review, Name: "", DepartmentCode: "SCJG", Role: identity.Reviewer, Days: 1, After: []string{"accept"}},
	}}
	got := invalidFields(t, d.Validate(context.Background(), testDir, testForm))
	for _, want := range []string{
		"code process_code_invalid",
		"name process_name_invalid",
		"department_code department_unknown",
		"steps[0].after process_accept_after",
		"steps[1].id process_step_id_invalid",
		"steps[1].kind process_step_kind_invalid",
		"steps[1].days process_step_days_invalid",
		"steps[1].role process_step_role_unstaffed",
		"steps[2].department_code department_unknown",
		"steps[2].role process_step_role_invalid",
		"steps[2].days process_step_days_invalid",
		"steps[2].signers process_step_signers_invalid",
		"steps[2].after process_step_after_unknown",
		"steps[2].when.op process_when_op_type",
		"steps[3].id process_step_id_duplicate",
		"steps[3].name process_step_name_invalid",
		"steps process_conclude_count",
	} {
		if !got[want] {
			t.Errorf("missing %q; got %v", want, strings.Join(keys(got), ", "))
		}
	}
}

// TestValidateWithoutRoleCounter: a Directory that only answers HasRole
// still validates; countersign counts are then not checked.
func TestValidateWithoutRoleCounter(t *testing.T) {
	d := sequence()
	d.Steps[2].Signers = 2
	dir := struct{ Directory }{testDir}
	if err := d.Validate(context.Background(), dir, nil); err != nil {
		t.Errorf("Validate = %v, want nil", err)
	}
}
