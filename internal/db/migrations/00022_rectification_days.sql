-- +goose Up
-- A rectification keeps its limit in working days, so that a calendar
-- edit can count its deadline again (rating.RecomputeDeadlines); those
-- opened before this migration have none and keep their deadline.
ALTER TABLE rectifications ADD COLUMN days INTEGER;
CREATE TABLE rectification_deadline_recount (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    calendar_revision BIGINT NOT NULL
);
INSERT INTO rectification_deadline_recount (id, calendar_revision) VALUES (1, 0);

-- +goose Down
DROP TABLE rectification_deadline_recount;
ALTER TABLE rectifications DROP COLUMN days;
