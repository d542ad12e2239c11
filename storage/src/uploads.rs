//! Reading uploads back (workers) and proving they are gone (tests).

use crate::{
    connect::Store,
    entities::uploads,
    error::{Error, Result},
};
use domain::JobId;
use sea_orm::EntityTrait;

impl Store {
    /// The uploaded bytes of a job that has not ended yet.
    pub async fn upload(&self, job: JobId) -> Result<Vec<u8>> {
        uploads::Entity::find_by_id(job.0)
            .one(&self.db)
            .await?
            .map(|row| row.data)
            .ok_or(Error::UploadGone(job))
    }

    /// Whether the job's upload is still stored.
    pub async fn has_upload(&self, job: JobId) -> Result<bool> {
        Ok(uploads::Entity::find_by_id(job.0)
            .one(&self.db)
            .await?
            .is_some())
    }
}
