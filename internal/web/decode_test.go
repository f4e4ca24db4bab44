package web

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/fielderr"
)

// An empty body, however it is framed, is "no body"; a body that is there
// must be valid JSON.
func TestDecodeOptionalJSON(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		chunked    bool
		wantErr    bool
		want       string
	}{
		{"no body", "", false, false, ""},
		{"empty chunked body", "", true, false, ""},
		{"whitespace", " \n", true, false, ""},
		{"a reason", `{"reason":"不需要了"}`, true, false, "不需要了"},
		{"broken JSON", `{"reason":`, false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/applications/x/withdraw", strings.NewReader(tc.body))
			if tc.chunked {
				r.ContentLength = -1
			}
			req := &request{w: httptest.NewRecorder(), r: r}
			var in struct {
				Reason string `json:"reason"`
			}
			err := decodeOptionalJSON(req, &in)
			if (err != nil) != tc.wantErr || in.Reason != tc.want {
				t.Fatalf("err %v, reason %q", err, in.Reason)
			}
		})
	}
}

// A value of the wrong kind is named by its full path, array indices
// included, so the step it is in can be found.
func TestJSONErrorPath(t *testing.T) {
	type step struct {
		Days  int      `json:"days"`
		After []string `json:"after"`
		When  *struct {
			Value int `json:"value"`
		} `json:"when"`
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"name":"x","steps":[{"days":1},{"days":2},{"days":3},{"days":"1"}]}`, "steps[3].days"},
		{`{"steps":[{"days":1,"after":["a"]},{"after":["a",2]}]}`, "steps[1].after[1]"},
		{`{"steps":[{"after":[]},{"days":1,"when":{"value":1}}, {"when": {"value": "7"}}]}`, "steps[2].when.value"},
		{`{"steps":[{"after":"a"}]}`, "steps[0].after"},
		{`{"steps":{"days":1}}`, "steps"},
		{`{"name":1}`, "name"},
	} {
		var v struct {
			Name  string `json:"name"`
			Steps []step `json:"steps"`
		}
		err := jsonError("body", []byte(tc.doc), json.Unmarshal([]byte(tc.doc), &v))
		var inv *fielderr.Invalid
		if !errors.As(err, &inv) || len(inv.Fields) != 1 || inv.Fields[0].Field != tc.want {
			t.Errorf("%s: %v, want the field %s", tc.doc, err, tc.want)
		}
	}
}
