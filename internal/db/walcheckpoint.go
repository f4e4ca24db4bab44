package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// WALCheckpointEvery is how often a SQLite store copies the pages its
// write-ahead log has gathered back into the database file, off the
// writer.
const WALCheckpointEvery = 200 * time.Millisecond

// walCheckpointer copies SQLite's write-ahead log into the database file
// on a connection of its own, so that the single writer rarely has to.
//
// SQLite checkpoints inside a commit once the log holds 1,000 pages: the
// writer copies them into the database file and syncs it before it
// answers, and every writer queued behind it waits. This runs a PASSIVE
// checkpoint every [WALCheckpointEvery] instead, which copies what no
// reader still needs without taking the write lock, so commits go on
// while it works; one with nothing to copy costs a look at the log's
// index.
//
// The writer keeps its own automatic checkpoint, which now finds most
// pages copied already: it is still needed because the log is written
// from its beginning again only by the commit after a checkpoint that
// copied all of it, and under a steady stream of commits a checkpoint
// from another connection never does (new frames arrive while it copies;
// a RESTART checkpoint, which would wait for them, waits for ever behind
// a busy writer). So the log stays as large as before; the writer does
// less of the copying.
//
// Durability does not change: a commit is durable when its WAL frames are
// synced (synchronous=FULL), before any checkpoint.
type walCheckpointer struct {
	conn *sql.DB
	stop chan struct{}
	done chan struct{}
}

// startWALCheckpointer opens the checkpointing connection to the SQLite
// file at path and starts its loop.
func startWALCheckpointer(path string, every time.Duration) (*walCheckpointer, error) {
	conn, err := openSQLite(path, 1)
	if err != nil {
		return nil, err
	}
	c := &walCheckpointer{conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop(every)
	return c, nil
}

func (c *walCheckpointer) loop(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A busy checkpoint (the writer's own running) is not an
			// error: the next tick tries again.
			if _, err := c.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				slog.Warn("sqlite: WAL checkpoint failed; retrying", "err", fmt.Errorf("db: wal checkpoint: %w", err))
			}
		}
	}
}

// close stops the loop and closes the connection. SQLite checkpoints the
// log one last time when the store's last connection closes.
func (c *walCheckpointer) close() error {
	close(c.stop)
	<-c.done
	return c.conn.Close()
}
