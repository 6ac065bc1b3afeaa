-- Attestations and certificates that cover several policy versions, and the purpose an
-- attestation declares.
--
-- An attestation or certificate row keeps its first policy in policy_id and policy_version, as
-- before; these tables list every policy version it covers, the first included (position 0, written
-- by the triggers below, so that a row written by an older release is covered too), the others
-- in the order the request named them. Evaluation counts an attestation under every policy it
-- covers; revoking it revokes the certificates of its dataset's closures that cover any of them.

ALTER TABLE attestations ADD COLUMN declared_purpose TEXT;  -- 'competing_model', 'non_competing' or NULL

CREATE TABLE attestation_policies (
    attestation_id TEXT NOT NULL REFERENCES attestations (id),
    position       INTEGER NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    PRIMARY KEY (attestation_id, policy_id, policy_version),
    UNIQUE (attestation_id, position)
) WITHOUT ROWID;

CREATE TABLE certificate_policies (
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    position       INTEGER NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    PRIMARY KEY (certificate_id, policy_id, policy_version),
    UNIQUE (certificate_id, position)
) WITHOUT ROWID;

INSERT INTO attestation_policies (attestation_id, position, policy_id, policy_version)
    SELECT id, 0, policy_id, policy_version FROM attestations;
INSERT INTO certificate_policies (certificate_id, position, policy_id, policy_version)
    SELECT id, 0, policy_id, policy_version FROM certificates;

CREATE TRIGGER attestations_cover_their_policy AFTER INSERT ON attestations
BEGIN
    INSERT INTO attestation_policies (attestation_id, position, policy_id, policy_version)
    VALUES (NEW.id, 0, NEW.policy_id, NEW.policy_version);
END;
CREATE TRIGGER certificates_cover_their_policy AFTER INSERT ON certificates
BEGIN
    INSERT INTO certificate_policies (certificate_id, position, policy_id, policy_version)
    VALUES (NEW.id, 0, NEW.policy_id, NEW.policy_version);
END;

CREATE TRIGGER attestations_purpose_immutable BEFORE UPDATE OF declared_purpose ON attestations
WHEN NEW.declared_purpose IS NOT OLD.declared_purpose
BEGIN SELECT RAISE(ABORT, 'attestations are immutable but for one revocation'); END;
CREATE TRIGGER attestation_policies_immutable BEFORE UPDATE ON attestation_policies
BEGIN SELECT RAISE(ABORT, 'attestations are immutable but for one revocation'); END;
CREATE TRIGGER attestation_policies_undeletable BEFORE DELETE ON attestation_policies
BEGIN SELECT RAISE(ABORT, 'attestations are immutable but for one revocation'); END;
CREATE TRIGGER certificate_policies_immutable BEFORE UPDATE ON certificate_policies
BEGIN SELECT RAISE(ABORT, 'certificates are immutable but for one revocation'); END;
CREATE TRIGGER certificate_policies_undeletable BEFORE DELETE ON certificate_policies
BEGIN SELECT RAISE(ABORT, 'certificates are immutable but for one revocation'); END;
