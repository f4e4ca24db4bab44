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
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		line := 0
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, fielderr.New(field, "yaml_syntax", line)
	}
	// Anchors and aliases are refused: a definition has no use for them,
	// and a few kilobytes of aliases to one long text would turn into
	// gigabytes of JSON.
	if line := aliasLine(&n); line > 0 {
		return nil, fielderr.New(field, "yaml_alias", line)
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fielderr.New(field, "yaml_syntax", n.Line)
	}
	out, err := json.Marshal(v)
	if err != nil {
		// A mapping with keys that are not text (1: x) has no JSON.
		return nil, fielderr.New(field, "yaml_keys")
	}
	return out, nil
}

// aliasLine returns the line of the first anchor or alias in n, 0 if none.
func aliasLine(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return max(n.Line, 1)
	}
	for _, c := range n.Content {
		if l := aliasLine(c); l > 0 {
			return l
		}
	}
	return 0
}
