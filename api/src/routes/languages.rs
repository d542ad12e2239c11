//! `GET /api/v1/languages/`: the languages this server reads, from what is installed.

use super::ApiTags;
use crate::{app::AppState, auth::Credentials, error::ApiError};
use domain::language::LANGUAGES;
use poem::{web::Data, Request};
use poem_openapi::{payload::Json, Object, OpenApi};
use std::sync::Arc;

/// One language (or script model) a caller may name in `language`.
#[derive(Debug, Clone, Object)]
pub struct LanguageObject {
    /// The short code to send (`en`, `de`, `ch`, `ar`; the Tesseract name where the language has
    /// no shorter code, e.g. `ceb`, `Fraktur`).
    pub code: String,
    /// The language's English name.
    pub name: String,
    /// Its writing system (`Latin`, `Cyrillic`, `Han`, `Arabic`, `Devanagari`, …).
    pub script: String,
    /// `language`, or `script` for a model that reads every language of a script (`Latin`,
    /// `Cyrillic`, `Fraktur`) without knowing any one of them well.
    pub kind: String,
    /// The Tesseract model it is read with; also accepted as a code.
    pub tesseract: String,
    /// Every other code accepted for it (ISO 639-1, ISO 639-3 variants, OCR.chat codes).
    pub aliases: Vec<String>,
}

/// The languages of this server.
#[derive(Debug, Clone, Object)]
pub struct LanguageList {
    /// How many entries `languages` has.
    pub count: u32,
    /// Installed languages, then script models, each group by name.
    pub languages: Vec<LanguageObject>,
    /// What `language=auto` (the default) does.
    pub auto: String,
}

/// Language endpoints.
pub struct LanguagesApi;

#[OpenApi]
impl LanguagesApi {
    /// Lists the languages this server can read: its language table, restricted to the
    /// Tesseract models installed here. Combine codes with `+` (`de+en`), or send `auto`.
    #[oai(
        path = "/api/v1/languages/",
        method = "get",
        tag = "ApiTags::Ocr",
        operation_id = "list_languages"
    )]
    async fn languages(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
    ) -> Result<Json<LanguageList>, ApiError> {
        // No token is needed; a bad one is still refused, as everywhere.
        state.caller(&credentials, req).await?;
        let mut languages: Vec<LanguageObject> = LANGUAGES
            .iter()
            .filter(|l| state.installed_languages.contains(l.tesseract))
            .map(|l| {
                let script_model = l.tesseract.starts_with(|c: char| c.is_ascii_uppercase());
                LanguageObject {
                    code: l.aliases.first().copied().unwrap_or(l.tesseract).to_owned(),
                    name: l.name.to_owned(),
                    script: l.script.to_owned(),
                    kind: if script_model { "script" } else { "language" }.to_owned(),
                    tesseract: l.tesseract.to_owned(),
                    aliases: l.aliases.iter().skip(1).map(|a| (*a).to_owned()).collect(),
                }
            })
            .collect();
        languages.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));
        Ok(Json(LanguageList {
            count: languages.len() as u32,
            languages,
            auto: "Per page: orientation and script found by Tesseract's OSD (the page is turned \
                   upright when needed), a first reading with the script's model, the language \
                   identified in that text, then a reading with that language's model. When \
                   detection is unsure, the script's model (Latin by default) is kept."
                .to_owned(),
        }))
    }
}
