//! `GET /api/v1/tools/`: the tool presets a submit may name in `tool`.

use super::ApiTags;
use crate::{app::AppState, auth::Credentials, error::ApiError};
use domain::Tool;
use poem::{web::Data, Request};
use poem_openapi::{payload::Json, Object, OpenApi};
use std::sync::Arc;

/// One tool preset.
#[derive(Debug, Clone, Object)]
pub struct ToolObject {
    /// The slug to send as `tool`.
    pub slug: String,
    /// What it does.
    pub description: String,
    /// The tier it forces, if any (`vlm` for `handwriting-to-text`).
    #[oai(skip_serializing_if_is_none)]
    pub tier: Option<String>,
    /// Form fields it needs besides `file` (none today: `translate` without `translate_to`
    /// translates into English).
    pub requires: Vec<String>,
    /// Whether this server can run it now: `handwriting-to-text` needs a vision model,
    /// `translate` a chat model. Naming an unavailable tool is `400`.
    pub available: bool,
}

/// The tools of this server.
#[derive(Debug, Clone, Object)]
pub struct ToolList {
    /// Every tool, available or not.
    pub tools: Vec<ToolObject>,
}

/// Tool endpoints.
pub struct ToolsApi;

#[OpenApi]
impl ToolsApi {
    /// Lists the tool presets with their descriptions, and whether this server can run each.
    #[oai(
        path = "/api/v1/tools/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "list_tools"
    )]
    async fn tools(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
    ) -> Result<Json<ToolList>, ApiError> {
        state.caller(&credentials, req).await?;
        let vision = state.config.vlm.base_url.is_some();
        let chat = state.config.llm.base_url.is_some();
        let tools = Tool::ALL
            .into_iter()
            .map(|tool| ToolObject {
                slug: tool.as_str().to_owned(),
                description: tool.description().to_owned(),
                tier: tool.forced_tier().map(|t| t.as_str().to_owned()),
                requires: tool
                    .required_fields()
                    .iter()
                    .map(|f| (*f).to_owned())
                    .collect(),
                available: match tool {
                    Tool::ExtractTables => true,
                    Tool::HandwritingToText => vision,
                    Tool::Translate => chat,
                },
            })
            .collect();
        Ok(Json(ToolList { tools }))
    }
}
