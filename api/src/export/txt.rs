//! `txt`: the job's text, pages separated by form feeds (the job JSON's `text`), ending in a
//! newline as text files do.

use domain::markdown;
use storage::JobView;

/// Renders the plain text.
pub fn render(view: &JobView) -> Vec<u8> {
    let mut text = markdown::job_text(view.pages.iter().map(|p| &p.result));
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
}
