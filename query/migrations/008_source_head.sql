-- 008: the sha256 of each source's first 4096 decompressed bytes. Ingest
-- compares a file's head with it before hashing the whole file: a file
-- whose head matches no known source is new, and is hashed while it is
-- parsed instead of in a pass of its own. Sources written before this
-- migration keep NULL (any file may match them, as before). Written
-- re-runnable (IF NOT EXISTS).

ALTER TABLE sources ADD COLUMN IF NOT EXISTS head_sha256 VARCHAR;
COMMENT ON COLUMN sources.head_sha256 IS 'sha256 of the first 4096 bytes of the decompressed content (all of it when shorter); NULL for sources ingested before schema version 8';
