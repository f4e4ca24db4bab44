package web

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tongban/tongban/internal/db/dbtest"
)

// chromiumPath finds a headless-capable Chromium, or skips the test with
// how to get one (fails instead under TONGBAN_TEST_STRICT=1, as in CI).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium not found: install Debian's chromium package (apt-get install chromium) to run the browser tests"
	if dbtest.Strict() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// artifactDir is where screenshots go: TONGBAN_ARTIFACTS, else
// test-artifacts/ at the repository root.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("TONGBAN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newBrowser(t *testing.T, width, height int) context.Context {
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// TestBrowserSmoke walks a citizen's path on a phone-sized screen: home →
// search in Chinese → the guide → sign in → the account page with the ID
// number masked; then switches to English. Screenshots are saved.
func TestBrowserSmoke(t *testing.T) {
	e := sqliteEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	ctx := newBrowser(t, 390, 844)
	dir := artifactDir(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		must(err)
		return v
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(err)
		must(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	must(chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#q`)),
	))
	title, err := chromedp.Run(ctx, chromedp.Title())
	must(err)
	shot("home-mobile.png")
	if !strings.Contains(title, "通办") {
		t.Errorf("home title = %q", title)
	}
	must(chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#q`), "开饭店"),
		chromedp.Submit(chromedp.CSS(`#q`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.results li a`)),
	))
	firstResult := text(`ol.results li a`)
	shot("search-mobile.png")
	if !strings.Contains(firstResult, "食品") && !strings.Contains(firstResult, "个体") && !strings.Contains(firstResult, "餐饮") {
		t.Errorf("first result for 开饭店 = %q, want a food-business or sole-trader service", firstResult)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`ol.results li a`)),
		chromedp.WaitVisible(chromedp.CSS(`article.guide h1`)),
	))
	guideHeading := text(`article.guide h1`)
	materials := text(`#materials`)
	shot("guide-mobile.png")
	if guideHeading != firstResult {
		t.Errorf("guide heading %q, want the clicked result %q", guideHeading, firstResult)
	}
	if !strings.Contains(materials, "申请材料") {
		t.Errorf("guide materials section = %q", materials)
	}
	must(chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "zhangsan"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "demo2026"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(ts.URL+"/account"),
		chromedp.WaitVisible(chromedp.CSS(`dd.masked`)),
	))
	account := text(`main`)
	shot("account-mobile.png")
	if !strings.Contains(account, "张三") || !strings.Contains(account, "339***********") {
		t.Errorf("account page = %q, want the name and a masked ID number", account)
	}
	if strings.Contains(account, "33990019900307123") {
		t.Error("account page shows the full ID number")
	}
	// On the phone the menu is folded to the messages, the other
	// language and a button that opens the rest.
	visible := func(sel string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const n = document.querySelector(`+strconv.Quote(sel)+`); return !!n && n.offsetParent !== null; })()`))
		must(err)
		return v
	}
	expanded := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`nav .menu-item button`), "aria-expanded"))
		must(err)
		return v.Value
	}
	if !visible(`nav .menu-item button`) || visible(`nav a[href="/applications"]`) || !visible(`nav a[href="/notices"]`) || !visible(`nav a[lang="en"]`) || expanded() != "false" {
		t.Errorf("folded menu: button %t (expanded %s), my applications %t, messages %t, English %t; want the button, messages and English only",
			visible(`nav .menu-item button`), expanded(), visible(`nav a[href="/applications"]`), visible(`nav a[href="/notices"]`), visible(`nav a[lang="en"]`))
	}
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav .menu-item button`))))
	shot("menu-open-mobile.png")
	if !visible(`nav a[href="/applications"]`) || !visible(`nav form[action="/logout"] button`) || expanded() != "true" {
		t.Errorf("opened menu: my applications %t, sign out %t, expanded %s; want both shown", visible(`nav a[href="/applications"]`), visible(`nav form[action="/logout"] button`), expanded())
	}
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav .menu-item button`))))
	if visible(`nav a[href="/applications"]`) || expanded() != "false" {
		t.Error("the menu does not fold again")
	}
	// On a wide screen every item shows and there is no button.
	must(chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`dd.masked`))))
	if visible(`nav .menu-item button`) || !visible(`nav a[href="/applications"]`) {
		t.Errorf("wide screen: menu button %t, my applications %t; want no button and every item", visible(`nav .menu-item button`), visible(`nav a[href="/applications"]`))
	}
	must(chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`dd.masked`))))
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[lang="en"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dd.masked`)),
	))
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`html`), "lang"))
	must(err)
	shot("account-en-mobile.png")
	if lang.Value != "en" {
		t.Errorf("after switching, html lang = %q, want en", lang.Value)
	}
}

// TestBrowserAdminOrg signs in as the platform admin on a phone-sized
// screen, opens the organisation page from the workbench, mistypes a
// department's phone (the error shows next to the field and the typed
// address survives), corrects it, and checks the organisation page shows
// the new number. Screenshots are saved.
func TestBrowserAdminOrg(t *testing.T) {
	e := sqliteEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	e.srv.Config.BaseURL = ts.URL
	ctx := newBrowser(t, 390, 844)
	dir := artifactDir(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		must(err)
		return v
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(err)
		must(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	must(chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "demo2026"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)),
		chromedp.Navigate(ts.URL+"/staff"),
		chromedp.Click(chromedp.CSS(`a[href="/admin/org"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dept-SCJG`)),
	))
	shot("admin-org-mobile.png")
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#dept-SCJG a`)),
		chromedp.WaitVisible(chromedp.CSS(`#phone`)),
		chromedp.Clear(chromedp.CSS(`#phone`)),
		chromedp.SendKeys(chromedp.CSS(`#phone`), "0571-8888"),
		chromedp.Clear(chromedp.CSS(`#address`)),
		chromedp.SendKeys(chromedp.CSS(`#address`), "临江市滨江区江城大道 1001 号"),
		chromedp.Submit(chromedp.CSS(`#phone`)),
		chromedp.WaitVisible(chromedp.CSS(`#phone-err`)),
	))
	shot("admin-department-error-mobile.png")
	if msg := text(`#phone-err`); msg != "请填写有效的电话号码。" {
		t.Errorf("phone error = %q", msg)
	}
	addr, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#address`)))
	must(err)
	if addr != "临江市滨江区江城大道 1001 号" {
		t.Errorf("after the error, address = %q, want what was typed", addr)
	}
	must(chromedp.Do(ctx,
		chromedp.Clear(chromedp.CSS(`#phone`)),
		chromedp.SendKeys(chromedp.CSS(`#phone`), "0571-88886666"),
		chromedp.Submit(chromedp.CSS(`#phone`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)),
	))
	shot("admin-org-saved-mobile.png")
	if row := text(`#dept-SCJG`); !strings.Contains(row, "0571-88886666") {
		t.Errorf("SCJG on /admin/org = %q, want the new phone", row)
	}
	if d, err := e.srv.Org.Department(t.Context(), "SCJG"); err != nil || d.Address != "临江市滨江区江城大道 1001 号" {
		t.Errorf("saved SCJG = %+v, %v", d, err)
	}
}

// inMenu clicks sel, an item of the main menu, opening the menu first
// when it is folded (on a phone).
func inMenu(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		folded, err := chromedp.Evaluate[bool](`(() => { const n = document.querySelector("nav[data-menu]"); return !!n && n.classList.contains("folded") && !n.classList.contains("open"); })()`)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		if folded {
			if _, err := chromedp.Click(chromedp.CSS(`nav .menu-item button`))(ctx, t); err != nil {
				return chromedp.Void{}, err
			}
		}
		return chromedp.Click(chromedp.CSS(sel))(ctx, t)
	}
}
