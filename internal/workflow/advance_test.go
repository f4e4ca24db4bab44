package workflow

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tongban/tongban/internal/identity"
)

func step(id string, kind StepKind, after ...string) Step {
	role := identity.Reviewer
	switch kind {
	case Accept, Conclude:
		role = identity.Clerk
	case Decide:
		role = identity.Approver
	}
	return Step{ID: id, Kind: kind, Name: id, DepartmentCode: "SCJG", Role: role, Days: 1, After: after}
}

// sequence: accept → review → decide → conclude.
func sequence() *Definition {
	return &Definition{Code: "SEQ", Name: "顺序流程", DepartmentCode: "SCJG", Steps: []Step{
		step("accept", Accept), step("review", Review, "accept"), step("decide", Decide, "review"), step("conclude", Conclude, "decide"),
	}}
}

// joint: accept → (scjg_review ∥ xf_review) → (scjg_decide ∥ xf_decide) → conclude.
func joint(denyEnds bool) *Definition {
	d := &Definition{Code: "JOINT", Name: "并联审批", DepartmentCode: "SCJG", DenyEnds: denyEnds, Steps: []Step{
		step("accept", Accept),
		step("scjg_review", Review, "accept"),
		step("xf_review", Review, "accept"),
		step("scjg_decide", Decide, "scjg_review"),
		step("xf_decide", Decide, "xf_review"),
		step("conclude", Conclude, "scjg_decide", "xf_decide"),
	}}
	d.Steps[2].DepartmentCode, d.Steps[4].DepartmentCode = "XF", "XF"
	return d
}

// branch: accept → review ∥ (fire → fire_check, both when area > 500) → decide → conclude.
func branch() *Definition {
	d := &Definition{Code: "BRANCH", Name: "条件分支", DepartmentCode: "SCJG", Steps: []Step{
		step("accept", Accept),
		step("review", Review, "accept"),
		step("fire", Review, "accept"),
		step("fire_check", Review, "fire"),
		step("decide", Decide, "review", "fire_check"),
		step("conclude", Conclude, "decide"),
	}}
	d.Steps[2].When = &Condition{Field: "area", Op: OpGt, Value: 500.0}
	d.Steps[3].When = &Condition{Field: "area", Op: OpGt, Value: 500.0}
	return d
}

type o = map[string]Outcome

func TestAdvance(t *testing.T) {
	small := map[string]any{"area": 120.0}
	large := map[string]any{"area": 800.0}
	for _, tc := range []struct {
		name   string
		def    *Definition
		done   o
		active []string
		form   map[string]any
		want   Progress
	}{
		{"start activates accept", sequence(), o{}, nil, nil, Progress{Activate: []string{"accept"}}},
		{"accept active: nothing to do", sequence(), o{}, []string{"accept"}, nil, Progress{}},
		{"refused at intake", sequence(), o{"accept": Denied}, nil, nil, Progress{Result: Denied}},
		{"sequence: review after accept", sequence(), o{"accept": Passed}, nil, nil, Progress{Activate: []string{"review"}}},
		{"sequence: review denied is an opinion for the decision", sequence(), o{"accept": Passed, "review": Denied}, nil, nil, Progress{Activate: []string{"decide"}}},
		{"sequence: approved", sequence(), o{"accept": Passed, "review": Passed, "decide": Passed}, nil, nil, Progress{Activate: []string{"conclude"}, Result: Passed}},
		{"sequence: approved despite a dissenting review", sequence(), o{"accept": Passed, "review": Denied, "decide": Passed}, nil, nil, Progress{Activate: []string{"conclude"}, Result: Passed}},
		{"sequence: decision denied", sequence(), o{"accept": Passed, "review": Passed, "decide": Denied}, nil, nil, Progress{Activate: []string{"conclude"}, Result: Denied}},
		{"sequence: conclude active keeps the result", sequence(), o{"accept": Passed, "review": Passed, "decide": Passed}, []string{"conclude"}, nil, Progress{Result: Passed}},
		{"sequence: concluded", sequence(), o{"accept": Passed, "review": Passed, "decide": Denied, "conclude": Passed}, nil, nil, Progress{Result: Denied}},

		{"parallel: both reviews start", joint(false), o{"accept": Passed}, nil, nil, Progress{Activate: []string{"scjg_review", "xf_review"}}},
		{"parallel: one branch moves on alone", joint(false), o{"accept": Passed, "xf_review": Passed}, []string{"scjg_review"}, nil, Progress{Activate: []string{"xf_decide"}}},
		{"parallel: join waits for the other branch", joint(false), o{"accept": Passed, "scjg_review": Passed, "xf_review": Passed, "xf_decide": Passed}, []string{"scjg_decide"}, nil, Progress{}},
		{"parallel: join", joint(false), o{"accept": Passed, "scjg_review": Passed, "xf_review": Passed, "xf_decide": Passed, "scjg_decide": Passed}, nil, nil, Progress{Activate: []string{"conclude"}, Result: Passed}},
		{"without DenyEnds a review denial waits for the decision", joint(false), o{"accept": Passed, "xf_review": Denied}, []string{"scjg_review"}, nil, Progress{Activate: []string{"xf_decide"}}},
		{"without DenyEnds a decision denied waits for the other branch", joint(false), o{"accept": Passed, "scjg_review": Passed, "xf_review": Passed, "xf_decide": Denied}, []string{"scjg_decide"}, nil, Progress{}},
		{"without DenyEnds the denial shows once all finished", joint(false), o{"accept": Passed, "scjg_review": Passed, "xf_review": Passed, "xf_decide": Denied, "scjg_decide": Passed}, nil, nil, Progress{Activate: []string{"conclude"}, Result: Denied}},
		{"DenyEnds: a review denial ends at once", joint(true), o{"accept": Passed, "xf_review": Denied}, []string{"scjg_review"}, nil, Progress{Activate: []string{"conclude"}, Cancel: []string{"scjg_review"}, Result: Denied}},
		{"DenyEnds: a decision denial cancels the other branch", joint(true), o{"accept": Passed, "scjg_review": Passed, "xf_review": Passed, "xf_decide": Denied}, []string{"scjg_decide"}, nil, Progress{Activate: []string{"conclude"}, Cancel: []string{"scjg_decide"}, Result: Denied}},
		{"DenyEnds: conclude already active is kept", joint(true), o{"accept": Passed, "xf_review": Denied}, []string{"conclude"}, nil, Progress{Result: Denied}},
		{"DenyEnds: all agree", joint(true), o{"accept": Passed, "scjg_review": Passed, "xf_review": Passed, "xf_decide": Passed, "scjg_decide": Passed}, nil, nil, Progress{Activate: []string{"conclude"}, Result: Passed}},

		{"branch true: the conditional step runs", branch(), o{"accept": Passed}, nil, large, Progress{Activate: []string{"review", "fire"}}},
		{"branch false: skipped transitively", branch(), o{"accept": Passed}, nil, small, Progress{Activate: []string{"review"}, Skip: []string{"fire", "fire_check"}}},
		{"branch false: skipped predecessors count as done", branch(), o{"accept": Passed, "fire": Skipped, "fire_check": Skipped, "review": Passed}, nil, small, Progress{Activate: []string{"decide"}}},
		{"branch false: an unconditional step after a skipped one runs", unconditionalAfterSkip(), o{"accept": Passed}, nil, small, Progress{Activate: []string{"review", "fire_check"}, Skip: []string{"fire"}}},
		{"branch: a missing field does not hold", branch(), o{"accept": Passed}, nil, map[string]any{}, Progress{Activate: []string{"review"}, Skip: []string{"fire", "fire_check"}}},
		{"branch true: join waits for the extra branch", branch(), o{"accept": Passed, "review": Passed, "fire": Passed}, []string{"fire_check"}, large, Progress{}},

		{"countersign: Advance sees only the step's outcome", countersigned(), o{"accept": Passed, "review": Passed}, []string{"decide"}, nil, Progress{}},
		{"countersign: once signed the process moves on", countersigned(), o{"accept": Passed, "review": Passed, "decide": Passed}, nil, nil, Progress{Activate: []string{"conclude"}, Result: Passed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.def.Advance(tc.done, tc.active, tc.form)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Advance(%v, %v) = %+v, want %+v", tc.done, tc.active, got, tc.want)
			}
		})
	}
}

func unconditionalAfterSkip() *Definition {
	d := branch()
	d.Steps[3].When = nil
	return d
}

func countersigned() *Definition {
	d := sequence()
	d.Steps[2].Signers = 2
	return d
}

// TestAdvanceSkipChain: a whole conditional chain skips in one call, and
// the join after it activates in the same call.
func TestAdvanceSkipChain(t *testing.T) {
	d := &Definition{Code: "CHAIN", Name: "链式跳过", DepartmentCode: "SCJG", Steps: []Step{
		step("accept", Accept),
		step("a", Review, "accept"),
		step("b", Review, "a"),
		step("c", Decide, "b"),
		step("conclude", Conclude, "c"),
	}}
	d.Steps[1].When = &Condition{Field: "kind", Op: OpEq, Value: "x"}
	d.Steps[2].When = &Condition{Field: "kind", Op: OpEq, Value: "x"}
	d.Steps[3].When = &Condition{Field: "kind", Op: OpEq, Value: "x"}
	got := d.Advance(o{"accept": Passed}, nil, map[string]any{"kind": "y"})
	want := Progress{Activate: []string{"conclude"}, Skip: []string{"a", "b", "c"}, Result: Passed}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Advance = %+v, want %+v", got, want)
	}
}

// TestAdvanceAfterDeniedDecision: steps behind a denied decision are
// skipped, not run, and the conclude step still comes.
func TestAdvanceAfterDeniedDecision(t *testing.T) {
	d := &Definition{Code: "TWO", Name: "两级审批", DepartmentCode: "SCJG", Steps: []Step{
		step("accept", Accept),
		step("district", Decide, "accept"),
		step("city", Decide, "district"),
		step("conclude", Conclude, "city"),
	}}
	got := d.Advance(o{"accept": Passed, "district": Denied}, nil, nil)
	want := Progress{Activate: []string{"conclude"}, Skip: []string{"city"}, Result: Denied}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Advance = %+v, want %+v", got, want)
	}
}

// TestAdvanceWalk plays a whole application through a joint process as
// an engine would: record what Advance returns until a result.
func TestAdvanceWalk(t *testing.T) {
	d := branch()
	done := o{}
	var active []string
	form := map[string]any{"area": 120.0}
	var result Outcome
	for range 10 {
		p := d.Advance(done, active, form)
		for _, id := range p.Skip {
			done[id] = Skipped
		}
		active = append(active, p.Activate...)
		if p.Result != "" {
			result = p.Result
		}
		if len(active) == 0 {
			break
		}
		// Finish the first active step.
		done[active[0]] = Passed
		active = active[1:]
	}
	if result != Passed {
		t.Errorf("result = %q, want passed", result)
	}
	want := o{"accept": Passed, "review": Passed, "fire": Skipped, "fire_check": Skipped, "decide": Passed, "conclude": Passed}
	if !reflect.DeepEqual(done, want) {
		t.Errorf("outcomes = %v, want %v", done, want)
	}
}

func TestConditionHolds(t *testing.T) {
	var form map[string]any
	json.Unmarshal([]byte(`{"area": 600, "kind": "餐饮服务经营者", "ok": true, "n": 3}`), &form)
	for _, tc := range []struct {
		c    Condition
		want bool
	}{
		{Condition{"area", OpGt, 500}, true},
		{Condition{"area", OpGt, 600.0}, false},
		{Condition{"area", OpGte, 600}, true},
		{Condition{"area", OpLt, 600}, false},
		{Condition{"area", OpLte, json.Number("600")}, true},
		{Condition{"area", OpEq, 600}, true},
		{Condition{"area", OpNe, 600}, false},
		{Condition{"kind", OpEq, "餐饮服务经营者"}, true},
		{Condition{"kind", OpNe, "单位食堂"}, true},
		{Condition{"kind", OpIn, []any{"单位食堂", "餐饮服务经营者"}}, true},
		{Condition{"kind", OpIn, []string{"单位食堂"}}, false},
		{Condition{"kind", OpGt, "a"}, false},
		{Condition{"ok", OpEq, true}, true},
		{Condition{"n", OpIn, []int{1, 2, 3}}, true},
		{Condition{"missing", OpNe, "x"}, false},
		{Condition{"area", OpEq, "600"}, false},
		{Condition{"area", "like", 600}, false},
	} {
		if got := tc.c.Holds(form); got != tc.want {
			t.Errorf("%s Holds = %v, want %v", tc.c.String(), got, tc.want)
		}
	}
	var nilCond *Condition
	if !nilCond.Holds(nil) {
		t.Error("a nil condition must hold")
	}
}

func TestAncestorsDescendants(t *testing.T) {
	d := branch()
	if got, want := d.Ancestors("decide"), []string{"accept", "review", "fire", "fire_check"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Ancestors(decide) = %v, want %v", got, want)
	}
	if got, want := d.Descendants("fire"), []string{"fire_check", "decide", "conclude"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Descendants(fire) = %v, want %v", got, want)
	}
	if got := d.Ancestors("accept"); len(got) != 0 {
		t.Errorf("Ancestors(accept) = %v, want none", got)
	}
	if d.First().ID != "accept" || d.Last().ID != "conclude" {
		t.Errorf("First/Last = %s/%s", d.First().ID, d.Last().ID)
	}
	if s, ok := d.Step("fire"); !ok || s.When == nil {
		t.Errorf("Step(fire) = %+v, %v", s, ok)
	}
	if _, ok := d.Step("nope"); ok {
		t.Error("Step(nope) found")
	}
}

func TestLayersAndCriticalDays(t *testing.T) {
	d := branch()
	d.Steps[1].Days = 5 // review
	d.Steps[2].Days = 2 // fire
	d.Steps[3].Days = 2 // fire_check
	var got [][]string
	for _, l := range d.Layers() {
		var ids []string
		for _, s := range l {
			ids = append(ids, s.ID)
		}
		got = append(got, ids)
	}
	want := [][]string{{"accept"}, {"review", "fire"}, {"fire_check"}, {"decide"}, {"conclude"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Layers = %v, want %v", got, want)
	}
	// accept 1 + review 5 + decide 1 + conclude 1 beats 1+2+2+1+1.
	if n := d.CriticalDays(); n != 8 {
		t.Errorf("CriticalDays = %d, want 8", n)
	}
}
