package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tongban/tongban/internal/db"
)

// ProcessForms returns the form schemas of the services whose draft or live
// version uses the process code: what the process's conditions may test.
// Services without a form are left out.
func (s *Store) ProcessForms(ctx context.Context, process string) ([]json.RawMessage, error) {
	// The stored documents are compact JSON, so the reference appears
	// verbatim; the LIKE narrows the scan and the decode confirms it.
	ref, err := json.Marshal(process)
	if err != nil {
		return nil, err
	}
	needle := `%"process":` + db.LikeEscape(string(ref)) + `%`
	rows, err := s.db.Read().QueryContext(ctx, `SELECT s.draft, COALESCE(v.document, '') FROM services s
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
			if svc.Process != process || len(svc.FormSchema) == 0 || seen[string(svc.FormSchema)] {
				continue
			}
			seen[string(svc.FormSchema)] = true
			out = append(out, svc.FormSchema)
		}
	}
	return out, rows.Err()
}
