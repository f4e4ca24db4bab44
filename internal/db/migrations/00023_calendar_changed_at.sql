-- +goose Up
-- When the calendar last changed: a recount of running deadlines records
-- a revision as counted only once every node's cached calendar has had
-- time to catch up with it (calendar.Store.Recount).
ALTER TABLE calendar_revision ADD COLUMN changed_at TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE calendar_revision DROP COLUMN changed_at;
