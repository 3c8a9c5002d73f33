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

/// Migration 6's start, alike in both databases but for `$year_text` (an expression on
/// `a.year`, 2016, giving `2016-17`): many agreements. Until then a database held one
/// agreement a financial year, and everything was kept under the year alone; from now on
/// under the agreement's id and the year. What a database holds takes the id of its year's
/// agreement (the latest version's: a file loaded with another id was taken as a variation,
/// so each of the year's versions takes it); rows of a year that never had one (pooled
/// itself writes none) take the empty id. Mappings were per partner: each agreement gets a
/// copy. Documents keyed by a year (a board's register, `2016-17`, and its meetings,
/// `2016-17/2016-09-15`) are keyed by the agreement too: `oxon-s75/2016-17`. The working
/// tables `migration_6_year` (each year's agreement) and `migration_6_agreements` (every
/// id, or the empty one when there is none) are dropped at the end ([`migration_6_done`]).
macro_rules! many_agreements {
    ($year_text:literal) => {
        concat!(
            "CREATE TABLE migration_6_year AS
SELECT a.year, a.agreement_id, ",
            $year_text,
            " AS year_text FROM agreement a
WHERE a.version = (SELECT MAX(m.version) FROM agreement m WHERE m.year = a.year);
CREATE TABLE migration_6_agreements AS
SELECT DISTINCT agreement_id FROM migration_6_year
UNION SELECT '' WHERE NOT EXISTS (SELECT 1 FROM migration_6_year);
UPDATE document SET key = (SELECT y.agreement_id || '/' || document.key FROM migration_6_year y
    WHERE document.key = y.year_text OR substr(document.key, 1, length(y.year_text) + 1) = y.year_text || '/')
WHERE EXISTS (SELECT 1 FROM migration_6_year y
    WHERE document.key = y.year_text OR substr(document.key, 1, length(y.year_text) + 1) = y.year_text || '/');
"
        )
    };
}

/// Migration 6's end: its working tables go.
macro_rules! migration_6_done {
    () => {
        "DROP TABLE migration_6_year;\nDROP TABLE migration_6_agreements;\n"
    };
}

/// PostgreSQL's migration 6 of a table keyed by year: the agreement's id added, first in
/// its primary key.
macro_rules! agreement_in_key {
    ($table:literal, $key:literal) => {
        concat!(
            "ALTER TABLE ",
            $table,
            " ADD COLUMN agreement_id TEXT NOT NULL DEFAULT '';\nUPDATE ",
            $table,
            " t SET agreement_id = y.agreement_id FROM migration_6_year y WHERE y.year = t.year;\nALTER TABLE ",
            $table,
            " ALTER COLUMN agreement_id DROP DEFAULT;\nALTER TABLE ",
            $table,
            " DROP CONSTRAINT ",
            $table,
            "_pkey;\nALTER TABLE ",
            $table,
            " ADD PRIMARY KEY (agreement_id, ",
            $key,
            ");\n"
        )
    };
}

/// Migration 7, alike in both databases but for the id's type: what is recorded against
/// each instalment becomes entries (its invoice, corrected by a later one, and payments
/// that add up), each with its amount and the partner paid. The dates recorded before
/// become entries without either (the instalment in full, to the pool's host); an
/// instalment recorded as paid with no date raised is taken as raised the day it was paid.
macro_rules! payment_entries_from_payments {
    ($id:literal) => {
        concat!(
            "CREATE TABLE payment_entry (
    id ",
            $id,
            ",
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    pool TEXT NOT NULL,
    from_partner TEXT NOT NULL,
    -- NULL only on entries made from the dates recorded before: to the pool's host.
    to_partner TEXT,
    month INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment')),
    on_date INTEGER NOT NULL,
    -- Pence; NULL only on entries made from the dates recorded before: in full.
    amount BIGINT CHECK (amount > 0)
);
CREATE INDEX payment_entry_year ON payment_entry (agreement_id, year, id);
INSERT INTO payment_entry (agreement_id, year, pool, from_partner, month, kind, on_date)
SELECT agreement_id, year, pool, from_partner, month, 'invoice', COALESCE(raised_on, paid_on) FROM payment
WHERE raised_on IS NOT NULL OR paid_on IS NOT NULL ORDER BY agreement_id, year, pool, from_partner, month;
INSERT INTO payment_entry (agreement_id, year, pool, from_partner, month, kind, on_date)
SELECT agreement_id, year, pool, from_partner, month, 'payment', paid_on FROM payment
WHERE paid_on IS NOT NULL ORDER BY agreement_id, year, pool, from_partner, month;
DROP TABLE payment;"
        )
    };
}

/// Migration 8, alike in both databases but for the types of money and of a flag (and
/// the flag's false): forecasts confirmed below the actual to date, and what is recorded
/// of unagreed savings, under the agreement's id and year.
macro_rules! savings_and_confirmed_forecasts {
    ($money:literal, $flag:literal, $false:literal) => {
        concat!(
            "ALTER TABLE forecast ADD COLUMN confirmed_below_actual ",
            $flag,
            " NOT NULL DEFAULT ",
            $false,
            ";
CREATE TABLE saving_forecast (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    saving TEXT NOT NULL,
    month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    amount ",
            $money,
            " NOT NULL CHECK (amount >= 0),
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (agreement_id, year, saving, month)
);
CREATE TABLE saving_delivered (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    saving TEXT NOT NULL,
    amount ",
            $money,
            " NOT NULL CHECK (amount >= 0),
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (agreement_id, year, saving)
);"
        )
    };
}

/// Migration 9, the same on both backends: a version of an agreement records the day it
/// takes effect (a yyyymmdd integer; NULL for the first version and for one restating the
/// year from its start), who approved it (NULL when not said) and how many payment
/// entries its year held when it was loaded (those before the migration, none: they all
/// restate their year).
macro_rules! versions_approved {
    () => {
        "ALTER TABLE agreement ADD COLUMN effective INTEGER;
ALTER TABLE agreement ADD COLUMN approved_by TEXT;
ALTER TABLE agreement ADD COLUMN payments_recorded BIGINT NOT NULL DEFAULT 0;
"
    };
}

/// Migration 10, the same on both backends: the figures planned and achieved of an
/// agreement's metrics and KPIs, by series (a national metric's or a KPI's id; a home
/// support measure's `ID.new-hours` and `ID.total-hours`), period (`W1`, `M3`, `Q2`,
/// `year`) and kind (`plan` or `actual`). `value` is the figure's exact decimal text, NULL
/// when the figure is "data not available" (a row without a figure: neither zero nor
/// missing).
macro_rules! metric_figures {
    () => {
        "CREATE TABLE metric_figure (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    series TEXT NOT NULL,
    period TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('plan', 'actual')),
    value TEXT,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (agreement_id, year, series, period, kind)
);
"
    };
}

/// Migration 11, the same on both backends: what the area writes into its returns to NHS
/// England, by return (`plan`, `Q1`-`Q3`, `year-end`) and field (`completed-by`,
/// `contact`, `narrative`, `condition:KEY`): one text each, at most 10,000 characters
/// (checked before it is written; the CHECK is the last word).
macro_rules! bcf_statements {
    () => {
        "CREATE TABLE bcf_statement (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    return_kind TEXT NOT NULL,
    field TEXT NOT NULL,
    text TEXT NOT NULL CHECK (length(text) <= 10000),
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (agreement_id, year, return_kind, field)
);
"
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
    // 6: many agreements (see many_agreements!). SQLite cannot change a primary key: the
    // small tables keyed by year are made again with the agreement in their key.
    concat!(
        many_agreements!("printf('%d-%02d', a.year, (a.year + 1) % 100)"),
        r#"
CREATE TABLE agreement_6 (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    version INTEGER NOT NULL,
    toml TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    changes TEXT NOT NULL,
    PRIMARY KEY (agreement_id, year, version)
);
INSERT INTO agreement_6 (agreement_id, year, version, toml, loaded_at, loaded_by, changes)
SELECT y.agreement_id, t.year, t.version, t.toml, t.loaded_at, t.loaded_by, t.changes
FROM agreement t JOIN migration_6_year y ON y.year = t.year;
DROP TABLE agreement;
ALTER TABLE agreement_6 RENAME TO agreement;
CREATE TABLE cost_centre_6 (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    partner TEXT NOT NULL,
    pool TEXT NOT NULL,
    line TEXT NOT NULL,
    budget INTEGER NOT NULL,
    m1 INTEGER NOT NULL, m2 INTEGER NOT NULL, m3 INTEGER NOT NULL, m4 INTEGER NOT NULL,
    m5 INTEGER NOT NULL, m6 INTEGER NOT NULL, m7 INTEGER NOT NULL, m8 INTEGER NOT NULL,
    m9 INTEGER NOT NULL, m10 INTEGER NOT NULL, m11 INTEGER NOT NULL, m12 INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, year, code)
);
INSERT INTO cost_centre_6 (agreement_id, year, code, position, name, partner, pool, line, budget,
    m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12)
SELECT COALESCE(y.agreement_id, ''), t.year, t.code, t.position, t.name, t.partner, t.pool, t.line, t.budget,
    t.m1, t.m2, t.m3, t.m4, t.m5, t.m6, t.m7, t.m8, t.m9, t.m10, t.m11, t.m12
FROM cost_centre t LEFT JOIN migration_6_year y ON y.year = t.year;
DROP TABLE cost_centre;
ALTER TABLE cost_centre_6 RENAME TO cost_centre;
CREATE TABLE mapping_6 (
    agreement_id TEXT NOT NULL,
    partner TEXT NOT NULL,
    toml TEXT NOT NULL,
    PRIMARY KEY (agreement_id, partner)
);
INSERT INTO mapping_6 (agreement_id, partner, toml)
SELECT a.agreement_id, t.partner, t.toml FROM mapping t CROSS JOIN migration_6_agreements a;
DROP TABLE mapping;
ALTER TABLE mapping_6 RENAME TO mapping;
CREATE TABLE closed_period_6 (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    PRIMARY KEY (agreement_id, year, month)
);
INSERT INTO closed_period_6 (agreement_id, year, month, closed_at, closed_by)
SELECT COALESCE(y.agreement_id, ''), t.year, t.month, t.closed_at, t.closed_by
FROM closed_period t LEFT JOIN migration_6_year y ON y.year = t.year;
DROP TABLE closed_period;
ALTER TABLE closed_period_6 RENAME TO closed_period;
CREATE TABLE forecast_6 (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    cost_centre TEXT NOT NULL,
    outturn INTEGER NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (agreement_id, year, month, cost_centre)
);
INSERT INTO forecast_6 (agreement_id, year, month, cost_centre, outturn, entered_by, entered_at)
SELECT COALESCE(y.agreement_id, ''), t.year, t.month, t.cost_centre, t.outturn, t.entered_by, t.entered_at
FROM forecast t LEFT JOIN migration_6_year y ON y.year = t.year;
DROP TABLE forecast;
ALTER TABLE forecast_6 RENAME TO forecast;
CREATE TABLE payment_6 (
    agreement_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    pool TEXT NOT NULL,
    from_partner TEXT NOT NULL,
    month INTEGER NOT NULL,
    raised_on INTEGER,
    paid_on INTEGER,
    PRIMARY KEY (agreement_id, year, pool, from_partner, month)
);
INSERT INTO payment_6 (agreement_id, year, pool, from_partner, month, raised_on, paid_on)
SELECT COALESCE(y.agreement_id, ''), t.year, t.pool, t.from_partner, t.month, t.raised_on, t.paid_on
FROM payment t LEFT JOIN migration_6_year y ON y.year = t.year;
DROP TABLE payment;
ALTER TABLE payment_6 RENAME TO payment;
ALTER TABLE ledger_import ADD COLUMN agreement_id TEXT NOT NULL DEFAULT '';
UPDATE ledger_import SET agreement_id = y.agreement_id FROM migration_6_year y WHERE y.year = ledger_import.year;
DROP INDEX ledger_import_period;
CREATE INDEX ledger_import_period ON ledger_import (agreement_id, year, month, partner);
CREATE TABLE user_agreement (
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    position INTEGER NOT NULL,
    agreement_id TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
"#,
        migration_6_done!()
    ),
    // 7: payments as entries with amounts.
    payment_entries_from_payments!("INTEGER PRIMARY KEY"),
    // 8: a forecast entered below the actual to date is confirmed as meant; unagreed
    // savings' forecast deliveries (by the month made in) and delivered amounts.
    savings_and_confirmed_forecasts!("INTEGER", "INTEGER", "0"),
    // 9: each version's effective day, approval and the payment entries before it.
    versions_approved!(),
    // 10: metrics' and KPIs' figures planned and achieved.
    metric_figures!(),
    // 11: the statements of the returns to NHS England.
    bcf_statements!(),
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
    // 6: many agreements, as SQLite's; the keys are changed in place. Agreement ids are
    // COLLATE "C", so that agreements list in bytewise order, as in SQLite.
    concat!(
        many_agreements!("a.year || '-' || lpad(((a.year + 1) % 100)::text, 2, '0')"),
        r#"
UPDATE agreement t SET agreement_id = y.agreement_id FROM migration_6_year y WHERE y.year = t.year;
ALTER TABLE agreement ALTER COLUMN agreement_id TYPE TEXT COLLATE "C";
ALTER TABLE agreement DROP CONSTRAINT agreement_pkey;
ALTER TABLE agreement ADD PRIMARY KEY (agreement_id, year, version);
"#,
        agreement_in_key!("cost_centre", "year, code"),
        agreement_in_key!("closed_period", "year, month"),
        agreement_in_key!("forecast", "year, month, cost_centre"),
        agreement_in_key!("payment", "year, pool, from_partner, month"),
        r#"
ALTER TABLE mapping ADD COLUMN agreement_id TEXT NOT NULL DEFAULT '';
ALTER TABLE mapping DROP CONSTRAINT mapping_pkey;
INSERT INTO mapping (agreement_id, partner, toml)
SELECT a.agreement_id, t.partner, t.toml FROM mapping t CROSS JOIN migration_6_agreements a WHERE a.agreement_id <> '';
DELETE FROM mapping t WHERE t.agreement_id = '' AND EXISTS (SELECT 1 FROM agreement);
ALTER TABLE mapping ALTER COLUMN agreement_id DROP DEFAULT;
ALTER TABLE mapping ADD PRIMARY KEY (agreement_id, partner);
ALTER TABLE ledger_import ADD COLUMN agreement_id TEXT NOT NULL DEFAULT '';
UPDATE ledger_import t SET agreement_id = y.agreement_id FROM migration_6_year y WHERE y.year = t.year;
ALTER TABLE ledger_import ALTER COLUMN agreement_id DROP DEFAULT;
DROP INDEX ledger_import_period;
CREATE INDEX ledger_import_period ON ledger_import (agreement_id, year, month, partner);
CREATE TABLE user_agreement (
    user_id BIGINT NOT NULL REFERENCES app_user (id),
    position INTEGER NOT NULL,
    agreement_id TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
"#,
        migration_6_done!()
    ),
    // 7: as SQLite's.
    payment_entries_from_payments!("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
    // 8: as SQLite's.
    savings_and_confirmed_forecasts!("BIGINT", "BOOLEAN", "FALSE"),
    // 9: as SQLite's.
    versions_approved!(),
    // 10: as SQLite's.
    metric_figures!(),
    // 11: as SQLite's.
    bcf_statements!(),
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
