//! One log line per request, with the secrets taken out.
//!
//! poem's `Tracing` middleware logs every request's full URI at INFO, and the API accepts the
//! token as `?api_token=…` (as the seed's API does), so a server's log held the plaintext
//! tokens of its callers. This middleware logs the same facts (method, path and query, status,
//! time) with the value of every credential-bearing query parameter replaced by `[redacted]`;
//! headers are never logged, so `Authorization` is not either.

use poem::{http::Uri, Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::time::Instant;
use tracing::Instrument;

/// Query parameters whose values are credentials.
const SECRET_PARAMETERS: &[&str] = &["api_token", "token", "access_token", "api_key", "key"];

/// What replaces a secret value.
pub const REDACTED: &str = "[redacted]";

/// The middleware (see the module notes).
pub struct RequestLog;

impl<E: Endpoint> Middleware<E> for RequestLog {
    type Output = RequestLogEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequestLogEndpoint(ep)
    }
}

/// [`RequestLog`] around an endpoint.
pub struct RequestLogEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RequestLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let span = tracing::info_span!(
            "request",
            method = %req.method(),
            uri = %redacted(req.original_uri()),
        );
        async move {
            let started = Instant::now();
            let result = self.0.call(req).await;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            match result {
                Ok(output) => {
                    let response = output.into_response();
                    tracing::info!(status = response.status().as_u16(), ms, "response");
                    Ok(response)
                }
                Err(err) => {
                    tracing::info!(status = err.status().as_u16(), ms, "error response");
                    Err(err)
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// The path and query of `uri` with every secret parameter's value replaced by [`REDACTED`].
pub fn redacted(uri: &Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|part| {
            // Names are compared decoded, so `api%5Ftoken` is caught too.
            let secret = url::form_urlencoded::parse(part.as_bytes())
                .next()
                .is_some_and(|(name, value)| {
                    !value.is_empty()
                        && SECRET_PARAMETERS
                            .iter()
                            .any(|secret| name.eq_ignore_ascii_case(secret))
                });
            if secret {
                let name = part.split_once('=').map_or(part, |(name, _)| name);
                format!("{name}={REDACTED}")
            } else {
                part.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_query_are_redacted_and_nothing_else() {
        for (uri, logged) in [
            ("/api/v1/ocr/", "/api/v1/ocr/"),
            (
                "/api/v1/ocr/?api_token=sk-123",
                "/api/v1/ocr/?api_token=[redacted]",
            ),
            (
                "/api/v1/ocr/x/?wait=1&api_token=sk-123&format=txt",
                "/api/v1/ocr/x/?wait=1&api_token=[redacted]&format=txt",
            ),
            ("/a?API_TOKEN=sk-1", "/a?API_TOKEN=[redacted]"),
            ("/a?api%5Ftoken=sk-1", "/a?api%5Ftoken=[redacted]"),
            (
                "/a?token=t&access_token=u",
                "/a?token=[redacted]&access_token=[redacted]",
            ),
            ("/a?api_token=", "/a?api_token="),
            ("/a?api_tokens=1&x=%", "/a?api_tokens=1&x=%"),
        ] {
            let uri: Uri = uri.parse().unwrap();
            let line = redacted(&uri);
            assert_eq!(line, logged);
            assert!(!line.contains("sk-"), "{line}");
        }
    }
}
