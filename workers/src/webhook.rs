//! Webhooks: when a job ends, POST its summary to the caller's `callback_url`, signed, retried
//! with backoff, every attempt recorded as an event of the job.
//!
//! Server-side request forgery is refused twice: at submit (`validate_url`: http(s) only, no
//! credentials in the URL, no literal private address) and at delivery, where the host is
//! resolved, every address checked, and the connection pinned to a checked address (so a DNS
//! answer that changes between the check and the connect cannot reach a private network).
//! Redirects are not followed. Loopback and private ranges are allowed only when configured
//! (`allow_private`), e.g. for tests or a receiver inside the same network.
//!
//! Signature: `X-Ocrchat-Signature: sha256=<hex>` where the HMAC-SHA256 key is the account's
//! webhook secret and the message is `<X-Ocrchat-Timestamp>.<body>`; receivers recompute it and
//! reject stale timestamps to stop replays.

use domain::{job, EventMeta, JobId, Owner};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};
use storage::Store;
use url::Url;

/// A queue message: "deliver this job's webhook".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTask {
    /// The job whose summary is owed.
    pub job: JobId,
}

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Allow loopback and private-range receivers (off by default: SSRF protection).
    pub allow_private: bool,
    /// Attempts before delivery is given up.
    pub max_attempts: u32,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Identifies this process in events.
    pub worker_id: String,
}

/// Why a callback URL is refused or a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Not a URL ocrchat will call.
    #[error("invalid callback_url: {0}")]
    InvalidUrl(String),
    /// The URL points at a loopback, private or otherwise internal address.
    #[error("callback_url must point at a public address: {0} is not")]
    PrivateAddress(String),
    /// The host name does not resolve.
    #[error("callback_url host {0} does not resolve")]
    Unresolvable(String),
}

/// The pattern (ECMA-262, as OpenAPI uses) of the `callback_url` field in the OpenAPI
/// document: empty (no callback), or an http(s) URL with a host name (dot-separated labels of
/// letters, digits and inner hyphens, ending in letters), an optional port and an optional
/// path and query. Every URL it matches [`validate_url`] accepts, but for host names under
/// `localhost`, so generated clients and fuzzers send URLs the server takes; the server also
/// takes what the pattern does not say (a public IP literal, a fragment, percent-escapes in
/// the host).
pub const URL_PATTERN: &str = "^(?:|https?://(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\\.)+[A-Za-z]+\
     (?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?\
     (?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(?:\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?)$";

/// Checks a callback URL at submit: http(s), a host, no credentials, no literal internal
/// address. Host names are resolved and checked again at delivery.
pub fn validate_url(raw: &str, allow_private: bool) -> Result<Url, WebhookError> {
    let url = Url::parse(raw.trim()).map_err(|e| WebhookError::InvalidUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(WebhookError::InvalidUrl(format!(
            "scheme {} is not http or https",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebhookError::InvalidUrl(
            "credentials in the URL are not allowed".into(),
        ));
    }
    let host = url
        .host()
        .ok_or_else(|| WebhookError::InvalidUrl("no host".into()))?;
    let literal = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(d)
            if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") =>
        {
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        }
        url::Host::Domain(_) => None,
    };
    if let Some(ip) = literal {
        if !allow_private && !is_public(ip) {
            return Err(WebhookError::PrivateAddress(ip.to_string()));
        }
    }
    Ok(url)
}

/// Whether an address is reachable on the public internet (not loopback, private, link-local,
/// carrier-grade NAT, unique-local, multicast, unspecified, documentation, reserved, or an IPv6
/// address that tunnels to IPv4: NAT64, 6to4, Teredo).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// For IPv6 the guard lists what may pass rather than what may not: only global unicast
/// (`2000::/3`), less the blocks in it that IANA's special-purpose registry marks as not
/// globally reachable or that tunnel to an IPv4 address the guard would have to decode (6to4,
/// Teredo). NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`), whose gateway would forward to the
/// embedded IPv4 address (loopback and private included), lies outside `2000::/3` and is
/// refused with the rest. No crate classifies these on stable Rust (`Ipv6Addr::is_global` is
/// unstable; `ip_rfc` and `ipext` are unmaintained copies of an old draft of it), hence the
/// table here.
fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    let refused = match s[0] {
        // 2001::/23 IETF protocol assignments (Teredo 2001::/32, benchmarking, ORCHID) and
        // 2001:db8::/32 documentation.
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8,
        0x2002 => true,          // 6to4
        0x3fff => s[1] < 0x1000, // 3fff::/20 documentation
        _ => false,
    };
    global_unicast && !refused
}

/// Resolves the URL's host and returns an address to connect to, every resolved address having
/// passed the check (one bad answer refuses the host).
async fn resolve_checked(url: &Url, allow_private: bool) -> Result<SocketAddr, WebhookError> {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| WebhookError::Unresolvable(host.clone()))?
        .collect();
    let first = *addrs
        .first()
        .ok_or_else(|| WebhookError::Unresolvable(host.clone()))?;
    if !allow_private {
        if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
            return Err(WebhookError::PrivateAddress(bad.ip().to_string()));
        }
    }
    Ok(first)
}

/// The signature header value for a body sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The JSON a receiver gets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// `job.done` or `job.failed`.
    pub event: String,
    /// The job.
    pub uuid: uuid::Uuid,
    /// `done` or `failed`.
    pub status: String,
    /// Pages in the file.
    pub page_count: u32,
    /// Pages recognised.
    pub pages_done: u32,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failure's class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// When it ended.
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where to fetch the full result.
    pub url: String,
}

/// What a delivery call ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing is owed (delivered earlier, given up, no callback, job gone).
    Settled,
    /// This attempt was accepted.
    Delivered,
    /// This attempt failed; more attempts remain (the queue retries with backoff).
    Failed(String),
    /// This attempt failed and it was the last one.
    Abandoned,
}

/// Delivers job webhooks.
#[derive(Debug, Clone)]
pub struct Deliverer {
    store: Store,
    options: WebhookOptions,
}

impl Deliverer {
    /// A deliverer on the event store.
    pub fn new(store: Store, options: WebhookOptions) -> Self {
        Deliverer { store, options }
    }

    /// Makes one delivery attempt if one is owed, and records it.
    pub async fn deliver(&self, id: JobId) -> Result<Delivery, storage::Error> {
        let state = match self.store.load_job(id).await {
            Ok(state) => state,
            Err(storage::Error::JobNotFound(_)) => return Ok(Delivery::Settled),
            Err(err) => return Err(err),
        };
        let Some(callback) = job::webhook_due(&state).map(str::to_owned) else {
            return Ok(Delivery::Settled);
        };
        let (status, error) = match self.attempt(id, &state, &callback).await {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(format!("receiver answered {status}"))),
            Err(error) => (None, Some(error)),
        };
        let meta = EventMeta {
            worker: Some(self.options.worker_id.clone()),
            attempt: None,
        };
        let max = self.options.max_attempts;
        let recorded = self
            .store
            .decide_and_append(id, meta, |j| {
                job::record_webhook_attempt(j, status, error.clone(), max)
            })
            .await?;
        Ok(match recorded {
            Err(_) => Delivery::Settled,
            Ok(events) => match events.last().map(|r| &r.event) {
                None => Delivery::Settled,
                Some(domain::JobEvent::WebhookAbandoned { .. }) => Delivery::Abandoned,
                Some(domain::JobEvent::WebhookAttempted {
                    delivered: true, ..
                }) => Delivery::Delivered,
                Some(_) => Delivery::Failed(error.unwrap_or_default()),
            },
        })
    }

    /// POSTs the summary once; returns the HTTP status or why no answer came.
    async fn attempt(&self, id: JobId, state: &domain::Job, callback: &str) -> Result<u16, String> {
        let Some(Owner::Account { id: account }) =
            state.submission.as_ref().map(|s| s.owner.clone())
        else {
            return Err("webhooks need an account to sign them".into());
        };
        let secret = self
            .store
            .webhook_secret(account)
            .await
            .map_err(|e| format!("no signing secret: {e}"))?;
        let view = self
            .store
            .job_view(id, false)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("job is gone")?;
        let summary = Summary {
            event: format!("job.{}", view.status.as_str()),
            uuid: id.0,
            status: view.status.as_str().to_owned(),
            page_count: view.page_count,
            pages_done: view.pages_done,
            error: view.error.clone(),
            error_code: view.error_code.clone(),
            finished_at: view.finished_at,
            url: format!("/api/v1/ocr/{id}/"),
        };
        let body = serde_json::to_vec(&summary).map_err(|e| e.to_string())?;
        let url = validate_url(callback, self.options.allow_private).map_err(|e| e.to_string())?;
        let addr = resolve_checked(&url, self.options.allow_private)
            .await
            .map_err(|e| e.to_string())?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.options.timeout)
            // Connect to the address that passed the check, whatever DNS says next.
            .resolve(&host, addr)
            .build()
            .map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let response = client
            .post(url)
            .header("Content-Type", "application/json")
            .header(
                "User-Agent",
                concat!("ocrchat-webhook/", env!("CARGO_PKG_VERSION")),
            )
            .header("X-Ocrchat-Event", &summary.event)
            .header(
                "X-Ocrchat-Delivery",
                format!("{id}:{}", state.webhook_attempts + 1),
            )
            .header("X-Ocrchat-Timestamp", timestamp.to_string())
            .header("X-Ocrchat-Signature", sign(&secret, timestamp, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "timed out".to_owned()
                } else {
                    format!("request failed: {}", without_url(&e))
                }
            })?;
        Ok(response.status().as_u16())
    }
}

/// reqwest errors embed the URL, which may carry a token the caller put in it; keep it out of
/// stored events.
fn without_url(err: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    last.unwrap_or_else(|| "connection error".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_the_spec_pattern_are_accepted() {
        // The pattern's edges: every label and port form, a path and a query of its characters.
        for url in [
            "http://a.b",
            "https://hooks.example.com/ocr?x=1",
            "https://A-1.b-2-c.XYZ:65535/p/a%2Fth;x=1@:!$&'()*+,~._-/?q=/?&z",
            "http://0.a:0",
            "http://9-9.example:59999/",
            "https://x.y:6553?",
        ] {
            assert!(validate_url(url, false).is_ok(), "{url}");
        }
        assert!(URL_PATTERN.starts_with("^(?:|https?://"));
    }

    #[test]
    fn urls_are_checked_for_scheme_credentials_and_internal_addresses() {
        assert!(validate_url("https://hooks.example.com/ocr?x=1", false).is_ok());
        for public in [
            "http://[2606:4700::1111]/",
            "http://[2a00:1450:4001::200e]/",
            "http://8.8.8.8/",
        ] {
            assert!(validate_url(public, false).is_ok(), "{public} is public");
        }
        for (url, private_ok) in [
            ("ftp://example.com/x", false),
            ("https://user:pw@example.com/", false),
            ("not a url", false),
            ("http://127.0.0.1:8080/", true),
            ("http://localhost/", true),
            ("http://10.1.2.3/", true),
            ("http://192.168.0.1/", true),
            ("http://169.254.169.254/latest/meta-data", true),
            ("http://[::1]/", true),
            ("http://[fd00::1]/", true),
            ("http://[::ffff:127.0.0.1]/", true),
            ("http://100.64.0.1/", true),
            ("http://0.0.0.0/", true),
            ("http://[64:ff9b::7f00:1]/", true), // NAT64 of 127.0.0.1
            ("http://[64:ff9b::808:808]/", true), // NAT64 of 8.8.8.8: refused whole
            ("http://[64:ff9b:1::a00:1]/", true), // local-use NAT64
            ("http://[2002:7f00:1::]/", true),   // 6to4 of 127.0.0.1
            ("http://[2001:0:4136:e378::1]/", true), // Teredo
            ("http://[2001:2::1]/", true),       // benchmarking
            ("http://[2001:db8::1]/", true),     // documentation
            ("http://[3fff::1]/", true),         // documentation (RFC 9637)
            ("http://[::127.0.0.1]/", true),     // IPv4-compatible (deprecated)
            ("http://[100::1]/", true),          // discard-only
            ("http://[fec0::1]/", true),         // site-local (deprecated)
            ("http://[fe80::1]/", true),         // link-local
            ("http://[ff02::1]/", true),         // multicast
        ] {
            assert!(validate_url(url, false).is_err(), "{url} must be refused");
            assert_eq!(
                validate_url(url, true).is_ok(),
                private_ok,
                "{url} with private allowed"
            );
        }
    }

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let a = sign("secret", 1_700_000_000, b"{}");
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
        assert_ne!(a, sign("secret", 1_700_000_001, b"{}"));
        assert_ne!(a, sign("secret", 1_700_000_000, b"{ }"));
        assert_ne!(a, sign("other", 1_700_000_000, b"{}"));
        // RFC 4231 test case 2 shape: a known HMAC-SHA256 value.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
