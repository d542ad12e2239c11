//! The one configuration struct, read from environment variables once, in `main`.
//!
//! Every field has a default that works on a developer machine (local Postgres and Redis, the
//! cache directory the install script fills). A variable that is set but unparsable is an error,
//! never a silent default.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// A variable that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    reason: String,
}

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address of the HTTP API (`OCRCHAT_ADDR`).
    pub addr: SocketAddr,
    /// Postgres URL (`DATABASE_URL`); the database is created if missing.
    pub database_url: String,
    /// Redis URL (`REDIS_URL`).
    pub redis_url: String,
    /// Prefix of every Redis key and queue name (`OCRCHAT_REDIS_NAMESPACE`), so several
    /// deployments (or tests) can share one Redis.
    pub redis_namespace: String,
    /// Path of `libpdfium.so` (`OCRCHAT_PDFIUM_LIB`).
    pub pdfium_lib: PathBuf,
    /// Tesseract's traineddata directory (`OCRCHAT_TESSDATA`).
    pub tessdata: PathBuf,
    /// Upload and page limits.
    pub limits: Limits,
    /// Worker tuning.
    pub worker: WorkerConfig,
}

/// Limits on what a request may ask for.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted upload in bytes (`OCRCHAT_MAX_UPLOAD_BYTES`, default 50 MB).
    pub max_upload_bytes: u64,
    /// Most pages any file may have on this server (`OCRCHAT_MAX_PAGES`, default 2000).
    pub max_pages: u32,
    /// Largest decoded page, in pixels (`OCRCHAT_MAX_PAGE_PIXELS`, default 100 million).
    pub max_page_pixels: u64,
    /// Files with at most this many pages are answered inline (`OCRCHAT_INLINE_PAGES`, default 5).
    pub inline_pages: u32,
    /// How long an inline request waits before answering with the job as it stands
    /// (`OCRCHAT_INLINE_WAIT_SECS`, default 120).
    pub inline_wait: Duration,
}

/// How workers run.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Tesseract threads per process (`OCRCHAT_OCR_THREADS`, default: number of cores).
    pub ocr_threads: usize,
    /// Jobs one process works on at once (`OCRCHAT_WORKER_CONCURRENCY`, default 2).
    pub concurrency: usize,
    /// Delivery attempts per job before it is failed (`OCRCHAT_JOB_ATTEMPTS`, default 3).
    pub attempts: u32,
    /// Extra attempts for runs cut short by a killed worker (`OCRCHAT_MAX_INTERRUPTED`,
    /// default 10): bounds a file that crashes every worker touching it.
    pub max_interrupted: u32,
    /// Worker heartbeat (`OCRCHAT_HEARTBEAT_SECS`, default 5); a worker silent for three beats
    /// is presumed dead and its jobs are handed to another worker.
    pub heartbeat: Duration,
    /// A pending/processing job untouched this long is re-enqueued (`OCRCHAT_STALE_AFTER_SECS`,
    /// default 300): recovers jobs whose queue message was lost (e.g. a Redis restart).
    pub stale_after: Duration,
    /// How often the stranded-job sweep runs (`OCRCHAT_SWEEP_EVERY_SECS`, default 30).
    pub sweep_every: Duration,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            reason: e.to_string(),
            value,
        }),
    }
}

/// `~/.cache/ocrchat`, or `$OCRCHAT_CACHE`: where the install script puts pdfium and models.
pub fn cache_dir() -> PathBuf {
    var("OCRCHAT_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        let home = var("HOME").unwrap_or_else(|| "/root".into());
        PathBuf::from(home).join(".cache/ocrchat")
    })
}

impl Config {
    /// Reads every `OCRCHAT_*` variable (plus `DATABASE_URL`, `REDIS_URL`).
    pub fn from_env() -> Result<Config, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Config {
            addr: parsed("OCRCHAT_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/ocrchat".into()),
            redis_url: var("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
            redis_namespace: var("OCRCHAT_REDIS_NAMESPACE").unwrap_or_else(|| "ocrchat".into()),
            pdfium_lib: var("OCRCHAT_PDFIUM_LIB")
                .map(PathBuf::from)
                .unwrap_or_else(|| cache_dir().join("pdfium-5.15.2/libpdfium.so")),
            tessdata: var("OCRCHAT_TESSDATA")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/usr/share/tesseract-ocr/5/tessdata")),
            limits: Limits {
                max_upload_bytes: parsed("OCRCHAT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)?,
                max_pages: parsed("OCRCHAT_MAX_PAGES", 2000)?,
                max_page_pixels: parsed("OCRCHAT_MAX_PAGE_PIXELS", 100_000_000)?,
                inline_pages: parsed("OCRCHAT_INLINE_PAGES", 5)?,
                inline_wait: Duration::from_secs(parsed("OCRCHAT_INLINE_WAIT_SECS", 120)?),
            },
            worker: WorkerConfig {
                ocr_threads: parsed("OCRCHAT_OCR_THREADS", cores)?.max(1),
                concurrency: parsed("OCRCHAT_WORKER_CONCURRENCY", 2)?.max(1),
                attempts: parsed("OCRCHAT_JOB_ATTEMPTS", 3)?.max(1),
                max_interrupted: parsed("OCRCHAT_MAX_INTERRUPTED", 10)?,
                heartbeat: Duration::from_secs(parsed("OCRCHAT_HEARTBEAT_SECS", 5)?.max(1)),
                stale_after: Duration::from_secs(parsed("OCRCHAT_STALE_AFTER_SECS", 300)?.max(1)),
                sweep_every: Duration::from_secs(parsed("OCRCHAT_SWEEP_EVERY_SECS", 30)?.max(1)),
            },
        })
    }

    /// The configuration with credentials in URLs masked, for the start-up log.
    pub fn redacted(&self) -> String {
        format!(
            "addr={} database_url={} redis_url={} namespace={} pdfium={} tessdata={} \
             max_upload_bytes={} max_pages={} inline_pages={} inline_wait={:?} ocr_threads={} \
             concurrency={} attempts={} heartbeat={:?}",
            self.addr,
            redact_url(&self.database_url),
            redact_url(&self.redis_url),
            self.redis_namespace,
            self.pdfium_lib.display(),
            self.tessdata.display(),
            self.limits.max_upload_bytes,
            self.limits.max_pages,
            self.limits.inline_pages,
            self.limits.inline_wait,
            self.worker.ocr_threads,
            self.worker.concurrency,
            self.worker.attempts,
            self.worker.heartbeat,
        )
    }
}

/// Replaces the password of a URL with `***`.
fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }
}
