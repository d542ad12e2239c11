//! Retrieval over recognised page text (tantivy). Owns the page index and snippet search used by
//! chat; it sees only `domain` types and is fed by whoever records pages, after the commit.
//!
//! Empty until chat arrives: nothing in the service depends on it yet.
