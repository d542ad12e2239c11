//! `json`: the job object, exactly as `GET /api/v1/ocr/<uuid>/` returns it, pretty-printed.

use crate::{export::Error, views::JobObject};
use poem_openapi::types::ToJSON;
use storage::JobView;

/// Renders the job object.
pub fn render(view: &JobView) -> Result<Vec<u8>, Error> {
    let value = JobObject::from(view).to_json().unwrap_or_default();
    let mut out = serde_json::to_vec_pretty(&value)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::export::fixtures;

    #[test]
    fn the_download_is_the_job_object() {
        let bytes = super::render(&fixtures::job()).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["status"], "done");
        assert_eq!(value["pages"].as_array().unwrap().len(), 3);
        assert_eq!(
            value["pages"][0]["tables"][0]["rows"][2][0]["text"],
            "Zürich map"
        );
    }
}
