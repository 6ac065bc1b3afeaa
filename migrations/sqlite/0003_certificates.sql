-- Lineage certificates, and the reverse index from every dataset of a certificate's closure to it,
-- which the revocation cascade follows.

CREATE TABLE certificates (
    id                       TEXT PRIMARY KEY NOT NULL,
    dataset_id               TEXT NOT NULL REFERENCES datasets (id),
    organization_id          TEXT NOT NULL REFERENCES organizations (id),
    audience_organization_id TEXT REFERENCES organizations (id),
    policy_id                TEXT NOT NULL,
    policy_version           TEXT NOT NULL,
    verdict                  TEXT NOT NULL,
    target_model             TEXT,
    contract_reference       TEXT,
    lineage_digest           TEXT NOT NULL,
    closure_size             INTEGER NOT NULL,
    kid                      TEXT NOT NULL,
    token                    TEXT NOT NULL,
    issue_time               TEXT NOT NULL,
    not_before               TEXT NOT NULL,
    expire_time              TEXT NOT NULL,
    revoke_time              TEXT,
    revoke_reason            TEXT,
    revoke_cause             TEXT
);

CREATE INDEX certificates_by_organization ON certificates (organization_id, id);

CREATE TABLE certificate_members (
    dataset_id     TEXT NOT NULL REFERENCES datasets (id),
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    PRIMARY KEY (dataset_id, certificate_id)
) WITHOUT ROWID;

-- Only revocation may change a certificate, and only once.
CREATE TRIGGER certificates_revoke_only BEFORE UPDATE ON certificates
WHEN OLD.revoke_time IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.dataset_id IS NOT OLD.dataset_id OR NEW.token IS NOT OLD.token
  OR NEW.lineage_digest IS NOT OLD.lineage_digest OR NEW.expire_time IS NOT OLD.expire_time
  OR NEW.not_before IS NOT OLD.not_before OR NEW.issue_time IS NOT OLD.issue_time
  OR NEW.verdict IS NOT OLD.verdict OR NEW.organization_id IS NOT OLD.organization_id
  OR NEW.audience_organization_id IS NOT OLD.audience_organization_id
BEGIN SELECT RAISE(ABORT, 'certificates are immutable but for one revocation'); END;
CREATE TRIGGER certificates_undeletable BEFORE DELETE ON certificates
BEGIN SELECT RAISE(ABORT, 'certificates are immutable but for one revocation'); END;
CREATE TRIGGER certificate_members_immutable BEFORE UPDATE ON certificate_members
BEGIN SELECT RAISE(ABORT, 'certificate members are immutable'); END;
CREATE TRIGGER certificate_members_undeletable BEFORE DELETE ON certificate_members
BEGIN SELECT RAISE(ABORT, 'certificate members are immutable'); END;
