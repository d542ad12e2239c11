//! `GET /api/v1/account/`: where the caller stands (plan, usage, caps).

use super::ApiTags;
use crate::{app::AppState, auth::Credentials, error::ApiError};
use domain::Tier;
use poem::{web::Data, Request};
use poem_openapi::{payload::Json, Object, OpenApi};
use std::sync::Arc;

/// Credits one page costs, per tier.
#[derive(Debug, Clone, Object)]
pub struct PagePrices {
    /// Credits per `cpu` page.
    pub cpu: u64,
    /// Credits per `vlm` page.
    pub vlm: u64,
}

/// The caller's plan and usage in the current period. All amounts are credits; a `cpu` page
/// costs one.
#[derive(Debug, Clone, Object)]
pub struct AccountObject {
    /// `anonymous` (no token: metered per client IP per UTC day), `free` (monthly allowance) or
    /// `paid` (purchased credits, priority processing).
    pub plan: String,
    /// The account's email (absent for anonymous callers).
    #[oai(skip_serializing_if_is_none)]
    pub email: Option<String>,
    /// The current period: a UTC day (`2026-11-24`) for anonymous callers, a UTC month
    /// (`2026-11`) for accounts.
    pub period: String,
    /// Credits used in the current period.
    pub used: u64,
    /// The period's allowance; absent for paid accounts, whose balance is the limit.
    #[oai(skip_serializing_if_is_none)]
    pub cap: Option<u64>,
    /// Credits that can still be spent: allowance left, or the paid balance.
    pub remaining: u64,
    /// Paid accounts: purchased credits not yet spent (same as `remaining`).
    #[oai(skip_serializing_if_is_none)]
    pub balance: Option<u64>,
    /// Most pages one file may have on this plan.
    pub file_page_cap: u32,
    /// What a page costs.
    pub credits_per_page: PagePrices,
}

/// Account endpoints.
pub struct AccountApi;

#[OpenApi]
impl AccountApi {
    /// Returns the caller's plan, usage and caps for the current period (for anonymous callers:
    /// the allowance of their IP address).
    #[oai(
        path = "/api/v1/account/",
        method = "get",
        tag = "ApiTags::Account",
        operation_id = "get_account"
    )]
    async fn account(
        &self,
        req: &Request,
        state: Data<&Arc<AppState>>,
        credentials: Credentials,
    ) -> Result<Json<AccountObject>, ApiError> {
        let caller = state.caller(&credentials, req).await?;
        let plan = caller.plan();
        let pricing = &state.config.pricing;
        let usage = state.store.usage(&caller.subject(), plan, pricing).await?;
        let email = match &caller {
            crate::auth::Caller::Account(id, _) => Some(state.store.account(*id).await?.email),
            crate::auth::Caller::Anonymous { .. } => None,
        };
        Ok(Json(AccountObject {
            plan: plan.as_str().to_owned(),
            email,
            period: usage.period,
            used: usage.used,
            cap: usage.cap,
            remaining: usage.remaining,
            balance: usage.cap.is_none().then_some(usage.remaining),
            file_page_cap: pricing.file_page_cap(plan),
            credits_per_page: PagePrices {
                cpu: pricing.page_price(Tier::Cpu),
                vlm: pricing.page_price(Tier::Vlm),
            },
        }))
    }
}
