-- The sequence of each certificate's `certificate.issued` event: its leaf in the transparency log is
-- this minus one. Filled in for certificates issued before the column existed.
ALTER TABLE certificates ADD COLUMN issued_event_sequence INTEGER;

DROP TRIGGER certificates_revoke_only;
UPDATE certificates SET issued_event_sequence = (
    SELECT e.sequence FROM events e
    WHERE e.type = 'certificate.issued' AND e.subject = 'certificates/' || certificates.id
);
-- As before, and the sequence is fixed once set.
CREATE TRIGGER certificates_revoke_only BEFORE UPDATE ON certificates
WHEN OLD.revoke_time IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.dataset_id IS NOT OLD.dataset_id OR NEW.token IS NOT OLD.token
  OR NEW.lineage_digest IS NOT OLD.lineage_digest OR NEW.expire_time IS NOT OLD.expire_time
  OR NEW.not_before IS NOT OLD.not_before OR NEW.issue_time IS NOT OLD.issue_time
  OR NEW.verdict IS NOT OLD.verdict OR NEW.organization_id IS NOT OLD.organization_id
  OR NEW.audience_organization_id IS NOT OLD.audience_organization_id
  OR NEW.issued_event_sequence IS NOT OLD.issued_event_sequence
BEGIN SELECT RAISE(ABORT, 'certificates are immutable but for one revocation'); END;
