// Package workflow owns process definitions (流程): the steps (环节) an
// application for a service goes through from intake (受理) to conclusion
// (办结), who takes each step, its working-day limit, which steps run in
// parallel across departments (并联审批), which run only when the
// application form says so, and which need several signatures (会签).
//
// A definition is a directed acyclic graph with one root, the accept step,
// and one sink, the conclude step. Definitions are stored as immutable
// versions, so an application can stay on the version it started under.
// The package also holds the pure logic that tells the application engine
// which steps to start next ([Definition.Advance]) and draws a definition
// as an SVG diagram. The shape follows the usual 一网通办 practice of a
// standardized process per service (受理 → 审查 → 决定 → 办结), as in the
// national guidelines for standardizing government service items.
package workflow

import (
	"slices"
	"strings"

	"github.com/tongban/tongban/internal/identity"
)

// StepKind is what a step does.
type StepKind string

// The step kinds.
const (
	Accept   StepKind = "accept"   // 受理: intake; the unique first step
	Review   StepKind = "review"   // 审查: examination; a denial is an opinion passed on
	Decide   StepKind = "decide"   // 决定: approve or deny
	Conclude StepKind = "conclude" // 办结: deliver the result; the unique last step
)

// StepKinds lists the kinds in process order.
var StepKinds = []StepKind{Accept, Review, Decide, Conclude}

// StepRoles are the roles that may take a step.
var StepRoles = []identity.Role{identity.Clerk, identity.Reviewer, identity.Approver}

// Definition is a process: the steps of a service's workflow. Services name
// it by Code (catalog.Service.Process).
type Definition struct {
	// Code is the process code, referenced by catalog.Service.Process;
	// upper-case letters, digits and hyphens.
	Code string `json:"code"`
	// Version is set by the store: 1 for the first stored version.
	Version int    `json:"version,omitempty"`
	Name    string `json:"name"`
	NameEn  string `json:"name_en,omitempty"`
	// DepartmentCode is the owning department; its admins may edit the
	// definition.
	DepartmentCode string `json:"department_code"`
	// DenyEnds makes the process a joint approval in which one denial, by
	// a review or a decide step, ends the whole process at once.
	DenyEnds bool   `json:"deny_ends"`
	Steps    []Step `json:"steps"`
}

// Step is one step (环节) of a process.
type Step struct {
	// ID names the step within the definition: [a-z][a-z0-9_]{0,31}.
	ID     string   `json:"id"`
	Kind   StepKind `json:"kind"`
	Name   string   `json:"name"`
	NameEn string   `json:"name_en,omitempty"`
	// DepartmentCode is the department whose staff take the step.
	DepartmentCode string `json:"department_code"`
	// Role is the staff role that takes the step: clerk, reviewer or
	// approver.
	Role identity.Role `json:"role"`
	// Days is the step's limit in working days, 1..60.
	Days int `json:"days"`
	// After lists the steps that must finish first; empty only for the
	// accept step. Several steps with the same predecessors run in
	// parallel.
	After []string `json:"after,omitempty"`
	// When makes the step conditional: it runs only if the condition holds
	// on the application form, and is skipped otherwise.
	When *Condition `json:"when,omitempty"`
	// Signers is the number of distinct people who must each sign the step
	// (会签); 0 means 1.
	Signers int `json:"signers,omitempty"`
}

// LocalName returns the step's name in English when en is true and an
// English name is set, else its Chinese name.
func (s Step) LocalName(en bool) string {
	if en && s.NameEn != "" {
		return s.NameEn
	}
	return s.Name
}

// LocalName returns the process's name in English when en is true and an
// English name is set, else its Chinese name.
func (d *Definition) LocalName(en bool) string {
	if en && d.NameEn != "" {
		return d.NameEn
	}
	return d.Name
}

// Normalize trims text fields and drops empty and repeated predecessors, so
// that what is stored is what is validated.
func (d *Definition) Normalize() {
	d.Code = strings.TrimSpace(d.Code)
	d.Name = strings.TrimSpace(d.Name)
	d.NameEn = strings.TrimSpace(d.NameEn)
	d.DepartmentCode = strings.TrimSpace(d.DepartmentCode)
	for i := range d.Steps {
		s := &d.Steps[i]
		s.ID = strings.TrimSpace(s.ID)
		s.Name = strings.TrimSpace(s.Name)
		s.NameEn = strings.TrimSpace(s.NameEn)
		s.DepartmentCode = strings.TrimSpace(s.DepartmentCode)
		var after []string
		for _, a := range s.After {
			a = strings.TrimSpace(a)
			if a != "" && !slices.Contains(after, a) {
				after = append(after, a)
			}
		}
		s.After = after
		if s.When != nil {
			s.When.Field = strings.TrimSpace(s.When.Field)
			s.When.Op = strings.TrimSpace(s.When.Op)
		}
	}
}

// Step returns the step with the given id.
func (d *Definition) Step(id string) (Step, bool) {
	for _, s := range d.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// First returns the accept step. A valid definition has exactly one; for an
// invalid one First returns the first accept step, or the zero Step.
func (d *Definition) First() Step {
	for _, s := range d.Steps {
		if s.Kind == Accept {
			return s
		}
	}
	return Step{}
}

// Last returns the conclude step (the zero Step if there is none).
func (d *Definition) Last() Step {
	for _, s := range d.Steps {
		if s.Kind == Conclude {
			return s
		}
	}
	return Step{}
}

// Ancestors returns the ids of every step that comes before id (its
// predecessors, theirs, and so on), in definition order: the steps an
// application can be returned to.
func (d *Definition) Ancestors(id string) []string {
	return d.closure(id, func(s Step) []string { return s.After })
}

// Descendants returns the ids of every step that comes after id, in
// definition order: the steps to reopen when an application returns to id.
func (d *Definition) Descendants(id string) []string {
	succ := d.successors()
	return d.closure(id, func(s Step) []string { return succ[s.ID] })
}

func (d *Definition) closure(id string, next func(Step) []string) []string {
	seen := map[string]bool{}
	queue := []string{id}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		s, ok := d.Step(cur)
		if !ok {
			continue
		}
		for _, n := range next(s) {
			if !seen[n] && n != id {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	var out []string
	for _, s := range d.Steps {
		if seen[s.ID] {
			out = append(out, s.ID)
		}
	}
	return out
}

// successors maps each step id to the ids of the steps that name it in
// After, in definition order.
func (d *Definition) successors() map[string][]string {
	out := map[string][]string{}
	for _, s := range d.Steps {
		for _, a := range s.After {
			out[a] = append(out[a], s.ID)
		}
	}
	return out
}

// index maps step ids to their position in Steps.
func (d *Definition) index() map[string]int {
	m := make(map[string]int, len(d.Steps))
	for i, s := range d.Steps {
		if _, dup := m[s.ID]; !dup {
			m[s.ID] = i
		}
	}
	return m
}

// Layers groups the steps by the longest path from the accept step: layer
// 0 is the accept step, and a step sits one layer below its deepest
// predecessor. Steps of one layer can run side by side; within a layer
// they keep definition order. Steps on a cycle or after unknown steps (in
// an invalid definition) are left out.
func (d *Definition) Layers() [][]Step {
	depth := d.depths()
	var layers [][]Step
	for _, s := range d.Steps {
		n, ok := depth[s.ID]
		if !ok {
			continue
		}
		for len(layers) <= n {
			layers = append(layers, nil)
		}
		layers[n] = append(layers[n], s)
	}
	return layers
}

// depths returns the longest-path depth of every step whose predecessors
// are all known and acyclic.
func (d *Definition) depths() map[string]int {
	idx := d.index()
	depth := map[string]int{}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(id string) (int, bool)
	visit = func(id string) (int, bool) {
		switch state[id] {
		case 1:
			return 0, false
		case 2:
			n, ok := depth[id]
			return n, ok
		}
		i, known := idx[id]
		if !known {
			return 0, false
		}
		state[id] = 1
		n, ok := 0, true
		for _, a := range d.Steps[i].After {
			m, good := visit(a)
			if !good {
				ok = false
				continue
			}
			n = max(n, m+1)
		}
		state[id] = 2
		if ok {
			depth[id] = n
		}
		return n, ok
	}
	for _, s := range d.Steps {
		visit(s.ID)
	}
	return depth
}

// CriticalDays returns the working days of the longest chain of steps from
// accept to conclude: the most the process takes when every step uses its
// full limit and parallel steps run side by side.
func (d *Definition) CriticalDays() int {
	idx := d.index()
	memo := map[string]int{}
	var days func(id string, seen map[string]bool) int
	days = func(id string, seen map[string]bool) int {
		if v, ok := memo[id]; ok {
			return v
		}
		i, ok := idx[id]
		if !ok || seen[id] {
			return 0
		}
		seen[id] = true
		best := 0
		for _, a := range d.Steps[i].After {
			best = max(best, days(a, seen))
		}
		delete(seen, id)
		memo[id] = best + d.Steps[i].Days
		return memo[id]
	}
	best := 0
	for _, s := range d.Steps {
		best = max(best, days(s.ID, map[string]bool{}))
	}
	return best
}
