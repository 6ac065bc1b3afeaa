-- Witnesses' cosignatures (c2sp.org/tlog-cosignature) of the registry's checkpoints, verified
-- with the witness's configured key before they are kept, and published after the checkpoint's
-- own signature. One per witness and checkpoint; never changed.
CREATE TABLE checkpoint_cosignatures (
    tree_size   INTEGER NOT NULL REFERENCES log_checkpoints (tree_size),
    -- The witness's verifier key, <name>+<key id>+<key>.
    witness     TEXT NOT NULL,
    -- The note signature line, without its newline.
    line        TEXT NOT NULL,
    -- The witness's timestamp, Unix seconds.
    cosigned_at INTEGER NOT NULL,
    PRIMARY KEY (tree_size, witness)
);

CREATE INDEX checkpoint_cosignatures_by_witness ON checkpoint_cosignatures (witness, tree_size);

CREATE TRIGGER checkpoint_cosignatures_immutable BEFORE UPDATE ON checkpoint_cosignatures
BEGIN
    SELECT RAISE(ABORT, 'cosignatures are immutable');
END;
CREATE TRIGGER checkpoint_cosignatures_undeletable BEFORE DELETE ON checkpoint_cosignatures
BEGIN
    SELECT RAISE(ABORT, 'cosignatures are immutable');
END;
