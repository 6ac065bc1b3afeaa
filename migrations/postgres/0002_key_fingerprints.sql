-- The fingerprints of the registry's key files, one row per file (kind: access-token,
-- certificate-signing, log-signing), written by the first process to open the database. Every
-- replica compares its own files with them at start and refuses to run with other keys. Never a
-- key: public-key thumbprints, and an HMAC under the access-token secret (src/domain/key_record.rs).
-- `keys rotate` replaces the certificate-signing row; rows are never deleted by the registry.
CREATE TABLE key_fingerprints (
    kind        text PRIMARY KEY
                CHECK (kind IN ('access-token', 'certificate-signing', 'log-signing')),
    fingerprint text NOT NULL,
    source      text NOT NULL,
    record_time timestamptz NOT NULL
);
