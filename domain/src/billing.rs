//! Plans, prices and the quota rule: who may spend how many credits on a file.
//!
//! Everything is counted in credits: a `cpu` page costs 1 credit by default, a `vlm` page 5, so
//! for the `cpu` tier "pages" and "credits" are the same number. Anonymous callers have a daily
//! allowance per client IP, free accounts a monthly one, paid accounts a balance of purchased
//! credits. Each plan also caps the pages of a single file. The rule here is pure; the ledger that
//! feeds it, and the lock that makes it exact under concurrency, live in `storage`.

use crate::tier::Tier;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A caller's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// No token: a daily allowance per client IP.
    Anonymous,
    /// An account without purchased credits: a monthly allowance.
    Free,
    /// An account that buys credits; its jobs are worked first.
    Paid,
}

impl Plan {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Anonymous => "anonymous",
            Plan::Free => "free",
            Plan::Paid => "paid",
        }
    }

    /// Queue priority: paid work is picked before free and anonymous work.
    pub fn priority(self) -> u8 {
        match self {
            Plan::Paid => 2,
            Plan::Free | Plan::Anonymous => 0,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "anonymous" => Ok(Plan::Anonymous),
            "free" => Ok(Plan::Free),
            "paid" => Ok(Plan::Paid),
            other => Err(format!("unknown plan '{other}' (expected free or paid)")),
        }
    }
}

/// The numbers of every plan; all configurable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    /// Credits per `cpu` page.
    pub cpu_page: u64,
    /// Credits per `vlm` page.
    pub vlm_page: u64,
    /// Anonymous: credits per client IP per UTC day.
    pub anonymous_daily: u64,
    /// Anonymous: most pages in one file.
    pub anonymous_file_pages: u32,
    /// Free: credits per account per UTC calendar month.
    pub free_monthly: u64,
    /// Free: most pages in one file.
    pub free_file_pages: u32,
    /// Paid: most pages in one file.
    pub paid_file_pages: u32,
}

impl Default for Pricing {
    fn default() -> Self {
        Pricing {
            cpu_page: 1,
            vlm_page: 5,
            anonymous_daily: 10,
            anonymous_file_pages: 5,
            free_monthly: 100,
            free_file_pages: 20,
            paid_file_pages: 500,
        }
    }
}

impl Pricing {
    /// Credits one page of a tier costs.
    pub fn page_price(&self, tier: Tier) -> u64 {
        match tier {
            Tier::Cpu => self.cpu_page,
            Tier::Vlm => self.vlm_page,
        }
    }

    /// Most pages one file may have on a plan.
    pub fn file_page_cap(&self, plan: Plan) -> u32 {
        match plan {
            Plan::Anonymous => self.anonymous_file_pages,
            Plan::Free => self.free_file_pages,
            Plan::Paid => self.paid_file_pages,
        }
    }

    /// The allowance of a period for allowance plans; `None` for paid (balance-based).
    pub fn allowance(&self, plan: Plan) -> Option<u64> {
        match plan {
            Plan::Anonymous => Some(self.anonymous_daily),
            Plan::Free => Some(self.free_monthly),
            Plan::Paid => None,
        }
    }
}

/// The ledger period a plan's allowance is counted in, for a UTC date: the day for anonymous
/// callers (`2026-11-24`), the month for accounts (`2026-11`; paid accounts spend a balance, so
/// their period only groups reports).
pub fn period(plan: Plan, year: i32, month: u32, day: u32) -> String {
    match plan {
        Plan::Anonymous => format!("{year:04}-{month:02}-{day:02}"),
        Plan::Free | Plan::Paid => format!("{year:04}-{month:02}"),
    }
}

/// Where a caller stands before a new file: what the ledger says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Allowance plans: credits used in the current period.
    Allowance {
        /// Reserved minus refunded in this period.
        used: u64,
        /// The period's allowance.
        cap: u64,
    },
    /// Paid plan: credits left to spend.
    Balance {
        /// Purchased minus reserved plus refunded.
        balance: u64,
        /// Credits spent so far (reserved minus refunded, all time).
        spent: u64,
    },
}

/// Why a file cannot be accepted: the 402 body's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExceeded {
    /// What ran out, in words.
    pub reason: String,
    /// Used amount (credits, or the file's pages for the per-file cap).
    pub used: u64,
    /// The cap it ran into (credits, or pages for the per-file cap).
    pub cap: u64,
}

/// Decides whether a file of `pages` pages on `tier` may be accepted; returns its cost.
///
/// The per-file page cap is checked first (its `used`/`cap` are pages); then the allowance
/// (`used` credits so far plus this file would exceed `cap`) or the balance (`used` is what the
/// file costs, `cap` what is left).
pub fn quote(
    pricing: &Pricing,
    plan: Plan,
    standing: Standing,
    tier: Tier,
    pages: u32,
) -> Result<u64, QuotaExceeded> {
    let file_cap = pricing.file_page_cap(plan);
    if pages > file_cap {
        return Err(QuotaExceeded {
            reason: format!(
                "this file has {pages} pages; the {plan} plan allows at most {file_cap} pages per file"
            ),
            used: u64::from(pages),
            cap: u64::from(file_cap),
        });
    }
    let cost = u64::from(pages) * pricing.page_price(tier);
    match standing {
        Standing::Allowance { used, cap } => {
            if used + cost > cap {
                let period = if plan == Plan::Anonymous {
                    "daily"
                } else {
                    "monthly"
                };
                return Err(QuotaExceeded {
                    reason: format!(
                        "{period} allowance exhausted: {used} of {cap} credits used, this file needs {cost}"
                    ),
                    used,
                    cap,
                });
            }
        }
        Standing::Balance { balance, .. } => {
            if cost > balance {
                return Err(QuotaExceeded {
                    reason: format!("not enough credits: this file needs {cost}, {balance} left"),
                    used: cost,
                    cap: balance,
                });
            }
        }
    }
    Ok(cost)
}

/// Refuses a caller who could not pay for even the cheapest file (one `cpu` page), so a submit
/// can be answered `402` before its upload is read or inspected: an exhausted allowance or
/// balance must not buy free use of the upload path. What a file really costs is decided by
/// [`quote`] once its pages are known.
pub fn exhausted(pricing: &Pricing, plan: Plan, standing: Standing) -> Option<QuotaExceeded> {
    let cheapest = pricing.page_price(Tier::Cpu);
    match standing {
        Standing::Allowance { used, cap } if used + cheapest > cap => {
            let period = if plan == Plan::Anonymous {
                "daily"
            } else {
                "monthly"
            };
            Some(QuotaExceeded {
                reason: format!("{period} allowance exhausted: {used} of {cap} credits used"),
                used,
                cap,
            })
        }
        Standing::Balance { balance, .. } if balance < cheapest => Some(QuotaExceeded {
            reason: format!("no credits left: a page costs at least {cheapest}, {balance} left"),
            used: cheapest,
            cap: balance,
        }),
        Standing::Allowance { .. } | Standing::Balance { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausted_means_not_even_one_cpu_page_fits() {
        let p = Pricing::default();
        for (name, plan, standing, refused) in [
            (
                "allowance with room",
                Plan::Anonymous,
                Standing::Allowance { used: 9, cap: 10 },
                None,
            ),
            (
                "allowance used up",
                Plan::Anonymous,
                Standing::Allowance { used: 10, cap: 10 },
                Some(("daily allowance exhausted: 10 of 10 credits used", 10, 10)),
            ),
            (
                "over-used (a concurrent submit) is still exhausted",
                Plan::Free,
                Standing::Allowance {
                    used: 104,
                    cap: 100,
                },
                Some((
                    "monthly allowance exhausted: 104 of 100 credits used",
                    104,
                    100,
                )),
            ),
            (
                "balance of one page",
                Plan::Paid,
                Standing::Balance {
                    balance: 1,
                    spent: 0,
                },
                None,
            ),
            (
                "empty balance",
                Plan::Paid,
                Standing::Balance {
                    balance: 0,
                    spent: 7,
                },
                Some(("no credits left: a page costs at least 1, 0 left", 1, 0)),
            ),
        ] {
            let got = exhausted(&p, plan, standing);
            let expected = refused.map(|(reason, used, cap)| QuotaExceeded {
                reason: reason.to_owned(),
                used,
                cap,
            });
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn quotes() {
        let p = Pricing::default();
        let allowance = |used| Standing::Allowance { used, cap: 10 };
        for (name, plan, standing, tier, pages, expected) in [
            (
                "fits the allowance",
                Plan::Anonymous,
                allowance(5),
                Tier::Cpu,
                5,
                Ok(5),
            ),
            (
                "exactly fills it",
                Plan::Anonymous,
                allowance(9),
                Tier::Cpu,
                1,
                Ok(1),
            ),
            (
                "one page over",
                Plan::Anonymous,
                allowance(10),
                Tier::Cpu,
                1,
                Err((10, 10)),
            ),
            (
                "file over the per-file cap",
                Plan::Anonymous,
                allowance(0),
                Tier::Cpu,
                6,
                Err((6, 5)),
            ),
            (
                "vlm costs five a page",
                Plan::Free,
                Standing::Allowance { used: 0, cap: 100 },
                Tier::Vlm,
                3,
                Ok(15),
            ),
            (
                "paid within balance",
                Plan::Paid,
                Standing::Balance {
                    balance: 7,
                    spent: 0,
                },
                Tier::Cpu,
                7,
                Ok(7),
            ),
            (
                "paid over balance",
                Plan::Paid,
                Standing::Balance {
                    balance: 7,
                    spent: 0,
                },
                Tier::Cpu,
                8,
                Err((8, 7)),
            ),
        ] {
            let got = quote(&p, plan, standing, tier, pages).map_err(|e| (e.used, e.cap));
            assert_eq!(got, expected, "case: {name}");
        }
    }
}
