-- +goose Up
-- The supervisors' ticket list pages through tickets newest first by
-- (created_at, id), keyset-paginated, under any one of its filters; each
-- filter gets an index that ends in that order, so a page is an index
-- range scan rather than a sort of every matching ticket. Warnings are
-- rare, so their index holds only the tickets that have one, in list
-- order, whether the filter asks for yellow, red or either.
DROP INDEX tickets_state;
DROP INDEX tickets_category;
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_state ON tickets (state, created_at, id);
CREATE INDEX tickets_category ON tickets (category_code, created_at, id);
CREATE INDEX tickets_kind ON tickets (kind, created_at, id);
CREATE INDEX tickets_department_created ON tickets (department_code, created_at, id);
CREATE INDEX tickets_division ON tickets (division_code, created_at, id);
CREATE INDEX tickets_warning ON tickets (created_at, id) WHERE warning <> '';

-- An Open311 app's own rate limit ("N/DURATION", see package ratelimit);
-- '' means the platform's default for API keys.
ALTER TABLE open311_keys ADD COLUMN rate_limit TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE open311_keys DROP COLUMN rate_limit;
DROP INDEX tickets_warning;
DROP INDEX tickets_division;
DROP INDEX tickets_department_created;
DROP INDEX tickets_kind;
DROP INDEX tickets_category;
DROP INDEX tickets_state;
DROP INDEX tickets_created;
CREATE INDEX tickets_category ON tickets (category_code, created_at);
CREATE INDEX tickets_state ON tickets (state, created_at);
