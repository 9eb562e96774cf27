-- Money: the append-only ledger, budget limits, bills and their paid periods, receipts with
-- tags and attachments. Same conventions as 0001 (TEXT ids, BIGINT minor units with a
-- currency code, TEXT days and instants); the SQLite file of the same name differs only in
-- BIGINT / BYTEA, a bytewise collation for sorted text, and how the append-only triggers are
-- written.

CREATE TABLE ledger_entries (
    household_id TEXT NOT NULL REFERENCES households (id),
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('expense', 'income')),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    entry_date   TEXT NOT NULL,
    category     TEXT,
    memo         TEXT,
    source_type  TEXT NOT NULL CHECK (source_type IN ('receipt', 'bill', 'manual')),
    source_id    TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, id)
);
CREATE INDEX ledger_entries_by_date ON ledger_entries (household_id, entry_date, id);
CREATE INDEX ledger_entries_by_category ON ledger_entries (household_id, category, entry_date);
-- A receipt is posted at most once, whatever path posts it.
CREATE UNIQUE INDEX ledger_entries_one_per_receipt ON ledger_entries (household_id, source_id)
    WHERE source_type = 'receipt';

-- The books are never rewritten: corrections are new entries.
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: record a correcting entry instead'
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER ledger_entries_no_rewrite BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

CREATE TABLE budget_limits (
    household_id  TEXT NOT NULL REFERENCES households (id),
    category      TEXT COLLATE "C" NOT NULL,
    monthly_limit BIGINT NOT NULL CHECK (monthly_limit >= 0),
    currency      TEXT NOT NULL,
    version       BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (household_id, category)
);

CREATE TABLE bills (
    household_id       TEXT NOT NULL REFERENCES households (id),
    id                 TEXT NOT NULL,
    name               TEXT NOT NULL,
    payee              TEXT,
    amount             BIGINT NOT NULL CHECK (amount > 0),
    currency           TEXT NOT NULL,
    due_on             TEXT NOT NULL,
    rrule              TEXT,
    series_start       TEXT NOT NULL,
    category           TEXT,
    autopay            BIGINT NOT NULL CHECK (autopay IN (0, 1)),
    status             TEXT NOT NULL CHECK (status IN ('unpaid', 'paid')),
    remind_days_before BIGINT NOT NULL CHECK (remind_days_before >= 0),
    last_paid_on       TEXT,
    version            BIGINT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (household_id, id)
);
CREATE INDEX bills_by_due ON bills (household_id, due_on, id);

-- One row per paid period (a period is the due date being paid): the key makes paying the
-- same period twice impossible, however the requests interleave.
CREATE TABLE bill_payments (
    household_id    TEXT NOT NULL,
    bill_id         TEXT NOT NULL,
    period          TEXT NOT NULL,
    paid_on         TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    ledger_entry_id TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (household_id, bill_id, period),
    FOREIGN KEY (household_id, bill_id) REFERENCES bills (household_id, id) ON DELETE CASCADE,
    FOREIGN KEY (household_id, ledger_entry_id) REFERENCES ledger_entries (household_id, id)
);

CREATE TABLE receipts (
    household_id     TEXT NOT NULL REFERENCES households (id),
    id               TEXT NOT NULL,
    vendor           TEXT,
    vendor_key       TEXT,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    receipt_date     TEXT NOT NULL,
    category         TEXT,
    payment_method   TEXT,
    tags             TEXT NOT NULL,
    file_ref         TEXT,
    shopping_item_id TEXT,
    ledger_entry_id  TEXT,
    ledger_status    TEXT NOT NULL CHECK (ledger_status IN ('posted', 'failed', 'skipped')),
    ledger_error     TEXT,
    version          BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, ledger_entry_id) REFERENCES ledger_entries (household_id, id)
);
CREATE INDEX receipts_by_date ON receipts (household_id, receipt_date, id);
-- A bought shopping item yields at most one receipt.
CREATE UNIQUE INDEX receipts_one_per_shopping_item ON receipts (household_id, shopping_item_id)
    WHERE shopping_item_id IS NOT NULL;

-- Tags for filtering (the receipt row keeps them in order as a JSON array for display).
CREATE TABLE receipt_tags (
    household_id TEXT NOT NULL,
    receipt_id   TEXT NOT NULL,
    tag          TEXT NOT NULL,
    PRIMARY KEY (household_id, receipt_id, tag),
    FOREIGN KEY (household_id, receipt_id) REFERENCES receipts (household_id, id) ON DELETE CASCADE
);
CREATE INDEX receipt_tags_by_tag ON receipt_tags (household_id, tag, receipt_id);

-- Attachment bytes live in the database, so every server node on one database sees them and
-- every backup holds them.
CREATE TABLE receipt_attachments (
    household_id TEXT NOT NULL,
    receipt_id   TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size > 0),
    sha256       TEXT NOT NULL,
    data         BYTEA NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, receipt_id),
    FOREIGN KEY (household_id, receipt_id) REFERENCES receipts (household_id, id) ON DELETE CASCADE
);
