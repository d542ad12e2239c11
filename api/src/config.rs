//! The one configuration struct, read from environment variables once, in `main`.
//!
//! Every field has a default that works on a developer machine (local Postgres and Redis, the
//! cache directory the install script fills). A variable that is set but unparsable is an error,
//! never a silent default.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};
use workers::engine::ppocr::{PpOcrConfig, Precision};

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
    /// PP-OCR, the second engine: its models (`OCRCHAT_PPOCR_MODELS`, default
    /// `~/.cache/ocrchat/ppocr-3.10.0`) and ONNX Runtime (`ORT_DYLIB_PATH`, default
    /// `~/.cache/ocrchat/onnxruntime-1.32.0/libonnxruntime.so`), the recogniser
    /// `OCRCHAT_PPOCR_RECOGNISER` names (`int8`, the default, or `float`; without the int8 file
    /// the default falls back to `float`, with a warning). `None` when a file is missing
    /// (or `OCRCHAT_PPOCR=false`): `engine=ppocr` is then `400` and `auto` reads with Tesseract.
    pub ppocr: Option<PpOcrConfig>,
    /// Upload and page limits.
    pub limits: Limits,
    /// Rate limits and slow-client timeouts.
    pub guards: Guards,
    /// Worker tuning.
    pub worker: WorkerConfig,
    /// Plans and prices.
    pub pricing: domain::billing::Pricing,
    /// Proxies whose `X-Forwarded-For` is believed (`OCRCHAT_TRUSTED_PROXIES`, comma-separated
    /// addresses or CIDR ranges; empty by default, so the peer address is the client).
    pub trusted_proxies: Vec<IpRange>,
    /// The sentence-embedding model of hybrid chat retrieval (`OCRCHAT_EMBEDDINGS`, a directory
    /// with all-MiniLM-L6-v2's `config.json`, `tokenizer.json` and `model.safetensors`; default
    /// `~/.cache/ocrchat/minilm-l6-v2`, where `scripts/deps.sh embeddings` puts them). `None` when
    /// a file is missing or `OCRCHAT_EMBEDDINGS=off`: retrieval is then BM25 alone.
    pub embeddings: Option<PathBuf>,
    /// Where this process keeps local, rebuildable state: the chat passage index lives in
    /// `<data_dir>/index` (`OCRCHAT_DATA_DIR`, default `~/.cache/ocrchat/data`). One directory
    /// per API process: the index has a single writer.
    pub data_dir: PathBuf,
    /// The chat model.
    pub llm: LlmConfig,
    /// The vision-language model of the `vlm` tier.
    pub vlm: VlmConfig,
}

/// The OpenAI-compatible vision-language model that reads pages in the `vlm` tier (and the
/// `handwriting-to-text` tool). Workers call it; the API only checks that one is configured.
#[derive(Clone)]
pub struct VlmConfig {
    /// Base URL of the API, up to `/v1` (`OCRCHAT_VLM_BASE_URL`). Unset: `tier=vlm` is `400`.
    pub base_url: Option<String>,
    /// Model name sent with each request (`OCRCHAT_VLM_MODEL`, default `local`).
    pub model: String,
    /// Bearer key (`OCRCHAT_VLM_API_KEY`). Never logged.
    pub api_key: Option<String>,
    /// Longest wait for one page's answer (`OCRCHAT_VLM_TIMEOUT_SECS`, default 180: a dense
    /// page is a long answer).
    pub timeout: Duration,
    /// Calls per page before the job fails, transient errors retried with exponential backoff
    /// from 1 s (`OCRCHAT_VLM_ATTEMPTS`, default 4).
    pub attempts: u32,
}

impl std::fmt::Debug for VlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VlmConfig")
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// The OpenAI-compatible chat model (llama-server, or any hosted endpoint).
#[derive(Clone)]
pub struct LlmConfig {
    /// Base URL of the API, up to `/v1` (`OCRCHAT_LLM_BASE_URL`, e.g.
    /// `http://127.0.0.1:8081/v1`). Unset: chat answers extractively, without a model.
    pub base_url: Option<String>,
    /// Model name sent with each request (`OCRCHAT_LLM_MODEL`, default `local`, the alias
    /// `just run` gives llama-server).
    pub model: String,
    /// Bearer key (`OCRCHAT_LLM_API_KEY`; llama-server needs none). Never logged.
    pub api_key: Option<String>,
    /// Longest wait for one answer (`OCRCHAT_LLM_TIMEOUT_SECS`, default 60); after a second
    /// failure the answer is extractive.
    pub timeout: Duration,
    /// The model's context size in tokens (`OCRCHAT_LLM_CONTEXT_TOKENS`, default 4096): the
    /// budget for passages and earlier turns.
    pub context_tokens: usize,
    /// Most tokens an answer may have (`OCRCHAT_LLM_MAX_TOKENS`, default 512).
    pub max_tokens: u32,
    /// Most tokens of evidence a prompt shows (`OCRCHAT_LLM_EVIDENCE_TOKENS`, default 300): on
    /// two cores, reading the prompt is most of an answer's time (see the README's chat table).
    pub evidence_tokens: usize,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("context_tokens", &self.context_tokens)
            .field("max_tokens", &self.max_tokens)
            .field("evidence_tokens", &self.evidence_tokens)
            .finish()
    }
}

/// An address or CIDR range (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is inside the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or(format!("bad prefix /{p}"))?,
            None => max,
        };
        Ok(IpRange { network, prefix })
    }
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

/// What holds clients to bounds (see `gate` and `connection`).
#[derive(Debug, Clone)]
pub struct Guards {
    /// Requests per minute per client, by kind: `OCRCHAT_RATE_SUBMIT_PER_MIN` (default 300),
    /// `OCRCHAT_RATE_CHAT_PER_MIN` (60), `OCRCHAT_RATE_READ_PER_MIN` (3000; polls, downloads,
    /// event streams, history, account); `0` turns a kind's limit off, `OCRCHAT_RATE_LIMITS=off`
    /// every limit. Each allows a burst of a quarter of its rate. Counted per API process.
    pub rates: domain::rate::RateLimits,
    /// A connection with no request in flight must deliver a complete request head within this
    /// (`OCRCHAT_HEADER_TIMEOUT_SECS`, default 30) of opening or of the server's last write.
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long is refused (`OCRCHAT_BODY_IDLE_SECS`,
    /// default 30).
    pub body_idle: Duration,
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
    /// How often idle workers look at the queue without being woken
    /// (`OCRCHAT_WAKE_EVERY_SECS`, default 2): every push wakes them at once, this only covers
    /// a push notification lost while the subscriber reconnected.
    pub wake_every: Duration,
    /// Finished jobs older than this are erased (`OCRCHAT_RETENTION_HOURS`, default 720 = 30
    /// days; 0 keeps them until deleted).
    pub retention: Option<Duration>,
    /// Webhook delivery attempts (`OCRCHAT_WEBHOOK_ATTEMPTS`, default 5).
    pub webhook_attempts: u32,
    /// Timeout of one webhook attempt (`OCRCHAT_WEBHOOK_TIMEOUT_SECS`, default 10).
    pub webhook_timeout: Duration,
    /// Allow webhooks to loopback and private addresses (`OCRCHAT_WEBHOOK_ALLOW_PRIVATE`,
    /// default false: no server-side request forgery into the local network).
    pub webhook_allow_private: bool,
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

/// PP-OCR's files where `scripts/deps.sh ppocr` installs them (or the variables say), when
/// they are all there; otherwise `None`, with a warning naming the missing file.
///
/// `recogniser` is the precision asked for, `None` when `OCRCHAT_PPOCR_RECOGNISER` is unset: then
/// the int8 model, or the float one where the int8 file is missing (made by an older
/// `scripts/deps.sh`), so a server keeps its second engine.
fn ppocr_config(enabled: bool, recogniser: Option<Precision>) -> Option<PpOcrConfig> {
    if !enabled {
        return None;
    }
    let config = PpOcrConfig {
        recogniser: recogniser.unwrap_or_default(),
        models_dir: var("OCRCHAT_PPOCR_MODELS")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache_dir().join("ppocr-3.10.0")),
        runtime_library: var("ORT_DYLIB_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| cache_dir().join("onnxruntime-1.32.0/libonnxruntime.so")),
        intra_threads: 1,
    };
    installed_ppocr(config, recogniser.is_none())
}

/// `config` when its files are all there; the float recogniser instead when only the int8 one
/// is missing and `fallback` allows it (no precision was asked for); otherwise `None`. Each
/// case that is not the configuration as given logs a warning naming the missing file.
fn installed_ppocr(config: PpOcrConfig, fallback: bool) -> Option<PpOcrConfig> {
    let Some(file) = config.missing_files().into_iter().next() else {
        return Some(config);
    };
    if fallback && config.recogniser == Precision::Int8 {
        let float = PpOcrConfig {
            recogniser: Precision::Float,
            ..config.clone()
        };
        if float.missing_files().is_empty() {
            tracing::warn!(
                missing = %file.display(),
                "PP-OCR reads with the float recogniser: the int8 one is not installed (run \
                 scripts/deps.sh ppocr)"
            );
            return Some(float);
        }
    }
    tracing::warn!(
        missing = %file.display(),
        "PP-OCR is not installed (run scripts/deps.sh ppocr): engine=ppocr is refused and \
         engine=auto reads with Tesseract only"
    );
    None
}

/// The embedding model's directory when its files are there (`OCRCHAT_EMBEDDINGS`, `off` for
/// none); otherwise `None`, with a warning naming the missing file.
fn embeddings_dir() -> Option<PathBuf> {
    let dir = match var("OCRCHAT_EMBEDDINGS") {
        Some(value) if value == "off" => return None,
        Some(value) => PathBuf::from(value),
        None => cache_dir().join("minilm-l6-v2"),
    };
    let missing = ["config.json", "tokenizer.json", "model.safetensors"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| !p.is_file());
    if let Some(file) = missing {
        tracing::warn!(
            missing = %file.display(),
            "the embedding model is not installed (run scripts/deps.sh embeddings): chat \
             retrieval is BM25 alone"
        );
        return None;
    }
    Some(dir)
}

/// The rate limits: the defaults, each kind overridable, or none at all.
fn rate_limits() -> Result<domain::rate::RateLimits, ConfigError> {
    use domain::rate::{RateLimit, RateLimits};
    let enabled = match var("OCRCHAT_RATE_LIMITS").as_deref().map(str::trim) {
        None | Some("on" | "true" | "1") => true,
        Some("off" | "false" | "0") => false,
        Some(other) => {
            return Err(ConfigError {
                name: "OCRCHAT_RATE_LIMITS",
                value: other.to_owned(),
                reason: "expected on or off".into(),
            })
        }
    };
    if enabled {
        let defaults = RateLimits::default();
        let per_minute = |name: &'static str, default: Option<RateLimit>| {
            let default = default.map_or(0, |l| l.per_minute);
            parsed::<u32>(name, default).map(|n| (n > 0).then(|| RateLimit::per_minute(n)))
        };
        Ok(RateLimits {
            submit: per_minute("OCRCHAT_RATE_SUBMIT_PER_MIN", defaults.submit)?,
            chat: per_minute("OCRCHAT_RATE_CHAT_PER_MIN", defaults.chat)?,
            read: per_minute("OCRCHAT_RATE_READ_PER_MIN", defaults.read)?,
        })
    } else {
        Ok(RateLimits::OFF)
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
            ppocr: ppocr_config(
                parsed("OCRCHAT_PPOCR", true)?,
                var("OCRCHAT_PPOCR_RECOGNISER")
                    .map(|_| parsed("OCRCHAT_PPOCR_RECOGNISER", Precision::default()))
                    .transpose()?,
            ),
            limits: Limits {
                max_upload_bytes: parsed("OCRCHAT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)?,
                max_pages: parsed("OCRCHAT_MAX_PAGES", 2000)?,
                max_page_pixels: parsed("OCRCHAT_MAX_PAGE_PIXELS", 100_000_000)?,
                inline_pages: parsed("OCRCHAT_INLINE_PAGES", 5)?,
                inline_wait: Duration::from_secs(parsed("OCRCHAT_INLINE_WAIT_SECS", 120)?),
            },
            guards: Guards {
                rates: rate_limits()?,
                header_timeout: Duration::from_secs(
                    parsed("OCRCHAT_HEADER_TIMEOUT_SECS", 30)?.max(1),
                ),
                body_idle: Duration::from_secs(parsed("OCRCHAT_BODY_IDLE_SECS", 30)?.max(1)),
            },
            worker: WorkerConfig {
                ocr_threads: parsed("OCRCHAT_OCR_THREADS", cores)?.max(1),
                concurrency: parsed("OCRCHAT_WORKER_CONCURRENCY", 2)?.max(1),
                attempts: parsed("OCRCHAT_JOB_ATTEMPTS", 3)?.max(1),
                max_interrupted: parsed("OCRCHAT_MAX_INTERRUPTED", 10)?,
                heartbeat: Duration::from_secs(parsed("OCRCHAT_HEARTBEAT_SECS", 5)?.max(1)),
                stale_after: Duration::from_secs(parsed("OCRCHAT_STALE_AFTER_SECS", 300)?.max(1)),
                sweep_every: Duration::from_secs(parsed("OCRCHAT_SWEEP_EVERY_SECS", 30)?.max(1)),
                wake_every: Duration::from_secs(parsed("OCRCHAT_WAKE_EVERY_SECS", 2)?.max(1)),
                retention: match parsed::<u64>("OCRCHAT_RETENTION_HOURS", 720)? {
                    0 => None,
                    hours => Some(Duration::from_secs(hours * 3600)),
                },
                webhook_attempts: parsed("OCRCHAT_WEBHOOK_ATTEMPTS", 5)?.max(1),
                webhook_timeout: Duration::from_secs(
                    parsed("OCRCHAT_WEBHOOK_TIMEOUT_SECS", 10)?.max(1),
                ),
                webhook_allow_private: parsed("OCRCHAT_WEBHOOK_ALLOW_PRIVATE", false)?,
            },
            pricing: {
                let d = domain::billing::Pricing::default();
                domain::billing::Pricing {
                    cpu_page: parsed("OCRCHAT_PRICE_CPU_PAGE", d.cpu_page)?,
                    vlm_page: parsed("OCRCHAT_PRICE_VLM_PAGE", d.vlm_page)?,
                    anonymous_daily: parsed("OCRCHAT_ANON_DAILY_CREDITS", d.anonymous_daily)?,
                    anonymous_file_pages: parsed(
                        "OCRCHAT_ANON_FILE_PAGES",
                        d.anonymous_file_pages,
                    )?,
                    free_monthly: parsed("OCRCHAT_FREE_MONTHLY_CREDITS", d.free_monthly)?,
                    free_file_pages: parsed("OCRCHAT_FREE_FILE_PAGES", d.free_file_pages)?,
                    paid_file_pages: parsed("OCRCHAT_PAID_FILE_PAGES", d.paid_file_pages)?,
                }
            },
            trusted_proxies: match var("OCRCHAT_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(value) => value
                    .split(',')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| p.parse())
                    .collect::<Result<Vec<IpRange>, String>>()
                    .map_err(|reason| ConfigError {
                        name: "OCRCHAT_TRUSTED_PROXIES",
                        value: value.clone(),
                        reason,
                    })?,
            },
            embeddings: embeddings_dir(),
            data_dir: var("OCRCHAT_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| cache_dir().join("data")),
            llm: LlmConfig {
                base_url: var("OCRCHAT_LLM_BASE_URL"),
                model: var("OCRCHAT_LLM_MODEL").unwrap_or_else(|| "local".into()),
                api_key: var("OCRCHAT_LLM_API_KEY"),
                timeout: Duration::from_secs(parsed("OCRCHAT_LLM_TIMEOUT_SECS", 60)?.max(1)),
                context_tokens: parsed("OCRCHAT_LLM_CONTEXT_TOKENS", 4096)?.max(512),
                max_tokens: parsed("OCRCHAT_LLM_MAX_TOKENS", 512)?.max(32),
                evidence_tokens: parsed("OCRCHAT_LLM_EVIDENCE_TOKENS", 300)?.max(32),
            },
            vlm: VlmConfig {
                base_url: var("OCRCHAT_VLM_BASE_URL"),
                model: var("OCRCHAT_VLM_MODEL").unwrap_or_else(|| "local".into()),
                api_key: var("OCRCHAT_VLM_API_KEY"),
                timeout: Duration::from_secs(parsed("OCRCHAT_VLM_TIMEOUT_SECS", 180)?.max(1)),
                attempts: parsed("OCRCHAT_VLM_ATTEMPTS", 4)?.max(1),
            },
        })
    }

    /// The configuration with credentials in URLs masked, for the start-up log.
    pub fn redacted(&self) -> String {
        format!(
            "addr={} database_url={} redis_url={} namespace={} pdfium={} tessdata={} ppocr={} \
             max_upload_bytes={} max_pages={} inline_pages={} inline_wait={:?} ocr_threads={} \
             concurrency={} attempts={} heartbeat={:?} data_dir={} embeddings={} llm={} vlm={}",
            self.addr,
            redact_url(&self.database_url),
            redact_url(&self.redis_url),
            self.redis_namespace,
            self.pdfium_lib.display(),
            self.tessdata.display(),
            self.ppocr
                .as_ref()
                .map_or_else(|| "none".to_owned(), |p| p.models_dir.display().to_string()),
            self.limits.max_upload_bytes,
            self.limits.max_pages,
            self.limits.inline_pages,
            self.limits.inline_wait,
            self.worker.ocr_threads,
            self.worker.concurrency,
            self.worker.attempts,
            self.worker.heartbeat,
            self.data_dir.display(),
            self.embeddings.as_ref().map_or_else(
                || "none (BM25 alone)".to_owned(),
                |d| d.display().to_string()
            ),
            match &self.llm.base_url {
                Some(url) => format!("{} ({})", redact_url(url), self.llm.model),
                None => "none (extractive answers)".to_owned(),
            },
            match &self.vlm.base_url {
                Some(url) => format!("{} ({})", redact_url(url), self.vlm.model),
                None => "none (tier=vlm refused)".to_owned(),
            },
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
    fn ip_ranges_match_addresses() {
        let r: IpRange = "10.1.0.0/16".parse().unwrap();
        assert!(r.contains("10.1.200.3".parse().unwrap()));
        assert!(!r.contains("10.2.0.1".parse().unwrap()));
        let one: IpRange = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!(!one.contains("127.0.0.1".parse().unwrap()));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
    }

    #[test]
    fn a_missing_int8_recogniser_falls_back_to_float_only_when_none_was_asked_for() {
        use workers::engine::ppocr::{
            CLASSIFIER_MODEL, DETECTOR_MODEL, INT8_RECOGNISER_MODEL, RECOGNISER_MODEL,
        };
        let dir = std::env::temp_dir().join(format!("ocrchat-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for file in [
            DETECTOR_MODEL,
            CLASSIFIER_MODEL,
            RECOGNISER_MODEL,
            "libonnxruntime.so",
        ] {
            std::fs::write(dir.join(file), b"").unwrap();
        }
        let config = PpOcrConfig {
            recogniser: Precision::Int8,
            models_dir: dir.clone(),
            runtime_library: dir.join("libonnxruntime.so"),
            intra_threads: 1,
        };
        // Unset: the float model, so the server keeps its second engine.
        let chosen = installed_ppocr(config.clone(), true).expect("the float recogniser");
        assert_eq!(chosen.recogniser, Precision::Float);
        // `int8` asked for by name: not silently something else.
        assert_eq!(installed_ppocr(config.clone(), false), None);
        // Both there: as configured.
        std::fs::write(dir.join(INT8_RECOGNISER_MODEL), b"").unwrap();
        assert_eq!(installed_ppocr(config.clone(), true), Some(config.clone()));
        // Something else missing: no PP-OCR, whichever recogniser.
        std::fs::remove_file(dir.join(DETECTOR_MODEL)).unwrap();
        assert_eq!(installed_ppocr(config, true), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
