package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// loadTest sends GET requests to the given URLs (round robin) from
// -c concurrent clients for -d, then prints requests per second and latency
// percentiles. It only targets the URLs it is given; use it against a
// server of your own (docs/benchmarks.md).
func loadTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tongban loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conc := fs.Int("c", 8, "concurrent clients")
	dur := fs.Duration("d", 10*time.Second, "duration (at most 5m)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	urls := fs.Args()
	if len(urls) == 0 {
		return errors.New("loadtest needs at least one URL")
	}
	for _, u := range urls {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("loadtest: %q is not an http(s) URL", u)
		}
	}
	if *dur > 5*time.Minute || *conc < 1 || *conc > 256 {
		return errors.New("loadtest: -d at most 5m, -c between 1 and 256")
	}
	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}
	var mu sync.Mutex
	var lat []time.Duration
	var fails int
	var wg sync.WaitGroup
	start := time.Now()
	for i := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for n := i; ctx.Err() == nil; n++ {
				req, err := http.NewRequestWithContext(ctx, "GET", urls[n%len(urls)], nil)
				if err != nil {
					bad++
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			fails += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 {
		return fmt.Errorf("loadtest: no successful request (%d failures)", fails)
	}
	slices.Sort(lat)
	fmt.Fprintf(stdout, "requests %d, failures %d, %.0f req/s, p50 %s, p95 %s, p99 %s (c=%d, %s)\n",
		len(lat), fails, float64(len(lat))/elapsed.Seconds(), percentile(lat, 0.50), percentile(lat, 0.95), percentile(lat, 0.99), *conc, elapsed.Round(time.Millisecond))
	return nil
}

// percentile returns the p-th fraction of sorted latencies, rounded for
// printing.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Round(10 * time.Microsecond)
}
