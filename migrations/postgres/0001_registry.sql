-- The whole registry schema for PostgreSQL, equal in behaviour to migrations/sqlite/0001..0005:
-- organisations, access tokens, datasets with their sources, the hash-linked event log,
-- attestations, contamination reports, certificates with their reverse index, and the event log's
-- RFC 9162 Merkle tree with the checkpoints signed over it. Ids are UUIDs and times TIMESTAMPTZ
-- (microseconds, as the registry keeps them); hashes are 32-byte BYTEA.

CREATE TABLE organizations (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    create_time TIMESTAMPTZ NOT NULL
);

CREATE TABLE access_tokens (
    id              UUID PRIMARY KEY,
    organization_id UUID REFERENCES organizations (id),
    role            TEXT NOT NULL CHECK (role IN ('auditor', 'registrar', 'admin', 'operator')),
    subject         TEXT NOT NULL,
    create_time     TIMESTAMPTZ NOT NULL,
    expire_time     TIMESTAMPTZ NOT NULL,
    revoke_time     TIMESTAMPTZ
);

CREATE TABLE datasets (
    id               UUID PRIMARY KEY,
    organization_id  UUID NOT NULL REFERENCES organizations (id),
    name             TEXT NOT NULL,
    version          TEXT NOT NULL,
    content_digest   TEXT NOT NULL,
    size_bytes       BIGINT CHECK (size_bytes >= 0),
    description      TEXT,
    license          TEXT,
    visibility       TEXT NOT NULL CHECK (visibility IN ('private', 'public')),
    create_time      TIMESTAMPTZ NOT NULL,
    creator_token_id UUID NOT NULL,
    creator_subject  TEXT NOT NULL,
    UNIQUE (organization_id, name, version)
);

CREATE INDEX datasets_by_name ON datasets (name, id);
CREATE INDEX datasets_public ON datasets (visibility, id);

CREATE TABLE dataset_sources (
    dataset_id        UUID NOT NULL REFERENCES datasets (id),
    position          INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    parent_dataset_id UUID REFERENCES datasets (id),
    model_id          TEXT,
    model_version     TEXT,
    model_provider    TEXT,
    uri               TEXT,
    license           TEXT,
    collect_time      TIMESTAMPTZ,
    content_digest    TEXT,
    description       TEXT,
    -- For kind 'dataset': whether the parent is public (visibility never changes).
    parent_public     BOOLEAN,
    PRIMARY KEY (dataset_id, position)
);

CREATE INDEX dataset_sources_by_parent ON dataset_sources (parent_dataset_id, dataset_id)
    WHERE parent_dataset_id IS NOT NULL;

-- `payload` is the exact JSON text that was hashed into the chain, so TEXT rather than JSONB
-- (which would reorder keys and change the bytes).
CREATE TABLE events (
    sequence        BIGINT PRIMARY KEY,
    type            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    organization_id UUID,
    public          BOOLEAN NOT NULL,
    payload         TEXT NOT NULL,
    time            TIMESTAMPTZ NOT NULL,
    prev_hash       BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    hash            BYTEA NOT NULL CHECK (length(hash) = 32)
);

CREATE INDEX events_by_organization ON events (organization_id, sequence);

CREATE TABLE attestations (
    id                UUID PRIMARY KEY,
    dataset_id        UUID NOT NULL REFERENCES datasets (id),
    organization_id   UUID NOT NULL REFERENCES organizations (id),
    policy_id         TEXT NOT NULL,
    policy_version    TEXT NOT NULL,
    method            TEXT NOT NULL,
    evidence          JSONB NOT NULL,   -- array of {uri, content_digest, description}
    statement         TEXT NOT NULL,
    create_time       TIMESTAMPTZ NOT NULL,
    expire_time       TIMESTAMPTZ,
    attester_token_id UUID NOT NULL,
    attester_subject  TEXT NOT NULL,
    revoke_time       TIMESTAMPTZ,
    revoke_reason     TEXT
);

CREATE INDEX attestations_by_dataset ON attestations (dataset_id, policy_id, policy_version);
CREATE INDEX attestations_by_organization ON attestations (organization_id, id);

CREATE TABLE contamination_reports (
    id                       UUID PRIMARY KEY,
    dataset_id               UUID NOT NULL REFERENCES datasets (id),
    reporter_organization_id UUID REFERENCES organizations (id),
    reporter_token_id        UUID NOT NULL,
    reporter_subject         TEXT NOT NULL,
    effective                BOOLEAN NOT NULL,  -- filed by the owner or the operator
    statement                TEXT NOT NULL,
    evidence                 JSONB NOT NULL,    -- array of {uri, content_digest}
    create_time              TIMESTAMPTZ NOT NULL
);

CREATE INDEX contamination_reports_by_dataset ON contamination_reports (dataset_id, effective);

CREATE TABLE certificates (
    id                       UUID PRIMARY KEY,
    dataset_id               UUID NOT NULL REFERENCES datasets (id),
    organization_id          UUID NOT NULL REFERENCES organizations (id),
    audience_organization_id UUID REFERENCES organizations (id),
    policy_id                TEXT NOT NULL,
    policy_version           TEXT NOT NULL,
    verdict                  TEXT NOT NULL,
    target_model             TEXT,
    contract_reference       TEXT,
    lineage_digest           TEXT NOT NULL,
    closure_size             BIGINT NOT NULL,
    kid                      TEXT NOT NULL,
    token                    TEXT NOT NULL,
    issue_time               TIMESTAMPTZ NOT NULL,
    not_before               TIMESTAMPTZ NOT NULL,
    expire_time              TIMESTAMPTZ NOT NULL,
    revoke_time              TIMESTAMPTZ,
    revoke_reason            TEXT,
    revoke_cause             TEXT,
    -- The sequence of its `certificate.issued` event (its log leaf is this minus one).
    issued_event_sequence    BIGINT NOT NULL
);

CREATE INDEX certificates_by_organization ON certificates (organization_id, id);

CREATE TABLE certificate_members (
    dataset_id     UUID NOT NULL REFERENCES datasets (id),
    certificate_id UUID NOT NULL REFERENCES certificates (id),
    PRIMARY KEY (dataset_id, certificate_id)
);

-- Each row is the root of one complete subtree of the event log's Merkle tree: level L, index i
-- covers leaves [i * 2^L, (i + 1) * 2^L); level 0 holds the leaf hashes.
CREATE TABLE log_nodes (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- Every checkpoint the registry signed, one per tree size.
CREATE TABLE log_checkpoints (
    tree_size BIGINT PRIMARY KEY,
    root_hash BYTEA NOT NULL CHECK (length(root_hash) = 32),
    time      TIMESTAMPTZ NOT NULL,
    note      TEXT NOT NULL
);

-- History is never rewritten: the database itself refuses, whoever connects to it.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER organizations_immutable BEFORE UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION refuse_change('organizations are immutable');
CREATE TRIGGER datasets_immutable BEFORE UPDATE OR DELETE ON datasets
    FOR EACH ROW EXECUTE FUNCTION refuse_change('datasets are immutable');
CREATE TRIGGER dataset_sources_immutable BEFORE UPDATE OR DELETE ON dataset_sources
    FOR EACH ROW EXECUTE FUNCTION refuse_change('dataset sources are immutable');
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the event log is append-only');
CREATE TRIGGER contamination_reports_immutable BEFORE UPDATE OR DELETE ON contamination_reports
    FOR EACH ROW EXECUTE FUNCTION refuse_change('contamination reports are immutable');
CREATE TRIGGER certificate_members_immutable BEFORE UPDATE OR DELETE ON certificate_members
    FOR EACH ROW EXECUTE FUNCTION refuse_change('certificate members are immutable');
CREATE TRIGGER log_nodes_immutable BEFORE UPDATE OR DELETE ON log_nodes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the transparency log is append-only');
CREATE TRIGGER log_checkpoints_immutable BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change('signed checkpoints are immutable');
CREATE TRIGGER attestations_undeletable BEFORE DELETE ON attestations
    FOR EACH ROW EXECUTE FUNCTION refuse_change('attestations are immutable but for one revocation');
CREATE TRIGGER certificates_undeletable BEFORE DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION refuse_change('certificates are immutable but for one revocation');

-- Only revocation may change an attestation or a certificate, and only once.
CREATE TRIGGER attestations_revoke_only BEFORE UPDATE ON attestations
    FOR EACH ROW WHEN (OLD.revoke_time IS NOT NULL
        OR (NEW.id, NEW.dataset_id, NEW.organization_id, NEW.policy_id, NEW.policy_version,
            NEW.method, NEW.evidence, NEW.statement, NEW.create_time, NEW.expire_time,
            NEW.attester_token_id, NEW.attester_subject)
           IS DISTINCT FROM
           (OLD.id, OLD.dataset_id, OLD.organization_id, OLD.policy_id, OLD.policy_version,
            OLD.method, OLD.evidence, OLD.statement, OLD.create_time, OLD.expire_time,
            OLD.attester_token_id, OLD.attester_subject))
    EXECUTE FUNCTION refuse_change('attestations are immutable but for one revocation');
CREATE TRIGGER certificates_revoke_only BEFORE UPDATE ON certificates
    FOR EACH ROW WHEN (OLD.revoke_time IS NOT NULL
        OR (NEW.id, NEW.dataset_id, NEW.organization_id, NEW.audience_organization_id,
            NEW.policy_id, NEW.policy_version, NEW.verdict, NEW.target_model,
            NEW.contract_reference, NEW.lineage_digest, NEW.closure_size, NEW.kid, NEW.token,
            NEW.issue_time, NEW.not_before, NEW.expire_time, NEW.issued_event_sequence)
           IS DISTINCT FROM
           (OLD.id, OLD.dataset_id, OLD.organization_id, OLD.audience_organization_id,
            OLD.policy_id, OLD.policy_version, OLD.verdict, OLD.target_model,
            OLD.contract_reference, OLD.lineage_digest, OLD.closure_size, OLD.kid, OLD.token,
            OLD.issue_time, OLD.not_before, OLD.expire_time, OLD.issued_event_sequence))
    EXECUTE FUNCTION refuse_change('certificates are immutable but for one revocation');
