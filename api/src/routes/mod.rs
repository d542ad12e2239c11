//! HTTP endpoints, one module per resource. Handlers parse, call the crates that own the rules,
//! and map results; they hold no rules themselves.

pub mod account;
pub mod chat;
pub mod download;
pub mod events;
pub mod health;
pub mod jobs;
pub mod languages;
pub mod ocr;
pub mod pages;
pub mod tools;

/// Groups endpoints in the OpenAPI document and Swagger UI.
#[derive(poem_openapi::Tags)]
pub enum ApiTags {
    /// Submit files and read recognition results.
    Ocr,
    /// The caller's plan, usage and caps.
    Account,
    /// Service health.
    Health,
    /// Questions about a finished job, answered from its text with verified page citations.
    Chat,
}

/// Whether an `If-None-Match` header names `etag` (or `*`), weak or strong: the `304` rule of
/// every cacheable answer (the job object, a page, a page image).
pub(crate) fn matches_etag(header: Option<&str>, etag: &str) -> bool {
    header.is_some_and(|header| {
        header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}
