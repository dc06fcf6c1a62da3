-- Orders of the head of an organisation that put approved pairs and
-- groups of a programme into effect. A pair belongs to at most one order
-- (pairs.order_id), and a number is used once per programme.
CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    programme_id    TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    number          TEXT NOT NULL,
    order_date      TEXT NOT NULL,
    signed_by       TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX orders_programme_number ON orders (programme_id, number);

ALTER TABLE pairs ADD COLUMN order_id TEXT;
CREATE INDEX pairs_order ON pairs (order_id);

-- Planned values of the monitoring indicators, per organisation,
-- indicator and period (a month YYYY-MM, or a year YYYY for every month
-- of it), in tenths of a per cent so that they stay whole numbers.
CREATE TABLE targets (
    organization_id TEXT NOT NULL,
    indicator       TEXT NOT NULL,
    period          TEXT NOT NULL,
    tenths          BIGINT NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (organization_id, indicator, period)
);
