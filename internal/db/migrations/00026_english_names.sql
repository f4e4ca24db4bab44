-- +goose Up
-- An application keeps its service's English name beside the Chinese one,
-- as filed, so notices and pages in English can name the service in
-- English. Applications filed before have none and show the Chinese name.
ALTER TABLE applications ADD COLUMN service_name_en TEXT NOT NULL DEFAULT '';
-- A notice's arguments for English readers, where they differ (a service's
-- English name); NULL: the same as args.
ALTER TABLE notices ADD COLUMN args_en TEXT;

-- +goose Down
ALTER TABLE notices DROP COLUMN args_en;
ALTER TABLE applications DROP COLUMN service_name_en;
