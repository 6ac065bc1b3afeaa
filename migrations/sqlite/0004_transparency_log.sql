-- The event log as an RFC 9162 Merkle tree. Each row is the root of one complete subtree: level L,
-- index i covers leaves [i * 2^L, (i + 1) * 2^L); level 0 holds the leaf hashes. Proofs and roots
-- are built from O(log n) of these rows, never by rehashing the log. Rows are written in the
-- transaction that appends their events.
CREATE TABLE log_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- Every checkpoint the registry signed, one per tree size: a later start refuses a tree that does
-- not match them.
CREATE TABLE log_checkpoints (
    tree_size INTEGER PRIMARY KEY NOT NULL,
    root_hash BLOB NOT NULL,
    time      TEXT NOT NULL,
    note      TEXT NOT NULL
);

CREATE TRIGGER log_nodes_immutable BEFORE UPDATE ON log_nodes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_nodes_undeletable BEFORE DELETE ON log_nodes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_checkpoints_immutable BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'signed checkpoints are immutable'); END;
CREATE TRIGGER log_checkpoints_undeletable BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'signed checkpoints are immutable'); END;
