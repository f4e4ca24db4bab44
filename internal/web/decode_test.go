package web

import (
	"net/http/httptest"
	"strings"
	"testing"
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
