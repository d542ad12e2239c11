//! Compressed page images, kept for exports after the upload is gone.

use crate::{connect::Store, error::Result};
use domain::JobId;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// One stored page image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageImageBlob {
    /// 0-based page index.
    pub index: u32,
    /// `image/jpeg` or `image/png`.
    pub mime: String,
    /// Width in pixels (the frame of the page's boxes).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Resolution the image represents.
    pub dpi: u32,
    /// The encoded image.
    pub data: Vec<u8>,
}

fn stmt(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

impl Store {
    /// Stores (or replaces) a page's image. Written before the page's event: a retried page
    /// overwrites it, and an image without an event is simply replaced on the next attempt.
    pub async fn put_page_image(&self, job: JobId, image: &PageImageBlob) -> Result<()> {
        self.db
            .execute(stmt(
                "INSERT INTO page_images (job_id, idx, mime, width, height, dpi, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (job_id, idx) DO UPDATE SET mime = EXCLUDED.mime, \
                   width = EXCLUDED.width, height = EXCLUDED.height, dpi = EXCLUDED.dpi, \
                   data = EXCLUDED.data",
                vec![
                    job.0.into(),
                    (image.index as i32).into(),
                    image.mime.clone().into(),
                    (image.width as i32).into(),
                    (image.height as i32).into(),
                    (image.dpi as i32).into(),
                    image.data.clone().into(),
                ],
            ))
            .await?;
        Ok(())
    }

    /// A page's stored image, if any.
    pub async fn page_image(&self, job: JobId, index: u32) -> Result<Option<PageImageBlob>> {
        let row = self
            .db
            .query_one(stmt(
                "SELECT mime, width, height, dpi, data FROM page_images WHERE job_id = $1 AND idx = $2",
                vec![job.0.into(), (index as i32).into()],
            ))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(PageImageBlob {
            index,
            mime: row.try_get_by_index(0)?,
            width: row.try_get_by_index::<i32>(1)?.max(0) as u32,
            height: row.try_get_by_index::<i32>(2)?.max(0) as u32,
            dpi: row.try_get_by_index::<i32>(3)?.max(0) as u32,
            data: row.try_get_by_index(4)?,
        }))
    }
}
