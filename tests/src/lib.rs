//! The end-to-end test harness: real Postgres, real Redis, real Tesseract and pdfium.
//!
//! Every `TestApp` gets its own database (`ocrchat_t_<uuid>`, dropped afterwards) and its own
//! Redis namespace (`ocrchat_t_<uuid>`, its keys deleted afterwards, never `FLUSHDB`), so tests run
//! in parallel and leave nothing behind.

pub mod corpus;
pub mod llm;
pub mod pdf;
pub mod receiver;
pub mod services;

use anyhow::Context;
use api::{Config, Roles, Running};
use domain::JobId;
use serde_json::Value;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

/// The Postgres server tests create their databases on.
pub fn postgres_server() -> String {
    std::env::var("OCRCHAT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The Redis tests use.
pub fn redis_url() -> String {
    std::env::var("OCRCHAT_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// A unique name for this test's database and Redis namespace.
pub fn unique_name() -> String {
    format!("ocrchat_t_{}", uuid::Uuid::new_v4().simple())
}

/// The database and Redis namespace of one test; dropped (database and keys deleted) on `Drop`.
#[derive(Debug)]
pub struct Isolation {
    /// Database name and Redis namespace.
    pub name: String,
    /// Full database URL.
    pub database_url: String,
    /// Local state of the service (the chat index), under the system temp dir; removed on drop.
    pub data_dir: PathBuf,
}

impl Isolation {
    /// Picks a fresh name. The database is created by the service when it first connects.
    pub fn new() -> Isolation {
        let name = unique_name();
        Isolation {
            database_url: format!("{}/{}", postgres_server(), name),
            data_dir: std::env::temp_dir().join(&name),
            name,
        }
    }

    /// A configuration pointing at this isolation, listening on a free port.
    pub fn config(&self) -> Config {
        let mut config = Config::from_env().expect("test environment is valid");
        config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        config.database_url = self.database_url.clone();
        config.redis_url = redis_url();
        config.redis_namespace = self.name.clone();
        config.worker.ocr_threads = 1;
        config.worker.concurrency = 2;
        config.worker.heartbeat = Duration::from_secs(1);
        config.worker.sweep_every = Duration::from_secs(1);
        config.worker.stale_after = Duration::from_secs(20);
        // Chat: a private index, and no model unless a test starts one.
        config.data_dir = self.data_dir.join("app");
        config.llm.base_url = None;
        config
    }

    /// Environment variables that make an `ocrchat` process use this isolation.
    pub fn env(&self, config: &Config) -> Vec<(String, String)> {
        vec![
            ("DATABASE_URL".into(), self.database_url.clone()),
            ("REDIS_URL".into(), config.redis_url.clone()),
            ("OCRCHAT_REDIS_NAMESPACE".into(), self.name.clone()),
            (
                "OCRCHAT_OCR_THREADS".into(),
                config.worker.ocr_threads.to_string(),
            ),
            (
                "OCRCHAT_WORKER_CONCURRENCY".into(),
                config.worker.concurrency.to_string(),
            ),
            (
                "OCRCHAT_HEARTBEAT_SECS".into(),
                config.worker.heartbeat.as_secs().to_string(),
            ),
            (
                "OCRCHAT_SWEEP_EVERY_SECS".into(),
                config.worker.sweep_every.as_secs().to_string(),
            ),
            (
                "OCRCHAT_STALE_AFTER_SECS".into(),
                config.worker.stale_after.as_secs().to_string(),
            ),
            ("RUST_LOG".into(), "warn,workers=info".into()),
            // Each process its own index directory (the index has one writer); no model.
            (
                "OCRCHAT_DATA_DIR".into(),
                self.data_dir
                    .join(format!("proc-{}", uuid::Uuid::new_v4().simple()))
                    .display()
                    .to_string(),
            ),
            ("OCRCHAT_LLM_BASE_URL".into(), String::new()),
        ]
    }
}

impl Default for Isolation {
    fn default() -> Self {
        Isolation::new()
    }
}

impl Drop for Isolation {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        let name = self.name.clone();
        let data_dir = self.data_dir.clone();
        // Drop cannot be async; clean up on a short-lived runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Err(err) = drop_database(&name).await {
                    eprintln!("could not drop test database {name}: {err:#}");
                }
                if let Err(err) = delete_redis_namespace(&name).await {
                    eprintln!("could not clean redis namespace {name}: {err:#}");
                }
                // Workers of the test may still be stopping and beat once more (every second in
                // tests), registering their queues again, and a stopping app may still commit
                // its search index into the data directory: clean both once more after a beat.
                tokio::time::sleep(Duration::from_millis(1500)).await;
                if let Err(err) = delete_redis_namespace(&name).await {
                    eprintln!("could not clean redis namespace {name}: {err:#}");
                }
                let _ = std::fs::remove_dir_all(&data_dir);
            });
        });
        let _ = cleanup.join();
    }
}

async fn drop_database(name: &str) -> anyhow::Result<()> {
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(format!("{}/postgres", postgres_server())).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin.close().await?;
    Ok(())
}

/// Deletes every key of a namespace with SCAN + DEL (never FLUSHDB: other tests share the db).
pub async fn delete_redis_namespace(namespace: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(redis_url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let pattern = format!("{namespace}:*");
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<()>(&mut conn)
                .await?;
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    // apalis also registers each queue (namespaced) in one shared sorted set: take ours out.
    let registered: Vec<String> = redis::cmd("ZRANGE")
        .arg(APALIS_QUEUES)
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await?;
    let ours: Vec<&String> = registered
        .iter()
        .filter(|q| q.starts_with(&format!("{namespace}:")))
        .collect();
    if !ours.is_empty() {
        redis::cmd("ZREM")
            .arg(APALIS_QUEUES)
            .arg(&ours)
            .query_async::<()>(&mut conn)
            .await?;
    }
    Ok(())
}

/// The sorted set in which apalis-redis lists every queue it has served, whatever its namespace.
const APALIS_QUEUES: &str = "core:apalis:queues:list";

/// Keys currently in a namespace (tests assert cleanup and queue state with it).
pub async fn redis_keys(namespace: &str) -> anyhow::Result<Vec<String>> {
    let client = redis::Client::open(redis_url())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}:*"))
        .query_async(&mut conn)
        .await?;
    Ok(keys)
}

/// The real service on a free port with in-process workers (or none), and typed helpers.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// The running service.
    pub running: Option<Running>,
    /// The configuration it was started with.
    pub config: Config,
    /// HTTP client.
    pub http: reqwest::Client,
    /// Database and namespace; declared last so it is dropped after the service stops.
    pub isolation: Isolation,
}

/// Options for `TestApp::spawn_with`.
pub struct Spawn {
    /// Run in-process workers.
    pub workers: bool,
    /// Adjust the configuration before start.
    pub configure: Box<dyn FnOnce(&mut Config) + Send>,
}

impl Default for Spawn {
    fn default() -> Self {
        Spawn {
            workers: true,
            configure: Box::new(|_| {}),
        }
    }
}

impl TestApp {
    /// API and workers in one process, default test configuration.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Spawn::default()).await
    }

    /// A service with chosen roles and configuration.
    pub async fn spawn_with(options: Spawn) -> TestApp {
        init_logging();
        let isolation = Isolation::new();
        let mut config = isolation.config();
        (options.configure)(&mut config);
        let running = api::start(
            config.clone(),
            Roles {
                api: true,
                worker: options.workers,
            },
        )
        .await
        .expect("service starts");
        let addr = running.addr.expect("api role binds an address");
        TestApp {
            base: format!("http://{addr}"),
            running: Some(running),
            config,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()
                .expect("http client"),
            isolation,
        }
    }

    /// The event store of this app.
    pub fn store(&self) -> &storage::Store {
        &self.running.as_ref().expect("running").state.store
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Submits a file with form fields; returns status and JSON body.
    pub async fn submit(
        &self,
        bytes: Vec<u8>,
        file_name: &str,
        fields: &[(&str, &str)],
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let mut req = self.http.post(self.url("/api/v1/ocr/")).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("submit request");
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Submits a corpus file by path.
    pub async fn submit_file(&self, path: &Path, fields: &[(&str, &str)]) -> (u16, Value) {
        let bytes = std::fs::read(path).expect("read test file");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("upload");
        self.submit(bytes, name, fields, None).await
    }

    /// POSTs a JSON body to a path; returns status and JSON body.
    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("post request");
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// GETs a path; returns status and JSON body.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("get request");
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// Polls a job until it is done or failed, up to a deadline (never a bare sleep).
    pub async fn wait_until_final(
        &self,
        uuid: &str,
        token: Option<&str>,
        limit: Duration,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let (status, job) = self.get_json(&format!("/api/v1/ocr/{uuid}/"), token).await;
            assert_eq!(status, 200, "polling {uuid}: {job}");
            let s = job["status"].as_str().unwrap_or_default().to_owned();
            if s == "done" || s == "failed" {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {uuid} still {s} after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Creates an account and returns a token for it.
    pub async fn token_for(&self, email: &str) -> String {
        let account = self
            .store()
            .create_account(email, domain::billing::Plan::Free)
            .await
            .expect("create account");
        self.store()
            .create_token(account.id)
            .await
            .expect("create token")
            .token
    }

    /// Creates a paid account holding `credits` and returns a token for it.
    pub async fn paid_token_for(&self, email: &str, credits: u64) -> String {
        let store = self.store();
        let account = store
            .create_account(email, domain::billing::Plan::Paid)
            .await
            .expect("create account");
        store
            .grant_credits(account.id, credits, "test purchase")
            .await
            .expect("grant credits");
        store
            .create_token(account.id)
            .await
            .expect("create token")
            .token
    }

    /// Stops the service and waits for its tasks.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown.cancel();
        }
    }
}

/// A separate `ocrchat` process (same binary as production), for kill tests.
pub struct ServiceProcess {
    child: tokio::process::Child,
}

impl ServiceProcess {
    /// Starts the binary `exe` (tests pass `env!("CARGO_BIN_EXE_ocrchat-under-test")`) with
    /// `args` and the isolation's environment.
    pub fn start(
        exe: &str,
        isolation: &Isolation,
        config: &Config,
        args: &[&str],
    ) -> anyhow::Result<ServiceProcess> {
        let child = tokio::process::Command::new(exe)
            .args(args)
            .envs(isolation.env(config))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {exe}"))?;
        Ok(ServiceProcess { child })
    }

    /// SIGKILL: no chance to clean up, like a crash or an OOM kill.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The job id of a job JSON.
pub fn job_id(job: &Value) -> JobId {
    JobId(
        job["uuid"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("job has a uuid"),
    )
}

/// The workspace root (tests run with the package dir as cwd).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
