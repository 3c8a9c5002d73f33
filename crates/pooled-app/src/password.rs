//! Passwords and secrets: Argon2id hashes (OWASP's parameters, the crate's defaults:
//! 19 MiB, 2 passes, 1 lane) as PHC strings, and random secrets for session cookies, CSRF
//! tokens and API tokens. The store only ever sees hashes.

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand_core::{OsRng, RngCore};

/// The shortest password an account may have (NCSC: length beats complexity rules).
pub const MIN_LENGTH: usize = 12;

/// The PHC string of an Argon2id hash of `password` with a fresh salt; refuses a password
/// shorter than [`MIN_LENGTH`] characters.
pub fn hash(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!("a password needs at least {MIN_LENGTH} characters"));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `stored`. A string that is not a PHC hash
/// matches nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Checks `password` against a fixed hash and says no: a login for an unknown user takes
/// as long as one for a known user, so timing does not tell which usernames exist.
pub fn verify_nothing(password: &str) {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("no account has this password").unwrap_or_default());
    let _ = verify(stored, password);
}

/// 32 random bytes from the operating system, hex: a session cookie, CSRF token or API
/// token secret (256 bits; guessing one is hopeless).
pub fn secret() -> String {
    random_bytes(32).iter().map(|b| format!("{b:02x}")).collect()
}

/// `len` random bytes from the operating system (a pad to mask a token with).
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify(&stored, "correct horse battery"));
        assert!(!verify(&stored, "correct horse batterY"));
        assert!(!verify("not a hash", "correct horse battery"));
        assert_ne!(hash("correct horse battery").unwrap(), stored, "each hash has its own salt");
        assert!(hash("short").is_err());
    }

    #[test]
    fn secrets_are_long_and_differ() {
        let (a, b) = (secret(), secret());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
