-- +goose Up
-- The work queue lists open tasks by deadline, then opening time; with
-- those in the index a page is read off it in order instead of sorting
-- every open task (the warning scan, which reads overdue tasks by
-- deadline, uses it as it used the old one). Tasks whose clock is stopped
-- (no deadline while a supplement is open) come last, from their own
-- small index.
DROP INDEX tasks_due;
CREATE INDEX tasks_due ON tasks (due_date, opened_at, id) WHERE state = 'open';
CREATE INDEX tasks_stopped ON tasks (opened_at, id) WHERE state = 'open' AND due_date IS NULL;

-- +goose Down
DROP INDEX tasks_stopped;
DROP INDEX tasks_due;
CREATE INDEX tasks_due ON tasks (due_date) WHERE state = 'open';
