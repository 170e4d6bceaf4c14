//! Server-side login sessions with expiry, refresh, revocation and a per-user limit.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lablink_prof::line_profile;
use serde::{Deserialize, Serialize};

use super::AuthError;
use crate::clock::{Clock, SystemClock, add_saturating};

/// Number of random bytes in a session id (256 bits, encoded as 43 base64url characters).
const SESSION_ID_BYTES: usize = 32;

/// Lifetime and per-user limit of sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionConfig {
    /// How long a session stays valid after creation or after its last refresh.
    pub lifetime: Duration,
    /// How many live sessions one user may hold; creating one more evicts that user's oldest.
    pub max_sessions_per_user: NonZeroUsize,
}

impl Default for SessionConfig {
    /// Eight-hour sessions, at most five per user.
    fn default() -> Self {
        Self {
            lifetime: Duration::from_secs(8 * 60 * 60),
            max_sessions_per_user: NonZeroUsize::new(5).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// One login session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Random, unguessable id (256 bits, base64url without padding).
    pub id: String,
    /// The user the session belongs to.
    pub user: String,
    /// When the session was created.
    pub created_at: DateTime<Utc>,
    /// The session is invalid from this instant on.
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// Whether the session has expired at `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

/// The sessions, indexed by id and by user (each user's ids in creation order).
#[derive(Debug, Default)]
struct SessionStore {
    by_id: HashMap<String, Session>,
    by_user: HashMap<String, Vec<String>>,
}

impl SessionStore {
    fn insert(&mut self, session: Session) {
        self.by_user
            .entry(session.user.clone())
            .or_default()
            .push(session.id.clone());
        self.by_id.insert(session.id.clone(), session);
    }

    fn remove(&mut self, id: &str) -> Option<Session> {
        let session = self.by_id.remove(id)?;
        if let Some(ids) = self.by_user.get_mut(&session.user) {
            ids.retain(|other| other != id);
            if ids.is_empty() {
                self.by_user.remove(&session.user);
            }
        }
        Some(session)
    }

    /// Removes the user's oldest sessions until at most `keep` remain.
    fn evict_oldest(&mut self, user: &str, keep: usize) {
        let excess: Vec<String> = match self.by_user.get(user) {
            Some(ids) if ids.len() > keep => ids[..ids.len() - keep].to_vec(),
            _ => return,
        };
        for id in excess {
            self.remove(&id);
        }
    }
}

/// Creates, validates, refreshes and revokes sessions; safe to share between threads.
///
/// When a user already holds `max_sessions_per_user` sessions, creating another **evicts that
/// user's oldest session** (it is not an error). Time is read from an injectable [`Clock`].
///
/// ```
/// use lablink_core::security::auth::{SessionConfig, SessionManager};
///
/// let sessions = SessionManager::new(SessionConfig::default());
/// let session = sessions.create_session("alice")?;
/// assert_eq!(sessions.validate_session(&session.id)?.user, "alice");
/// assert!(sessions.revoke_session(&session.id));
/// assert!(sessions.validate_session(&session.id).is_err());
/// # Ok::<(), lablink_core::security::auth::AuthError>(())
/// ```
#[derive(Debug)]
pub struct SessionManager {
    config: SessionConfig,
    clock: Arc<dyn Clock>,
    store: Mutex<SessionStore>,
}

impl SessionManager {
    /// Creates a manager that reads the system clock.
    pub fn new(config: SessionConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// Creates a manager that reads time from `clock`.
    pub fn with_clock(config: SessionConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            config,
            clock,
            store: Mutex::new(SessionStore::default()),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Starts a new session for `user`, evicting the user's oldest session if at the limit.
    ///
    /// # Errors
    ///
    /// [`AuthError::EmptySubject`] for an empty user name; [`AuthError::Randomness`] if no
    /// session id could be drawn from the operating system.
    #[line_profile]
    pub fn create_session(&self, user: &str) -> Result<Session, AuthError> {
        if user.is_empty() {
            return Err(AuthError::EmptySubject);
        }
        let now = self.clock.now();
        let id = generate_session_id()?;
        let session = Session {
            id,
            user: user.to_owned(),
            created_at: now,
            expires_at: add_saturating(now, self.config.lifetime),
        };
        let mut store = self.lock_store();
        store.evict_oldest(user, self.config.max_sessions_per_user.get() - 1);
        store.insert(session.clone());
        Ok(session)
    }

    /// Returns the session if it exists and has not expired; an expired one is removed.
    ///
    /// # Errors
    ///
    /// [`AuthError::SessionNotFound`] or [`AuthError::SessionExpired`].
    pub fn validate_session(&self, id: &str) -> Result<Session, AuthError> {
        let now = self.clock.now();
        let mut store = self.lock_store();
        live_session(&mut store, id, now).cloned()
    }

    /// Extends a live session so that it expires one full lifetime from now.
    ///
    /// # Errors
    ///
    /// [`AuthError::SessionNotFound`] or [`AuthError::SessionExpired`]: an expired session cannot
    /// be revived.
    pub fn refresh_session(&self, id: &str) -> Result<Session, AuthError> {
        let now = self.clock.now();
        let lifetime = self.config.lifetime;
        let mut store = self.lock_store();
        let session = live_session(&mut store, id, now)?;
        session.expires_at = add_saturating(now, lifetime);
        Ok(session.clone())
    }

    /// Ends one session; returns whether it existed.
    pub fn revoke_session(&self, id: &str) -> bool {
        self.lock_store().remove(id).is_some()
    }

    /// Ends every session of `user` (e.g. after a password change); returns how many ended.
    pub fn revoke_all_for_user(&self, user: &str) -> usize {
        let mut store = self.lock_store();
        let ids = store.by_user.remove(user).unwrap_or_default();
        for id in &ids {
            store.by_id.remove(id);
        }
        ids.len()
    }

    /// Removes every expired session; returns how many were removed.
    pub fn expire(&self) -> usize {
        let now = self.clock.now();
        let mut store = self.lock_store();
        let expired: Vec<String> = store
            .by_id
            .values()
            .filter(|session| session.is_expired_at(now))
            .map(|session| session.id.clone())
            .collect();
        for id in &expired {
            store.remove(id);
        }
        expired.len()
    }

    /// The user's sessions (expired ones not yet removed included), oldest first.
    pub fn sessions_for_user(&self, user: &str) -> Vec<Session> {
        let store = self.lock_store();
        store
            .by_user
            .get(user)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| store.by_id.get(id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The number of stored sessions (expired ones not yet removed included).
    pub fn session_count(&self) -> usize {
        self.lock_store().by_id.len()
    }

    /// Locks the store; a poisoned lock is recovered because every update leaves it consistent.
    fn lock_store(&self) -> MutexGuard<'_, SessionStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Finds a live session, removing it and reporting expiry if it has expired.
fn live_session<'a>(
    store: &'a mut SessionStore,
    id: &str,
    now: DateTime<Utc>,
) -> Result<&'a mut Session, AuthError> {
    let expired_at = match store.by_id.get(id) {
        None => return Err(AuthError::SessionNotFound),
        Some(session) if session.is_expired_at(now) => Some(session.expires_at),
        Some(_) => None,
    };
    if let Some(expired_at) = expired_at {
        store.remove(id);
        return Err(AuthError::SessionExpired { expired_at });
    }
    store.by_id.get_mut(id).ok_or(AuthError::SessionNotFound)
}

/// Draws a random session id from the operating system.
fn generate_session_id() -> Result<String, AuthError> {
    let mut bytes = [0_u8; SESSION_ID_BYTES];
    getrandom::fill(&mut bytes).map_err(AuthError::Randomness)?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&bytes))
}
