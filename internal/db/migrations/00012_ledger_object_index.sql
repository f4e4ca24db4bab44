-- +goose Up
-- Append looks up an object's latest entry (ORDER BY created_at DESC, id
-- DESC LIMIT 1); with the order in the index that is one index step
-- instead of a sort of every earlier entry of the object.
DROP INDEX ledger_entries_object;
CREATE INDEX ledger_entries_object ON ledger_entries (object_type, object_id, created_at, id);

-- +goose Down
DROP INDEX ledger_entries_object;
CREATE INDEX ledger_entries_object ON ledger_entries (object_type, object_id);
