//! The passage index on disk: idempotent writes, job isolation, erasure, ranking, reopening.

use domain::{JobId, PageIndex};
use search::{Index, PageText};

/// A corpus file: `$OCRCHAT_CORPUS`, else `../shared/corpus` beside the workspace.
fn corpus(name: &str) -> String {
    let dir = std::env::var("OCRCHAT_CORPUS")
        .unwrap_or_else(|_| format!("{}/../../shared/corpus", env!("CARGO_MANIFEST_DIR")));
    std::fs::read_to_string(format!("{dir}/{name}"))
        .unwrap_or_else(|e| panic!("corpus file {dir}/{name} (set OCRCHAT_CORPUS): {e}"))
}

/// The two pages of the typewritten letter, as OCR would give them.
fn letter() -> Vec<PageText> {
    corpus("en_typewritten_letter_2p.gt.txt")
        .split('\u{c}')
        .enumerate()
        .map(|(i, text)| PageText {
            page: PageIndex(i as u32),
            text: text.to_owned(),
            language: "eng".into(),
        })
        .collect()
}

fn job(n: u128) -> JobId {
    JobId(uuid::Uuid::from_u128(n))
}

#[test]
fn indexing_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(dir.path(), None).unwrap();
    let pages = letter();
    index.index_job(job(1), 5, &pages).unwrap();
    let count = index.passage_count(job(1)).unwrap();
    assert!(
        count > 4,
        "a two-page letter makes several passages: {count}"
    );
    index.index_job(job(1), 5, &pages).unwrap();
    assert_eq!(index.passage_count(job(1)).unwrap(), count);
    index.index_page(job(1), &pages[1]).unwrap();
    index.index_page(job(1), &pages[1]).unwrap();
    assert_eq!(
        index.passage_count(job(1)).unwrap(),
        count,
        "page keys replace"
    );
    assert_eq!(index.indexed_version(job(1)).unwrap(), Some(5));
    assert_eq!(index.indexed_version(job(2)).unwrap(), None);
}

#[test]
fn retrieval_ranks_the_page_that_answers_and_stays_in_its_job() {
    let index = Index::in_memory(None).unwrap();
    index.index_job(job(1), 3, &letter()).unwrap();
    let receipt = PageText {
        page: PageIndex(0),
        text: corpus("en_receipt_02.gt.txt"),
        language: "eng".into(),
    };
    index.index_job(job(2), 3, &[receipt]).unwrap();

    let hits = index
        .search(
            job(1),
            "How many Austrian shillings did the Pesach distribution cost?",
            5,
        )
        .unwrap();
    assert!(!hits.is_empty());
    let best = &hits[0].passage;
    assert_eq!(best.page, PageIndex(1), "the Pesach paragraph is on page 2");
    assert!(best.text.contains("Pesach"), "{best:?}");
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));

    // Offsets select the passage in its page.
    let pages = letter();
    for hit in &hits {
        let page: Vec<char> = pages[hit.passage.page.0 as usize].text.chars().collect();
        let slice: String = page[hit.passage.start..hit.passage.end].iter().collect();
        assert_eq!(slice, hit.passage.text);
    }

    // Stemming: "refugee" finds "Refugees".
    let hits = index.search(job(1), "refugee", 3).unwrap();
    assert!(hits[0].passage.text.contains("Refugees"), "{hits:?}");

    // The receipt's words are not in the letter's job, and the other way round.
    assert!(index
        .search(job(1), "APPALAM CASHIER", 5)
        .unwrap()
        .is_empty());
    let total = index.search(job(2), "What is the net total?", 5).unwrap();
    assert!(total[0].passage.text.contains("NET TOTAL"), "{total:?}");
    assert!(index.search(job(2), "Burgenland", 5).unwrap().is_empty());

    // Only stop words, or words nowhere in the job: nothing.
    assert!(index.search(job(1), "What is it?", 5).unwrap().is_empty());
    assert!(index
        .search(job(1), "airspeed velocity of an unladen swallow", 5)
        .unwrap()
        .is_empty());
}

#[test]
fn erasing_a_job_removes_every_passage_and_its_version() {
    let index = Index::in_memory(None).unwrap();
    index.index_job(job(1), 3, &letter()).unwrap();
    index.index_job(job(2), 3, &letter()).unwrap();
    index.delete_job(job(1)).unwrap();
    assert_eq!(index.passage_count(job(1)).unwrap(), 0);
    assert_eq!(index.indexed_version(job(1)).unwrap(), None);
    assert!(index.search(job(1), "Burgenland", 5).unwrap().is_empty());
    assert!(!index.search(job(2), "Burgenland", 5).unwrap().is_empty());
    index.delete_job(job(99)).unwrap();
}

#[test]
fn the_index_survives_a_reopen_and_refuses_a_second_writer() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = Index::open(dir.path(), None).unwrap();
        index.index_job(job(1), 7, &letter()).unwrap();
        assert!(matches!(
            Index::open(dir.path(), None),
            Err(search::Error::Locked(_))
        ));
    }
    let index = Index::open(dir.path(), None).unwrap();
    assert_eq!(index.indexed_version(job(1)).unwrap(), Some(7));
    assert!(!index.search(job(1), "Burgenland", 3).unwrap().is_empty());
}

#[test]
fn german_pages_are_stemmed_as_german() {
    let index = Index::in_memory(None).unwrap();
    let page = PageText {
        page: PageIndex(0),
        text: corpus("de_print_antiqua_01.gt.txt"),
        language: "deu".into(),
    };
    index
        .index_job(job(3), 1, std::slice::from_ref(&page))
        .unwrap();
    // Pick a long word of the page and ask for an inflected form the neutral field cannot match.
    let words: Vec<String> = page
        .text
        .split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
        .collect();
    let word = page
        .text
        .split(|c: char| !c.is_alphabetic())
        .find(|w| {
            w.len() > 8
                && w.ends_with("en")
                && !words.contains(&format!("{}e", &w[..w.len() - 2]).to_lowercase())
        })
        .expect("a long German word ending in -en whose -e form is not on the page");
    let stem = &word[..word.len() - 2];
    let hits = index.search(job(3), &format!("{stem}e"), 3).unwrap();
    assert!(
        hits.iter().any(|h| h.passage.text.contains(word)),
        "{word} via {stem}e: {hits:?}"
    );
}
