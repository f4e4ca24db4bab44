package web

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/application"
	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/notify"
)

// TestNoticeKindsDocumented: the kinds openapi.json lists for a notice are
// exactly those the platform can send, so the list cannot drift from the
// code again (it listed two kinds never sent and missed most of those
// sent).
func TestNoticeKindsDocumented(t *testing.T) {
	doc := loadOpenAPI(t)
	kind, ok := resolvePointer(doc, "#/components/schemas/Notice/properties/kind/enum")
	if !ok {
		t.Fatal("openapi.json has no Notice.kind enum")
	}
	var documented []string
	for _, k := range kind.([]any) {
		documented = append(documented, k.(string))
	}
	var sent []string
	for _, k := range notify.Kinds() {
		sent = append(sent, string(k))
	}
	slices.Sort(documented)
	if !slices.Equal(documented, sent) {
		t.Errorf("Notice.kind lists %v,\nthe platform sends %v", documented, sent)
	}
}

// TestDecisionSchemaIsWhatIsAccepted: the Decision schema names exactly
// the fields the server takes (it listed approve and reason, which are
// refused as unknown fields), and says that others are refused.
func TestDecisionSchemaIsWhatIsAccepted(t *testing.T) {
	doc := loadOpenAPI(t)
	sch, ok := resolvePointer(doc, "#/components/schemas/Decision")
	if !ok {
		t.Fatal("openapi.json has no Decision schema")
	}
	var documented []string
	for name := range sch.(map[string]any)["properties"].(map[string]any) {
		documented = append(documented, name)
	}
	var accepted []string
	rt := reflect.TypeFor[application.Decision]()
	for i := range rt.NumField() {
		if name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			accepted = append(accepted, name)
		}
	}
	slices.Sort(documented)
	slices.Sort(accepted)
	if !slices.Equal(documented, accepted) {
		t.Errorf("Decision documents %v, the server accepts %v", documented, accepted)
	}
	if sch.(map[string]any)["additionalProperties"] != false {
		t.Error("Decision does not say other fields are refused")
	}
}

// TestNoticesLimit: a limit GET /api/v1/notices does not take is a 422 on
// limit, in the reader's language, as the work queue's is; it used to be
// replaced by the default without a word.
func TestNoticesLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for range 3 {
			e.notice("zhangsan", notify.Notice{Kind: notify.ApplicationAccepted, Args: []string{"LJ2026-000001", "食品经营许可"}, Link: "/applications/a1"})
		}
		tok := e.session("zhangsan")
		for _, bad := range []string{"0", "-5", "abc", "100000", "201", "2.5"} {
			for _, tc := range []struct{ lang, want string }{
				{"zh-CN", "每页条数须在 1 到 200 之间。"},
				{"en", "The page size must be between 1 and 200."},
			} {
				rec := e.do("GET", "/api/v1/notices?limit="+bad, tok, "", nil, "Accept-Language", tc.lang)
				wantStatus(t, "limit="+bad, rec, http.StatusUnprocessableEntity)
				codes, msgs := fieldCodes(t, rec)
				if codes["limit"] != "queue_limit_range" || msgs["limit"] != tc.want {
					t.Errorf("limit=%s in %s: %v %v, want %q on limit", bad, tc.lang, codes, msgs, tc.want)
				}
			}
		}
		for _, tc := range []struct {
			limit string
			count int
		}{{"", 3}, {"1", 1}, {"200", 3}} {
			var got noticeList
			rec := e.get("/api/v1/notices?limit="+tc.limit, tok)
			wantStatus(t, "limit="+tc.limit, rec, http.StatusOK)
			matchesOpenAPI(t, rec, "NoticeList")
			decodeResponse(t, rec, &got)
			if got.Count != tc.count || len(got.Items) != tc.count {
				t.Errorf("limit=%q gives %d notices, want %d", tc.limit, len(got.Items), tc.count)
			}
		}
	})
}
