//! Who is calling: an account (by token) or an anonymous client (by IP).

use crate::config::IpRange;
use crate::error::ApiError;
use domain::{billing::Plan, AccountId, Owner};
use poem::Request;
use poem_openapi::{
    auth::{ApiKey, Bearer},
    SecurityScheme,
};
use std::net::IpAddr;
use storage::billing::Subject;
use storage::Store;

/// `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct BearerToken(pub Bearer);

/// `?api_token=<token>`, for clients that cannot set headers.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "api_token", key_in = "query")]
pub struct QueryToken(pub ApiKey);

/// Any of the accepted credentials, or none (anonymous, allowed on the OCR endpoints).
#[derive(SecurityScheme)]
pub enum Credentials {
    /// Token in the Authorization header.
    Bearer(BearerToken),
    /// Token in the query string.
    Query(QueryToken),
    /// No token.
    #[oai(fallback)]
    Anonymous,
}

/// A resolved caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A valid token's account, with its plan.
    Account(AccountId, Plan),
    /// No token; metered and identified by client address.
    Anonymous {
        /// Client IP as the server sees it.
        ip: String,
    },
}

impl Caller {
    /// Resolves the caller from the request itself, before its body is read (see `gate`): the
    /// token of `Authorization: Bearer <token>` (scheme in any case) or of `?api_token=`. A
    /// present but unknown or revoked token (or an Authorization header that is not a bearer
    /// token) is `401`, never silently anonymous.
    pub async fn from_request(
        store: &Store,
        req: &Request,
        trusted_proxies: &[IpRange],
    ) -> Result<Caller, ApiError> {
        let token = match req.headers().get(poem::http::header::AUTHORIZATION) {
            Some(value) => Some(bearer_token(value).ok_or_else(|| {
                ApiError::unauthorized("unsupported Authorization header: use 'Bearer <token>'")
            })?),
            None => req.uri().query().and_then(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .find(|(name, _)| name == "api_token")
                    .map(|(_, value)| value.into_owned())
            }),
        };
        match token {
            Some(token) => match store.authenticate(&token).await? {
                Some(account) => Ok(Caller::Account(account.id, account.plan)),
                None => Err(ApiError::unauthorized("invalid or revoked API token")),
            },
            None => Ok(Caller::Anonymous {
                ip: client_ip(req, trusted_proxies),
            }),
        }
    }

    /// The owner a new job gets.
    pub fn owner(&self) -> Owner {
        match self {
            Caller::Account(id, _) => Owner::Account { id: *id },
            Caller::Anonymous { ip } => Owner::Anonymous { ip: ip.clone() },
        }
    }

    /// Whether this caller may read a job owned by `owner_account` (`None`: anonymous job).
    /// Anonymous jobs are readable by UUID to anonymous callers; account jobs only by the account.
    pub fn may_read(&self, owner_account: Option<AccountId>) -> bool {
        match (self, owner_account) {
            (Caller::Account(me, _), Some(owner)) => *me == owner,
            (Caller::Anonymous { .. }, None) => true,
            (Caller::Account(..), None) | (Caller::Anonymous { .. }, Some(_)) => false,
        }
    }

    /// The caller's plan.
    pub fn plan(&self) -> Plan {
        match self {
            Caller::Account(_, plan) => *plan,
            Caller::Anonymous { .. } => Plan::Anonymous,
        }
    }

    /// Who pays in the ledger (and whose Idempotency-Keys these are).
    pub fn subject(&self) -> Subject {
        match self {
            Caller::Account(id, _) => Subject::account(*id),
            Caller::Anonymous { ip } => Subject::ip(ip),
        }
    }
}

/// The token of a `Bearer` Authorization header.
fn bearer_token(value: &poem::http::HeaderValue) -> Option<String> {
    let value = value.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most address of `X-Forwarded-For` that is not itself a trusted proxy. An untrusted peer's
/// `X-Forwarded-For` is ignored: otherwise any caller could reset its own anonymous allowance.
fn client_ip(req: &Request, trusted: &[IpRange]) -> String {
    let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else {
        return req.remote_addr().to_string();
    };
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
        .to_string()
}
