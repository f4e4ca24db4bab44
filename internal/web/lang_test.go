package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestLanguageWeighsAcceptLanguage: pages follow the weights of
// Accept-Language, and the language the reader chose (the lang cookie)
// still wins over the header.
func TestLanguageWeighsAcceptLanguage(t *testing.T) {
	e := sqliteEnv(t)
	for _, c := range []struct{ header, cookie, want string }{
		{"zh-CN;q=0.1,en;q=0.9", "", `<html lang="en">`},
		{"en;q=0,zh;q=1", "", `<html lang="zh-CN">`},
		{"zh-CN;q=0.1,en;q=0.9", "zh-CN", `<html lang="zh-CN">`},
		{"en;q=0,zh;q=1", "en", `<html lang="en">`},
	} {
		hdr := []string{"Accept-Language", c.header}
		if c.cookie != "" {
			hdr = append(hdr, "Cookie", langCookie+"="+c.cookie)
		}
		rec := e.do("GET", "/", "", "", nil, hdr...)
		wantStatus(t, "home", rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("Accept-Language %q, cookie %q: the page is not %s", c.header, c.cookie, c.want)
		}
	}
}
