-- Organisations, access tokens, datasets with their sources, and the hash-linked event log.
-- Times are RFC 3339 text in UTC with six fractional digits, so that text order is time order.
-- Ids are canonical hyphenated UUID text.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    create_time TEXT NOT NULL
);

CREATE TABLE access_tokens (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT REFERENCES organizations (id),
    role            TEXT NOT NULL CHECK (role IN ('auditor', 'registrar', 'admin', 'operator')),
    subject         TEXT NOT NULL,
    create_time     TEXT NOT NULL,
    expire_time     TEXT NOT NULL,
    revoke_time     TEXT
);

CREATE TABLE datasets (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    name             TEXT NOT NULL,
    version          TEXT NOT NULL,
    content_digest   TEXT NOT NULL,
    size_bytes       INTEGER CHECK (size_bytes >= 0),
    description      TEXT,
    license          TEXT,
    visibility       TEXT NOT NULL CHECK (visibility IN ('private', 'public')),
    create_time      TEXT NOT NULL,
    creator_token_id TEXT NOT NULL,
    creator_subject  TEXT NOT NULL,
    UNIQUE (organization_id, name, version)
);

CREATE INDEX datasets_by_name ON datasets (name, id);
CREATE INDEX datasets_public ON datasets (visibility, id);

CREATE TABLE dataset_sources (
    dataset_id        TEXT NOT NULL REFERENCES datasets (id),
    position          INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    parent_dataset_id TEXT REFERENCES datasets (id),
    model_id          TEXT,
    model_version     TEXT,
    model_provider    TEXT,
    uri               TEXT,
    license           TEXT,
    collect_time      TEXT,
    content_digest    TEXT,
    description       TEXT,
    -- For kind 'dataset': whether the parent is public (visibility never changes), so that an
    -- outsider's copy of the record can hide private parents without a lookup.
    parent_public     INTEGER,
    PRIMARY KEY (dataset_id, position)
) WITHOUT ROWID;

-- Downstream walks go from a parent to its children.
CREATE INDEX dataset_sources_by_parent ON dataset_sources (parent_dataset_id, dataset_id)
    WHERE parent_dataset_id IS NOT NULL;

CREATE TABLE events (
    sequence        INTEGER PRIMARY KEY NOT NULL,
    type            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    organization_id TEXT,
    public          INTEGER NOT NULL,
    payload         TEXT NOT NULL,
    time            TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);

CREATE INDEX events_by_organization ON events (organization_id, sequence);

-- Datasets are immutable and the log is append-only: the database itself refuses otherwise.
CREATE TRIGGER datasets_immutable BEFORE UPDATE ON datasets
BEGIN SELECT RAISE(ABORT, 'datasets are immutable'); END;
CREATE TRIGGER datasets_undeletable BEFORE DELETE ON datasets
BEGIN SELECT RAISE(ABORT, 'datasets are immutable'); END;
CREATE TRIGGER dataset_sources_immutable BEFORE UPDATE ON dataset_sources
BEGIN SELECT RAISE(ABORT, 'dataset sources are immutable'); END;
CREATE TRIGGER dataset_sources_undeletable BEFORE DELETE ON dataset_sources
BEGIN SELECT RAISE(ABORT, 'dataset sources are immutable'); END;
CREATE TRIGGER events_immutable BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_undeletable BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
