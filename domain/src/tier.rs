//! Recognition tiers: which engine reads the pages and what a page costs.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The engine family a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Tesseract on the CPU: fast, printed documents.
    #[default]
    Cpu,
    /// A vision-language model behind an OpenAI-compatible endpoint.
    Vlm,
}

impl Tier {
    /// Every tier, as the API lists them.
    pub const ALL: [Tier; 2] = [Tier::Cpu, Tier::Vlm];

    /// The wire name (`cpu`, `vlm`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Cpu => "cpu",
            Tier::Vlm => "vlm",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "cpu" => Ok(Tier::Cpu),
            "vlm" => Ok(Tier::Vlm),
            _ => Err(Error::UnknownTier(s.to_owned())),
        }
    }
}
