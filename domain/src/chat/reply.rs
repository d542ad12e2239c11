//! The structured reply the model must give: quotes first, then the answer built on them.
//!
//! Small models drop inline `[p. N]` markers, so the reply is JSON constrained by a schema
//! (`response_format: json_schema`, which llama-server turns into a grammar). Quotes come before
//! the answer in the schema's property order: a model generating left to right copies its evidence
//! before it writes the claim, which keeps small models closer to the text.

use serde::{Deserialize, Deserializer, Serialize};

/// Most quotes a reply may carry.
pub const MAX_QUOTES: usize = 3;

/// Longest quote the schema lets a model write, in characters (a cut quote is still a verbatim
/// prefix, so it still verifies).
pub const MAX_QUOTE_CHARS: usize = 200;

/// Longest answer the schema lets a model write, in characters. With the quotes, this bounds a
/// reply to well under the default token cap, so a grammar-constrained reply always closes its
/// JSON instead of being cut off mid-string (small models otherwise ramble until the cap).
pub const MAX_ANSWER_CHARS: usize = 400;

/// One piece of evidence the model claims to copy from a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The page number as the prompt showed it (1-based).
    #[serde(deserialize_with = "page_number")]
    pub page: u32,
    /// The words, supposedly copied exactly.
    pub text: String,
}

/// The model's reply, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelReply {
    /// The evidence.
    #[serde(default)]
    pub quotes: Vec<Quote>,
    /// The answer text.
    pub answer: String,
}

/// The reply was not the JSON the schema describes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the model's reply is not the requested JSON: {reason}")]
pub struct ReplyError {
    /// What was wrong (parser message; never the whole reply).
    pub reason: String,
}

/// The JSON schema of `ModelReply`, sent as `response_format`. Strict-mode compatible (every
/// property required, no others allowed) so hosted endpoints accept it too.
pub fn reply_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "quotes": {
                "type": "array",
                "maxItems": MAX_QUOTES,
                "items": {
                    "type": "object",
                    "properties": {
                        "page": { "type": "integer", "minimum": 1 },
                        "text": { "type": "string", "maxLength": MAX_QUOTE_CHARS }
                    },
                    "required": ["page", "text"],
                    "additionalProperties": false
                }
            },
            "answer": { "type": "string", "maxLength": MAX_ANSWER_CHARS }
        },
        "required": ["quotes", "answer"],
        "additionalProperties": false
    })
}

/// Parses a reply, tolerating what servers without schema support wrap JSON in (a Markdown code
/// fence, text around the object).
pub fn parse_reply(content: &str) -> Result<ModelReply, ReplyError> {
    let trimmed = content.trim();
    let direct = serde_json::from_str::<ModelReply>(trimmed);
    let err = match direct {
        Ok(reply) => return Ok(reply),
        Err(err) => err,
    };
    // The outermost object, if the reply has text around it.
    if let (Some(open), Some(close)) = (trimmed.find('{'), trimmed.rfind('}')) {
        if open < close {
            if let Ok(reply) = serde_json::from_str::<ModelReply>(&trimmed[open..=close]) {
                return Ok(reply);
            }
        }
    }
    Err(ReplyError {
        reason: err.to_string(),
    })
}

/// Accepts `1`, `"1"` or `"p. 1"` for a page: some servers do not enforce the schema.
fn page_number<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    let n = match Raw::deserialize(d)? {
        Raw::Number(n) => n,
        Raw::Text(s) => s
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("page {s:?} is not a number")))?,
    };
    u32::try_from(n).map_err(|_| serde::de::Error::custom("page number out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_or_fail_cleanly() {
        let ok = |answer: &str, quotes: Vec<(u32, &str)>| {
            Ok(ModelReply {
                answer: answer.into(),
                quotes: quotes
                    .into_iter()
                    .map(|(page, text)| Quote {
                        page,
                        text: text.into(),
                    })
                    .collect(),
            })
        };
        for (name, content, expected) in [
            (
                "schema-shaped",
                r#"{"quotes":[{"page":2,"text":"Due on March 3"}],"answer":"March 3."}"#,
                ok("March 3.", vec![(2, "Due on March 3")]),
            ),
            (
                "in a code fence",
                "```json\n{\"quotes\":[],\"answer\":\"No.\"}\n```",
                ok("No.", vec![]),
            ),
            (
                "page as text",
                r#"{"quotes":[{"page":"p. 3","text":"x"}],"answer":"a"}"#,
                ok("a", vec![(3, "x")]),
            ),
            (
                "missing quotes default to none",
                r#"{"answer":"a"}"#,
                ok("a", vec![]),
            ),
        ] {
            assert_eq!(parse_reply(content), expected, "case: {name}");
        }
        for (name, content) in [
            ("prose", "The total is 42."),
            ("truncated", r#"{"quotes":[{"page":1,"text":"abc"#),
            ("wrong shape", r#"{"reply":"a"}"#),
            ("empty", ""),
        ] {
            assert!(parse_reply(content).is_err(), "case: {name}");
        }
    }

    #[test]
    fn schema_asks_for_quotes_before_the_answer() {
        let schema = reply_schema();
        let keys: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["quotes", "answer"]);
        assert_eq!(schema["properties"]["quotes"]["maxItems"], MAX_QUOTES);
    }
}
