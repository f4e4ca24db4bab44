package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestCatalogPagesInEnglish: an English visitor finds services by their
// English names on the catalog's pages (the list, search, a department,
// the home page, a life event's path, the guide); a Chinese one by their
// Chinese names.
func TestCatalogPagesInEnglish(t *testing.T) {
	e := sqliteEnv(t)
	const zh, en = "营业执照变更登记", "Change of Business Registration" // SCJG-004
	get := func(path string, lang string) string {
		t.Helper()
		rec := e.do("GET", path, "", "", nil, "Accept-Language", lang)
		wantStatus(t, "GET "+path+" ("+lang+")", rec, http.StatusOK)
		return rec.Body.String()
	}
	link := regexp.MustCompile(`<a href="/services/SCJG-004">([^<]*)</a>`)
	for _, path := range []string{"/services", "/departments/SCJG", "/search?q=" + strings.ReplaceAll(zh, " ", "+")} {
		if m := link.FindStringSubmatch(get(path, "en")); m == nil || m[1] != en {
			t.Errorf("English %s names SCJG-004 %v, want %q", path, m, en)
		}
		if m := link.FindStringSubmatch(get(path, "zh-CN")); m == nil || m[1] != zh {
			t.Errorf("Chinese %s names SCJG-004 %v, want %q", path, m, zh)
		}
	}
	names := regexp.MustCompile(`<a href="/services/[^"]+">([^<]*)</a>`)
	for _, path := range []string{"/services", "/"} {
		for _, m := range names.FindAllStringSubmatch(get(path, "en"), -1) {
			if regexp.MustCompile(`\p{Han}`).MatchString(m[1]) {
				t.Errorf("English %s names a service in Chinese: %s", path, m[0])
			}
		}
	}
	const dept = "Linjiang Administration for Market Regulation"
	if page := get("/services/SCJG-004", "en"); !strings.Contains(page, "<h1>"+en+"</h1>") || !strings.Contains(page, "<title>"+en) {
		t.Errorf("the English guide is not headed %q", en)
	} else if !strings.Contains(page, `<a href="/departments/SCJG">`+dept+`</a>`) || strings.Contains(page, "临江市市场监督管理局") || !strings.Contains(page, "<dd>Organizations, Persons</dd>") {
		t.Errorf("the English guide names its department or lists its audience in Chinese")
	}
	if page := get("/departments/SCJG", "en"); !strings.Contains(page, "<h1>"+dept+"</h1>") {
		t.Errorf("the English department page is not headed %q", dept)
	}
	if page := get("/services/SCJG-004", "zh-CN"); !strings.Contains(page, "<h1>"+zh+"</h1>") {
		t.Errorf("the Chinese guide is not headed %q", zh)
	}
	theme := get("/themes/xinshenger", "en")
	if !strings.Contains(theme, "<h1>Having a Baby</h1>") {
		t.Error("the English life-event page is not headed Having a Baby")
	}
	for _, m := range regexp.MustCompile(`<strong>([^<]*)</strong></a>`).FindAllStringSubmatch(theme, -1) {
		if regexp.MustCompile(`\p{Han}`).MatchString(m[1]) {
			t.Errorf("the English life-event path names a service in Chinese: %s", m[1])
		}
	}
}
