-- Webhook endpoints and their outbox, as migrations/sqlite/0008_webhooks.sql: a delivery row for
-- every endpoint that may see an event is written in the transaction that appends the event. Across
-- replicas one process at a time holds an endpoint's lease (taken with FOR UPDATE SKIP LOCKED) and
-- sends for it, in sequence order.

CREATE TABLE webhooks (
    id                   UUID PRIMARY KEY,
    organization_id      UUID NOT NULL REFERENCES organizations (id),
    url                  TEXT NOT NULL,
    description          TEXT NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('active', 'paused', 'failing')),
    secret               TEXT NOT NULL,
    previous_secret      TEXT,
    previous_secret_expire_time TIMESTAMPTZ,
    create_time          TIMESTAMPTZ NOT NULL,
    update_time          TIMESTAMPTZ NOT NULL,
    retry_after          TIMESTAMPTZ,
    lease_owner          UUID,
    lease_until          TIMESTAMPTZ
);

CREATE INDEX webhooks_by_organization ON webhooks (organization_id, id);

CREATE TABLE webhook_event_types (
    webhook_id UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    PRIMARY KEY (webhook_id, event_type)
);

CREATE TABLE webhook_deliveries (
    webhook_id         UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    sequence           BIGINT NOT NULL REFERENCES events (sequence),
    state              TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_time  TIMESTAMPTZ NOT NULL,
    first_failure_time TIMESTAMPTZ,
    last_attempt_time  TIMESTAMPTZ,
    last_status_code   INTEGER,
    last_error         TEXT,
    delivered_time     TIMESTAMPTZ,
    PRIMARY KEY (webhook_id, sequence)
);

CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, sequence)
    WHERE state = 'pending';
