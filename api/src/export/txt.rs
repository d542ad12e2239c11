//! `txt`: the job's text, pages separated by form feeds (the job JSON's `text`), ending in a
//! newline as text files do. A translated page (`translate` tool) is followed, before the form
//! feed, by its translation under a title line.

use crate::export::translation_title;
use domain::markdown;
use storage::JobView;

/// Renders the plain text.
pub fn render(view: &JobView) -> Vec<u8> {
    let mut text = view
        .pages
        .iter()
        .map(|p| match &p.result.translation {
            Some(t) => format!(
                "{}\n\n--- {} ---\n\n{}",
                p.result.text,
                translation_title(t),
                t.text.trim()
            ),
            None => p.result.text.clone(),
        })
        .collect::<Vec<_>>()
        .join(markdown::PAGE_SEPARATOR);
    text.push('\n');
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use crate::export::fixtures;

    #[test]
    fn pages_are_separated_by_form_feeds() {
        let text = String::from_utf8(super::render(&fixtures::job())).unwrap();
        assert_eq!(
            text.matches('\u{c}').count(),
            2,
            "three pages, two separators"
        );
        assert!(text.starts_with("Quarterly Report\n\n"));
        assert!(text.ends_with("1. Only one item\u{c}\n"));
    }

    #[test]
    fn a_translation_follows_its_page_before_the_form_feed() {
        let mut job = fixtures::job();
        job.pages[1].result.translation = Some(domain::Translation {
            language: "eng".into(),
            text: "Second page, in English.".into(),
        });
        let text = String::from_utf8(super::render(&job)).unwrap();
        let pages: Vec<&str> = text.split('\u{c}').collect();
        assert_eq!(pages.len(), 3);
        assert!(
            pages[1].ends_with("\n\n--- Translation (English) ---\n\nSecond page, in English."),
            "{:?}",
            pages[1]
        );
        assert!(!pages[0].contains("Translation"));
    }
}
