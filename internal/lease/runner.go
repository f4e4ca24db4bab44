package lease

import (
	"context"
	"log/slog"
	"time"

	"github.com/tongban/tongban/internal/db"
)

// Runner runs Job periodically on whichever node holds the lease Name, and
// on no other node at the same time: a singleton job in a cluster.
//
// While it holds the lease, a Runner renews it every TTL/3 and runs Job at
// once and then every Every. If a renewal fails or finds the lease taken,
// the context passed to Job is cancelled and Job is not run again until the
// lease is back. A node that does not hold the lease tries to take it every
// TTL/3, so a crashed holder is replaced within about TTL. A Job should
// return soon after its context is cancelled and finish well within TTL, or
// check its context between steps.
type Runner struct {
	DB *db.DB
	// Name is the lease's name, the same on every node.
	Name string
	// Owner identifies this node; default [NewOwner].
	Owner string
	// TTL is the lease's lifetime; default 30s.
	TTL time.Duration
	// Every is the time between the starts of two runs of Job; default
	// TTL.
	Every time.Duration
	// Job is the work. An error is logged; the next run goes ahead.
	Job func(ctx context.Context) error
	// Log receives lease changes and Job errors; default: discarded.
	Log *slog.Logger
	// Now is the clock the lease's expiry is computed with; default
	// time.Now.
	Now func() time.Time
	// Observer, when set, is told of every run of Job and of the lease
	// being taken and lost (package metrics implements it).
	Observer Observer
}

// Observer is told what a Runner does.
type Observer interface {
	// JobRun reports one run of the job: its error, how long it took,
	// when it ended.
	JobRun(job string, err error, took time.Duration, end time.Time)
	// LeaseHeld reports whether this node now holds the lease.
	LeaseHeld(job string, held bool)
}

func (r *Runner) defaults() {
	if r.Owner == "" {
		r.Owner = NewOwner()
	}
	if r.TTL <= 0 {
		r.TTL = 30 * time.Second
	}
	if r.Every <= 0 {
		r.Every = r.TTL
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	if r.Now == nil {
		r.Now = time.Now
	}
}

// Run takes part in the election for the lease until ctx is cancelled, then
// releases the lease (if held) and returns.
func (r *Runner) Run(ctx context.Context) {
	r.defaults()
	for {
		held, err := AcquireAt(ctx, r.DB, r.Name, r.Owner, r.Now(), r.TTL)
		if err != nil && ctx.Err() == nil {
			r.Log.Warn("lease: acquire", "lease", r.Name, "err", err)
		}
		if held {
			r.Log.Info("lease: taken", "lease", r.Name, "owner", r.Owner)
			r.observeLease(true)
			r.hold(ctx)
			r.observeLease(false)
		}
		if ctx.Err() != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := Release(rctx, r.DB, r.Name, r.Owner); err != nil {
				r.Log.Warn("lease: release", "lease", r.Name, "err", err)
			}
			cancel()
			return
		}
		sleep(ctx, r.TTL/3) // when cancelled, the next turn releases
	}
}

// hold runs Job while the lease stays ours, and returns when it is lost or
// ctx is cancelled.
func (r *Runner) hold(ctx context.Context) {
	work, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(r.TTL / 3)
		defer t.Stop()
		for {
			select {
			case <-work.Done():
				return
			case <-t.C:
			}
			held, err := AcquireAt(work, r.DB, r.Name, r.Owner, r.Now(), r.TTL)
			if work.Err() != nil {
				return
			}
			// A failed renewal may mean the lease runs out unnoticed:
			// stop the work now rather than risk two nodes doing it.
			if err != nil || !held {
				r.Log.Warn("lease: lost", "lease", r.Name, "owner", r.Owner, "err", err)
				cancel()
				return
			}
		}
	}()
	defer func() { <-renewed }()
	for {
		start := time.Now()
		// A run cut off by losing the lease or stopping neither failed
		// nor succeeded: it is not reported.
		if err := r.Job(work); work.Err() == nil {
			if err != nil {
				r.Log.Error("lease: job failed", "lease", r.Name, "err", err)
			}
			if r.Observer != nil {
				r.Observer.JobRun(r.Name, err, time.Since(start), time.Now())
			}
		}
		if !sleep(work, r.Every) {
			return
		}
	}
}

func (r *Runner) observeLease(held bool) {
	if r.Observer != nil {
		r.Observer.LeaseHeld(r.Name, held)
	}
}

// sleep waits for d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
