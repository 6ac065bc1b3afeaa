-- Token status lists (IETF OAuth Token Status List): each certificate gets one position in one
-- list, reserved before it is signed. Positions are drawn through a keyed permutation of the
-- list's counter, so that they reveal neither issuance order nor the issuing organisation.
CREATE TABLE status_lists (
    id          BIGINT PRIMARY KEY,
    -- Positions in the list (a power of two).
    capacity    BIGINT NOT NULL,
    -- Positions handed out so far; the next one is the permutation of this counter.
    allocated   BIGINT NOT NULL DEFAULT 0,
    -- The secret key of the list's permutation (32 bytes).
    shuffle_key BYTEA NOT NULL
);

-- The position of each certificate. No foreign key: the position is reserved before the
-- certificate is stored, and a certificate whose issuance then failed leaves its bit at 0.
CREATE TABLE status_list_entries (
    certificate_id UUID PRIMARY KEY,
    list_id        BIGINT NOT NULL REFERENCES status_lists (id),
    idx            BIGINT NOT NULL,
    UNIQUE (list_id, idx)
);
