-- +goose Up
-- A data-sharing lookup may serve a 12345 hotline ticket instead of an
-- application: the access log names which (case_number holds the ticket's
-- number then, application_id stays empty).
ALTER TABLE exchange_access_log ADD COLUMN ticket_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE exchange_access_log DROP COLUMN ticket_id;
