package workflow

import (
	"context"
	"fmt"
	"slices"

	"github.com/tongban/tongban/internal/identity"
)

// A Shortage is a step of a process that its department's staff cannot
// take as things stand: nobody active holds its role, or fewer people than
// it needs countersigners. Saving the process is refused then (see
// Validate), but a role taken away or an account disabled afterwards
// leaves a stored process short without saying so, and its applications
// stop at that step.
type Shortage struct {
	Process string `json:"process"`
	// ProcessName and ProcessNameEn are the process's names.
	ProcessName   string `json:"process_name"`
	ProcessNameEn string `json:"process_name_en,omitempty"`
	Step          Step   `json:"step"`
	// Have is how many active staff hold the step's role in its
	// department; Need how many it takes (its countersigners, else one).
	Have int `json:"have"`
	Need int `json:"need"`
}

// Shortages lists the short steps of the newest version of every process,
// in the departments depts (every department when all is set), by
// process and step order.
func (s *Store) Shortages(ctx context.Context, depts []string, all bool) ([]Shortage, error) {
	defs, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	count := func(dept string, role identity.Role) (int, error) {
		key := dept + "/" + string(role)
		if n, ok := counts[key]; ok {
			return n, nil
		}
		n, err := countRole(ctx, s.dir, dept, role)
		if err != nil {
			return 0, err
		}
		if n < 0 {
			n = 1 // some: enough for a step that needs one
		}
		counts[key] = n
		return n, nil
	}
	var out []Shortage
	for _, d := range defs {
		for _, st := range d.Steps {
			if !all && !slices.Contains(depts, st.DepartmentCode) {
				continue
			}
			need := max(st.Signers, 1)
			have, err := count(st.DepartmentCode, st.Role)
			if err != nil {
				return nil, fmt.Errorf("workflow: shortages: %w", err)
			}
			if have < need {
				out = append(out, Shortage{Process: d.Code, ProcessName: d.Name, ProcessNameEn: d.NameEn, Step: st, Have: have, Need: need})
			}
		}
	}
	return out, nil
}
