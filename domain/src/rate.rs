//! Rate limits: how often one client may call the API, by kind of request.
//!
//! They guard a process against floods (uploads spooled and inspected under the pdfium lock,
//! model calls, database reads), not against spending: metering is the ledger's job. So the
//! defaults are far above what a normal client does (a script polling ten jobs ten times a
//! second stays under the read limit) and a client that meets one is told when to come back.
//! A client is an account for token calls and an IP address for anonymous ones.

use crate::AccountId;
use std::fmt;

/// The kinds of request that are limited separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `POST /api/v1/ocr/`: an upload.
    Submit,
    /// `POST /api/v1/chat/<uuid>/`: a model call.
    Chat,
    /// Everything else under `/api/`: polls, event streams, downloads, history, account.
    Read,
}

impl RequestKind {
    /// Every kind, for configuration and reports.
    pub const ALL: [RequestKind; 3] = [RequestKind::Submit, RequestKind::Chat, RequestKind::Read];

    /// The name used in configuration and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Submit => "submit",
            RequestKind::Chat => "chat",
            RequestKind::Read => "read",
        }
    }
}

/// One limit: a sustained rate and the burst allowed on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per minute, sustained.
    pub per_minute: u32,
    /// Requests that may arrive at once after a quiet period.
    pub burst: u32,
}

impl RateLimit {
    /// `per_minute` with a burst of a quarter of it (at least one): a client that batches its
    /// calls is not refused for the batch, one that keeps up the pace is.
    pub fn per_minute(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            burst: (per_minute / 4).max(1),
        }
    }
}

/// The limits of every kind; `None` leaves a kind unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Uploads.
    pub submit: Option<RateLimit>,
    /// Chat questions.
    pub chat: Option<RateLimit>,
    /// Polls and other reads.
    pub read: Option<RateLimit>,
}

impl Default for RateLimits {
    /// 300 uploads, 60 chat questions and 3000 reads per minute per client.
    fn default() -> Self {
        RateLimits {
            submit: Some(RateLimit::per_minute(300)),
            chat: Some(RateLimit::per_minute(60)),
            read: Some(RateLimit::per_minute(3000)),
        }
    }
}

impl RateLimits {
    /// No limits at all.
    pub const OFF: RateLimits = RateLimits {
        submit: None,
        chat: None,
        read: None,
    };

    /// The limit of one kind.
    pub fn of(&self, kind: RequestKind) -> Option<RateLimit> {
        match kind {
            RequestKind::Submit => self.submit,
            RequestKind::Chat => self.chat,
            RequestKind::Read => self.read,
        }
    }
}

/// Who a limit counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// Calls with an account's token, from wherever they come.
    Account(AccountId),
    /// Anonymous calls from one address.
    Ip(String),
}

impl fmt::Display for RateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateKey::Account(id) => write!(f, "account {}", id.0),
            RateKey::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// The message of a `429`: which limit, and when to come back.
pub fn limited_message(kind: RequestKind, limit: RateLimit, retry_after_secs: u64) -> String {
    format!(
        "too many {} requests: the limit is {} per minute; retry in {retry_after_secs} s",
        kind.as_str(),
        limit.per_minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_are_a_quarter_of_the_rate_and_never_zero() {
        assert_eq!(RateLimit::per_minute(300).burst, 75);
        assert_eq!(RateLimit::per_minute(3).burst, 1);
        assert_eq!(RateLimit::per_minute(1).burst, 1);
    }

    #[test]
    fn each_kind_has_its_own_limit_and_off_has_none() {
        let limits = RateLimits::default();
        let rates: Vec<u32> = RequestKind::ALL
            .iter()
            .map(|k| limits.of(*k).unwrap().per_minute)
            .collect();
        assert_eq!(rates, [300, 60, 3000]);
        assert!(RequestKind::ALL
            .iter()
            .all(|k| RateLimits::OFF.of(*k).is_none()));
    }

    #[test]
    fn the_message_names_the_limit_and_the_wait() {
        assert_eq!(
            limited_message(RequestKind::Chat, RateLimit::per_minute(60), 2),
            "too many chat requests: the limit is 60 per minute; retry in 2 s"
        );
    }
}
