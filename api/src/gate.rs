//! What every API request passes before its handler: who is calling, whether it may call this
//! often, whether it could pay for a file at all, and a body read under a bound.
//!
//! All of it happens before the body is read: a bad token is `401`, a client over its rate
//! limit `429`, a submit whose caller has nothing left `402`, without spooling an upload first.
//! The body is then read through a counter that stops at the limit whatever the framing
//! (declared length, chunked, a client that keeps sending), and through an idle timeout, so
//! neither a huge nor a stalled upload can hold disk or a connection. A body over its limit is
//! answered `400 file too large` (the seed's answer for a large file, whatever the framing);
//! the handler's resolved caller is handed on in the request's extensions.

use crate::{app::AppState, error::ApiError};
use domain::rate::{RateKey, RequestKind};
use futures::StreamExt;
use poem::{http::Method, Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::{
    io,
    sync::{
        atomic::{AtomicU64, AtomicU8, Ordering},
        Arc,
    },
    time::Duration,
};

/// Room for the form fields beside the file in a submit's multipart body.
pub const FORM_MARGIN: u64 = 1024 * 1024;

/// Largest body of any request but a submit (a chat question is a few KB).
pub const SMALL_BODY_LIMIT: u64 = 1024 * 1024;

/// The middleware (see the module notes). Needs the [`AppState`] as request data.
pub struct Gate;

impl<E: Endpoint> Middleware<E> for Gate {
    type Output = GateEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        GateEndpoint(ep)
    }
}

/// [`Gate`] around an endpoint.
pub struct GateEndpoint<E>(E);

/// Which limit applies to a request (paths as `NormalizePath` leaves them: no trailing slash);
/// `None` outside the API (health, docs, the spec).
pub fn request_kind(method: &Method, path: &str) -> Option<RequestKind> {
    let api = path.strip_prefix("/api/v1/")?;
    let segments: Vec<&str> = api.split('/').filter(|s| !s.is_empty()).collect();
    Some(match (method, segments.as_slice()) {
        (&Method::POST, ["ocr"]) => RequestKind::Submit,
        (&Method::POST, ["chat", _]) => RequestKind::Chat,
        _ => RequestKind::Read,
    })
}

/// Why a body stopped being read.
const BODY_OK: u8 = 0;
const BODY_TOO_LARGE: u8 = 1;
const BODY_STALLED: u8 = 2;

/// What the body reader saw, read back after the handler returns.
#[derive(Default)]
struct BodyWatch {
    read: AtomicU64,
    stopped: AtomicU8,
}

impl<E: Endpoint> Endpoint for GateEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let (Some(kind), Some(state)) = (
            request_kind(req.method(), req.uri().path()),
            req.data::<Arc<AppState>>().cloned(),
        ) else {
            return self.0.call(req).await.map(IntoResponse::into_response);
        };
        let limit = match kind {
            RequestKind::Submit => state.config.limits.max_upload_bytes + FORM_MARGIN,
            RequestKind::Chat | RequestKind::Read => SMALL_BODY_LIMIT,
        };
        let declared = req
            .headers()
            .get(poem::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit) {
            return Ok(ApiError::bad_request(too_large(&state, kind)).into_response());
        }
        if let Err(refusal) = admit(&state, &mut req, kind).await {
            // A small body is read before the answer: a server that answers and closes with the
            // request body unread makes the kernel reset the connection, and the client sees a
            // broken pipe instead of the 401, 402 or 429 (the load bench: 15 chat requests). A
            // large upload is not read: refusing it unread is the point.
            let small = declared.map_or(kind != RequestKind::Submit, |len| len <= SMALL_BODY_LIMIT);
            if small {
                let idle = state.config.guards.body_idle;
                let watch = Arc::new(BodyWatch::default());
                let _ = bounded(req.take_body(), SMALL_BODY_LIMIT, idle, watch)
                    .into_bytes()
                    .await;
            }
            return Ok(refusal.into_response());
        }
        let watch = Arc::new(BodyWatch::default());
        let body = req.take_body();
        req.set_body(bounded(
            body,
            limit,
            state.config.guards.body_idle,
            Arc::clone(&watch),
        ));
        let result = self.0.call(req).await.map(IntoResponse::into_response);
        let stopped = watch.stopped.load(Ordering::Acquire);
        if stopped == BODY_OK {
            return result;
        }
        let read = watch.read.load(Ordering::Acquire);
        match stopped {
            BODY_TOO_LARGE => {
                tracing::warn!(read, limit, "request body refused: over the limit");
                Ok(ApiError::bad_request(too_large(&state, kind)).into_response())
            }
            BODY_STALLED => {
                let idle = state.config.guards.body_idle.as_secs();
                tracing::info!(read, idle, "request body stalled");
                Ok(ApiError::bad_request(format!(
                    "the request body stalled: nothing arrived for {idle} s"
                ))
                .into_response())
            }
            _ => result,
        }
    }
}

/// The `400` message of a body over its limit.
fn too_large(state: &AppState, kind: RequestKind) -> String {
    match kind {
        RequestKind::Submit => format!(
            "file too large: the limit is {}",
            crate::routes::ocr::human_bytes(state.config.limits.max_upload_bytes)
        ),
        RequestKind::Chat | RequestKind::Read => format!(
            "request body too large: the limit is {}",
            crate::routes::ocr::human_bytes(SMALL_BODY_LIMIT)
        ),
    }
}

/// Resolves the caller (`401`), applies the rate limit (`429`) and, for a submit, refuses a
/// caller who cannot pay for one page (`402`); leaves the caller in the request's extensions.
async fn admit(state: &AppState, req: &mut Request, kind: RequestKind) -> Result<(), ApiError> {
    let caller =
        crate::auth::Caller::from_request(&state.store, req, &state.config.trusted_proxies).await?;
    let key = match &caller {
        crate::auth::Caller::Account(id, _) => RateKey::Account(*id),
        crate::auth::Caller::Anonymous { ip } => RateKey::Ip(ip.clone()),
    };
    if let Err(limited) = state.rate_limits.check(kind, &key) {
        tracing::info!(client = %key, kind = kind.as_str(), "rate limited");
        return Err(ApiError::too_many_requests(
            domain::rate::limited_message(limited.kind, limited.limit, limited.retry_after_secs),
            limited.retry_after_secs,
        ));
    }
    if kind == RequestKind::Submit {
        let plan = caller.plan();
        let standing = state
            .store
            .standing(&caller.subject(), plan, &state.config.pricing)
            .await?;
        if let Some(quota) = domain::billing::exhausted(&state.config.pricing, plan, standing) {
            return Err(storage::Error::Quota(quota).into());
        }
    }
    req.extensions_mut().insert(caller);
    Ok(())
}

/// `body`, failing once more than `limit` bytes arrive or nothing arrives for `idle`; what
/// happened is left in `watch`.
fn bounded(body: Body, limit: u64, idle: Duration, watch: Arc<BodyWatch>) -> Body {
    let chunks = body.into_bytes_stream().boxed();
    let stream = futures::stream::unfold(Some(chunks), move |chunks| {
        let watch = Arc::clone(&watch);
        async move {
            let mut chunks = chunks?;
            let stop = |why: u8, message: &str| {
                watch.stopped.store(why, Ordering::Release);
                Some((Err(io::Error::other(message.to_owned())), None))
            };
            match tokio::time::timeout(idle, chunks.next()).await {
                Err(_) => stop(BODY_STALLED, "the request body stalled"),
                Ok(None) => None,
                Ok(Some(Err(err))) => Some((Err(err), None)),
                Ok(Some(Ok(chunk))) => {
                    let read = watch.read.fetch_add(chunk.len() as u64, Ordering::AcqRel)
                        + chunk.len() as u64;
                    if read > limit {
                        stop(BODY_TOO_LARGE, "the request body is over its limit")
                    } else {
                        Some((Ok(chunk), Some(chunks)))
                    }
                }
            }
        }
    });
    Body::from_bytes_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_limited_by_kind() {
        for (method, path, expected) in [
            (Method::POST, "/api/v1/ocr", Some(RequestKind::Submit)),
            (Method::POST, "/api/v1/chat/0b5e", Some(RequestKind::Chat)),
            (
                Method::GET,
                "/api/v1/chat/0b5e/history",
                Some(RequestKind::Read),
            ),
            (Method::GET, "/api/v1/ocr/0b5e", Some(RequestKind::Read)),
            (Method::DELETE, "/api/v1/ocr/0b5e", Some(RequestKind::Read)),
            (
                Method::GET,
                "/api/v1/ocr/0b5e/download",
                Some(RequestKind::Read),
            ),
            (Method::GET, "/api/v1/account", Some(RequestKind::Read)),
            (Method::GET, "/healthz", None),
            (Method::GET, "/docs", None),
        ] {
            assert_eq!(request_kind(&method, path), expected, "{method} {path}");
        }
    }

    async fn drain(body: Body) -> (Vec<u8>, Option<io::Error>) {
        let mut stream = body.into_bytes_stream().boxed();
        let mut got = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => got.extend_from_slice(&bytes),
                Err(err) => return (got, Some(err)),
            }
        }
        (got, None)
    }

    #[tokio::test]
    async fn a_body_within_its_limit_passes_whole() {
        let watch = Arc::new(BodyWatch::default());
        let body = Body::from(vec![7u8; 1000]);
        let (got, err) = drain(bounded(body, 1000, Duration::from_secs(5), watch.clone())).await;
        assert_eq!(got.len(), 1000);
        assert!(err.is_none());
        assert_eq!(watch.stopped.load(Ordering::Acquire), BODY_OK);
    }

    #[tokio::test]
    async fn an_endless_body_stops_at_the_limit() {
        let watch = Arc::new(BodyWatch::default());
        let endless = futures::stream::repeat_with(|| Ok::<_, io::Error>(vec![0u8; 64 * 1024]));
        let body = Body::from_bytes_stream(endless);
        let (got, err) = drain(bounded(
            body,
            1_000_000,
            Duration::from_secs(5),
            watch.clone(),
        ))
        .await;
        assert!(err.is_some());
        assert!(got.len() <= 1_000_000, "passed on {} bytes", got.len());
        assert_eq!(watch.stopped.load(Ordering::Acquire), BODY_TOO_LARGE);
        // Read one chunk past the limit, then nothing more.
        assert!(watch.read.load(Ordering::Acquire) <= 1_000_000 + 64 * 1024);
    }

    #[tokio::test]
    async fn a_stalled_body_ends_after_the_idle_timeout() {
        let watch = Arc::new(BodyWatch::default());
        let stalled = futures::stream::once(async { Ok::<_, io::Error>(vec![1u8; 10]) })
            .chain(futures::stream::pending());
        let body = Body::from_bytes_stream(stalled);
        let (got, err) = drain(bounded(
            body,
            1000,
            Duration::from_millis(200),
            watch.clone(),
        ))
        .await;
        assert_eq!(got.len(), 10);
        assert!(err.is_some());
        assert_eq!(watch.stopped.load(Ordering::Acquire), BODY_STALLED);
    }
}
