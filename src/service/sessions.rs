//! Sessions of the pages: a person signs in once with their API key, and
//! the browser then carries a random token in a cookie.
//!
//! Only the SHA-256 of the token is stored, with the key id, a CSRF token
//! and the times. Every request resumes the session through the key's
//! own checks ([`auth::principal_of`]): a revoked or expired key ends its
//! sessions at once, and a session has exactly its key's role and scope.
//! A session ends after [`IDLE`] without a request, after [`ABSOLUTE`]
//! whatever happens, or when its person signs out.

use crate::service::auth::{self, AuthError, Principal};
use crate::store::{Actor, SessionRecord, Store, StoreError};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::fmt;
use time::OffsetDateTime;
use time::macros::format_description;

/// A session unused this long ends.
pub const IDLE: time::Duration = time::Duration::hours(8);
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE: time::Duration = time::Duration::hours(12);
/// The last-seen time is written at most this often, not on every request.
const TOUCH_EVERY: time::Duration = time::Duration::minutes(1);

/// A session token or a CSRF token. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A new random token: 256 bits, URL- and cookie-safe.
    pub fn fresh() -> Self {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        Self(
            (0..43)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect(),
        )
    }

    /// Wraps a token a browser sent.
    pub fn from_sent(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The token, to put in a cookie or a form.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hex SHA-256 of the token: what the store keeps.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// Compares with a sent token in time independent of where they differ.
    pub fn matches(&self, sent: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), sent.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// A session in use: who it is and the token its forms carry.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    /// The key's id, role and scope.
    pub principal: Principal,
    /// The CSRF token of every form of the session.
    pub csrf: Token,
    /// The stored hash of the session token.
    pub hash: String,
}

/// A session just opened: the token for the cookie and the session.
#[derive(Debug)]
pub struct Opened {
    /// The token to set in the cookie (shown once, never stored).
    pub token: Token,
    /// The session.
    pub session: ActiveSession,
}

/// Why a session could not be opened or resumed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Unknown, ended, expired, or its key revoked or expired.
    #[error("no valid session")]
    Invalid,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AuthError> for SessionError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Store(store) => SessionError::Store(store),
            AuthError::Missing | AuthError::Invalid => SessionError::Invalid,
        }
    }
}

/// A time as stored: RFC 3339 UTC in whole seconds, so that stored times
/// compare as text.
pub fn stamp(t: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

fn parse_stamp(raw: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).ok()
}

fn actor(principal: &Principal, origin: Option<String>) -> Actor {
    Actor {
        key_id: principal.key_id.clone(),
        role: principal.role.as_str().to_owned(),
        origin,
    }
}

/// Opens a session with an API key: the key is checked as an API call
/// checks it, the session stored (its token hashed) and the sign-in
/// audited with the key's id and role. The key itself is kept nowhere.
pub async fn sign_in(
    store: &dyn Store,
    key: &str,
    origin: Option<String>,
) -> Result<Opened, SessionError> {
    let principal = auth::authenticate(store, key.trim()).await?;
    let now = OffsetDateTime::now_utc();
    // Sessions that ended quietly are swept as new ones open.
    store
        .delete_expired_sessions(&stamp(now - IDLE), &stamp(now))
        .await?;
    let token = Token::fresh();
    let csrf = Token::fresh();
    let record = SessionRecord {
        hash: token.hash(),
        key_id: principal.key_id.clone(),
        csrf: csrf.expose().to_owned(),
        created_at: stamp(now),
        last_seen_at: stamp(now),
        expires_at: stamp(now + ABSOLUTE),
    };
    store.insert_session(&record).await?;
    store
        .record(
            &actor(&principal, origin),
            "session.started",
            &format!("key:{}", principal.key_id),
            &serde_json::json!({"via": "pages"}).to_string(),
        )
        .await?;
    Ok(Opened {
        token,
        session: ActiveSession {
            principal,
            csrf,
            hash: record.hash,
        },
    })
}

/// Resumes the session of a token a browser sent: it must exist, be
/// neither idle too long nor past its end, and its key must still open
/// the service (not revoked, not expired, its organisation there). An
/// ended session is deleted.
pub async fn resume(store: &dyn Store, token: &str) -> Result<ActiveSession, SessionError> {
    if token.is_empty() || token.len() > 100 {
        return Err(SessionError::Invalid);
    }
    let hash = Token::from_sent(token).hash();
    let (session, key, path) = store
        .find_session(&hash)
        .await?
        .ok_or(SessionError::Invalid)?;
    let now = OffsetDateTime::now_utc();
    let last_seen = parse_stamp(&session.last_seen_at);
    let ends = parse_stamp(&session.expires_at);
    let alive = last_seen.is_some_and(|t| t + IDLE > now) && ends.is_some_and(|t| t > now);
    let principal = match auth::principal_of(key, path) {
        Ok(principal) if alive => principal,
        Ok(_) | Err(AuthError::Invalid | AuthError::Missing) => {
            store.delete_session(&hash).await?;
            return Err(SessionError::Invalid);
        }
        Err(AuthError::Store(e)) => return Err(e.into()),
    };
    if last_seen.is_some_and(|t| t + TOUCH_EVERY <= now) {
        store.touch_session(&hash, &stamp(now)).await?;
    }
    Ok(ActiveSession {
        principal,
        csrf: Token::from_sent(&session.csrf),
        hash,
    })
}

/// Ends a session at once and audits the sign-out.
pub async fn sign_out(
    store: &dyn Store,
    session: &ActiveSession,
    origin: Option<String>,
) -> Result<(), SessionError> {
    store.delete_session(&session.hash).await?;
    store
        .record(
            &actor(&session.principal, origin),
            "session.ended",
            &format!("key:{}", session.principal.key_id),
            &serde_json::json!({"via": "pages"}).to_string(),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hidden_from_debug() {
        let (a, b) = (Token::fresh(), Token::fresh());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(format!("{a:?}"), "Token(…)");
        assert!(a.matches(a.expose()));
        assert!(!a.matches(b.expose()));
        assert!(!a.matches(""));
    }

    #[test]
    fn stored_times_are_whole_seconds_in_utc() {
        let t = time::macros::datetime!(2026-09-01 10:20:30.123 +03:00);
        assert_eq!(stamp(t), "2026-09-01T07:20:30Z");
        assert_eq!(parse_stamp(&stamp(t)).map(stamp), Some(stamp(t)));
    }
}
