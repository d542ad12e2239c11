//! The `translate` tool: a recognised page's text translated by the chat model.
//!
//! The text goes in chunks of whole paragraphs ([`MAX_CHUNK_CHARS`] at most), so a dense page
//! fits small local models' context windows and a long answer is never cut mid-page; chunk
//! translations are joined with blank lines, as paragraphs are. An empty page is translated to
//! nothing without calling the model.

use crate::llm::{LlmClient, LlmError};
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent,
};

/// Longest chunk of source text sent in one request, in characters.
pub const MAX_CHUNK_CHARS: usize = 1500;

/// The instruction for a target language (its English name, e.g. `French`).
pub fn system_prompt(language: &str) -> String {
    format!(
        "You are a professional translator. Translate the text the user sends into {language}. \
         Keep its meaning, names, numbers and line breaks. Answer with the translation only: \
         no introduction, no notes, no quotation marks. If the text is already in {language}, \
         repeat it unchanged."
    )
}

/// Translates `text` into `language` (an English language name), chunk by chunk.
pub async fn translate(client: &LlmClient, text: &str, language: &str) -> Result<String, LlmError> {
    let mut parts = Vec::new();
    for chunk in chunks(text, MAX_CHUNK_CHARS) {
        let messages = vec![
            ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                content: ChatCompletionRequestSystemMessageContent::Text(system_prompt(language)),
                name: None,
            }),
            ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                content: ChatCompletionRequestUserMessageContent::Text(chunk.clone()),
                name: None,
            }),
        ];
        // A translation is rarely more than twice as many tokens as the source has characters
        // in Latin scripts; the floor leaves room for very short chunks.
        let budget = (chunk.chars().count() as u32 * 2).clamp(256, 4096);
        let completion = client.complete(messages, budget).await?;
        parts.push(completion.text.trim().to_owned());
    }
    Ok(parts.join("\n\n"))
}

/// Cuts text into chunks of whole paragraphs of at most `max` characters; a longer paragraph is
/// cut at line ends, then at spaces.
pub fn chunks(text: &str, max: usize) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if paragraph.chars().count() <= max {
            pieces.push(paragraph.to_owned());
            continue;
        }
        for line in paragraph.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut current = String::new();
            for word in line.split_whitespace() {
                if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > max {
                    pieces.push(std::mem::take(&mut current));
                }
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
            }
            if !current.is_empty() {
                pieces.push(current);
            }
        }
    }
    // Pack pieces back together up to the limit, so short paragraphs share a request.
    let mut chunks: Vec<String> = Vec::new();
    for piece in pieces {
        match chunks.last_mut() {
            Some(last) if last.chars().count() + 2 + piece.chars().count() <= max => {
                last.push_str("\n\n");
                last.push_str(&piece);
            }
            _ => chunks.push(piece),
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_paragraphs_whole_and_under_the_limit() {
        let text = "one two\n\nthree four five\n\n\n\nsix";
        assert_eq!(chunks(text, 100), vec!["one two\n\nthree four five\n\nsix"]);
        assert_eq!(chunks(text, 16), vec!["one two", "three four five", "six"]);
        let long = "word ".repeat(100);
        let cut = chunks(&long, 50);
        assert!(cut.iter().all(|c| c.chars().count() <= 50), "{cut:?}");
        assert_eq!(cut.join(" ").split_whitespace().count(), 100);
        assert!(chunks("  \n\n ", 10).is_empty());
    }
}
