//! Authenticated tokens remembered for a moment, so a client polling with its token costs one
//! query per poll instead of three (token, account, job).
//!
//! An entry is keyed by the hash of the whole presented token (a wrong secret never matches a
//! cached entry) and trusted for [`TTL`]. Revoking tokens, rotating them or changing a plan
//! through this process's `Store` clears the cache at once; done by another process (the CLI,
//! another API process), it takes effect here within [`TTL`].

use crate::accounts::Account;
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How long an authentication is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(2);

/// Most tokens remembered; past it the cache starts over.
const CAPACITY: usize = 10_000;

/// Token hash → the account and when it was authenticated.
type Entries = HashMap<[u8; 32], (Account, Instant)>;

/// Shared by every clone of one `Store`.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthCache {
    entries: Arc<Mutex<Entries>>,
}

impl AuthCache {
    fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The account of a token authenticated less than [`TTL`] ago.
    pub(crate) fn get(&self, token: &str) -> Option<Account> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&Self::key(token))
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(account, _)| account.clone())
    }

    pub(crate) fn put(&self, token: &str, account: &Account) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(Self::key(token), (account.clone(), Instant::now()));
    }

    /// Forgets everything (a token was revoked or a plan changed).
    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
