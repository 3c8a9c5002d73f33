//! The database schema: numbered migrations for each backend, applied in order on open
//! and recorded in `schema_version`. A migration, once released, never changes: a new
//! version is a new entry at the end of the list.
//!
//! Conventions: money is BIGINT pence; financial years are the calendar year of their
//! 1 April (2016 for 2016-17); months are fiscal (1 = April); dates are yyyymmdd
//! integers; times are UTC ISO 8601 text. No floating point anywhere.
//!
//! The ledger is the one big table, and it has no index but its primary key: an index
//! by cost centre halves the import rate. Each import's rows are one contiguous range of
//! ids (imports are written one at a time), so an import is deleted, read in order and
//! hashed by a range scan of the primary key. The `actual` table, filled as the rows
//! stream in, holds for each import and cost centre the sum, the count and the list of its
//! rows: reports never read the ledger, and drill-down reads only the rows it shows.

use crate::audit::now_utc;
use crate::sql::{Backend, Conn, Lock, params};
use crate::{Result, StoreError};

/// The account actions of the audit log before migration 4, which made the stamp of the
/// latest change to the records: they do not move it.
macro_rules! stamp_from_audit_log {
    () => {
        "INSERT INTO change_stamp (id, seq)
SELECT 1, COALESCE(MAX(seq), 0) FROM audit_log WHERE action NOT IN ('create-user', 'set-password',
    'disable-user', 'enable-user', 'login', 'logout', 'delete-expired-sessions', 'create-api-token',
    'revoke-api-token');"
    };
}

/// Migration 5, alike in both databases: the log's head (its last entry's number and
/// hash) kept apart from it, written with every entry, so that removing the last entries
/// is detected; taken from the log as it is (`0:` and the genesis hash for none).
macro_rules! audit_head_from_audit_log {
    ($seq:literal) => {
        concat!(
            "CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq ",
            $seq,
            " NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_head (id, seq, hash)
SELECT 1, COALESCE(MAX(seq), 0), COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
    '0000000000000000000000000000000000000000000000000000000000000000') FROM audit_log;"
        )
    };
}

/// Migration 6, alike in both databases but for the types of money and of a flag (and
/// the flag's false): forecasts confirmed below the actual to date, and what is recorded
/// of unagreed savings.
macro_rules! savings_and_confirmed_forecasts {
    ($money:literal, $flag:literal, $false:literal) => {
        concat!(
            "ALTER TABLE forecast ADD COLUMN confirmed_below_actual ",
            $flag,
            " NOT NULL DEFAULT ",
            $false,
            ";
CREATE TABLE saving_forecast (
    year INTEGER NOT NULL,
    saving TEXT NOT NULL,
    month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    amount ",
            $money,
            " NOT NULL CHECK (amount >= 0),
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (year, saving, month)
);
CREATE TABLE saving_delivered (
    year INTEGER NOT NULL,
    saving TEXT NOT NULL,
    amount ",
            $money,
            " NOT NULL CHECK (amount >= 0),
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (year, saving)
);"
        )
    };
}

pub(crate) const SQLITE: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE agreement (
    year INTEGER NOT NULL,
    version INTEGER NOT NULL,
    agreement_id TEXT NOT NULL,
    toml TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (year, version)
);
CREATE TABLE cost_centre (
    year INTEGER NOT NULL,
    code TEXT NOT NULL,
    -- The caller's order, kept so that a plan reads back as it was saved.
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    partner TEXT NOT NULL,
    pool TEXT NOT NULL,
    line TEXT NOT NULL,
    budget INTEGER NOT NULL,
    m1 INTEGER NOT NULL, m2 INTEGER NOT NULL, m3 INTEGER NOT NULL, m4 INTEGER NOT NULL,
    m5 INTEGER NOT NULL, m6 INTEGER NOT NULL, m7 INTEGER NOT NULL, m8 INTEGER NOT NULL,
    m9 INTEGER NOT NULL, m10 INTEGER NOT NULL, m11 INTEGER NOT NULL, m12 INTEGER NOT NULL,
    PRIMARY KEY (year, code)
);
CREATE TABLE mapping (
    partner TEXT PRIMARY KEY,
    toml TEXT NOT NULL
);
CREATE TABLE closed_period (
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    PRIMARY KEY (year, month)
);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_text TEXT NOT NULL,
    after_text TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE ledger_import (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    partner TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    total INTEGER NOT NULL,
    rows_sha256 TEXT NOT NULL,
    first_row_id INTEGER NOT NULL,
    last_row_id INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    replaced_by INTEGER REFERENCES ledger_import (id),
    audit_seq INTEGER NOT NULL REFERENCES audit_log (seq)
);
CREATE INDEX ledger_import_period ON ledger_import (year, month, partner);
-- No foreign key to ledger_import: checking it for every row would slow imports, and
-- the import's id range is the link that the store uses.
CREATE TABLE ledger_row (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    file_row INTEGER NOT NULL,
    cost_centre TEXT NOT NULL,
    posted_on INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    subjective TEXT NOT NULL,
    description TEXT NOT NULL,
    reference TEXT NOT NULL
);
CREATE TABLE actual (
    import_id INTEGER NOT NULL REFERENCES ledger_import (id),
    cost_centre TEXT NOT NULL,
    amount INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    -- The rows' offsets from the import's first row id (see common::CostCentreSum).
    row_list BLOB NOT NULL,
    PRIMARY KEY (import_id, cost_centre)
);
CREATE TABLE forecast (
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    cost_centre TEXT NOT NULL,
    outturn INTEGER NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (year, month, cost_centre)
);
CREATE TABLE payment (
    year INTEGER NOT NULL,
    pool TEXT NOT NULL,
    from_partner TEXT NOT NULL,
    month INTEGER NOT NULL,
    raised_on INTEGER,
    paid_on INTEGER,
    PRIMARY KEY (year, pool, from_partner, month)
);
"#,
    // 2: accounts, sessions, login attempts and API tokens for the web application.
    r#"
CREATE TABLE app_user (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    -- The username in lower case (made by the store, see accounts::username_key): unique.
    username_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    partner TEXT,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE user_cost_centre (
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE TABLE session (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX session_expiry ON session (expires_at);
CREATE TABLE login_attempt (
    id INTEGER PRIMARY KEY,
    username_key TEXT NOT NULL,
    succeeded INTEGER NOT NULL,
    at_utc TEXT NOT NULL
);
CREATE INDEX login_attempt_user ON login_attempt (username_key, id);
CREATE TABLE api_token (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_token_user ON api_token (user_id);
"#,
    // 3: governance documents (board registers, meeting files), every version kept.
    r#"
CREATE TABLE document (
    kind TEXT NOT NULL CHECK (kind <> ''),
    key TEXT NOT NULL CHECK (key <> ''),
    version INTEGER NOT NULL CHECK (version >= 1),
    text TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    PRIMARY KEY (kind, key, version)
);
"#,
    // 4: the stamp of the latest change to the records, not to accounts (see
    // Store::last_change), so that sign-ins do not empty the web's caches.
    concat!(
        "CREATE TABLE change_stamp (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);\n",
        stamp_from_audit_log!()
    ),
    // 5: the audit log's head, kept apart from it.
    audit_head_from_audit_log!("INTEGER"),
    // 6: a forecast entered below the actual to date is confirmed as meant; unagreed
    // savings' forecast deliveries (by the month made in) and delivered amounts.
    savings_and_confirmed_forecasts!("INTEGER", "INTEGER", "0"),
];

pub(crate) const POSTGRES: &[&str] = &[
    // 1: the first schema; as SQLite's, with PostgreSQL's types.
    r#"
CREATE TABLE agreement (
    year INTEGER NOT NULL,
    version INTEGER NOT NULL,
    agreement_id TEXT NOT NULL,
    toml TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (year, version)
);
CREATE TABLE cost_centre (
    year INTEGER NOT NULL,
    code TEXT NOT NULL,
    -- The caller's order, kept so that a plan reads back as it was saved.
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    partner TEXT NOT NULL,
    pool TEXT NOT NULL,
    line TEXT NOT NULL,
    budget BIGINT NOT NULL,
    m1 BIGINT NOT NULL, m2 BIGINT NOT NULL, m3 BIGINT NOT NULL, m4 BIGINT NOT NULL,
    m5 BIGINT NOT NULL, m6 BIGINT NOT NULL, m7 BIGINT NOT NULL, m8 BIGINT NOT NULL,
    m9 BIGINT NOT NULL, m10 BIGINT NOT NULL, m11 BIGINT NOT NULL, m12 BIGINT NOT NULL,
    PRIMARY KEY (year, code)
);
CREATE TABLE mapping (
    partner TEXT PRIMARY KEY,
    toml TEXT NOT NULL
);
CREATE TABLE closed_period (
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    PRIMARY KEY (year, month)
);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_text TEXT NOT NULL,
    after_text TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TABLE ledger_import (
    id BIGINT PRIMARY KEY,
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    partner TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    total BIGINT NOT NULL,
    rows_sha256 TEXT NOT NULL,
    first_row_id BIGINT NOT NULL,
    last_row_id BIGINT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    replaced_by BIGINT REFERENCES ledger_import (id),
    audit_seq BIGINT NOT NULL REFERENCES audit_log (seq)
);
CREATE INDEX ledger_import_period ON ledger_import (year, month, partner);
-- No foreign key to ledger_import: checking it for every row would slow imports, and
-- the import's id range is the link that the store uses.
CREATE TABLE ledger_row (
    id BIGINT PRIMARY KEY,
    import_id BIGINT NOT NULL,
    file_row BIGINT NOT NULL,
    cost_centre TEXT NOT NULL,
    posted_on INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    subjective TEXT NOT NULL,
    description TEXT NOT NULL,
    reference TEXT NOT NULL
);
CREATE TABLE actual (
    import_id BIGINT NOT NULL REFERENCES ledger_import (id),
    cost_centre TEXT NOT NULL,
    amount BIGINT NOT NULL,
    row_count BIGINT NOT NULL,
    -- The rows' offsets from the import's first row id (see common::CostCentreSum).
    row_list BYTEA NOT NULL,
    PRIMARY KEY (import_id, cost_centre)
);
CREATE TABLE forecast (
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    cost_centre TEXT NOT NULL,
    outturn BIGINT NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (year, month, cost_centre)
);
CREATE TABLE payment (
    year INTEGER NOT NULL,
    pool TEXT NOT NULL,
    from_partner TEXT NOT NULL,
    month INTEGER NOT NULL,
    raised_on INTEGER,
    paid_on INTEGER,
    PRIMARY KEY (year, pool, from_partner, month)
);
"#,
    // 2: accounts, sessions, login attempts and API tokens, as SQLite's. Times that are
    // compared are COLLATE "C": bytewise, so text order is time order whatever the
    // database's locale.
    r#"
CREATE TABLE app_user (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    partner TEXT,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE user_cost_centre (
    user_id BIGINT NOT NULL REFERENCES app_user (id),
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE TABLE session (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES app_user (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX session_expiry ON session (expires_at);
CREATE TABLE login_attempt (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    username_key TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at_utc TEXT COLLATE "C" NOT NULL
);
CREATE INDEX login_attempt_user ON login_attempt (username_key, id);
CREATE TABLE api_token (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES app_user (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_token_user ON api_token (user_id);
"#,
    // 3: governance documents, as SQLite's. Keys are COLLATE "C", so that documents come
    // in bytewise key order, as in SQLite, whatever the database's locale.
    r#"
CREATE TABLE document (
    kind TEXT NOT NULL CHECK (kind <> ''),
    key TEXT COLLATE "C" NOT NULL CHECK (key <> ''),
    version INTEGER NOT NULL CHECK (version >= 1),
    text TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    PRIMARY KEY (kind, key, version)
);
"#,
    // 4: as SQLite's; and import ids from a sequence, as imports now stream their rows at
    // once (each into a block of row ids of its own, see postgres.rs).
    concat!(
        "CREATE TABLE change_stamp (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL);\n",
        stamp_from_audit_log!(),
        "\nCREATE SEQUENCE ledger_import_id;
SELECT setval('ledger_import_id', COALESCE(MAX(id), 0) + 1, false) FROM ledger_import;"
    ),
    // 5: as SQLite's.
    audit_head_from_audit_log!("BIGINT"),
    // 6: as SQLite's.
    savings_and_confirmed_forecasts!("BIGINT", "BOOLEAN", "FALSE"),
];

fn too_new(found: i64, known: usize) -> StoreError {
    StoreError::Database(format!(
        "the database has schema version {found}, newer than this pooled knows ({known}): upgrade pooled"
    ))
}

/// Brings a database up to date. The schema's lock is taken before the version is read,
/// so two processes opening a new database at once migrate it once.
pub(crate) fn migrate<B: Backend>(c: &mut Conn<B>) -> Result<()> {
    c.transaction(Lock::Schema, |c| {
        c.db.batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        let current = c.one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[], |r| r.i64(0))?;
        let known = B::MIGRATIONS.len();
        let done = usize::try_from(current).map_err(|_| too_new(current, known))?;
        if done > known {
            return Err(too_new(current, known));
        }
        for (version, sql) in (1_i64..).zip(B::MIGRATIONS).skip(done) {
            c.db.batch(sql)?;
            c.execute("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", params![version, now_utc()])?;
        }
        Ok(())
    })
}
