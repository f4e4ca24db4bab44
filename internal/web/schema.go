package web

import (
	"encoding/json"
	"sort"
)

// schemaFields lists the top-level properties of a form schema in a stable
// order (required first, then by name), for showing applicants what the
// form will ask.
func schemaFields(raw json.RawMessage) []formField {
	if len(raw) == 0 {
		return nil
	}
	var sch struct {
		Required   []string `json:"required"`
		Properties map[string]struct {
			Title string `json:"title"`
			Type  any    `json:"type"`
		} `json:"properties"`
	}
	if json.Unmarshal(raw, &sch) != nil {
		return nil
	}
	req := map[string]bool{}
	for _, r := range sch.Required {
		req[r] = true
	}
	var out []formField
	for name, p := range sch.Properties {
		t, _ := p.Type.(string)
		title := p.Title
		if title == "" {
			title = name
		}
		out = append(out, formField{Name: name, Title: title, Type: t, Required: req[name]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Required != out[j].Required {
			return out[i].Required
		}
		return out[i].Name < out[j].Name
	})
	return out
}
