package web

import (
	"bytes"
	"encoding/json"
	"mime"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/tongban/tongban/internal/fielderr"
)

// Process definitions may be written in YAML as well as JSON: easier to
// write by hand, with comments. A YAML document is turned into the JSON it
// stands for and then read exactly as JSON is, so both say the same and
// are checked the same.

// isYAML reports whether a request's body is YAML by its content type.
func isYAML(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		return true
	}
	return false
}

// looksLikeJSON reports whether a definition typed into the editor is JSON
// (an object) rather than YAML.
func looksLikeJSON(text []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(text), []byte("{"))
}

// yamlLineRE finds the line a YAML error names.
var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlToJSON returns the JSON document a YAML document stands for. A
// document that is not YAML, or whose mapping keys are not text, is a
// field error on field, naming the line where the YAML reader stopped.
func yamlToJSON(field string, doc []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		line := 0
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, fielderr.New(field, "yaml_syntax", line)
	}
	out, err := json.Marshal(v)
	if err != nil {
		// A mapping with keys that are not text (1: x) has no JSON.
		return nil, fielderr.New(field, "yaml_keys")
	}
	return out, nil
}
