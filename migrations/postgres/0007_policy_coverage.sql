-- Attestations and certificates that cover several policy versions, and the purpose an
-- attestation declares.
--
-- An attestation or certificate row keeps its first policy in policy_id and policy_version, as
-- before; these tables list every policy version it covers, the first included (position 0, written
-- by the triggers below, so that a row written by a replica of the previous release is covered
-- too), the others in the order the request named them. Evaluation counts an attestation under
-- every policy it covers; revoking it revokes the certificates of its dataset's closures that
-- cover any of them.

ALTER TABLE attestations ADD COLUMN declared_purpose TEXT;  -- 'competing_model', 'non_competing' or NULL

CREATE TABLE attestation_policies (
    attestation_id UUID NOT NULL REFERENCES attestations (id),
    position       INTEGER NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    PRIMARY KEY (attestation_id, policy_id, policy_version),
    UNIQUE (attestation_id, position)
);

CREATE TABLE certificate_policies (
    certificate_id UUID NOT NULL REFERENCES certificates (id),
    position       INTEGER NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    PRIMARY KEY (certificate_id, policy_id, policy_version),
    UNIQUE (certificate_id, position)
);

INSERT INTO attestation_policies (attestation_id, position, policy_id, policy_version)
    SELECT id, 0, policy_id, policy_version FROM attestations;
INSERT INTO certificate_policies (certificate_id, position, policy_id, policy_version)
    SELECT id, 0, policy_id, policy_version FROM certificates;

CREATE FUNCTION cover_own_policy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %I VALUES ($1, 0, $2, $3)', TG_ARGV[0])
        USING NEW.id, NEW.policy_id, NEW.policy_version;
    RETURN NULL;
END $$;

CREATE TRIGGER attestations_cover_their_policy AFTER INSERT ON attestations
    FOR EACH ROW EXECUTE FUNCTION cover_own_policy('attestation_policies');
CREATE TRIGGER certificates_cover_their_policy AFTER INSERT ON certificates
    FOR EACH ROW EXECUTE FUNCTION cover_own_policy('certificate_policies');

CREATE TRIGGER attestations_purpose_immutable BEFORE UPDATE ON attestations
    FOR EACH ROW WHEN (NEW.declared_purpose IS DISTINCT FROM OLD.declared_purpose)
    EXECUTE FUNCTION refuse_change('attestations are immutable but for one revocation');
CREATE TRIGGER attestation_policies_immutable BEFORE UPDATE OR DELETE ON attestation_policies
    FOR EACH ROW EXECUTE FUNCTION refuse_change('attestations are immutable but for one revocation');
CREATE TRIGGER certificate_policies_immutable BEFORE UPDATE OR DELETE ON certificate_policies
    FOR EACH ROW EXECUTE FUNCTION refuse_change('certificates are immutable but for one revocation');
