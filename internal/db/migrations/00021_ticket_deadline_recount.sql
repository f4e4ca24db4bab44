-- +goose Up
-- The calendar revision whose edits the deadlines of hotline tickets
-- waiting for their department were last counted again with
-- (hotline.RecomputeDeadlines).
CREATE TABLE ticket_deadline_recount (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    calendar_revision BIGINT NOT NULL
);
INSERT INTO ticket_deadline_recount (id, calendar_revision) VALUES (1, 0);

-- +goose Down
DROP TABLE ticket_deadline_recount;
