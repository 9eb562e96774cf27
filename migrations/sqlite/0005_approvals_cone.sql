-- Approvals queue and the cone (per-household policy for automated actions).

CREATE TABLE approvals (
    household_id           TEXT NOT NULL REFERENCES households (id),
    id                     TEXT NOT NULL,
    title                  TEXT NOT NULL,
    action                 TEXT NOT NULL,
    target_type            TEXT NOT NULL,
    target_id              TEXT NOT NULL,
    cone_band              TEXT NOT NULL CHECK (cone_band IN ('green', 'yellow', 'red')),
    risk                   TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    payload                TEXT NOT NULL,
    -- The amount the approval covers (minor units of currency); NULL: no amount limit.
    amount                 INTEGER,
    currency               TEXT,
    status                 TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
    requested_by           TEXT NOT NULL,
    requested_by_member_id TEXT,
    decided_by             TEXT,
    decided_by_member_id   TEXT,
    decided_at             TEXT,
    note                   TEXT,
    version                INTEGER NOT NULL,
    created_at             TEXT NOT NULL,
    PRIMARY KEY (household_id, id)
);
CREATE INDEX approvals_newest ON approvals (household_id, created_at, id);
CREATE INDEX approvals_by_status ON approvals (household_id, status, created_at, id);
CREATE INDEX approvals_by_target ON approvals (household_id, target_type, target_id, status);

CREATE TABLE cone_policies (
    household_id TEXT PRIMARY KEY REFERENCES households (id),
    document     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    updated_at   TEXT NOT NULL
);
