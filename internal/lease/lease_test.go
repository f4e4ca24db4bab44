package lease_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/db"
	"github.com/tongban/tongban/internal/db/dbtest"
	"github.com/tongban/tongban/internal/lease"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestAcquireRenewExpireRelease(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		acquire := func(owner string, at time.Duration) bool {
			t.Helper()
			ok, err := lease.AcquireAt(ctx, d, "scheduler", owner, t0.Add(at), 10*time.Second)
			if err != nil {
				t.Fatalf("AcquireAt(%s, +%s): %v", owner, at, err)
			}
			return ok
		}
		steps := []struct {
			owner string
			at    time.Duration
			want  bool
		}{
			{"a", 0, true},                 // free
			{"b", time.Second, false},      // a holds it
			{"a", 5 * time.Second, true},   // a renews until +15s
			{"b", 12 * time.Second, false}, // still a's: the renewal counted
			{"b", 15 * time.Second, true},  // expired: b takes over
			{"a", 16 * time.Second, false},
		}
		for _, s := range steps {
			if got := acquire(s.owner, s.at); got != s.want {
				t.Fatalf("AcquireAt(%s, +%s) = %v, want %v", s.owner, s.at, got, s.want)
			}
		}
		owner, exp, err := lease.Holder(ctx, d, "scheduler")
		if err != nil || owner != "b" || !exp.Equal(t0.Add(25*time.Second)) {
			t.Fatalf("Holder = %s, %s, %v; want b until +25s", owner, exp, err)
		}
		// Releasing someone else's lease does nothing; releasing one's
		// own frees it at once.
		if err := lease.Release(ctx, d, "scheduler", "a"); err != nil {
			t.Fatal(err)
		}
		if acquire("a", 17*time.Second) {
			t.Fatal("a took the lease after releasing b's, which it never held")
		}
		if err := lease.Release(ctx, d, "scheduler", "b"); err != nil {
			t.Fatal(err)
		}
		if !acquire("a", 17*time.Second) {
			t.Fatal("a could not take the lease b released")
		}
		if _, _, err := lease.Holder(ctx, d, "other"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("Holder(unknown) err = %v, want ErrNotFound", err)
		}
	})
}

// TestAcquireRace has two owners race for one lease from many goroutines,
// round after round: in every round exactly one owner holds it, the holder
// keeps it while it has not expired, and when it has expired the winner of
// the race is the only holder.
func TestAcquireRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		const perOwner = 12
		const ttl = 10 * time.Second
		race := func(at time.Time, owners ...string) map[string]int {
			t.Helper()
			var mu sync.Mutex
			wins := map[string]int{}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, o := range owners {
				for range perOwner {
					wg.Go(func() {
						<-start
						ok, err := lease.AcquireAt(ctx, d, "sequencer", o, at, ttl)
						if err != nil {
							t.Errorf("AcquireAt(%s): %v", o, err)
							return
						}
						if ok {
							mu.Lock()
							wins[o]++
							mu.Unlock()
						}
					})
				}
			}
			close(start)
			wg.Wait()
			return wins
		}
		holder := func() string {
			t.Helper()
			o, _, err := lease.Holder(ctx, d, "sequencer")
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		now := t0
		for round := range 8 {
			// The lease is free or expired: one owner must win, and
			// every call of the other must fail.
			wins := race(now, "a", "b")
			if len(wins) != 1 {
				t.Fatalf("round %d: owners holding the lease at once: %v, want exactly one", round, wins)
			}
			var winner, loser string
			for o := range wins {
				winner = o
			}
			loser = map[string]string{"a": "b", "b": "a"}[winner]
			if h := holder(); h != winner {
				t.Fatalf("round %d: holder %s, want the winner %s", round, h, winner)
			}
			// Before expiry the holder keeps it against the other.
			wins = race(now.Add(ttl/2), "a", "b")
			if len(wins) != 1 || wins[winner] != perOwner {
				t.Fatalf("round %d: before expiry wins = %v, want all %d calls of %s only", round, wins, perOwner, winner)
			}
			// The holder stops renewing; after expiry the other takes
			// over.
			now = now.Add(ttl/2 + ttl)
			if wins := race(now, loser); wins[loser] != perOwner {
				t.Fatalf("round %d: after expiry %s won %d of %d calls, want all", round, loser, wins[loser], perOwner)
			}
			if h := holder(); h != loser {
				t.Fatalf("round %d: holder %s after expiry, want %s", round, h, loser)
			}
			now = now.Add(2 * ttl) // expired again for the next round
		}
	})
}

func TestAcquireRejectsMissingArguments(t *testing.T) {
	d := dbtest.SQLite(t)
	for _, tc := range []struct {
		name, owner string
		ttl         time.Duration
	}{{"", "a", time.Second}, {"x", "", time.Second}, {"x", "a", 0}} {
		if _, err := lease.Acquire(t.Context(), d, tc.name, tc.owner, tc.ttl); err == nil {
			t.Errorf("Acquire(%q, %q, %s) succeeded, want an error", tc.name, tc.owner, tc.ttl)
		}
	}
}

func TestNewOwnerIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		o := lease.NewOwner()
		if seen[o] {
			t.Fatalf("NewOwner returned %q twice", o)
		}
		seen[o] = true
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline. It asserts that something happens, not how fast.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// jobLog records which runner ran and whether two runs ever overlapped.
type jobLog struct {
	mu      sync.Mutex
	runs    map[string]int
	active  int
	overlap bool
}

func (l *jobLog) job(owner string) func(context.Context) error {
	return func(ctx context.Context) error {
		l.mu.Lock()
		l.runs[owner]++
		l.active++
		if l.active > 1 {
			l.overlap = true
		}
		l.mu.Unlock()
		time.Sleep(time.Millisecond)
		l.mu.Lock()
		l.active--
		l.mu.Unlock()
		return nil
	}
}

func (l *jobLog) count(owner string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[owner]
}

func TestRunnerRunsOnOneNodeAndHandsOver(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		log := &jobLog{runs: map[string]int{}}
		runner := func(owner string) (stop func()) {
			ctx, cancel := context.WithCancel(t.Context())
			r := &lease.Runner{DB: d, Name: "warnings", Owner: owner, TTL: 3 * time.Second, Every: 10 * time.Millisecond, Job: log.job(owner)}
			done := make(chan struct{})
			go func() { defer close(done); r.Run(ctx) }()
			return func() { cancel(); <-done }
		}
		stopA := runner("a")
		waitFor(t, "a to run", func() bool { return log.count("a") > 0 })
		stopB := runner("b")
		defer stopB()
		// While a holds the lease (renewing it every second), b only
		// waits: let a run many times and check b never did.
		n := log.count("a")
		waitFor(t, "a to keep running", func() bool { return log.count("a") >= n+20 })
		if got := log.count("b"); got != 0 {
			t.Fatalf("b ran %d times while a held the lease", got)
		}
		// a shuts down and releases the lease; b takes over.
		stopA()
		after := log.count("a")
		waitFor(t, "b to take over", func() bool { return log.count("b") > 0 })
		waitFor(t, "b to keep running", func() bool { return log.count("b") >= 5 })
		if got := log.count("a"); got != after {
			t.Fatalf("a ran %d more times after it stopped", got-after)
		}
		if log.overlap {
			t.Fatal("two runs of the job overlapped")
		}
	})
}

// TestRunnerStopsWorkWhenLeaseLost: when another owner holds the lease (here
// a node that took it over after this one's expired), the running job's
// context is cancelled; when the lease is free again the runner resumes.
func TestRunnerStopsWorkWhenLeaseLost(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		started := make(chan context.Context, 10)
		r := &lease.Runner{DB: d, Name: "sequencer", Owner: "me", TTL: 300 * time.Millisecond, Every: time.Hour,
			Job: func(ctx context.Context) error {
				started <- ctx
				<-ctx.Done() // a long job that honours cancellation
				return ctx.Err()
			}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		defer func() { cancel(); <-done }()

		var jobCtx context.Context
		select {
		case jobCtx = <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("the job never started")
		}
		far := db.NewTime(time.Now().Add(time.Hour))
		if _, err := d.Write().ExecContext(t.Context(), `UPDATE leases SET owner = 'thief', expires_at = $1 WHERE name = 'sequencer'`, far); err != nil {
			t.Fatal(err)
		}
		select {
		case <-jobCtx.Done():
		case <-time.After(20 * time.Second):
			t.Fatal("the job kept running after the lease was lost")
		}
		if o, _, _ := lease.Holder(t.Context(), d, "sequencer"); o != "thief" {
			t.Fatalf("holder %s, want thief: the runner must not take a live lease", o)
		}
		if err := lease.Release(t.Context(), d, "sequencer", "thief"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("the runner did not resume after the lease was free again")
		}
	})
}

func TestRunnerReleasesOnShutdown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ran := make(chan struct{}, 1)
		r := &lease.Runner{DB: d, Name: "job", Owner: "me", TTL: time.Minute, Job: func(context.Context) error {
			select {
			case ran <- struct{}{}:
			default:
			}
			return nil
		}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); r.Run(ctx) }()
		<-ran
		cancel()
		<-done
		if _, _, err := lease.Holder(t.Context(), d, "job"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("after shutdown Holder err = %v, want the lease released", err)
		}
	})
}

// observed records what a Runner tells its Observer.
type observed struct {
	mu     sync.Mutex
	runs   []error
	leases []bool
}

func (o *observed) JobRun(job string, err error, took time.Duration, end time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runs = append(o.runs, err)
}

func (o *observed) LeaseHeld(job string, held bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.leases = append(o.leases, held)
}

// TestRunnerTellsItsObserver: each finished run is reported with its
// error, and the lease as taken and, at shutdown, given up; a run cut off
// by the shutdown is not reported.
func TestRunnerTellsItsObserver(t *testing.T) {
	d := dbtest.SQLite(t)
	o := &observed{}
	runs := 0
	ctx, cancel := context.WithCancel(t.Context())
	failure := errors.New("db down")
	r := &lease.Runner{DB: d, Name: "job", Owner: "me", TTL: time.Minute, Every: time.Millisecond, Observer: o, Job: func(ctx context.Context) error {
		runs++
		switch runs {
		case 1:
			return nil
		case 2:
			return failure
		}
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}}
	r.Run(ctx)
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.runs) != 2 || o.runs[0] != nil || !errors.Is(o.runs[1], failure) {
		t.Errorf("runs reported: %v, want one success and one failure (the cut-off third not at all)", o.runs)
	}
	if len(o.leases) != 2 || !o.leases[0] || o.leases[1] {
		t.Errorf("lease reports: %v, want taken, then given up", o.leases)
	}
}

// jobs is a queue table for the claim tests.
var jobs = lease.Queue{Table: "test_jobs", Key: "id", Ready: "status = 'pending'", Due: "due_at", Owner: "claimed_by", Until: "claimed_until"}

func makeJobs(t *testing.T, d *db.DB, n int, due time.Time) {
	t.Helper()
	ctx := t.Context()
	if _, err := d.Write().ExecContext(ctx, `CREATE TABLE test_jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, due_at TEXT NOT NULL, claimed_by TEXT NOT NULL DEFAULT '', claimed_until TEXT)`); err != nil {
		t.Fatal(err)
	}
	err := d.Tx(ctx, func(tx *db.Tx) error {
		for i := range n {
			if _, err := tx.ExecContext(ctx, `INSERT INTO test_jobs (id, status, due_at) VALUES ($1, 'pending', $2)`, fmt.Sprintf("job%04d", i), db.NewTime(due.Add(time.Duration(i)*time.Millisecond))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestQueueClaim(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		makeJobs(t, d, 5, t0)
		// Not yet due.
		if got, err := jobs.Claim(ctx, d, "a", t0.Add(-time.Second), time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("Claim before due = %v, %v; want none", got, err)
		}
		got, err := jobs.Claim(ctx, d, "a", t0.Add(time.Second), time.Minute, 3)
		if err != nil || fmt.Sprint(got) != "[job0000 job0001 job0002]" {
			t.Fatalf("Claim(limit 3) = %v, %v; want the three earliest", got, err)
		}
		// Claimed rows are not claimed again while the claim holds.
		got, err = jobs.Claim(ctx, d, "b", t0.Add(2*time.Second), time.Minute, 10)
		if err != nil || fmt.Sprint(got) != "[job0003 job0004]" {
			t.Fatalf("second Claim = %v, %v; want the two unclaimed", got, err)
		}
		// A finished row is not ready any more.
		if _, err := d.Write().ExecContext(ctx, `UPDATE test_jobs SET status = 'done', claimed_by = '', claimed_until = NULL WHERE id = 'job0000'`); err != nil {
			t.Fatal(err)
		}
		// Claims lapse: a's node died; its unfinished rows come back.
		got, err = jobs.Claim(ctx, d, "c", t0.Add(time.Second+time.Minute), time.Minute, 10)
		if err != nil || fmt.Sprint(got) != "[job0001 job0002]" {
			t.Fatalf("Claim after a's claim lapsed = %v, %v; want job0001 job0002", got, err)
		}
		var owner string
		if err := d.Read().QueryRowContext(ctx, `SELECT claimed_by FROM test_jobs WHERE id = 'job0001'`).Scan(&owner); err != nil || owner != "c" {
			t.Fatalf("job0001 claimed by %q, %v; want c", owner, err)
		}
	})
}

// TestQueueClaimConcurrent has many claimants drain one queue at once: every
// row is claimed exactly once.
func TestQueueClaimConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		const rows, claimants = 400, 8
		makeJobs(t, d, rows, t0)
		var mu sync.Mutex
		claimed := map[string]string{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range claimants {
			owner := fmt.Sprintf("node%d", i)
			wg.Go(func() {
				<-start
				for {
					got, err := jobs.Claim(t.Context(), d, owner, t0.Add(time.Second), time.Hour, 7)
					if err != nil {
						t.Errorf("Claim(%s): %v", owner, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, k := range got {
						if prev, dup := claimed[k]; dup {
							t.Errorf("%s claimed by %s and %s", k, prev, owner)
						}
						claimed[k] = owner
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(claimed) != rows {
			t.Fatalf("%d rows claimed, want %d", len(claimed), rows)
		}
	})
}
