package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/demo"
	"github.com/tongban/tongban/internal/identity"
	"github.com/tongban/tongban/internal/ratelimit"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// limitedEnv is a server whose limits are the given policy, on a clock the
// test moves.
func limitedEnv(t *testing.T, d *db.DB, policy ratelimit.Policy, proxies string) (*env, *fakeClock) {
	t.Helper()
	e := hotlineEnv(t, d)
	c := &fakeClock{t: time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)}
	e.srv.Limiter = ratelimit.New(c.now)
	e.srv.Config.RateLimits = policy
	p, err := ratelimit.ParseProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.TrustedProxies = p
	return e, c
}

// TestRateLimits floods each limited door and checks that the flood is
// refused with 429 and Retry-After in the surface's own error format,
// that nothing of a refused request is stored, that other people (other
// accounts behind the same address, other keys) go on, and that the door
// opens again once time has passed.
func TestRateLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		policy := ratelimit.Policy{
			ratelimit.WriteAccount:    {N: 2, Per: time.Minute},
			ratelimit.WriteAddress:    {N: 3, Per: time.Minute},
			ratelimit.LoginAccount:    {N: 3, Per: time.Minute},
			ratelimit.LoginAddress:    {N: 5, Per: time.Minute},
			ratelimit.RegisterAddress: {N: 1, Per: time.Hour},
			ratelimit.Open311Key:      {N: 2, Per: time.Minute},
			ratelimit.Open311Address:  {N: 2, Per: time.Minute},
		}
		// httptest's peer, 192.0.2.1, is the trusted proxy.
		e, clock := limitedEnv(t, d, policy, "192.0.2.0/24")
		ctx := t.Context()
		before := countTickets(t, d)

		// Filing through the API: two per minute per account.
		zhangsan, lisi := e.session("zhangsan"), e.session("lisi")
		file := `{"category_code":"POTHOLE","kind":"complaint","text":"路口有坑","address":"江南大道 1 号","attributes":{"size":"large"}}`
		for i := range 2 {
			if rec := e.sendJSON("POST", "/api/v1/hotline/tickets", zhangsan, file); rec.Code != http.StatusCreated {
				t.Fatalf("filing %d = %d %s", i+1, rec.Code, rec.Body)
			}
		}
		rec := e.do("POST", "/api/v1/hotline/tickets", zhangsan, "application/json", strings.NewReader(file), "Accept-Language", "en")
		var apiErr apiError
		if rec.Code != http.StatusTooManyRequests || json.Unmarshal(rec.Body.Bytes(), &apiErr) != nil || apiErr.Code != "error_429" ||
			!strings.Contains(apiErr.Message, "Too many requests") || rec.Header().Get("Retry-After") != "30" {
			t.Fatalf("3rd filing in a minute = %d Retry-After %q %s, want 429 after 30s in English", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
		if n := countTickets(t, d); n != before+2 {
			t.Errorf("%d tickets stored, want the 2 allowed", n-before)
		}
		// Someone else behind the same address is not blocked by it...
		if rec := e.sendJSON("POST", "/api/v1/hotline/tickets", lisi, file); rec.Code != http.StatusCreated {
			t.Errorf("another account from the same address = %d, want 201", rec.Code)
		}
		// ...until the address's much larger bucket runs dry (3 here).
		rec = e.postForm("/hotline/tickets", e.session("wangwu"), url.Values{"category_code": {"POTHOLE"}, "text": {"又一个坑"}, "attribute[size]": {"large"}})
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "请求过于频繁") || rec.Header().Get("Retry-After") == "" {
			t.Errorf("web form past the address's limit = %d, want the 429 page in Chinese with Retry-After", rec.Code)
		}
		// A client behind the trusted proxy is its own address.
		rec = e.do("POST", "/hotline/tickets", e.session("wangwu"), "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"category_code": {"POTHOLE"}, "text": {"又一个坑"}, "attribute[size]": {"large"}}.Encode()),
			"X-Forwarded-For", "203.0.113.7")
		if rec.Code != http.StatusSeeOther {
			t.Errorf("the same person behind the proxy from another client address = %d, want 303", rec.Code)
		}
		clock.t = clock.t.Add(30 * time.Second)
		if rec := e.sendJSON("POST", "/api/v1/hotline/tickets", zhangsan, file); rec.Code != http.StatusCreated {
			t.Errorf("filing 30s later = %d, want 201", rec.Code)
		}

		// Sign-in: three attempts per account name, whatever the password.
		for i := range 3 {
			if rec := e.postForm("/login", "", url.Values{"username": {"lisi"}, "password": {"wrong"}}); rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("sign-in attempt %d = %d, want 422", i+1, rec.Code)
			}
		}
		rec = e.postForm("/login", "", url.Values{"username": {"lisi"}, "password": {demo.Password}})
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "登录尝试过于频繁") || rec.Header().Get("Set-Cookie") != "" {
			t.Errorf("4th sign-in = %d, want 429 on the form and no session", rec.Code)
		}
		rec = e.sendJSON("POST", "/api/v1/session", "", `{"username":"lisi","password":"`+demo.Password+`"}`)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
			t.Errorf("API sign-in past the limit = %d", rec.Code)
		}
		// The address's own limit (5) stops spraying over many names;
		// refused attempts took none of its tokens.
		for i := range 2 {
			if rec := e.sendJSON("POST", "/api/v1/session", "", `{"username":"zhangsan","password":"wrong"}`); rec.Code != http.StatusUnauthorized {
				t.Errorf("sign-in %d as another name = %d, want 401", i+1, rec.Code)
			}
		}
		if rec := e.sendJSON("POST", "/api/v1/session", "", `{"username":"wangwu","password":"wrong"}`); rec.Code != http.StatusTooManyRequests {
			t.Errorf("6th sign-in from one address = %d, want 429", rec.Code)
		}
		clock.t = clock.t.Add(time.Minute)
		if rec := e.sendJSON("POST", "/api/v1/session", "", `{"username":"lisi","password":"`+demo.Password+`"}`); rec.Code != http.StatusOK {
			t.Errorf("sign-in a minute later = %d %s", rec.Code, rec.Body)
		}

		// Registration: one an hour per address, behind a trusted proxy
		// counted per client.
		reg := func(user, id, client string) int {
			body := `{"username":"` + user + `","password":"long-enough-2026","name":"测试","id_number":"` + id + `","phone":"13800138000"}`
			return e.do("POST", "/api/v1/accounts", "", "application/json", strings.NewReader(body), "X-Forwarded-For", client).Code
		}
		if code := reg("limit1", "11010519491231002X", "203.0.113.1"); code != http.StatusCreated {
			t.Fatalf("registration = %d", code)
		}
		if code := reg("limit2", "110105194912310029", "203.0.113.1"); code != http.StatusTooManyRequests {
			t.Errorf("2nd registration from one address = %d, want 429", code)
		}
		if _, err := e.srv.Identity.AccountByUsername(ctx, "limit2"); err == nil {
			t.Error("the refused registration created an account")
		}

		// Open311: a key's own bucket; reads and bad keys by address.
		post := func(key string) (int, string, string) {
			rec := e.do("POST", "/open311/v2/requests.json", "", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"api_key": {key}, "service_code": {"POTHOLE"},
				"description": {"坑"}, "lat": {"30.27"}, "long": {"120.15"}, "attribute[size]": {"large"}}.Encode()))
			return rec.Code, rec.Header().Get("Retry-After"), rec.Body.String()
		}
		for i := range 2 {
			if code, _, body := post(demo.Open311Key); code != http.StatusOK {
				t.Fatalf("Open311 post %d = %d %s", i+1, code, body)
			}
		}
		code, retry, body := post(demo.Open311Key)
		var errs []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		if code != http.StatusTooManyRequests || retry != "30" || json.Unmarshal([]byte(body), &errs) != nil || len(errs) != 1 || errs[0].Code != 429 {
			t.Errorf("3rd Open311 post = %d Retry-After %q %s, want the spec's error list with 429", code, retry, body)
		}
		// A key with its own, higher rate.
		admin, err := e.srv.Identity.AccountByUsername(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.srv.Identity.Principal(ctx, admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		k, err := e.srv.Hotline.CheckKey(ctx, demo.Open311Key)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.srv.Hotline.SetKeyRate(ctx, p, k.ID, "nonsense"); err == nil {
			t.Error("SetKeyRate accepted nonsense")
		}
		if err := e.srv.Hotline.SetKeyRate(ctx, &identity.Principal{}, k.ID, "10/1m"); err == nil {
			t.Error("SetKeyRate allowed to a visitor")
		}
		if err := e.srv.Hotline.SetKeyRate(ctx, p, k.ID, "10/1m"); err != nil {
			t.Fatal(err)
		}
		if code, _, body := post(demo.Open311Key); code != http.StatusOK {
			t.Errorf("post under the key's own 10/1m = %d %s", code, body)
		}
		// Keyless reads and wrong keys share the address's bucket (2).
		if rec := e.get("/open311/v2/services.json", ""); rec.Code != http.StatusOK {
			t.Errorf("read = %d", rec.Code)
		}
		if code, _, _ := post("wrong-key"); code != http.StatusForbidden {
			t.Errorf("wrong key = %d, want 403", code)
		}
		rec = e.get("/open311/v2/services.xml", "")
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "<errors><error><code>429</code>") {
			t.Errorf("3rd keyless request = %d %s, want 429 in the spec's XML", rec.Code, rec.Body)
		}
		if code, _, _ := post("wrong-key"); code != http.StatusTooManyRequests {
			t.Errorf("guessing keys past the address's limit = %d, want 429", code)
		}
		if !strings.Contains(e.log.String(), "class=open311-address") || strings.Contains(e.log.String(), "192.0.2.1") {
			t.Error("refusals are not logged with their class, or the log names the address")
		}
	})
}

// TestHotlineKeyRate sets an Open311 app's own rate limit from the admin
// page and the API, with field-level answers to a bad rate.
func TestHotlineKeyRate(t *testing.T) {
	e := sqliteEnv(t)
	admin := e.session("admin")
	k, err := e.srv.Hotline.CheckKey(t.Context(), demo.Open311Key)
	if err != nil {
		t.Fatal(err)
	}
	page := e.get("/admin/hotline", admin).Body.String()
	if !strings.Contains(page, `action="/admin/hotline/keys/`+k.ID+`/rate"`) || !strings.Contains(page, "600/1m") {
		t.Fatal("the admin page has no rate form per key, or does not name the default")
	}
	rec := e.postForm("/admin/hotline/keys/"+k.ID+"/rate", admin, url.Values{"key_id": {k.ID}, "rate_limit": {"lots"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "请按“次数/时长”填写") || !strings.Contains(rec.Body.String(), `value="lots"`) {
		t.Errorf("bad rate on the page = %d, want 422 with the message and the value kept", rec.Code)
	}
	if rec := e.postForm("/admin/hotline/keys/"+k.ID+"/rate", admin, url.Values{"key_id": {k.ID}, "rate_limit": {"1200/m"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("rate on the page = %d %s", rec.Code, rec.Body)
	}
	if k, _ := e.srv.Hotline.CheckKey(t.Context(), demo.Open311Key); k.RateLimit != "1200/1m" {
		t.Errorf("stored rate = %q, want 1200/1m", k.RateLimit)
	}
	rec = e.do("PUT", "/api/v1/admin/hotline/keys/"+k.ID+"/rate-limit", admin, "application/json", strings.NewReader(`{"rate_limit":"5/0s"}`), "Accept-Language", "en")
	var apiErr apiError
	if rec.Code != http.StatusUnprocessableEntity || json.Unmarshal(rec.Body.Bytes(), &apiErr) != nil || len(apiErr.Fields) != 1 || apiErr.Fields[0].Field != "rate_limit" {
		t.Errorf("bad rate through the API = %d %s", rec.Code, rec.Body)
	}
	if rec := e.sendJSON("PUT", "/api/v1/admin/hotline/keys/"+k.ID+"/rate-limit", admin, `{"rate_limit":""}`); rec.Code != http.StatusNoContent {
		t.Errorf("back to the default = %d %s", rec.Code, rec.Body)
	}
	if k, _ := e.srv.Hotline.CheckKey(t.Context(), demo.Open311Key); k.RateLimit != "" {
		t.Errorf("stored rate = %q, want the default again", k.RateLimit)
	}
	if rec := e.sendJSON("PUT", "/api/v1/admin/hotline/keys/nope/rate-limit", admin, `{"rate_limit":"5/1m"}`); rec.Code != http.StatusNotFound {
		t.Errorf("unknown key = %d, want 404", rec.Code)
	}
}
