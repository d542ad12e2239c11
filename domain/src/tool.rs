//! Tool presets a caller may name on submit.
//!
//! The registry is empty until a tool is really implemented: naming any tool is refused with
//! `UnknownTool` rather than accepted and ignored.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A named preset of options applied at submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {}

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
        match self {}
    }
}

impl FromStr for Tool {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Err(Error::UnknownTool(s.to_owned()))
    }
}
