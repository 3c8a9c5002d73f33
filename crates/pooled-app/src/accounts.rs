//! Signing in, one way for every caller: the throttle (at most [`MAX_FAILURES`] failed
//! attempts on a username in [`THROTTLE_SECONDS`], counted in the store so that every
//! server process agrees, each attempt counted as it is let through so that parallel
//! guesses cannot all be checked), the password against its Argon2id hash, then a
//! server-side session whose secret only the caller sees.
//!
//! It comes in three steps so that the slow check (tens of milliseconds and 19 MiB, on
//! purpose) holds no store: [`start_sign_in`] and [`finish_sign_in`] use the store,
//! [`Attempt::check`] does not, and a server runs it on threads of its own.

use pooled_store::{NewSession, Store, User, now_utc, sha256_hex, utc_from_now};

use crate::{Result, password};

/// Failed attempts on one username that lock it for the rest of the window.
pub const MAX_FAILURES: u32 = 5;
pub const THROTTLE_SECONDS: i64 = 15 * 60;
/// How long a session lasts from sign-in: a working day and then some. Absolute, not
/// renewed by use, so a stolen cookie is good for at most this long.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;

/// An attempt the throttle let through: it counts as a failure until it succeeds.
pub struct Attempt {
    id: i64,
    /// The username's account, if it has one that is enabled.
    user: Option<User>,
}

/// An attempt whose password has been checked.
pub struct Checked {
    attempt: Attempt,
    matches: bool,
}

#[derive(Debug)]
pub enum SignIn {
    /// A session has started: the secret for its cookie (the store keeps only its hash).
    SignedIn { secret: String, user: User },
    /// No enabled account has this username, or this is not its password; which of the
    /// two is not said.
    Wrong,
    /// The username has had too many failed attempts lately: no password was checked.
    Throttled,
}

/// Step one: asks the throttle, which counts the attempt in the same step; `Err` with
/// [`SignIn::Throttled`] when it refuses (nothing is recorded then).
pub fn start_sign_in(store: &mut dyn Store, username: &str) -> Result<Result<Attempt, SignIn>> {
    let since = utc_from_now(-THROTTLE_SECONDS);
    let Some(id) = store.start_login_attempt(username, since, MAX_FAILURES, now_utc())? else {
        return Ok(Err(SignIn::Throttled));
    };
    let user = store.user_by_name(username)?.filter(|u| !u.disabled);
    Ok(Ok(Attempt { id, user }))
}

impl Attempt {
    /// Step two, without the store: checks the password. For a username without an
    /// account a fixed hash is checked instead, so that a sign-in takes as long whether
    /// the account exists or not, and timing does not tell which usernames exist.
    pub fn check(self, password: &str) -> Checked {
        let matches = match &self.user {
            Some(user) => password::verify(&user.password_hash, password),
            None => {
                password::verify_nothing(password);
                false
            }
        };
        Checked { attempt: self, matches }
    }
}

/// Step three: for the right password, records the attempt's success (which clears the
/// username's failures), deletes expired sessions and starts a session.
pub fn finish_sign_in(store: &mut dyn Store, checked: Checked) -> Result<SignIn> {
    let Checked { attempt: Attempt { id, user }, matches } = checked;
    let Some(user) = user.filter(|_| matches) else { return Ok(SignIn::Wrong) };
    store.login_succeeded(id)?;
    let now = now_utc();
    store.delete_expired_sessions(now)?;
    let secret = password::secret();
    store.create_session(&NewSession {
        token_hash: sha256_hex(&secret),
        user_id: user.id,
        csrf_token: password::secret(),
        created_at: now,
        expires_at: utc_from_now(SESSION_SECONDS),
    })?;
    Ok(SignIn::SignedIn { secret, user })
}

#[cfg(test)]
mod tests {
    use pooled_store::{NewUser, Role, SqliteStore};

    use super::*;

    const PASSWORD: &str = "correct horse battery staple";

    fn sign_in(store: &mut dyn Store, username: &str, password: &str) -> SignIn {
        match start_sign_in(store, username).unwrap() {
            Ok(attempt) => finish_sign_in(store, attempt.check(password)).unwrap(),
            Err(refused) => refused,
        }
    }

    fn store_with_ann(path: &std::path::Path) -> SqliteStore {
        let mut store = SqliteStore::open(path).unwrap();
        let user = NewUser {
            username: "ann".into(),
            display_name: "Ann".into(),
            role: Role::Viewer,
            partner: None,
            cost_centres: Vec::new(),
            agreements: Vec::new(),
            password_hash: password::hash(PASSWORD).unwrap(),
            disabled: false,
        };
        store.create_user(&user, "admin").unwrap();
        store
    }

    fn temp_db(name: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("pooled-app-{name}-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        path
    }

    #[test]
    fn the_right_password_starts_a_session_and_clears_failures() {
        let path = temp_db("sign-in");
        let mut store = store_with_ann(&path);
        for _ in 0..MAX_FAILURES - 1 {
            assert!(matches!(sign_in(&mut store, "ann", "wrong"), SignIn::Wrong));
        }
        let stamp = store.last_change().unwrap();
        let SignIn::SignedIn { secret, user } = sign_in(&mut store, "ANN", PASSWORD) else { panic!("not signed in") };
        assert_eq!(store.last_change().unwrap(), stamp, "a sign-in leaves the records' stamp, and the caches, alone");
        assert_eq!(user.username, "ann");
        let (session, _) = store.session(&sha256_hex(&secret)).unwrap().expect("a live session");
        assert_eq!(session.expires_at.as_second() - session.created_at.as_second(), SESSION_SECONDS);
        // The failures before it no longer count: a whole allowance again.
        for _ in 0..MAX_FAILURES {
            assert!(matches!(sign_in(&mut store, "ann", "wrong"), SignIn::Wrong));
        }
        assert!(matches!(sign_in(&mut store, "ann", PASSWORD), SignIn::Throttled));
        assert!(matches!(sign_in(&mut store, "nobody", PASSWORD), SignIn::Wrong));
        drop(store);
        let _ = std::fs::remove_file(&path);
    }

    /// Twenty wrong guesses at once: only the throttle's allowance reach the password.
    #[test]
    fn parallel_guesses_get_at_most_the_allowance_of_checks() {
        let path = temp_db("guesses");
        drop(store_with_ann(&path));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(20));
        let guesses: Vec<_> = (0..20)
            .map(|i| {
                let (path, barrier) = (path.clone(), std::sync::Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let mut store = SqliteStore::open(&path).unwrap();
                    barrier.wait();
                    sign_in(&mut store, "ann", &format!("guess {i}"))
                })
            })
            .collect();
        let outcomes: Vec<SignIn> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
        let checked = outcomes.iter().filter(|o| matches!(o, SignIn::Wrong)).count();
        let refused = outcomes.iter().filter(|o| matches!(o, SignIn::Throttled)).count();
        assert_eq!((checked, refused), (MAX_FAILURES as usize, 20 - MAX_FAILURES as usize));
        let _ = std::fs::remove_file(&path);
    }
}
