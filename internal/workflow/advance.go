package workflow

// Outcome is how a finished step ended.
type Outcome string

// The outcomes.
const (
	Passed  Outcome = "passed"  // accepted, agreed, approved or concluded
	Denied  Outcome = "denied"  // refused, disagreed or denied
	Skipped Outcome = "skipped" // not run: its condition did not hold, or it came after a denial
)

// Progress says what to do next, given the outcomes recorded so far.
type Progress struct {
	// Activate lists the steps to start now: every predecessor is passed,
	// skipped or denied without ending the process, the condition holds,
	// and the step is neither finished nor active.
	Activate []string
	// Skip lists the steps to record as skipped: they became ready but
	// their condition does not hold, or they follow a denied decision (a
	// decided denial makes later reviews and decisions on that path
	// pointless; the conclude step is never skipped). Skips are resolved
	// transitively: steps after a skipped step are in Activate or Skip of
	// the same Progress.
	Skip []string
	// Cancel lists active steps to cancel because the process ends early
	// (a denial in a DenyEnds process).
	Cancel []string
	// Result is "" while undecided, and Passed or Denied once the conclude
	// step is ready (or, with DenyEnds, once any denial ends the process).
	Result Outcome
}

// Advance says what to do next given the outcomes recorded so far. done
// holds the finished steps; steps absent from it are not finished; active
// lists the steps in progress. form is the decoded application form that
// conditions are tested on. Advance is pure: the caller records what it
// returns and calls it again after the next outcome.
//
// The rules:
//   - The accept step starts first. An application refused at intake (the
//     accept step denied) is Denied with nothing to start.
//   - A denied review is an opinion passed on to the decision, and a
//     denied decision makes the result Denied while parallel branches
//     still finish, so the applicant hears every department's reasons.
//   - With DenyEnds (joint approval), any denied review or decision ends
//     the process at once: every active step is cancelled, the conclude
//     step starts, and the result is Denied.
//   - The result is Passed when the conclude step becomes ready and no
//     decision was denied.
//   - Countersigned steps (Signers > 1) report a single outcome once
//     enough people signed; Advance sees only that outcome.
func (d *Definition) Advance(done map[string]Outcome, active []string, form map[string]any) Progress {
	var p Progress
	first, last := d.First(), d.Last()
	if done[first.ID] == Denied {
		p.Result = Denied
		return p
	}
	isActive := map[string]bool{}
	for _, id := range active {
		isActive[id] = true
	}
	if d.DenyEnds && d.denied(done, Review, Decide) {
		for _, s := range d.Steps {
			if isActive[s.ID] && s.ID != last.ID {
				p.Cancel = append(p.Cancel, s.ID)
			}
		}
		if _, fin := done[last.ID]; !fin && !isActive[last.ID] && last.ID != "" {
			p.Activate = append(p.Activate, last.ID)
		}
		p.Result = Denied
		return p
	}

	state := make(map[string]Outcome, len(done))
	for id, o := range done {
		state[id] = o
	}
	// afterDenial marks denied decisions and the steps skipped behind them.
	afterDenial := map[string]bool{}
	for _, s := range d.Steps {
		if s.Kind == Decide && done[s.ID] == Denied {
			afterDenial[s.ID] = true
		}
	}
	concludeReady := false
	if _, fin := done[last.ID]; fin || isActive[last.ID] {
		concludeReady = true
	}
	for _, layer := range d.Layers() {
		for _, s := range layer {
			if _, fin := state[s.ID]; fin || isActive[s.ID] {
				continue
			}
			ready, behindDenial := true, false
			for _, a := range s.After {
				if _, fin := state[a]; !fin {
					ready = false
					break
				}
				if afterDenial[a] {
					behindDenial = true
				}
			}
			if !ready {
				continue
			}
			switch {
			case s.ID == last.ID:
				p.Activate = append(p.Activate, s.ID)
				concludeReady = true
			case behindDenial:
				p.Skip = append(p.Skip, s.ID)
				state[s.ID] = Skipped
				afterDenial[s.ID] = true
			case !s.When.Holds(form):
				p.Skip = append(p.Skip, s.ID)
				state[s.ID] = Skipped
			default:
				p.Activate = append(p.Activate, s.ID)
			}
		}
	}
	p.Activate = d.inOrder(p.Activate)
	p.Skip = d.inOrder(p.Skip)
	if concludeReady {
		p.Result = Passed
		if d.denied(state, Decide) {
			p.Result = Denied
		}
	}
	return p
}

// denied reports whether a step of one of the kinds was denied.
func (d *Definition) denied(done map[string]Outcome, kinds ...StepKind) bool {
	for _, s := range d.Steps {
		if done[s.ID] != Denied {
			continue
		}
		for _, k := range kinds {
			if s.Kind == k {
				return true
			}
		}
	}
	return false
}

// inOrder sorts ids into definition order.
func (d *Definition) inOrder(ids []string) []string {
	if len(ids) < 2 {
		return ids
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := make([]string, 0, len(ids))
	for _, s := range d.Steps {
		if want[s.ID] {
			out = append(out, s.ID)
			want[s.ID] = false
		}
	}
	return out
}
