//! Accounts and their API tokens.
//!
//! A token reads `ocr_<token id>_<secret>`. Only SHA-256 of the secret is stored; a presented
//! token is found by its id and its secret hash compared in constant time, so neither the
//! database contents nor response timing reveal a usable secret.

use crate::{
    connect::Store,
    entities::{accounts, api_tokens},
    error::{Error, Result},
};
use chrono::Utc;
use domain::{billing::Plan, AccountId};
use rand::RngCore;
use sea_orm::{sea_query::Expr, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Prefix that makes ocrchat tokens recognisable (e.g. to secret scanners).
const TOKEN_PREFIX: &str = "ocr_";

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account.
    pub id: AccountId,
    /// Its unique email.
    pub email: String,
    /// Its plan.
    pub plan: Plan,
}

fn account_from(row: accounts::Model) -> Account {
    Account {
        id: AccountId(row.id),
        email: row.email,
        // The column only ever holds values written from `Plan::as_str`.
        plan: row.plan.parse().unwrap_or(Plan::Free),
    }
}

/// A freshly created token: the only time its secret is visible.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token's id (safe to log).
    pub id: Uuid,
    /// The full token to hand to the user.
    pub token: String,
}

fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Splits `ocr_<uuid>_<secret>`; `None` when the shape is wrong.
fn parse_token(token: &str) -> Option<(Uuid, &str)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    Some((Uuid::parse_str(id).ok()?, secret))
}

impl Store {
    /// Creates an account on a plan; an email already in use is `Error::EmailTaken`.
    pub async fn create_account(&self, email: &str, plan: Plan) -> Result<Account> {
        let id = Uuid::now_v7();
        let email = email.trim().to_lowercase();
        let result = accounts::Entity::insert(accounts::ActiveModel {
            id: Set(id),
            email: Set(email.clone()),
            created_at: Set(Utc::now().fixed_offset()),
            plan: Set(plan.as_str().to_owned()),
            webhook_secret: Set({
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                hex::encode(bytes)
            }),
        })
        .exec_without_returning(&self.db)
        .await;
        match result {
            Ok(_) => Ok(Account {
                id: AccountId(id),
                email,
                plan,
            }),
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(Error::EmailTaken(email))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Finds an account by email.
    pub async fn account_by_email(&self, email: &str) -> Result<Account> {
        let email = email.trim().to_lowercase();
        accounts::Entity::find()
            .filter(accounts::Column::Email.eq(email.clone()))
            .one(&self.db)
            .await?
            .map(account_from)
            .ok_or(Error::AccountNotFound(email))
    }

    /// Finds an account by id.
    pub async fn account(&self, id: AccountId) -> Result<Account> {
        accounts::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(account_from)
            .ok_or(Error::AccountNotFound(id.to_string()))
    }

    /// The secret an account's webhooks are signed with (HMAC-SHA256).
    pub async fn webhook_secret(&self, id: AccountId) -> Result<String> {
        accounts::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(|row| row.webhook_secret)
            .ok_or(Error::AccountNotFound(id.to_string()))
    }

    /// Replaces an account's webhook secret with a fresh random one and returns it.
    pub async fn rotate_webhook_secret(&self, id: AccountId) -> Result<String> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = hex::encode(bytes);
        let res = accounts::Entity::update_many()
            .col_expr(accounts::Column::WebhookSecret, Expr::value(secret.clone()))
            .filter(accounts::Column::Id.eq(id.0))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Err(Error::AccountNotFound(id.to_string()));
        }
        Ok(secret)
    }

    /// Moves an account to another plan.
    pub async fn set_plan(&self, id: AccountId, plan: Plan) -> Result<()> {
        self.auth_cache.clear();
        let res = accounts::Entity::update_many()
            .col_expr(accounts::Column::Plan, Expr::value(plan.as_str()))
            .filter(accounts::Column::Id.eq(id.0))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            return Err(Error::AccountNotFound(id.to_string()));
        }
        Ok(())
    }

    /// Issues a new token for an account.
    pub async fn create_token(&self, account: AccountId) -> Result<IssuedToken> {
        let id = Uuid::new_v4();
        let mut secret_bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret_bytes);
        let secret = hex::encode(secret_bytes);
        api_tokens::Entity::insert(api_tokens::ActiveModel {
            id: Set(id),
            account_id: Set(account.0),
            secret_hash: Set(hash_secret(&secret)),
            created_at: Set(Utc::now().fixed_offset()),
            revoked_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await?;
        Ok(IssuedToken {
            id,
            token: format!("{TOKEN_PREFIX}{}_{secret}", id.simple()),
        })
    }

    /// The account a presented token belongs to; `None` for unknown, malformed or revoked tokens.
    ///
    /// A token authenticated in the last two seconds is not looked up again (see
    /// `auth_cache`); revocations through this `Store` apply at once.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Account>> {
        if let Some(account) = self.auth_cache.get(token.trim()) {
            return Ok(Some(account));
        }
        let account = self.authenticate_uncached(token).await?;
        if let Some(account) = &account {
            self.auth_cache.put(token.trim(), account);
        }
        Ok(account)
    }

    async fn authenticate_uncached(&self, token: &str) -> Result<Option<Account>> {
        let Some((id, secret)) = parse_token(token.trim()) else {
            return Ok(None);
        };
        let Some(row) = api_tokens::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        let matches: bool = hash_secret(secret).ct_eq(&row.secret_hash).into();
        if !matches || row.revoked_at.is_some() {
            return Ok(None);
        }
        Ok(accounts::Entity::find_by_id(row.account_id)
            .one(&self.db)
            .await?
            .map(account_from))
    }

    /// Issues a new token and revokes every other live token of the account, in that order, so
    /// the account is never without a working token.
    pub async fn rotate_token(&self, account: AccountId) -> Result<IssuedToken> {
        self.auth_cache.clear();
        let issued = self.create_token(account).await?;
        api_tokens::Entity::update_many()
            .col_expr(
                api_tokens::Column::RevokedAt,
                Expr::value(Utc::now().fixed_offset()),
            )
            .filter(api_tokens::Column::AccountId.eq(account.0))
            .filter(api_tokens::Column::Id.ne(issued.id))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(issued)
    }

    /// Revokes every live token of an account; returns how many were revoked.
    pub async fn revoke_tokens(&self, account: AccountId) -> Result<u64> {
        self.auth_cache.clear();
        let res = api_tokens::Entity::update_many()
            .col_expr(
                api_tokens::Column::RevokedAt,
                Expr::value(Utc::now().fixed_offset()),
            )
            .filter(api_tokens::Column::AccountId.eq(account.0))
            .filter(api_tokens::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape_parses() {
        let id = Uuid::new_v4();
        let token = format!("ocr_{}_abc123", id.simple());
        assert_eq!(parse_token(&token), Some((id, "abc123")));
        assert_eq!(parse_token("ocr_nope"), None);
        assert_eq!(parse_token("Bearer x"), None);
    }
}
