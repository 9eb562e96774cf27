-- Schedule events, the shopping list and shopping presets.
-- Conventions as in 0001 (shared with the SQLite migration of the same name). Shopping
-- items that generators create are deduplicated here, in the database, by partial unique
-- indexes over *open* items, so two generators running at once can never add the same thing
-- twice; inserts use ON CONFLICT DO NOTHING and count a conflict as "skipped".

CREATE TABLE schedule_events (
    household_id       TEXT NOT NULL REFERENCES households (id),
    id                 TEXT NOT NULL,
    title              TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('need', 'chore', 'appointment', 'other')),
    event_date         TEXT NOT NULL,
    rrule              TEXT,
    until_date         TEXT,
    item_name          TEXT,
    qty                BIGINT CHECK (qty > 0),
    est_unit_cost      BIGINT CHECK (est_unit_cost >= 0),
    currency           TEXT NOT NULL,
    inv_id             TEXT,
    notes              TEXT,
    remind_days_before BIGINT NOT NULL CHECK (remind_days_before >= 0),
    version            BIGINT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, inv_id) REFERENCES inventory_items (household_id, id)
);
CREATE INDEX schedule_events_by_date ON schedule_events (household_id, event_date, id);
CREATE INDEX schedule_events_by_kind ON schedule_events (household_id, kind, event_date);

CREATE TABLE shopping_items (
    household_id      TEXT NOT NULL REFERENCES households (id),
    id                TEXT NOT NULL,
    name              TEXT NOT NULL,
    name_key          TEXT COLLATE "C" NOT NULL,
    qty               BIGINT NOT NULL CHECK (qty > 0),
    unit              TEXT,
    est_unit_cost     BIGINT CHECK (est_unit_cost >= 0),
    est_total         BIGINT CHECK (est_total >= 0),
    currency          TEXT NOT NULL,
    category          TEXT,
    status            TEXT NOT NULL CHECK (status IN ('open', 'bought', 'cancelled')),
    source            TEXT NOT NULL
                      CHECK (source IN ('manual', 'quick_add', 'inventory', 'needs', 'preset')),
    inv_id            TEXT,
    schedule_event_id TEXT,
    need_date         TEXT,
    approval_id       TEXT,
    actual_total      BIGINT CHECK (actual_total >= 0),
    bought_at         TEXT,
    receipt_id        TEXT,
    version           BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    FOREIGN KEY (household_id, inv_id) REFERENCES inventory_items (household_id, id),
    FOREIGN KEY (household_id, schedule_event_id) REFERENCES schedule_events (household_id, id)
);
CREATE INDEX shopping_items_by_status ON shopping_items (household_id, status, id);
CREATE INDEX shopping_items_open_by_name ON shopping_items (household_id, name_key)
    WHERE status = 'open';
-- At most one open item per inventory item …
CREATE UNIQUE INDEX shopping_items_open_per_inventory_item ON shopping_items (household_id, inv_id)
    WHERE status = 'open' AND inv_id IS NOT NULL;
-- … per need occurrence …
CREATE UNIQUE INDEX shopping_items_open_per_need ON shopping_items
    (household_id, schedule_event_id, need_date)
    WHERE status = 'open' AND schedule_event_id IS NOT NULL;
-- … and per normalised name among generated items (manual adds may repeat a name on purpose).
CREATE UNIQUE INDEX shopping_items_open_generated_name ON shopping_items (household_id, name_key)
    WHERE status = 'open' AND source IN ('inventory', 'needs', 'preset');

-- Deleting an inventory item keeps the shopping and schedule records that named it, unlinked
-- (a composite ON DELETE SET NULL would also null household_id).
CREATE FUNCTION inventory_items_detach_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shopping_items SET inv_id = NULL, version = version + 1
     WHERE household_id = OLD.household_id AND inv_id = OLD.id;
    UPDATE schedule_events SET inv_id = NULL, version = version + 1
     WHERE household_id = OLD.household_id AND inv_id = OLD.id;
    RETURN OLD;
END;
$$;
CREATE TRIGGER inventory_items_detach_links
BEFORE DELETE ON inventory_items
FOR EACH ROW EXECUTE FUNCTION inventory_items_detach_links();

CREATE TABLE shopping_presets (
    household_id TEXT NOT NULL REFERENCES households (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    name_key     TEXT COLLATE "C" NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (household_id, id),
    UNIQUE (household_id, name_key)
);

CREATE TABLE shopping_preset_items (
    household_id  TEXT NOT NULL,
    preset_id     TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    name          TEXT NOT NULL,
    qty           BIGINT NOT NULL CHECK (qty > 0),
    unit          TEXT,
    est_unit_cost BIGINT CHECK (est_unit_cost >= 0),
    currency      TEXT NOT NULL,
    category      TEXT,
    PRIMARY KEY (household_id, preset_id, seq),
    FOREIGN KEY (household_id, preset_id) REFERENCES shopping_presets (household_id, id)
        ON DELETE CASCADE
);
