//! Who may use the system: accounts with roles, server-side sessions, login attempts for
//! throttling and API tokens for scripts. The store keeps what the web application
//! decides; it hashes nothing itself. Secrets never reach it in the clear (sessions and
//! tokens arrive as SHA-256 hashes of their secrets, passwords as PHC strings), and
//! nothing secret (password hashes, token hashes, CSRF tokens) is ever written into the
//! audit log.
//!
//! Times are stored as UTC ISO 8601 text to the second, `2016-05-31T17:04:05Z`, like every
//! other time in the store: in that one fixed-width form the text order is the time
//! order, so expiry and throttling windows are plain text comparisons in SQL (bytewise:
//! PostgreSQL's columns are `COLLATE "C"`, SQLite's default collation is bytewise), and
//! the rows stay readable to a person with `psql`.

use jiff::Timestamp;

use crate::audit::{Area, Change};
use crate::common::Fields;
use crate::sql::{corrupt, time_text};
use crate::{Result, StoreError};

/// What an account may do; the web application maps each to its permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Administrator,
    PoolManager,
    /// A partner's finance officer: sees and changes that partner's figures.
    PartnerFinance,
    /// Enters forecasts for their own cost centres.
    BudgetHolder,
    /// Sees the board's confidential items.
    BoardMember,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Administrator,
        Role::PoolManager,
        Role::PartnerFinance,
        Role::BudgetHolder,
        Role::BoardMember,
        Role::Viewer,
    ];

    /// The name as stored and as typed: `pool-manager`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::PoolManager => "pool-manager",
            Role::PartnerFinance => "partner-finance",
            Role::BudgetHolder => "budget-holder",
            Role::BoardMember => "board-member",
            Role::Viewer => "viewer",
        }
    }

    /// The role of a [`Role::name`]; exact, lower case.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An account as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// As the user chose it; unique regardless of case.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The partner of a partner-finance account; `None` for every other role.
    pub partner: Option<String>,
    /// The cost centres of a budget holder, in the order given; empty for other roles.
    pub cost_centres: Vec<String>,
    /// The agreements (their ids) the account acts in, in the order given; empty for every
    /// agreement (so that an installation with one agreement need name none).
    pub agreements: Vec<String>,
    /// The password's Argon2id PHC string, as the web application made it.
    pub password_hash: String,
    /// A disabled account has no sessions or live tokens (disabling ended them for good);
    /// it is kept for the audit log.
    pub disabled: bool,
}

/// An account to create: a [`User`] before it has an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub partner: Option<String>,
    pub cost_centres: Vec<String>,
    /// Empty for every agreement.
    pub agreements: Vec<String>,
    pub password_hash: String,
    pub disabled: bool,
}

/// A login session, as looked up by the hash of its cookie's secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// How the audit log names the session (its secret's hash is never logged).
    pub id: i64,
    pub user_id: i64,
    /// The session's CSRF token, which every form must carry back.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A session to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 hex of the cookie's secret: the secret itself is never stored, so a copy
    /// of the database lets no one in.
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An API token for scripts, as listed (its hash is not given back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    /// What the owner called it: "nightly ledger import".
    pub name: String,
    pub created_at: Timestamp,
    /// When it was revoked; a revoked token lets no one in.
    pub revoked_at: Option<Timestamp>,
}

/// An API token to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiToken {
    pub user_id: i64,
    pub name: String,
    /// SHA-256 hex of the token's secret, which is shown to its owner once and never stored.
    pub token_hash: String,
    pub created_at: Timestamp,
}

// ---- rules and texts ----

/// The key that makes usernames unique regardless of case. Computed here rather than by
/// SQL's `lower()`, which folds only ASCII in SQLite and follows the locale in PostgreSQL.
pub(crate) fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// Refuses an account whose fields contradict each other or its role.
pub(crate) fn check_new_user(user: &NewUser) -> Result<()> {
    let invalid = |why: String| Err(StoreError::Invalid(why));
    if user.username.is_empty() || user.username.trim() != user.username {
        return invalid(format!("the username {:?} is empty or starts or ends with a space", user.username));
    }
    if user.password_hash.is_empty() {
        return invalid(format!("the account {} has no password hash", user.username));
    }
    match (user.role, &user.partner) {
        (Role::PartnerFinance, None) => {
            return invalid(format!("{}: a partner-finance account needs a partner", user.username));
        }
        (Role::PartnerFinance, Some(_)) | (_, None) => {}
        (role, Some(_)) => {
            return invalid(format!("{}: only partner-finance accounts have a partner, not {role}", user.username));
        }
    }
    if user.role != Role::BudgetHolder && !user.cost_centres.is_empty() {
        return invalid(format!("{}: only budget holders have cost centres, not {}", user.username, user.role));
    }
    if let Some(blank) = user.agreements.iter().find(|a| a.is_empty() || a.trim() != a.as_str()) {
        return invalid(format!(
            "{}: the agreement id {blank:?} is empty or starts or ends with a space",
            user.username
        ));
    }
    Ok(())
}

pub(crate) fn duplicate_user(username: &str) -> StoreError {
    StoreError::Duplicate(format!(
        "the username {username:?} is taken (usernames that differ only in case are the same)"
    ))
}

/// The columns of [`UserRow`], of `app_user u`, in its order.
pub(crate) const USER_COLUMNS: &str =
    "u.id, u.username, u.display_name, u.role, u.partner, u.password_hash, u.disabled";
/// The columns of [`Session`], of `session s`, in its order.
pub(crate) const SESSION_COLUMNS: &str = "s.id, s.user_id, s.csrf_token, s.created_at, s.expires_at";
/// The columns of [`ApiToken`], of `api_token t`, in its order.
pub(crate) const API_TOKEN_COLUMNS: &str = "t.id, t.user_id, t.name, t.created_at, t.revoked_at";

/// An account's row as read, before its role is checked and its cost centres (another
/// table) are added.
pub(crate) struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub partner: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
}

impl UserRow {
    pub fn into_user(self, cost_centres: Vec<String>, agreements: Vec<String>) -> Result<User> {
        let role = Role::parse(&self.role).ok_or_else(|| corrupt(format!("role {:?}", self.role)))?;
        Ok(User {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role,
            partner: self.partner,
            cost_centres,
            agreements,
            password_hash: self.password_hash,
            disabled: self.disabled,
        })
    }
}

/// Refuses a time the store cannot keep in its one text form (see [`time_text`]).
pub(crate) fn check_time(what: &str, time: Timestamp) -> Result<()> {
    time_text(time).map(drop).map_err(|_| StoreError::Invalid(format!("{what} {time} is before the year 1")))
}

pub(crate) fn check_password_hash(password_hash: &str) -> Result<()> {
    // An empty hash could be mistaken for "no password needed" by a careless check.
    if password_hash.is_empty() {
        return Err(StoreError::Invalid("the password hash is empty".into()));
    }
    Ok(())
}

/// An account that is to get a session or a token: it must be enabled.
pub(crate) fn enabled_user(user: User) -> Result<User> {
    if user.disabled {
        return Err(StoreError::Invalid(format!("the user {} is disabled", user.username)));
    }
    Ok(user)
}

pub(crate) fn no_api_token(id: i64) -> StoreError {
    StoreError::NotFound(format!("there is no API token {id}"))
}

// ---- audit entries: none holds a password hash, a token hash or a CSRF token ----

/// The audit text of a new account: everything but its password hash.
fn user_text(user: &NewUser) -> String {
    let cost_centres = if user.cost_centres.is_empty() { "-".to_string() } else { user.cost_centres.join(",") };
    let agreements = if user.agreements.is_empty() { "all".to_string() } else { user.agreements.join(",") };
    Fields::default()
        .add("username", &user.username)
        .add("display_name", &user.display_name)
        .add("role", user.role)
        .add("partner", user.partner.as_deref().unwrap_or("-"))
        .add("cost_centres", cost_centres)
        .add("agreements", agreements)
        .add("disabled", user.disabled)
        .text()
}

pub(crate) fn user_subject(username: &str) -> String {
    format!("user {username}")
}

/// A new account: everything but its password hash.
pub(crate) fn new_user_change<'a>(actor: &'a str, user: &NewUser) -> Change<'a> {
    Change {
        area: Area::Accounts,
        actor,
        action: "create-user",
        subject: user_subject(&user.username),
        before: String::new(),
        after: user_text(user),
    }
}

pub(crate) fn password_change<'a>(actor: &'a str, username: &str) -> Change<'a> {
    Change {
        area: Area::Accounts,
        actor,
        action: "set-password",
        subject: user_subject(username),
        before: String::new(),
        after: Fields::default().add("password", "changed").text(),
    }
}

/// Disabling or re-enabling an account; disabling names how many sessions it ended and
/// API tokens it revoked.
pub(crate) fn disabled_change<'a>(actor: &'a str, username: &str, disabled: bool, ended: (u64, u64)) -> Change<'a> {
    let mut after = Fields::default().add("disabled", disabled);
    if disabled {
        after = after.add("sessions_ended", ended.0).add("api_tokens_revoked", ended.1);
    }
    Change {
        area: Area::Accounts,
        actor,
        action: if disabled { "disable-user" } else { "enable-user" },
        subject: user_subject(username),
        before: Fields::default().add("disabled", !disabled).text(),
        after: after.text(),
    }
}

/// A login: the session by its id, by its own user; short, as logins are frequent.
pub(crate) fn login_change<'a>(id: i64, username: &'a str, session: &NewSession) -> Result<Change<'a>> {
    Ok(Change {
        area: Area::Accounts,
        actor: username,
        action: "login",
        subject: format!("session {id}"),
        before: String::new(),
        after: Fields::default().add("expires_at", time_text(session.expires_at)?).text(),
    })
}

pub(crate) fn logout_change(id: i64, username: &str) -> Change<'_> {
    Change {
        area: Area::Accounts,
        actor: username,
        action: "logout",
        subject: format!("session {id}"),
        before: String::new(),
        after: String::new(),
    }
}

pub(crate) fn expired_sessions_change(now: Timestamp, deleted: u64) -> Result<Change<'static>> {
    Ok(Change {
        area: Area::Accounts,
        actor: "system",
        action: "delete-expired-sessions",
        subject: "sessions".to_string(),
        before: String::new(),
        after: Fields::default().add("expired_by", time_text(now)?).add("deleted", deleted).text(),
    })
}

fn api_token_subject(id: i64, username: &str) -> String {
    format!("api token {id} of user {username}")
}

pub(crate) fn api_token_change<'a>(actor: &'a str, id: i64, username: &str, name: &str) -> Change<'a> {
    Change {
        area: Area::Accounts,
        actor,
        action: "create-api-token",
        subject: api_token_subject(id, username),
        before: String::new(),
        after: Fields::default().add("name", name).add("status", "live").text(),
    }
}

pub(crate) fn revoke_change<'a>(actor: &'a str, id: i64, username: &str) -> Change<'a> {
    Change {
        area: Area::Accounts,
        actor,
        action: "revoke-api-token",
        subject: api_token_subject(id, username),
        before: Fields::default().add("status", "live").text(),
        after: Fields::default().add("status", "revoked").text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_by_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
        assert_eq!(Role::parse("Viewer"), None);
        assert_eq!(Role::parse("pool manager"), None);
    }

    #[test]
    fn roles_and_their_scopes_agree() {
        let user = |role, partner: Option<&str>, cost_centres: &[&str]| NewUser {
            username: "ann".into(),
            display_name: "Ann".into(),
            role,
            partner: partner.map(str::to_string),
            cost_centres: cost_centres.iter().map(|c| c.to_string()).collect(),
            agreements: Vec::new(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            disabled: false,
        };
        assert!(check_new_user(&user(Role::PartnerFinance, Some("OCC"), &[])).is_ok());
        assert!(check_new_user(&user(Role::BudgetHolder, None, &["CC100"])).is_ok());
        assert!(check_new_user(&user(Role::Viewer, None, &[])).is_ok());
        assert!(check_new_user(&user(Role::PartnerFinance, None, &[])).is_err());
        assert!(check_new_user(&user(Role::Viewer, Some("OCC"), &[])).is_err());
        assert!(check_new_user(&user(Role::PoolManager, None, &["CC100"])).is_err());
        let mut spaced = user(Role::Viewer, None, &[]);
        spaced.username = " ann".into();
        assert!(check_new_user(&spaced).is_err());
        let mut no_password = user(Role::Viewer, None, &[]);
        no_password.password_hash.clear();
        assert!(check_new_user(&no_password).is_err());
    }
}
