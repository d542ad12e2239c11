//! The `vlm` tier: a vision-language model reads the page; Tesseract says where the words are.
//!
//! For each page: the upright page image is downsized ([`MAX_SIDE`]), encoded as a PNG data URL
//! and sent to an OpenAI-compatible chat endpoint with an instruction to transcribe it as
//! Markdown in reading order (tables as Markdown tables, math as LaTeX). The same page is read by
//! Tesseract as in the `cpu` tier, and [`align`] places the model's text on Tesseract's word
//! boxes, so the job JSON, the searchable PDF and every export keep their shape. The model's
//! Markdown is kept as the page's Markdown.
//!
//! Design choices a newcomer may question:
//! - **Tesseract runs anyway.** Models return no coordinates (or unreliable ones); aligning
//!   with Tesseract's words gives real boxes and an honest confidence (how much of the model's
//!   text Tesseract confirms where it is placed).
//! - **PNG, not JPEG.** JPEG ringing around thin strokes costs models letters; a grey page is
//!   sent as grey PNG (a third of RGB's size).
//! - **2000 pixels on the longer side** keep an A4 page at ~170 dpi: legible for current models
//!   while the request stays a few MB; larger pages are downsized, smaller ones sent as they are.

pub mod align;
pub mod markdown;

use crate::llm::{Completion, LlmClient, LlmError};
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestMessageContentPartImage,
    ChatCompletionRequestMessageContentPartText, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart,
    ImageDetail, ImageUrl,
};
use base64::Engine as _;
use domain::PageResult;
use image::{imageops::FilterType, DynamicImage};
use markdown::Kind;
use std::io::Cursor;

/// Longest side, in pixels, of the image sent to the model.
pub const MAX_SIDE: u32 = 2000;

/// Most tokens the model may answer with for one page (a dense page is ~1500).
pub const MAX_TOKENS: u32 = 4096;

/// The instruction sent with every page.
pub const SYSTEM_PROMPT: &str = "You are a precise OCR engine. Transcribe all text in the image \
exactly as written, in natural reading order (columns one after the other, top to bottom). \
Answer in GitHub-flavoured Markdown only: headings with #, lists as lists, tables as Markdown \
tables, mathematical expressions as LaTeX ($...$ inline, $$...$$ displayed). Keep the original \
language, spelling and line breaks of paragraphs. Do not translate, correct, summarise or \
comment. If the image has no text, answer with nothing.";

/// The engine name of pages read by the vision model.
pub const ENGINE_NAME: &str = "vlm";

/// What the model wrote for a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcription {
    /// The model's Markdown (an enclosing code fence removed).
    pub markdown: String,
    /// Calls it took (1 without retries).
    pub attempts: u32,
}

/// Why a page image could not be prepared for the model.
#[derive(Debug, thiserror::Error)]
#[error("could not encode the page image for the vision model")]
pub struct EncodeError(#[source] pub image::ImageError);

/// The page image as a `data:image/png;base64,…` URL, downsized to [`MAX_SIDE`].
/// CPU-heavy (PNG compression): run it off the async executor.
pub fn page_data_url(image: &DynamicImage) -> Result<String, EncodeError> {
    let longer = image.width().max(image.height());
    let sized = if longer > MAX_SIDE {
        let scale = f64::from(MAX_SIDE) / f64::from(longer);
        let width = ((f64::from(image.width()) * scale).round() as u32).max(1);
        let height = ((f64::from(image.height()) * scale).round() as u32).max(1);
        image.resize_exact(width, height, FilterType::Triangle)
    } else {
        image.clone()
    };
    let sized = match sized {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => sized,
        other => DynamicImage::ImageRgb8(other.to_rgb8()),
    };
    let mut png = Cursor::new(Vec::new());
    sized
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(EncodeError)?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png.into_inner())
    ))
}

/// The chat messages for one page: the instruction, then the image with a short request
/// (naming the language when the caller named it).
pub fn request_messages(
    data_url: String,
    language_hint: Option<&str>,
) -> Vec<ChatCompletionRequestMessage> {
    let ask = match language_hint {
        Some(language) => format!("Transcribe this page. Its text is in {language}."),
        None => "Transcribe this page.".to_owned(),
    };
    vec![
        ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
            content: ChatCompletionRequestSystemMessageContent::Text(SYSTEM_PROMPT.to_owned()),
            name: None,
        }),
        ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
            content: ChatCompletionRequestUserMessageContent::Array(vec![
                ChatCompletionRequestUserMessageContentPart::Text(
                    ChatCompletionRequestMessageContentPartText {
                        text: ask,
                        prompt_cache_breakpoint: None,
                    },
                ),
                ChatCompletionRequestUserMessageContentPart::ImageUrl(
                    ChatCompletionRequestMessageContentPartImage {
                        image_url: ImageUrl {
                            url: data_url,
                            detail: Some(ImageDetail::High),
                        },
                        prompt_cache_breakpoint: None,
                    },
                ),
            ]),
            name: None,
        }),
    ]
}

/// Asks the model to transcribe a page (retrying transient failures, see [`crate::llm`]).
pub async fn transcribe(
    client: &LlmClient,
    data_url: String,
    language_hint: Option<&str>,
) -> Result<Transcription, LlmError> {
    let Completion { text, attempts } = client
        .complete(request_messages(data_url, language_hint), MAX_TOKENS)
        .await?;
    Ok(Transcription {
        markdown: markdown::unwrap_fence(&text).to_owned(),
        attempts,
    })
}

/// The `vlm` page: the model's text in blocks placed on Tesseract's words of the same page.
/// Keeps the Tesseract page's index, size, dpi, language, rotation and detection.
pub fn assemble(tesseract: PageResult, transcription: &Transcription) -> PageResult {
    let blocks: Vec<align::TextBlock> = markdown::parse(&transcription.markdown)
        .into_iter()
        .map(|b| align::TextBlock {
            per_line: b.kind == Kind::Table,
            lines: b.lines,
        })
        .collect();
    let blocks = align::align(
        &blocks,
        &tesseract.blocks,
        tesseract.width,
        tesseract.height,
    );
    let (weighted, chars) = blocks.iter().fold((0f64, 0usize), |(s, n), b| {
        let len = b.text.chars().filter(|c| c.is_alphanumeric()).count();
        (s + f64::from(b.confidence) * len as f64, n + len)
    });
    PageResult {
        text: PageResult::text_from_blocks(&blocks),
        mean_confidence: (chars > 0).then(|| (weighted / chars as f64) as f32),
        blocks,
        engine: ENGINE_NAME.to_owned(),
        markdown: Some(transcription.markdown.clone()),
        tables: Vec::new(),
        ..tesseract
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_images_are_png_data_urls_no_larger_than_the_limit() {
        let page = DynamicImage::new_luma8(3000, 1500);
        let url = page_data_url(&page).unwrap();
        let encoded = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (2000, 1000));
        let small = page_data_url(&DynamicImage::new_rgb8(10, 20)).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(small.strip_prefix("data:image/png;base64,").unwrap())
            .unwrap();
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 10);
    }

    #[test]
    fn the_request_carries_the_instruction_and_the_image() {
        let messages = request_messages("data:image/png;base64,AAAA".into(), Some("German"));
        let json = serde_json::to_value(&messages).unwrap();
        assert_eq!(json[0]["role"], "system");
        assert_eq!(json[1]["content"][0]["type"], "text");
        assert!(json[1]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("German"));
        assert_eq!(json[1]["content"][1]["type"], "image_url");
        assert_eq!(
            json[1]["content"][1]["image_url"]["url"],
            "data:image/png;base64,AAAA"
        );
    }
}
