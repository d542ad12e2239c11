//! `Allow` on every `405`: the methods the path does take (RFC 9110 requires the header, and
//! clients and contract checkers rely on it). Taken from the OpenAPI document, so it cannot
//! drift from the routes.

use poem::{http::StatusCode, Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::Arc;

/// Path templates (`/api/v1/ocr/{uuid}`) with their methods, upper-case.
pub struct AllowedMethods {
    routes: Vec<(Vec<String>, String)>,
}

impl AllowedMethods {
    /// Reads the paths and methods of an OpenAPI document.
    pub fn from_spec(spec: &serde_json::Value) -> Arc<AllowedMethods> {
        let routes = spec
            .get("paths")
            .and_then(|p| p.as_object())
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let mut methods: Vec<String> = item
                            .as_object()
                            .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                            .unwrap_or_default();
                        methods.sort();
                        (segments(path), methods.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Arc::new(AllowedMethods { routes })
    }

    /// The `Allow` value for a request path, if it is one of the document's paths.
    pub fn for_path(&self, path: &str) -> Option<&str> {
        let wanted = segments(path);
        self.routes
            .iter()
            .find(|(template, _)| {
                template.len() == wanted.len()
                    && template
                        .iter()
                        .zip(&wanted)
                        .all(|(t, w)| t == w || (t.starts_with('{') && t.ends_with('}')))
            })
            .map(|(_, methods)| methods.as_str())
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The middleware: adds `Allow` to `405` answers.
pub struct AllowHeader(pub Arc<AllowedMethods>);

impl<E: Endpoint> Middleware<E> for AllowHeader {
    type Output = AllowHeaderEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        AllowHeaderEndpoint(ep, Arc::clone(&self.0))
    }
}

/// [`AllowHeader`] around an endpoint.
pub struct AllowHeaderEndpoint<E>(E, Arc<AllowedMethods>);

impl<E: Endpoint> Endpoint for AllowHeaderEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let path = req.uri().path().to_owned();
        let mut response = self.0.call(req).await?.into_response();
        if response.status() == StatusCode::METHOD_NOT_ALLOWED {
            if let Some(allow) = self.1.for_path(&path) {
                if let Ok(value) = allow.parse() {
                    response
                        .headers_mut()
                        .insert(poem::http::header::ALLOW, value);
                }
            }
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_methods_of_a_path_come_from_the_document() {
        let allowed = AllowedMethods::from_spec(&crate::app::openapi_document());
        // Submit, and the caller's job listing.
        assert_eq!(allowed.for_path("/api/v1/ocr/"), Some("GET, POST"));
        assert_eq!(allowed.for_path("/api/v1/ocr"), Some("GET, POST"));
        assert_eq!(
            allowed.for_path("/api/v1/ocr/0b5e5d0e-0000-0000-0000-000000000000/"),
            Some("DELETE, GET")
        );
        assert_eq!(allowed.for_path("/healthz"), Some("GET"));
        assert_eq!(allowed.for_path("/nowhere"), None);
    }
}
