//! `csv`: the tables found on the job's pages, one after another with a blank line between
//! them; or, when there are none, one row per block.
//!
//! Without tables the columns are `page,x0,y0,x1,y1,confidence,text`: `page` is 1-based as
//! people count pages, the box is in page pixels, the confidence 0..1, and the block's lines
//! are joined with spaces so every record is one line.

use crate::export::Error;
use storage::JobView;

/// Header of the per-block form.
pub const BLOCK_HEADER: [&str; 7] = ["page", "x0", "y0", "x1", "y1", "confidence", "text"];

/// Renders the CSV.
pub fn render(view: &JobView) -> Result<Vec<u8>, Error> {
    let pages: Vec<&domain::PageResult> = view.pages.iter().map(|p| &p.result).collect();
    let tables: Vec<&domain::Table> = pages.iter().flat_map(|p| &p.tables).collect();
    if tables.is_empty() {
        let mut writer = ::csv::Writer::from_writer(Vec::new());
        writer.write_record(BLOCK_HEADER)?;
        for page in &pages {
            for block in &page.blocks {
                let text = block.text.split_whitespace().collect::<Vec<_>>().join(" ");
                if text.is_empty() {
                    continue;
                }
                let b = block.bbox;
                writer.write_record([
                    (page.index + 1).to_string(),
                    b.x0.to_string(),
                    b.y0.to_string(),
                    b.x1.to_string(),
                    b.y1.to_string(),
                    format!("{:.4}", block.confidence),
                    text,
                ])?;
            }
        }
        return into_bytes(writer);
    }
    let mut out = Vec::new();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            // The blank line between tables: spreadsheets show it as an empty row.
            out.extend_from_slice(b"\n");
        }
        let mut writer = ::csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        for row in &table.rows {
            writer.write_record(row.iter().map(|c| c.text.as_str()))?;
        }
        out.extend(into_bytes(writer)?);
    }
    Ok(out)
}

fn into_bytes(writer: ::csv::Writer<Vec<u8>>) -> Result<Vec<u8>, Error> {
    writer
        .into_inner()
        .map_err(|e| Error::Csv(::csv::Error::from(e.into_error())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures;

    #[test]
    fn tables_are_written_one_after_another() {
        let mut job = fixtures::job();
        // A second table: the first one again on page 2.
        let copy = job.pages[0].result.tables[0].clone();
        job.pages[1].result.tables.push(copy);
        let text = String::from_utf8(render(&job).unwrap()).unwrap();
        let parts: Vec<&str> = text.split("\n\n").collect();
        assert_eq!(parts.len(), 2, "{text}");
        for part in parts {
            let rows: Vec<Vec<String>> = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(part.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_owned).collect())
                .collect();
            assert_eq!(rows[0], ["Item", "Qty", "Price"]);
            assert_eq!(rows[2], ["Zürich map", "1", "12.00"]);
        }
    }

    #[test]
    fn without_tables_each_block_is_a_row() {
        let mut job = fixtures::job();
        job.pages[0].result.tables.clear();
        let bytes = render(&job).unwrap();
        let mut reader = ::csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers().unwrap(), &BLOCK_HEADER[..]);
        let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 6, "five blocks on page 1, one on page 2");
        assert_eq!(&rows[0][0], "1");
        assert_eq!(&rows[0][6], "Quarterly Report");
        assert_eq!(&rows[5][0], "2");
        assert_eq!(
            &rows[2][6],
            "1. First item 2. Second item that wraps onto a second line 3. Third | item"
        );
    }
}
