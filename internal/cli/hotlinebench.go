package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// hotlineBench files 12345 tickets into a running server for -d from -c
// clients and prints tickets filed per second with latency percentiles:
// through Open311 (POST /open311/v2/requests.json with an API key, as a
// reporting app does) and through the web form (POST /hotline/tickets as a
// signed-in citizen's browser does), one after the other. Requests refused
// by a rate limit (429) are counted apart and not timed: run the server
// with the limits off (-rate-limit open311-key=off and so on) to measure
// filing, or with them on to watch them work. Use it on a demo server of
// your own: it files real tickets.
func hotlineBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tongban hotlinebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conc := fs.Int("c", 16, "concurrent clients")
	dur := fs.Duration("d", 20*time.Second, "duration of each phase (at most 5m)")
	via := fs.String("via", "open311,web", "phases to run, comma-separated: open311, web")
	key := fs.String("key", "demo-open311-key", "Open311 API key")
	citizens := fs.String("citizens", "zhangsan,lisi,wangwu", "demo citizens who file on the web, comma-separated; clients take turns")
	password := fs.String("password", "demo2026", "password of the demo citizens")
	metricsURL := metricsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("hotlinebench needs the server's base URL, e.g. http://127.0.0.1:8080")
	}
	base := strings.TrimRight(fs.Arg(0), "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("hotlinebench: %q is not an http(s) URL", base)
	}
	if *dur > 5*time.Minute || *conc < 1 || *conc > 256 {
		return errors.New("hotlinebench: -d at most 5m, -c between 1 and 256")
	}
	cpu, err := newCPUMeter(ctx, *metricsURL)
	if err != nil {
		return fmt.Errorf("hotlinebench: %w", err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 2 * *conc}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// post sends a form and reports the status; 429 is counted, other
	// answers than want are errors.
	var refused atomic.Int64
	post := func(ctx context.Context, c *http.Client, path string, form url.Values, want int) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, "POST", base+path, strings.NewReader(form.Encode()))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			return false, err
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		switch resp.StatusCode {
		case want:
			return true, nil
		case http.StatusTooManyRequests:
			refused.Add(1)
			return false, nil
		}
		return false, fmt.Errorf("POST %s: %s: %.200s", path, resp.Status, b)
	}
	ticket := func(n int64) url.Values {
		return url.Values{"service_code": {"POTHOLE"}, "category_code": {"POTHOLE"}, "attribute[size]": {"large"},
			"description": {fmt.Sprintf("压力测试工单 %d：路面有坑", n)}, "text": {fmt.Sprintf("压力测试工单 %d：路面有坑", n)},
			"lat": {"30.27"}, "long": {"120.15"}, "lon": {"120.15"}, "address": {"江南大道 1 号"}, "kind": {"complaint"}}
	}
	var seq atomic.Int64
	for _, phase := range strings.Split(*via, ",") {
		refused.Store(0)
		var res phaseResult
		var err error
		switch strings.TrimSpace(phase) {
		case "open311":
			c := &http.Client{Timeout: 60 * time.Second, Transport: transport, CheckRedirect: noRedirect}
			res, err = timedPhase(ctx, cpu, *conc, *dur, func(ctx context.Context, i int, record func(time.Duration)) error {
				for ctx.Err() == nil {
					form := ticket(seq.Add(1))
					form.Set("api_key", *key)
					t0 := time.Now()
					ok, err := post(ctx, c, "/open311/v2/requests.json", form, http.StatusOK)
					if err != nil {
						if ctx.Err() != nil {
							return nil
						}
						return err
					}
					if ok {
						record(time.Since(t0))
					}
				}
				return nil
			})
		case "web":
			names := strings.Split(*citizens, ",")
			// One session per citizen, shared by the clients that file as
			// them: sign-in is rate limited per account name.
			clients := make([]*http.Client, *conc)
			for i := range *conc {
				if i >= len(names) {
					clients[i] = clients[i%len(names)]
					continue
				}
				jar, _ := cookiejar.New(nil)
				clients[i] = &http.Client{Timeout: 60 * time.Second, Transport: transport, Jar: jar, CheckRedirect: noRedirect}
				if _, err := post(ctx, clients[i], "/login", url.Values{"username": {strings.TrimSpace(names[i])}, "password": {*password}}, http.StatusSeeOther); err != nil {
					return fmt.Errorf("sign in: %w", err)
				}
			}
			if n := refused.Load(); n > 0 {
				return fmt.Errorf("hotlinebench: %d sign-ins refused by the rate limit; raise login-account on the server", n)
			}
			res, err = timedPhase(ctx, cpu, *conc, *dur, func(ctx context.Context, i int, record func(time.Duration)) error {
				for ctx.Err() == nil {
					t0 := time.Now()
					ok, err := post(ctx, clients[i], "/hotline/tickets", ticket(seq.Add(1)), http.StatusSeeOther)
					if err != nil {
						if ctx.Err() != nil {
							return nil
						}
						return err
					}
					if ok {
						record(time.Since(t0))
					}
				}
				return nil
			})
		default:
			return fmt.Errorf("hotlinebench: unknown phase %q (want open311 or web)", phase)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tickets via %s: %s; refused by rate limits: %d\n", strings.TrimSpace(phase), res, refused.Load())
	}
	return nil
}
