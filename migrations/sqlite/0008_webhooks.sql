-- Webhook endpoints and their outbox. A delivery row is written for every endpoint that may see an
-- event in the transaction that appends the event, so a crash between commit and delivery loses
-- nothing. Rows are sent in sequence order per endpoint; one process at a time holds an endpoint's
-- lease (`lease_owner`, `lease_until`) and sends for it.

CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    url                  TEXT NOT NULL,
    description          TEXT NOT NULL,
    -- 'active' sends; 'paused' (by the organisation) and 'failing' (retries ran out) accumulate.
    state                TEXT NOT NULL CHECK (state IN ('active', 'paused', 'failing')),
    secret               TEXT NOT NULL,
    -- The secret before the last rotation, which also signs until `previous_secret_expire_time`.
    previous_secret      TEXT,
    previous_secret_expire_time TEXT,
    create_time          TEXT NOT NULL,
    update_time          TEXT NOT NULL,
    -- No delivery is tried before this (the head of the queue failed and waits for its retry).
    retry_after          TEXT,
    lease_owner          TEXT,
    lease_until          TEXT
);

CREATE INDEX webhooks_by_organization ON webhooks (organization_id, id);

-- The event types an endpoint subscribes to; none means every type.
CREATE TABLE webhook_event_types (
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    PRIMARY KEY (webhook_id, event_type)
) WITHOUT ROWID;

CREATE TABLE webhook_deliveries (
    webhook_id         TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    sequence           INTEGER NOT NULL REFERENCES events (sequence),
    state              TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_time  TEXT NOT NULL,
    -- When the current run of failures began (the retry window counts from it).
    first_failure_time TEXT,
    last_attempt_time  TEXT,
    last_status_code   INTEGER,
    last_error         TEXT,
    delivered_time     TEXT,
    PRIMARY KEY (webhook_id, sequence)
) WITHOUT ROWID;

CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, sequence)
    WHERE state = 'pending';
