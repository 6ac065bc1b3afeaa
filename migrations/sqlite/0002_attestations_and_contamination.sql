-- Attestations under a policy version, and contamination reports.

CREATE TABLE attestations (
    id                TEXT PRIMARY KEY NOT NULL,
    dataset_id        TEXT NOT NULL REFERENCES datasets (id),
    organization_id   TEXT NOT NULL REFERENCES organizations (id),
    policy_id         TEXT NOT NULL,
    policy_version    TEXT NOT NULL,
    method            TEXT NOT NULL,
    evidence          TEXT NOT NULL,   -- JSON array of {uri, content_digest, description}
    statement         TEXT NOT NULL,
    create_time       TEXT NOT NULL,
    expire_time       TEXT,
    attester_token_id TEXT NOT NULL,
    attester_subject  TEXT NOT NULL,
    revoke_time       TEXT,
    revoke_reason     TEXT
);

-- Evaluation looks up the attestations of every dataset of a closure under one policy version.
CREATE INDEX attestations_by_dataset ON attestations (dataset_id, policy_id, policy_version);
CREATE INDEX attestations_by_organization ON attestations (organization_id, id);

-- Only revocation may change an attestation, and only once.
CREATE TRIGGER attestations_revoke_only BEFORE UPDATE ON attestations
WHEN OLD.revoke_time IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.dataset_id IS NOT OLD.dataset_id
  OR NEW.organization_id IS NOT OLD.organization_id OR NEW.policy_id IS NOT OLD.policy_id
  OR NEW.policy_version IS NOT OLD.policy_version OR NEW.method IS NOT OLD.method
  OR NEW.evidence IS NOT OLD.evidence OR NEW.statement IS NOT OLD.statement
  OR NEW.create_time IS NOT OLD.create_time OR NEW.expire_time IS NOT OLD.expire_time
BEGIN SELECT RAISE(ABORT, 'attestations are immutable but for one revocation'); END;
CREATE TRIGGER attestations_undeletable BEFORE DELETE ON attestations
BEGIN SELECT RAISE(ABORT, 'attestations are immutable but for one revocation'); END;

CREATE TABLE contamination_reports (
    id                       TEXT PRIMARY KEY NOT NULL,
    dataset_id               TEXT NOT NULL REFERENCES datasets (id),
    reporter_organization_id TEXT REFERENCES organizations (id),
    reporter_token_id        TEXT NOT NULL,
    reporter_subject         TEXT NOT NULL,
    effective                INTEGER NOT NULL,  -- 1 when filed by the owner or the operator
    statement                TEXT NOT NULL,
    evidence                 TEXT NOT NULL,     -- JSON array of {uri, content_digest}
    create_time              TEXT NOT NULL
);

CREATE INDEX contamination_reports_by_dataset ON contamination_reports (dataset_id, effective);

CREATE TRIGGER contamination_reports_immutable BEFORE UPDATE ON contamination_reports
BEGIN SELECT RAISE(ABORT, 'contamination reports are immutable'); END;
CREATE TRIGGER contamination_reports_undeletable BEFORE DELETE ON contamination_reports
BEGIN SELECT RAISE(ABORT, 'contamination reports are immutable'); END;
