-- +goose Up
-- Stored files no record may refer to any more: a deleted draft's or
-- material's uploads, an upload whose record failed to commit. The
-- sweeper (blob.Sweeper) deletes a key's content once no record refers
-- to it; the indexes below let it check that without scanning.
CREATE TABLE blob_orphans (
    key   TEXT PRIMARY KEY,
    since TEXT NOT NULL
);
CREATE INDEX blob_orphans_since ON blob_orphans (since);
CREATE INDEX application_materials_blob ON application_materials (blob_key);
CREATE INDEX task_documents_blob ON task_documents (blob_key);
CREATE INDEX ticket_attachments_blob ON ticket_attachments (blob_key);

-- +goose Down
DROP INDEX ticket_attachments_blob;
DROP INDEX task_documents_blob;
DROP INDEX application_materials_blob;
DROP TABLE blob_orphans;
