//! Wiring: building the shared state, the HTTP routes and the worker runtime from a `Config`.

use crate::{
    config::Config,
    error::{json_errors, ApiError},
    routes::{
        account::AccountApi, chat::ChatApi, download::DownloadApi, events::EventsApi,
        health::HealthApi, languages::LanguagesApi, ocr::OcrApi, pages::PagesApi, tools::ToolsApi,
    },
};
use anyhow::Context;
use domain::LanguageSpec;
use poem::{
    listener::{Acceptor, Listener, TcpListener},
    middleware::{NormalizePath, TrailingSlash},
    EndpointExt, Route, Server,
};
use poem_openapi::OpenApiService;
use std::{collections::HashSet, net::SocketAddr, sync::Arc, time::Duration};
use storage::{notify::Notifications, Store};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use workers::{
    engine::{
        input,
        ocr::{OcrOptions, OcrPool},
        pdf::PdfEngine,
    },
    runtime::{self, RuntimeOptions},
    webhook::{Deliverer, WebhookOptions},
    Processor, ProcessorOptions, Queue, QueueOptions,
};

/// Everything request handlers share.
pub struct AppState {
    /// Event store and projections.
    pub store: Store,
    /// The job queue.
    pub queue: Queue,
    /// Commit notifications for inline waits.
    pub notifications: Notifications,
    /// pdfium, for page counts at upload.
    pub pdf: Arc<PdfEngine>,
    /// The configuration.
    pub config: Config,
    /// Upload inspection limits.
    pub input_limits: input::Limits,
    /// Tesseract languages installed on this machine.
    pub installed_languages: HashSet<String>,
    /// Chat: the passage index this process keeps and the model client (API role only).
    pub chat: Option<Arc<crate::chat::Chat>>,
    /// Job objects already built, by version (polls answer from here).
    pub job_objects: crate::job_cache::JobCache,
    /// Per-client rate limits of this process.
    pub rate_limits: crate::rate_limit::RateLimiter,
}

impl AppState {
    /// Who is calling (401 for a bad token), with this server's trusted proxies: as the gate
    /// resolved it before the body was read, or resolved now for a request that bypassed it.
    /// `_credentials` is the handlers' OpenAPI security declaration; the token is read from the
    /// request by the one rule in [`crate::auth::Caller::from_request`].
    pub async fn caller(
        &self,
        _credentials: &crate::auth::Credentials,
        req: &poem::Request,
    ) -> Result<crate::auth::Caller, ApiError> {
        if let Some(caller) = req.extensions().get::<crate::auth::Caller>() {
            return Ok(caller.clone());
        }
        crate::auth::Caller::from_request(&self.store, req, &self.config.trusted_proxies).await
    }

    /// Removes what lives outside the event store once a job is erased (the search index, once
    /// chat exists). Called after the erasure commits.
    pub async fn after_erase(&self, job: domain::JobId) {
        tracing::info!(%job, "job erased");
        self.job_objects.forget(job);
        if let Some(chat) = &self.chat {
            // Other API processes drop it when the `erased` commit reaches their indexer.
            if let Err(err) = chat.forget(job).await {
                tracing::warn!(%job, error = %err, "could not erase the job's chat data");
            }
        }
    }

    /// Refuses languages whose traineddata is not installed here, naming them.
    pub fn ensure_installed(&self, spec: &LanguageSpec) -> Result<(), ApiError> {
        if let LanguageSpec::Named(names) = spec {
            let missing: Vec<&str> = names
                .iter()
                .filter(|n| !self.installed_languages.contains(n.as_str()))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "language not installed on this server: {}",
                    missing.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Which halves of the service this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    /// Serve HTTP.
    pub api: bool,
    /// Process jobs.
    pub worker: bool,
}

/// A started service: its address and the handle to stop it.
pub struct Running {
    /// The bound HTTP address (when the API role runs).
    pub addr: Option<SocketAddr>,
    /// Cancels everything.
    pub shutdown: CancellationToken,
    /// Shared state (tests use it to reach the store).
    pub state: Arc<AppState>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Waits until every task has ended (after `shutdown` is cancelled).
    pub async fn join(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Cancels and waits.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.join().await;
    }
}

/// Every endpoint group of the service, in the order the OpenAPI document lists them.
pub type Apis = (
    OcrApi,
    PagesApi,
    DownloadApi,
    EventsApi,
    ChatApi,
    AccountApi,
    HealthApi,
    LanguagesApi,
    ToolsApi,
);

/// The OpenAPI service: every endpoint and schema, as committed in `openapi/openapi.json`.
/// Handlers reach the shared state through `Data`, so the spec is generated without any.
pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            OcrApi,
            PagesApi,
            DownloadApi,
            EventsApi,
            ChatApi,
            AccountApi,
            HealthApi,
            LanguagesApi,
            ToolsApi,
        ),
        "ocrchat",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Self-hostable OCR.chat-compatible OCR API: one request turns an image or PDF into \
             text, Markdown and JSON, metered per page.",
    )
    .server("/")
}

/// The spec as pretty JSON, exactly as committed in `openapi/openapi.json` and served at
/// `/api/v1/openapi.json`.
///
/// poem-openapi drops trailing slashes from operation paths, but the OCR.chat contract puts one
/// on every `/api/...` path; the router accepts both (`NormalizePath`), and the document shows the
/// contract's form so generated clients call exactly what existing clients call. The document is
/// then put in the shape client generators read without loss (see `spec_shape`).
pub fn openapi_json() -> String {
    with_trailing_slashes(&openapi_service().spec())
}

/// [`openapi_json`] parsed.
pub fn openapi_document() -> serde_json::Value {
    serde_json::from_str(&openapi_json()).unwrap_or_default()
}

fn with_trailing_slashes(spec: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(spec) else {
        return spec.to_owned();
    };
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        let renamed: serde_json::Map<String, serde_json::Value> = std::mem::take(paths)
            .into_iter()
            .map(|(path, item)| {
                if path.starts_with("/api/") && !path.ends_with('/') {
                    (format!("{path}/"), item)
                } else {
                    (path, item)
                }
            })
            .collect();
        *paths = renamed;
    }
    crate::spec_shape::for_generators(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| spec.to_owned())
}

/// Swagger UI showing the same document as `openapi_json`.
fn swagger_ui() -> impl poem::Endpoint {
    let service = openapi_service();
    let original = service.spec();
    let html = service
        .swagger_ui_html()
        .replacen(&original, &openapi_json(), 1);
    poem::Route::new().at(
        "/",
        poem::endpoint::make_sync(move |_| poem::web::Html(html.clone())),
    )
}

/// Connects everything and starts the requested roles. Returns once the HTTP listener is bound.
pub async fn start(config: Config, roles: Roles) -> anyhow::Result<Running> {
    tracing::info!(config = %config.redacted(), "starting ocrchat");
    let store = Store::connect(&storage::Options::new(&config.database_url))
        .await
        .context("connecting to Postgres")?;
    let queue_options = QueueOptions {
        redis_url: config.redis_url.clone(),
        namespace: config.redis_namespace.clone(),
        heartbeat: config.worker.heartbeat,
        missed_heartbeats: 3,
        resweep_after: config.worker.stale_after,
    };
    let queue = Queue::connect(queue_options)
        .await
        .context("connecting to Redis")?;
    let notifications = Notifications::start(&config.database_url)
        .await
        .context("listening for job events")?;
    let pdf = Arc::new(
        PdfEngine::load(&config.pdfium_lib)
            .with_context(|| format!("loading pdfium from {}", config.pdfium_lib.display()))?,
    );
    let input_limits = input::Limits {
        max_bytes: config.limits.max_upload_bytes,
        max_pages: config.limits.max_pages,
        max_page_pixels: config.limits.max_page_pixels,
        ..input::Limits::default()
    };
    let installed_languages: HashSet<String> =
        workers::engine::ocr::installed_languages(&config.tessdata)
            .into_iter()
            .collect();
    anyhow::ensure!(
        installed_languages.contains("eng"),
        "no eng.traineddata in {}: install tesseract-ocr-eng (or run `just run`)",
        config.tessdata.display()
    );
    // The passage index is a projection each API process keeps in its own data directory.
    let chat = if roles.api {
        let chat = crate::chat::Chat::open(store.clone(), &config).with_context(|| {
            format!(
                "opening the chat index in {} (OCRCHAT_DATA_DIR; one per API process)",
                config.data_dir.display()
            )
        })?;
        Some(Arc::new(chat))
    } else {
        None
    };
    let state = Arc::new(AppState {
        store: store.clone(),
        queue: queue.clone(),
        notifications,
        pdf: Arc::clone(&pdf),
        config: config.clone(),
        input_limits: input_limits.clone(),
        installed_languages,
        chat,
        job_objects: Default::default(),
        rate_limits: crate::rate_limit::RateLimiter::new(config.guards.rates),
    });
    let shutdown = CancellationToken::new();
    let mut tasks = Vec::new();
    if let Some(chat) = &state.chat {
        tasks.push(chat.spawn_indexer(&state.notifications, shutdown.clone()));
    }

    if roles.worker {
        let pool = Arc::new(OcrPool::with_options(OcrOptions {
            threads: config.worker.ocr_threads,
            ppocr: config.ppocr.clone(),
            ..OcrOptions::new(&config.tessdata)
        }));
        let worker_id = format!("{}:{}", hostname(), std::process::id());
        let processor = Arc::new(
            Processor::new(
                store.clone(),
                queue.clone(),
                pool,
                Arc::clone(&pdf),
                ProcessorOptions {
                    max_attempts: config.worker.attempts,
                    max_interrupted: config.worker.max_interrupted,
                    worker_id: worker_id.clone(),
                    // One page more than the OCR threads: the next page is read and decoded
                    // while both threads recognise, so neither waits for pdfium or the JPEG
                    // decoder (at the cost of one decoded page held ahead).
                    page_parallelism: config.worker.ocr_threads + 1,
                    limits: input_limits.clone(),
                },
            )
            .with_models(models(&config)?),
        );
        let options = RuntimeOptions {
            concurrency: config.worker.concurrency,
            attempts: config.worker.attempts,
            stale_after: config.worker.stale_after,
            sweep_every: config.worker.sweep_every,
            wake_every: config.worker.wake_every,
            name: format!("ocrchat-{worker_id}-{}", uuid::Uuid::new_v4().simple()),
            retention: config.worker.retention,
            webhook_attempts: config.worker.webhook_attempts,
        };
        let deliverer = Arc::new(Deliverer::new(
            store.clone(),
            WebhookOptions {
                allow_private: config.worker.webhook_allow_private,
                max_attempts: config.worker.webhook_attempts,
                timeout: config.worker.webhook_timeout,
                worker_id: worker_id.clone(),
            },
        ));
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            runtime::run(processor, deliverer, queue, store, options, token).await;
        }));
    }

    let mut addr = None;
    if roles.api {
        let spec = openapi_json();
        let web = crate::web::Page::new(&config);
        let connections = crate::connection::Connections::new();
        let app = Route::new()
            .nest("/", openapi_service())
            .at(
                "/api/v1/openapi.json",
                poem::endpoint::make_sync(move |_| {
                    poem::Response::builder()
                        .content_type("application/json; charset=utf-8")
                        .body(spec.clone())
                }),
            )
            .nest("/docs", swagger_ui())
            // The web page at `/` (its assets under `/app/`); Swagger UI stays at `/docs`.
            .with(web)
            .with(crate::gate::Gate)
            .with(NormalizePath::new(TrailingSlash::Trim))
            .with(crate::request_log::RequestLog)
            .with(crate::connection::InFlight(Arc::clone(&connections)))
            .data(Arc::clone(&state))
            .catch_all_error(json_errors)
            .with(crate::allow::AllowHeader(
                crate::allow::AllowedMethods::from_spec(&openapi_document()),
            ));
        let acceptor = crate::connection::GuardedAcceptor::new(
            TcpListener::bind(config.addr)
                .into_acceptor()
                .await
                .with_context(|| format!("binding {}", config.addr))?,
            connections,
            config.guards.header_timeout,
        );
        let bound = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .context("listener has no address")?;
        tracing::info!(%bound, "listening; Swagger UI at /docs");
        addr = Some(bound);
        let token = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            let result = Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async move { token.cancelled().await },
                    Some(Duration::from_secs(10)),
                )
                .await;
            if let Err(err) = result {
                tracing::error!(error = %err, "HTTP server stopped");
            }
        }));
    }

    Ok(Running {
        addr,
        shutdown,
        state,
        tasks,
    })
}

/// The model clients workers call: the vision model (`vlm` tier) and the chat model
/// (`translate` tool), each only when its base URL is configured.
fn models(config: &Config) -> anyhow::Result<workers::Models> {
    use workers::llm::{LlmClient, LlmOptions};
    let vision = match &config.vlm.base_url {
        Some(url) => Some(
            LlmClient::new(LlmOptions {
                api_key: config.vlm.api_key.clone(),
                timeout: config.vlm.timeout,
                attempts: config.vlm.attempts,
                ..LlmOptions::new(url.clone(), config.vlm.model.clone())
            })
            .context("building the vision model client")?,
        ),
        None => None,
    };
    let chat = match &config.llm.base_url {
        Some(url) => Some(
            LlmClient::new(LlmOptions {
                api_key: config.llm.api_key.clone(),
                timeout: config.llm.timeout,
                ..LlmOptions::new(url.clone(), config.llm.model.clone())
            })
            .context("building the chat model client")?,
        ),
        None => None,
    };
    Ok(workers::Models { vision, chat })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into())
}
