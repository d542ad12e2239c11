//! The web page: `/` and its assets under `/app/`, embedded in the binary at build time so the
//! service needs no Node, no files beside it and no network to serve it (`web/` holds the
//! sources; `include_bytes!` makes cargo rebuild when one changes).
//!
//! Plain HTML, CSS and ES modules, no framework and no bundler: the page is a few modules that
//! call the public API like any client (the token, kept in the browser's `localStorage`, goes in
//! an `Authorization` header, never a URL). Every answer carries a strict Content-Security-Policy
//! (scripts and styles from this origin only, no inline code, images from this origin or the
//! page's own `blob:` URLs) and the usual hardening headers. Assets are gzipped once at start-up
//! and revalidated by `ETag` (`no-cache`), so a new binary's page is seen at once and an
//! unchanged one costs a `304`.

use crate::config::Config;
use flate2::{write::GzEncoder, Compression};
use poem::{
    http::{header, Method, StatusCode},
    Endpoint, IntoResponse, Middleware, Request, Response,
};
use sha2::{Digest, Sha256};
use std::{io::Write, sync::Arc};

/// The page's policy: nothing from elsewhere, nothing inline, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The embedded sources: name under `/app/`, media type, bytes. `index.html` is served at `/`.
const SOURCES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../web/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/api.js"),
    ),
    (
        "viewer.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/viewer.js"),
    ),
    (
        "markdown.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/markdown.js"),
    ),
    (
        "chat.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/chat.js"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/dom.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../web/favicon.svg"),
    ),
];

/// One asset, ready to serve.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    plain: Vec<u8>,
    /// Present when gzip makes it smaller.
    gzip: Option<Vec<u8>>,
    etag: String,
}

/// Every asset, built once per process.
struct Assets(Vec<Asset>);

impl Assets {
    fn build(config: &Config) -> Assets {
        Assets(
            SOURCES
                .iter()
                .map(|(name, content_type, bytes)| {
                    let plain = if *name == "index.html" {
                        fill_index(bytes, config)
                    } else {
                        bytes.to_vec()
                    };
                    let gzip = gzip(&plain).filter(|g| g.len() < plain.len());
                    let digest = Sha256::digest(&plain);
                    Asset {
                        name,
                        content_type,
                        etag: format!("\"{}\"", hex::encode(&digest[..12])),
                        plain,
                        gzip,
                    }
                })
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&Asset> {
        self.0.iter().find(|a| a.name == name)
    }
}

/// The page learns this server's limits from its own HTML (so they show before any upload):
/// `{{MAX_UPLOAD_BYTES}}` in `index.html` becomes the configured byte limit.
fn fill_index(bytes: &[u8], config: &Config) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace(
            "{{MAX_UPLOAD_BYTES}}",
            &config.limits.max_upload_bytes.to_string(),
        )
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// The web page as a middleware around the service's routes: it answers `GET /` and
/// `GET /app/<name>` itself and hands every other request on. (A middleware rather than routes
/// because the API is nested at the root, and poem's router then sends `/` to the API.)
pub struct Page {
    assets: Arc<Assets>,
}

impl Page {
    /// Builds every asset (the index filled with `config`'s limits, gzip, ETags) once.
    pub fn new(config: &Config) -> Page {
        Page {
            assets: Arc::new(Assets::build(config)),
        }
    }
}

impl<E: Endpoint> Middleware<E> for Page {
    type Output = PageEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        PageEndpoint {
            inner,
            assets: Arc::clone(&self.assets),
        }
    }
}

/// [`Page`] around an endpoint.
pub struct PageEndpoint<E> {
    inner: E,
    assets: Arc<Assets>,
}

impl<E: Endpoint> Endpoint for PageEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            let path = req.uri().path();
            if path == "/" {
                return Ok(serve(&req, self.assets.get("index.html")));
            }
            if let Some(name) = path.strip_prefix("/app/") {
                // index.html is only ever the root: one URL per document.
                let asset = self.assets.get(name).filter(|a| a.name != "index.html");
                return Ok(serve(&req, asset));
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// Answers with the asset (gzipped when the client accepts it), `304` when the client's copy is
/// current, or a JSON `404`; always with the security headers.
fn serve(req: &Request, asset: Option<&Asset>) -> Response {
    let Some(asset) = asset else {
        return with_security_headers(
            Response::builder()
                .status(StatusCode::NOT_FOUND)
                .content_type("application/json; charset=utf-8")
                .body(r#"{"error":"not found"}"#),
        );
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag));
    let builder = Response::builder()
        .header(header::ETAG, asset.etag.as_str())
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::VARY, "Accept-Encoding");
    if fresh {
        return with_security_headers(builder.status(StatusCode::NOT_MODIFIED).finish());
    }
    let accepts_gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.split(';').next().is_some_and(|e| e.trim() == "gzip"))
        });
    let builder = builder.content_type(asset.content_type);
    let response = match (&asset.gzip, accepts_gzip) {
        (Some(gzip), true) => builder
            .header(header::CONTENT_ENCODING, "gzip")
            .body(gzip.clone()),
        _ => builder.body(asset.plain.clone()),
    };
    with_security_headers(response)
}

/// The hardening headers of every page answer.
fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        ),
    ] {
        if let Ok(value) = poem::http::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_embedded() {
        // A module missing from SOURCES would be a 404 and a blank page in production only.
        for (name, _, bytes) in SOURCES {
            let text = String::from_utf8_lossy(bytes);
            for import in text
                .split(['\'', '"'])
                .filter(|s| s.starts_with("./") || s.starts_with("/app/"))
            {
                let file = import.trim_start_matches("./").trim_start_matches("/app/");
                assert!(
                    SOURCES.iter().any(|(n, _, _)| *n == file),
                    "{name} refers to {import}, which is not embedded"
                );
            }
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_the_policy_would_block() {
        let index = String::from_utf8_lossy(SOURCES[0].2);
        assert!(!index.contains("<script>"), "inline script in index.html");
        assert!(!index.contains("<style"), "inline style in index.html");
        assert!(
            !index.contains(" style=\""),
            "style attribute in index.html"
        );
        // ` onclick=`, ` oninput=`: an attribute named on… is an inline handler.
        let handler = index.match_indices(" on").any(|(at, _)| {
            let rest = &index[at + 3..];
            let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            name_len > 0 && rest[name_len..].starts_with('=')
        });
        assert!(!handler, "inline event handler in index.html");
    }
}
