//! `pooled user ...` and `pooled token ...`: the accounts of the web application, made on
//! the server by whoever runs it (the first administrator cannot be made in a browser,
//! since nobody can sign in yet). Passwords are read from standard input, never from
//! the command line, where `ps` and the shell's history would show them.

use std::io::{BufRead, IsTerminal, Write};

use clap::Subcommand;
use pooled_store::{NewApiToken, NewUser, Role, Store, User, now_utc, sha256_hex};

use crate::db::{Db, open, store_error};
use crate::{Failure, Outcome};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Make an account; asks for its password (or reads one line from a pipe).
    Add {
        username: String,
        /// administrator, pool-manager, partner-finance, budget-holder, board-member or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The name pages show; the username if not given.
        #[arg(long)]
        name: Option<String>,
        /// The partner of a partner-finance account (its id in the agreement: OCC).
        #[arg(long)]
        partner: Option<String>,
        /// A budget holder's cost centre; repeat for each.
        #[arg(long = "cost-centre")]
        cost_centres: Vec<String>,
        /// An agreement (its id) the account acts in; repeat for each. None: every agreement.
        #[arg(long = "agreement", value_name = "ID")]
        agreements: Vec<String>,
    },
    /// Every account, with its role and whether it is disabled.
    List,
    /// Set an account's password; asks for it (or reads one line from a pipe).
    Password { username: String },
    /// Stop an account signing in; its sessions and API tokens stop working at once.
    Disable { username: String },
    /// Let a disabled account sign in again.
    Enable { username: String },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a user's scripts; prints it once (it is not stored).
    Create {
        username: String,
        /// What it is for: "nightly ledger import".
        #[arg(long)]
        name: String,
    },
    /// A user's tokens: id, name, made, revoked.
    List { username: String },
    /// Revoke a token by its id, for good.
    Revoke { id: i64 },
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::parse(name).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
        format!("no role `{name}`: one of {}", all.join(", "))
    })
}

pub fn run_user(db: &Db, command: UserCommand) -> Outcome {
    let mut store = open(db)?;
    let store = store.as_mut();
    let actor = db.actor.as_str();
    match command {
        UserCommand::Add { username, role, name, partner, cost_centres, agreements } => {
            let password_hash = new_password_hash(&username)?;
            let user = NewUser {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                partner,
                cost_centres,
                agreements,
                password_hash,
                disabled: false,
            };
            store.create_user(&user, actor).map_err(store_error)?;
            Ok(format!("added {} ({role})\n", user.username))
        }
        UserCommand::List => Ok(store.users().map_err(store_error)?.iter().map(describe).collect()),
        UserCommand::Password { username } => {
            let user = find(store, &username)?;
            let hash = new_password_hash(&username)?;
            store.set_password_hash(user.id, &hash, actor).map_err(store_error)?;
            Ok(format!("set the password of {username}\n"))
        }
        UserCommand::Disable { username } => set_disabled(store, &username, true, actor),
        UserCommand::Enable { username } => set_disabled(store, &username, false, actor),
    }
}

pub fn run_token(db: &Db, command: TokenCommand) -> Outcome {
    let mut store = open(db)?;
    let store = store.as_mut();
    match command {
        TokenCommand::Create { username, name } => {
            let user = find(store, &username)?;
            let secret = pooled_app::password::secret();
            let token = NewApiToken { user_id: user.id, name, token_hash: sha256_hex(&secret), created_at: now_utc() };
            let id = store.create_api_token(&token, &db.actor).map_err(store_error)?;
            eprintln!("API token {id} for {username}; it is shown once, so keep it now:");
            Ok(format!("{secret}\n"))
        }
        TokenCommand::List { username } => {
            let user = find(store, &username)?;
            let tokens = store.api_tokens(user.id).map_err(store_error)?;
            Ok(tokens
                .iter()
                .map(|t| {
                    format!(
                        "{} {} {} {}\n",
                        t.id,
                        t.name,
                        t.created_at,
                        t.revoked_at.map_or("live".to_string(), |at| at.to_string())
                    )
                })
                .collect())
        }
        TokenCommand::Revoke { id } => {
            store.revoke_api_token(id, &db.actor).map_err(store_error)?;
            Ok(format!("revoked API token {id}\n"))
        }
    }
}

fn set_disabled(store: &mut dyn Store, username: &str, disabled: bool, actor: &str) -> Outcome {
    let user = find(store, username)?;
    store.set_user_disabled(user.id, disabled, actor).map_err(store_error)?;
    Ok(format!("{} {username}\n", if disabled { "disabled" } else { "enabled" }))
}

fn find(store: &dyn Store, username: &str) -> Result<User, Failure> {
    store
        .user_by_name(username)
        .map_err(store_error)?
        .ok_or_else(|| Failure::Input(vec![format!("no user {username}")]))
}

fn describe(user: &User) -> String {
    let scope = match (&user.partner, user.cost_centres.is_empty()) {
        (Some(p), _) => format!(" partner={p}"),
        (None, false) => format!(" cost-centres={}", user.cost_centres.join(",")),
        (None, true) => String::new(),
    };
    let agreements =
        if user.agreements.is_empty() { String::new() } else { format!(" agreements={}", user.agreements.join(",")) };
    let disabled = if user.disabled { " DISABLED" } else { "" };
    format!("{} {} \"{}\"{scope}{agreements}{disabled}\n", user.username, user.role, user.display_name)
}

/// Reads a new password (twice on a terminal, without echo) and hashes it.
fn new_password_hash(username: &str) -> Result<String, Failure> {
    let password = if std::io::stdin().is_terminal() {
        let first = prompt(&format!("Password for {username}: "))?;
        let again = prompt("Again: ")?;
        if first != again {
            return Err(Failure::Input(vec!["the two passwords differ; nothing was changed".into()]));
        }
        first
    } else {
        read_line()?
    };
    pooled_app::password::hash(&password).map_err(|e| Failure::Input(vec![format!("{e}; nothing was changed")]))
}

/// Asks on standard error and reads a line with the terminal's echo off (`stty`), so the
/// password is not shown on screen.
fn prompt(question: &str) -> Result<String, Failure> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question}").and_then(|()| stderr.flush());
    let stty = |arg: &str| std::process::Command::new("stty").arg(arg).stdin(std::process::Stdio::inherit()).status();
    let hidden = stty("-echo").is_ok_and(|s| s.success());
    let line = read_line();
    if hidden {
        let _ = stty("echo");
        let _ = writeln!(stderr);
    }
    line
}

fn read_line() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Input(vec![format!("cannot read the password: {e}")]))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
