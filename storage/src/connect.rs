//! Connecting: create the database if missing, run migrations, hand out a `Store`.

use crate::error::Result;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use std::time::Duration;

/// What `storage` needs from the configuration.
#[derive(Debug, Clone)]
pub struct Options {
    /// `postgres://user@host:port/dbname`.
    pub database_url: String,
    /// Pool size.
    pub max_connections: u32,
}

impl Options {
    /// Options for a URL with a pool size that suits one process.
    pub fn new(database_url: impl Into<String>) -> Self {
        Options {
            database_url: database_url.into(),
            max_connections: 16,
        }
    }
}

/// A handle on the database: cheap to clone, shared by the API and workers of one process.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    pub(crate) url: String,
    pub(crate) auth_cache: crate::auth_cache::AuthCache,
}

impl Store {
    /// Connects, creating the database when it does not exist yet, and runs pending migrations.
    pub async fn connect(options: &Options) -> Result<Store> {
        create_database_if_missing(&options.database_url).await?;
        let mut opts = ConnectOptions::new(options.database_url.clone());
        opts.max_connections(options.max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        let db = Database::connect(opts).await?;
        Migrator::up(&db, None).await?;
        Ok(Store {
            db,
            url: options.database_url.clone(),
            auth_cache: Default::default(),
        })
    }

    /// The underlying connection, for the few places that need raw SQL (tests, replay).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The URL this store connected to (the LISTEN connection opens its own).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A trivial query, for health checks.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// Closes the pool (tests call this before dropping their database).
    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        Ok(())
    }
}

/// Splits `postgres://…/name?params` into the server URL (pointing at the `postgres` maintenance
/// database) and the database name.
pub(crate) fn split_database_url(url: &str) -> Option<(String, String)> {
    let parsed = url::Url::parse(url).ok()?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return None;
    }
    let mut admin = parsed.clone();
    admin.set_path("/postgres");
    Some((admin.to_string(), name))
}

async fn create_database_if_missing(url: &str) -> Result<()> {
    let Some((admin_url, name)) = split_database_url(url) else {
        return Ok(());
    };
    let mut opts = ConnectOptions::new(admin_url);
    opts.max_connections(1).sqlx_logging(false);
    let admin = Database::connect(opts).await?;
    let exists = admin
        .query_one(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await?
        .is_some();
    if !exists {
        // Identifiers cannot be bound as parameters; quote it, doubling embedded quotes.
        let quoted = name.replace('"', "\"\"");
        let result = admin
            .execute_unprepared(&format!("CREATE DATABASE \"{quoted}\""))
            .await;
        // Two processes starting together may race to create it; losing that race is fine.
        if let Err(err) = result {
            if !err.to_string().contains("already exists") {
                return Err(err.into());
            }
        }
        tracing::info!(database = %name, "created database");
    }
    admin.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_splits_into_admin_url_and_name() {
        assert_eq!(
            split_database_url("postgres://postgres@127.0.0.1:5432/ocrchat?sslmode=disable"),
            Some((
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned(),
                "ocrchat".to_owned()
            ))
        );
        assert_eq!(split_database_url("postgres://127.0.0.1:5432"), None);
    }
}
