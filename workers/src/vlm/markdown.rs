//! The vision model's Markdown, cut into the blocks and lines a page result is made of.
//!
//! A block is a heading, a paragraph, a list, a table or a display formula: what the model
//! separated with blank lines or Markdown structure. Lines keep the model's line breaks; a
//! table's lines are its rows. The text of a line is what a reader sees: heading marks,
//! emphasis and table pipes are dropped (cells are joined by ` | `), LaTeX is kept as written.

/// What a block is, as the model's Markdown says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `#` … `######`.
    Heading,
    /// Running text (also list items, quotes and formulas).
    Text,
    /// A Markdown table; each line is a row.
    Table,
}

/// One block of the model's transcription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdBlock {
    /// What the block is.
    pub kind: Kind,
    /// Its lines as plain text, in order; never empty.
    pub lines: Vec<String>,
}

/// Removes a fence the model may have wrapped its whole answer in (```` ```markdown ````).
pub fn unwrap_fence(markdown: &str) -> &str {
    let trimmed = markdown.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let Some(body) = rest.strip_suffix("```") else {
        return trimmed;
    };
    // The opening fence's info string (`markdown`, `md`) runs to the end of its line.
    match body.split_once('\n') {
        Some((info, content)) if !info.contains(' ') => content.trim(),
        _ => trimmed,
    }
}

/// Cuts Markdown into blocks (see the module docs).
pub fn parse(markdown: &str) -> Vec<MdBlock> {
    let mut blocks: Vec<MdBlock> = Vec::new();
    let mut current: Option<MdBlock> = None;
    let flush = |current: &mut Option<MdBlock>, blocks: &mut Vec<MdBlock>| {
        if let Some(block) = current.take() {
            if !block.lines.is_empty() {
                blocks.push(block);
            }
        }
    };
    for raw in unwrap_fence(markdown).lines() {
        let line = raw.trim();
        if line.is_empty() || is_rule(line) {
            flush(&mut current, &mut blocks);
            continue;
        }
        if line.starts_with('|') {
            if is_table_separator(line) {
                continue;
            }
            if current.as_ref().is_some_and(|b| b.kind != Kind::Table) {
                flush(&mut current, &mut blocks);
            }
            let row = table_row(line);
            if !row.is_empty() {
                current
                    .get_or_insert_with(|| MdBlock {
                        kind: Kind::Table,
                        lines: Vec::new(),
                    })
                    .lines
                    .push(row);
            }
            continue;
        }
        if let Some(heading) = heading_text(line) {
            flush(&mut current, &mut blocks);
            let text = inline_text(heading);
            if !text.is_empty() {
                blocks.push(MdBlock {
                    kind: Kind::Heading,
                    lines: vec![text],
                });
            }
            continue;
        }
        if current.as_ref().is_some_and(|b| b.kind != Kind::Text) {
            flush(&mut current, &mut blocks);
        }
        let text = inline_text(line);
        if !text.is_empty() {
            current
                .get_or_insert_with(|| MdBlock {
                    kind: Kind::Text,
                    lines: Vec::new(),
                })
                .lines
                .push(text);
        }
    }
    flush(&mut current, &mut blocks);
    blocks
}

/// The text of a heading line, or `None` if the line is not one.
fn heading_text(line: &str) -> Option<&str> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim().trim_end_matches('#').trim())
}

/// `---`, `***`, `___`: a thematic break, not text.
fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && (compact.chars().all(|c| c == '-')
            || compact.chars().all(|c| c == '*')
            || compact.chars().all(|c| c == '_'))
}

/// `|---|:--:|`: the line under a table's header.
fn is_table_separator(line: &str) -> bool {
    line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// A table row's cells joined by ` | ` (empty cells kept, so columns stay countable).
fn table_row(line: &str) -> String {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let cells: Vec<String> = inner.split('|').map(|c| inline_text(c.trim())).collect();
    if cells.iter().all(String::is_empty) {
        return String::new();
    }
    cells.join(" | ")
}

/// A line without inline Markdown that is not text: emphasis markers, images, HTML breaks,
/// link targets. List markers, quote marks and LaTeX stay (they are part of what was written).
fn inline_text(line: &str) -> String {
    let mut text = line.replace("**", "").replace("__", "");
    for tag in ["<br>", "<br/>", "<br />"] {
        text = text.replace(tag, " ");
    }
    // `![alt](src)` → nothing; `[text](href)` → text.
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else {
            break;
        };
        let is_image = open > 0 && rest[..open].ends_with('!');
        let before = if is_image {
            &rest[..open - 1]
        } else {
            &rest[..open]
        };
        out.push_str(before);
        if !is_image {
            out.push_str(&rest[open + 1..close]);
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_blocks_of_plain_lines() {
        let md = "```markdown\n# INVOICE\n\n**Acme Corp**\n12 Main Street\n\n\
                  | Item | Qty |\n|---|:-:|\n| Paper | 2 |\n| Ink |  |\n\n\
                  - first\n- second\n\n---\n\n$$E = mc^2$$\n![logo](x.png) Total: 5\n```";
        let blocks = parse(md);
        let simple: Vec<(Kind, Vec<&str>)> = blocks
            .iter()
            .map(|b| (b.kind, b.lines.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            simple,
            vec![
                (Kind::Heading, vec!["INVOICE"]),
                (Kind::Text, vec!["Acme Corp", "12 Main Street"]),
                (Kind::Table, vec!["Item | Qty", "Paper | 2", "Ink | "]),
                (Kind::Text, vec!["- first", "- second"]),
                (Kind::Text, vec!["$$E = mc^2$$", "Total: 5"]),
            ]
        );
    }

    #[test]
    fn a_fence_is_removed_only_around_the_whole_answer() {
        assert_eq!(unwrap_fence("```md\nHello\n```"), "Hello");
        assert_eq!(unwrap_fence("Hello ```x```"), "Hello ```x```");
        assert_eq!(
            inline_text("see [the site](http://x) now"),
            "see the site now"
        );
        assert_eq!(heading_text("#hashtag"), None);
    }
}
