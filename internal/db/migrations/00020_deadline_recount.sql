-- +goose Up
-- The calendar revision whose edits the deadlines of applications in
-- process were last counted again with (application.RecomputeDeadlines).
-- Existing installations start at 0, so their deadlines are counted once
-- with the calendar as it stands.
CREATE TABLE deadline_recount (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    calendar_revision BIGINT NOT NULL
);
INSERT INTO deadline_recount (id, calendar_revision) VALUES (1, 0);

-- +goose Down
DROP TABLE deadline_recount;
