//! `GET /healthz`: liveness plus a database round trip.

use super::ApiTags;
use crate::app::AppState;
use poem::web::Data;
use poem_openapi::{payload::Json, ApiResponse, Object, OpenApi};
use std::sync::Arc;

/// Health of the service and its database.
#[derive(Debug, Object)]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: String,
    /// Whether a database round trip succeeded.
    pub database: bool,
}

/// Health answers.
#[derive(ApiResponse)]
pub enum HealthResponse {
    /// Everything answers.
    #[oai(status = 200)]
    Ok(Json<Health>),
    /// The database does not answer.
    #[oai(status = 503)]
    Degraded(Json<Health>),
}

/// Health endpoints.
pub struct HealthApi;

#[OpenApi]
impl HealthApi {
    /// Reports whether the service and its database answer.
    #[oai(
        path = "/healthz",
        method = "get",
        tag = "ApiTags::Health",
        operation_id = "health"
    )]
    async fn healthz(&self, state: Data<&Arc<AppState>>) -> HealthResponse {
        match state.store.ping().await {
            Ok(()) => HealthResponse::Ok(Json(Health {
                status: "ok".into(),
                database: true,
            })),
            Err(_) => HealthResponse::Degraded(Json(Health {
                status: "degraded".into(),
                database: false,
            })),
        }
    }
}
