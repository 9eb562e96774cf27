-- Reminders (bills, shopping digest, schedule, approvals) and the inbox; indexes that let the
-- ops board answer from bounded, indexed reads.

CREATE TABLE reminders (
    household_id TEXT NOT NULL REFERENCES households (id),
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('bill', 'shopping', 'schedule', 'approval')),
    subject_id   TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    title        TEXT NOT NULL,
    message      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    dismissed_at TEXT,
    dismissed_by TEXT,
    PRIMARY KEY (household_id, id)
);
-- Pushing the same reminder twice adds nothing: the database decides.
CREATE UNIQUE INDEX reminders_once ON reminders (household_id, kind, subject_id, due_on);
CREATE INDEX reminders_inbox ON reminders (household_id, created_at, id)
    WHERE dismissed_at IS NULL;

-- Pending approvals of the past get their inbox entry.
INSERT INTO reminders (household_id, id, kind, subject_id, due_on, title, message, created_at)
SELECT household_id, id, 'approval', id, substr(created_at, 1, 10),
       'Approval needed: ' || title, requested_by || ' asks for a yes on ' || action, created_at
FROM approvals WHERE status = 'pending';

-- Ops board reads.
CREATE INDEX inventory_items_low ON inventory_items (household_id, name_key, id)
    WHERE min_qty > 0 AND qty <= min_qty;
CREATE INDEX shopping_items_open_totals ON shopping_items (household_id, status, currency, est_total);
CREATE INDEX bills_by_status_due ON bills (household_id, status, due_on, id);
-- The cash balance sums every entry up to a day: answered from the index alone.
CREATE INDEX ledger_entries_balance ON ledger_entries (household_id, currency, entry_date, kind, amount);
