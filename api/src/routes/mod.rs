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
