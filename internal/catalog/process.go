package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/fielderr"
	"github.com/tongban/tongban/internal/workflow"
)

// ProcessForms returns the form schemas of the services whose draft or live
// version uses the process code: what the process's conditions may test.
// A service without a form counts as a form without fields, so that a
// process cannot gain a condition its services could never answer (saving
// such a service would then be refused: see checkProcess).
func (s *Store) ProcessForms(ctx context.Context, q db.Querier, process string) ([]json.RawMessage, error) {
	// The stored documents are compact JSON, so the reference appears
	// verbatim; the LIKE narrows the scan and the decode confirms it.
	ref, err := json.Marshal(process)
	if err != nil {
		return nil, err
	}
	needle := `%"process":` + db.LikeEscape(string(ref)) + `%`
	rows, err := q.QueryContext(ctx, `SELECT s.draft, COALESCE(v.document, '') FROM services s
		LEFT JOIN service_versions v ON v.service_code = s.code AND v.version = s.published_version
		WHERE s.draft LIKE $1 ESCAPE '\' OR v.document LIKE $1 ESCAPE '\'
		ORDER BY s.code`, needle)
	if err != nil {
		return nil, fmt.Errorf("catalog: process forms: %w", err)
	}
	defer rows.Close()
	var out []json.RawMessage
	seen := map[string]bool{}
	for rows.Next() {
		var draft, live string
		if err := rows.Scan(&draft, &live); err != nil {
			return nil, fmt.Errorf("catalog: process forms: %w", err)
		}
		for _, doc := range []string{draft, live} {
			if doc == "" {
				continue
			}
			var svc Service
			if err := json.Unmarshal([]byte(doc), &svc); err != nil {
				return nil, fmt.Errorf("catalog: process forms: %w", err)
			}
			form := svc.FormSchema
			if len(form) == 0 {
				form = noForm
			}
			if svc.Process != process || seen[string(form)] {
				continue
			}
			seen[string(form)] = true
			out = append(out, form)
		}
	}
	return out, rows.Err()
}

// noForm is the schema a service without a form answers conditions with:
// it has no fields.
var noForm = json.RawMessage(`{"type":"object"}`)

// checkProcess refuses a service whose form cannot answer a condition of
// the latest version of its process, the version new applications start
// under: the form lacks the field a step's when tests, or the field's type
// or choices no longer fit. It is the rule the process editor applies to
// the forms of the services that use a process (workflow.Definition's
// Validate), seen from the service: applying it to drafts as well as to
// publishing keeps the two sides agreeing, so that neither a service nor
// its process is left in a state the other refuses to save against. A
// process not stored yet has nothing to check. tx is the transaction that
// writes the service; it takes the process's lock, which saving the
// process takes too, so that a condition added to it at the same moment
// is seen by one of the two.
func (s *Store) checkProcess(ctx context.Context, tx *db.Tx, svc *Service) error {
	if svc.Process == "" {
		return nil
	}
	if err := s.db.Lock(ctx, tx, workflow.LockKey(svc.Process)); err != nil {
		return err
	}
	def, err := workflow.LatestIn(ctx, tx, svc.Process)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("catalog: process of %s: %w", svc.Code, err)
	}
	var fe fielderr.Errors
	for _, m := range def.FormMismatches(svc.FormSchema) {
		key := "form_process_field_mismatch"
		if m.Missing {
			key = "form_process_field_missing"
		}
		fe.Add("form_schema", key, m.Step.When.Field, def.Code, m.Step.Name, m.Step.LocalName(true), m.Step.When.String())
	}
	return fe.Err()
}
