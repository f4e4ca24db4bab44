package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// MaxBatch is how many [DB.Batch] calls share one transaction at most.
const MaxBatch = 64

// ErrBatchAborted is returned (wrapped) to the callers of [DB.Batch] whose
// work was rolled back because another call in the same transaction
// panicked. Nothing of theirs was committed; they may retry.
var ErrBatchAborted = errors.New("db: batch aborted by a panic in another call")

// batcher queues the calls of [DB.Batch]. At most one batch runs at a
// time; the calls that arrive while it commits form the next one.
type batcher struct {
	mu      sync.Mutex
	queue   []*batchCall
	running bool
	// max caps a batch; 1 turns group commit off, 0 is the dialect's
	// default (see DB.SetMaxBatch).
	max int
}

type batchCall struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx *Tx) error
	err   error
	panic any // what fn panicked with, re-raised in the caller
	done  chan struct{}
}

// SetMaxBatch sets how many calls of [DB.Batch] may share a transaction,
// at most [MaxBatch]; 1 gives every call its own transaction, run
// concurrently like [DB.Tx] (group commit off), and 0 or less restores the
// default: [MaxBatch] on SQLite, 1 on PostgreSQL.
//
// PostgreSQL groups commits itself: one WAL flush covers every commit
// waiting for it, while separate transactions keep running in parallel on
// their own connections. Sharing one transaction there would only
// serialize the callers (on the reference machine it lowered submissions
// per second; see docs/benchmarks.md). SQLite has one writer and one
// flush per transaction, which sharing saves. Call it before use.
func (d *DB) SetMaxBatch(n int) {
	d.batch.mu.Lock()
	defer d.batch.mu.Unlock()
	d.batch.max = min(max(n, 0), MaxBatch)
}

// maxBatch returns the batch cap in force.
func (d *DB) maxBatch() int {
	d.batch.mu.Lock()
	defer d.batch.mu.Unlock()
	switch {
	case d.batch.max > 0:
		return d.batch.max
	case d.Dialect == Postgres:
		return 1
	}
	return MaxBatch
}

// Batch runs fn in a transaction shared with other concurrent calls of
// Batch, so that they pay for one durable commit together (group commit)
// instead of one each. It returns nil only after the shared transaction
// has committed.
//
// Each call runs inside its own savepoint: when fn returns an error, its
// writes are rolled back to the savepoint, the others' stay, and the error
// goes to its caller alone. When the commit fails, every caller of the
// batch gets the error. When fn panics, the whole batch rolls back, the
// other callers get [ErrBatchAborted] and the panic continues in the
// caller whose fn raised it.
//
// fn gets a context that is not cancelled with the caller's: a statement
// interrupted half-way would abort the transaction the others share. A
// call whose context is done before its turn is not run and returns the
// context's error. fn may be run in another goroutine than the caller's,
// and sees the uncommitted writes of earlier calls in the batch; it must
// not start transactions of its own.
//
// No call waits for others to arrive: a batch takes what is queued when
// the previous one has committed, up to the cap [DB.SetMaxBatch] sets.
// With a cap of 1 (the default on PostgreSQL) each call simply runs in a
// transaction of its own.
func (d *DB) Batch(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := d.maxBatch()
	if n == 1 {
		uctx := context.WithoutCancel(ctx)
		return d.Tx(uctx, func(tx *Tx) error { return fn(uctx, tx) })
	}
	c := &batchCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	b := &d.batch
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := !b.running
	b.running = true
	b.mu.Unlock()
	if lead {
		d.leadBatches(n)
	}
	<-c.done
	if c.panic != nil {
		panic(c.panic)
	}
	return c.err
}

// leadBatches runs one batch of the queue, then hands the rest to a new
// goroutine, so the caller that led is answered as soon as its own batch
// has committed.
func (d *DB) leadBatches(n int) {
	b := &d.batch
	b.mu.Lock()
	n = min(n, len(b.queue))
	calls := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.mu.Unlock()

	d.runBatch(calls)
	for _, c := range calls {
		close(c.done)
	}

	b.mu.Lock()
	more := len(b.queue) > 0
	b.running = more
	b.mu.Unlock()
	if more {
		go d.leadBatches(d.maxBatch())
	}
}

// runBatch runs calls in one transaction and sets each call's outcome.
func (d *DB) runBatch(calls []*batchCall) {
	var live []*batchCall
	for _, c := range calls {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	fail := func(err error) {
		for _, c := range live {
			if c.err == nil && c.panic == nil {
				c.err = err
			}
		}
	}
	// The transaction belongs to no caller: one leaving must not end it.
	ctx := context.Background()
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("db: begin: %w", err))
		return
	}
	// With one call there is nothing to keep apart: its error rolls the
	// whole transaction back, as [DB.Tx] does.
	savepoints := len(live) > 1
	ok := 0
	for _, c := range live {
		cctx := context.WithoutCancel(c.ctx)
		if savepoints {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT batch_call"); err != nil {
				tx.Rollback()
				fail(fmt.Errorf("db: savepoint: %w", err))
				return
			}
		}
		c.panic, c.err = call(cctx, tx, c.fn)
		if c.panic != nil {
			tx.Rollback()
			fail(ErrBatchAborted)
			return
		}
		switch {
		case c.err == nil && savepoints:
			_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT batch_call")
		case c.err != nil && savepoints:
			_, err = tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT batch_call")
			if err == nil {
				_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT batch_call")
			}
		}
		if err != nil {
			tx.Rollback()
			fail(fmt.Errorf("db: savepoint: %w", err))
			return
		}
		if c.err == nil {
			ok++
		}
	}
	if ok == 0 {
		tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		fail(fmt.Errorf("db: commit: %w", err))
	}
}

// call runs fn, turning a panic into a value.
func call(ctx context.Context, tx *Tx, fn func(context.Context, *Tx) error) (p any, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = r
		}
	}()
	return nil, fn(ctx, tx)
}
