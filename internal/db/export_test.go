package db

// BatchQueued reports how many calls of Batch wait for a batch to take
// them, so tests can line calls up into one batch.
func (d *DB) BatchQueued() int {
	d.batch.mu.Lock()
	defer d.batch.mu.Unlock()
	return len(d.batch.queue)
}
