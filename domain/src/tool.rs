//! Tool presets a caller may name on submit.
//!
//! Only tools that are really implemented are listed: naming any other slug is refused with
//! `UnknownTool` rather than accepted and ignored.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A named preset of options applied at submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// `extract-tables`: detect tables (rows and columns) on every page and keep them in the
    /// page result, so the job JSON, Markdown, docx and csv show them.
    ExtractTables,
    /// `handwriting-to-text`: read the pages with the vision-language model (the `vlm` tier is
    /// forced), which reads handwriting Tesseract cannot.
    HandwritingToText,
    /// `translate`: recognise the pages, then translate each page's text into `translate_to`
    /// (English when none is named) with the chat model; the translation is returned beside the
    /// original. `translate_to` alone asks for the same with any other tool, or none.
    Translate,
}

/// The language a translation is written in when `tool=translate` names none.
pub const DEFAULT_TRANSLATION_TARGET: &str = "en";

/// Into which language a submit's pages are translated, if at all (the code as sent, to be
/// looked up): the `translate_to` it names, with any tool or none (`extract-tables` with
/// `translate_to=de` extracts the tables and translates the text), else English for
/// `tool=translate`, else none. Naming a target asks for a translation, and naming the translate
/// tool asks for one even without saying into what; both are requests whose meaning is plain,
/// which the service once refused.
pub fn translation_target(tool: Option<Tool>, translate_to: Option<&str>) -> Option<&str> {
    match translate_to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(target) => Some(target),
        None if tool == Some(Tool::Translate) => Some(DEFAULT_TRANSLATION_TARGET),
        None => None,
    }
}

impl Tool {
    /// Parses an optional tool slug; empty means no tool.
    pub fn parse_optional(slug: Option<&str>) -> Result<Option<Tool>, Error> {
        match slug.map(str::trim) {
            None | Some("") => Ok(None),
            Some(other) => other.parse().map(Some),
        }
    }

    /// The wire slug.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::ExtractTables => "extract-tables",
            Tool::HandwritingToText => "handwriting-to-text",
            Tool::Translate => "translate",
        }
    }

    /// Every tool this server offers, in the order `GET /api/v1/tools/` lists them.
    pub const ALL: [Tool; 3] = [
        Tool::ExtractTables,
        Tool::HandwritingToText,
        Tool::Translate,
    ];

    /// One sentence for listings: what the preset does for the caller.
    pub fn description(self) -> &'static str {
        match self {
            Tool::ExtractTables => {
                "Detects tables (rows and columns) on every page; they appear in the job JSON, \
                 Markdown, docx and csv downloads."
            }
            Tool::HandwritingToText => {
                "Reads handwriting with the vision-language model (forces tier=vlm); blocks keep \
                 their page positions."
            }
            Tool::Translate => {
                "Recognises the pages, then translates each page's text into the language named \
                 by translate_to (English when none is named); the translation is returned beside \
                 the original."
            }
        }
    }

    /// The tier the tool requires, overriding the caller's, if any.
    pub fn forced_tier(self) -> Option<crate::Tier> {
        match self {
            Tool::HandwritingToText => Some(crate::Tier::Vlm),
            Tool::ExtractTables | Tool::Translate => None,
        }
    }

    /// The form fields the tool needs besides `file`: none since `translate` defaults its
    /// target to English (listed by `GET /api/v1/tools/` for clients that read them).
    pub fn required_fields(self) -> &'static [&'static str] {
        &[]
    }
}

impl FromStr for Tool {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "extract-tables" => Ok(Tool::ExtractTables),
            "handwriting-to-text" => Ok(Tool::HandwritingToText),
            "translate" => Ok(Tool::Translate),
            other => Err(Error::UnknownTool(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_tool_parses_from_its_slug_and_serializes_to_it() {
        for tool in Tool::ALL {
            assert_eq!(tool.as_str().parse::<Tool>(), Ok(tool));
            assert_eq!(
                serde_json::to_string(&tool).unwrap(),
                format!("\"{}\"", tool.as_str())
            );
            assert!(!tool.description().is_empty());
        }
        assert_eq!(
            Tool::HandwritingToText.forced_tier(),
            Some(crate::Tier::Vlm)
        );
        assert!(Tool::ALL.iter().all(|t| t.required_fields().is_empty()));
    }

    #[test]
    fn a_named_target_asks_for_a_translation_with_any_tool_and_translate_defaults_to_english() {
        assert_eq!(translation_target(None, None), None);
        assert_eq!(translation_target(Some(Tool::ExtractTables), None), None);
        assert_eq!(translation_target(None, Some(" ")), None);
        assert_eq!(translation_target(Some(Tool::Translate), None), Some("en"));
        assert_eq!(
            translation_target(Some(Tool::Translate), Some("")),
            Some("en")
        );
        assert_eq!(
            translation_target(Some(Tool::Translate), Some("fr")),
            Some("fr")
        );
        assert_eq!(translation_target(None, Some(" de ")), Some("de"));
        assert_eq!(
            translation_target(Some(Tool::ExtractTables), Some("de")),
            Some("de")
        );
        assert_eq!(
            translation_target(Some(Tool::HandwritingToText), Some("ja")),
            Some("ja")
        );
    }

    #[test]
    fn extract_tables_slug_round_trips() {
        assert_eq!(
            Tool::parse_optional(Some(" extract-tables ")),
            Ok(Some(Tool::ExtractTables))
        );
        assert_eq!(Tool::ExtractTables.as_str(), "extract-tables");
        assert_eq!(
            serde_json::to_string(&Tool::ExtractTables).unwrap(),
            "\"extract-tables\""
        );
        assert!(Tool::parse_optional(Some("no-such-tool")).is_err());
    }
}
