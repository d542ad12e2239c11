//! The `ocrchat` command line: run the service (whole or in halves) and administer it.

use crate::{
    app::{self, Roles},
    config::Config,
};
use anyhow::Context;
use clap::{Parser, Subcommand};
use domain::billing::Plan;
use std::{net::SocketAddr, process::ExitCode};
use storage::billing::Subject;

const ENVIRONMENT: &str = "\
Environment variables (defaults work on a developer machine):
  OCRCHAT_ADDR                 listen address of the API [127.0.0.1:8080] (also --addr)
  DATABASE_URL                 Postgres URL; the database is created if missing
                               [postgres://postgres@127.0.0.1:5432/ocrchat]
  REDIS_URL                    Redis URL [redis://127.0.0.1:6379]
  OCRCHAT_REDIS_NAMESPACE      prefix of every Redis key [ocrchat]
  OCRCHAT_PDFIUM_LIB           path of libpdfium.so [~/.cache/ocrchat/pdfium-5.15.2/libpdfium.so]
  OCRCHAT_TESSDATA             Tesseract traineddata directory [/usr/share/tesseract-ocr/5/tessdata]
  OCRCHAT_PPOCR                the PP-OCR engine (false, or its files missing: engine=ppocr
                               is 400 and auto reads with Tesseract only) [true]
  OCRCHAT_PPOCR_MODELS         PP-OCRv6 model directory [~/.cache/ocrchat/ppocr-3.10.0]
  ORT_DYLIB_PATH               libonnxruntime.so for PP-OCR
                               [~/.cache/ocrchat/onnxruntime-1.32.0/libonnxruntime.so]
  OCRCHAT_CACHE                where `just` installs pdfium and models [~/.cache/ocrchat]
  OCRCHAT_MAX_UPLOAD_BYTES     largest accepted upload [52428800]
  OCRCHAT_MAX_PAGES            most pages per file on this server [2000]
  OCRCHAT_MAX_PAGE_PIXELS      largest decoded page in pixels [100000000]
  OCRCHAT_INLINE_PAGES         files up to this many pages are answered inline [5]
  OCRCHAT_INLINE_WAIT_SECS     longest inline wait before answering as-is [120]
  OCRCHAT_OCR_THREADS          Tesseract threads per worker process [number of cores]
  OCRCHAT_WORKER_CONCURRENCY   jobs one worker process works on at once [2]
  OCRCHAT_JOB_ATTEMPTS         failed attempts before a job is failed [3]
  OCRCHAT_MAX_INTERRUPTED      extra attempts for runs cut short by a killed worker [10]
  OCRCHAT_HEARTBEAT_SECS       worker heartbeat; 3 missed beats hand its jobs over [5]
  OCRCHAT_STALE_AFTER_SECS     re-enqueue unfinished jobs untouched this long [300]
  OCRCHAT_SWEEP_EVERY_SECS     how often to look for such jobs [30]
  OCRCHAT_WAKE_EVERY_SECS      idle workers look at the queue unprompted this often (pushes
                               wake them at once; this only covers a lost notification) [2]
  OCRCHAT_RETENTION_HOURS      erase finished jobs after this many hours; 0 keeps them [720]
  OCRCHAT_WEBHOOK_ATTEMPTS     webhook delivery attempts, with exponential backoff [5]
  OCRCHAT_WEBHOOK_TIMEOUT_SECS timeout of one webhook attempt [10]
  OCRCHAT_WEBHOOK_ALLOW_PRIVATE allow webhooks to loopback/private addresses [false]
  OCRCHAT_PRICE_CPU_PAGE       credits per cpu page [1]
  OCRCHAT_PRICE_VLM_PAGE       credits per vlm page [5]
  OCRCHAT_ANON_DAILY_CREDITS   anonymous allowance per client IP per UTC day [10]
  OCRCHAT_ANON_FILE_PAGES      anonymous: most pages per file [5]
  OCRCHAT_FREE_MONTHLY_CREDITS free accounts: allowance per UTC month [100]
  OCRCHAT_FREE_FILE_PAGES      free accounts: most pages per file [20]
  OCRCHAT_PAID_FILE_PAGES      paid accounts: most pages per file [500]
  OCRCHAT_TRUSTED_PROXIES      proxies whose X-Forwarded-For is believed (IPs/CIDRs, comma-separated) []
  OCRCHAT_DATA_DIR             local, rebuildable state of an API process: the chat passage
                               index (one directory per process) [~/.cache/ocrchat/data]
  OCRCHAT_LLM_BASE_URL         OpenAI-compatible chat model, up to /v1, e.g.
                               http://127.0.0.1:8081/v1; unset: chat answers extractively []
  OCRCHAT_LLM_MODEL            model name sent to it [local]
  OCRCHAT_LLM_API_KEY          its bearer key, if it needs one []
  OCRCHAT_LLM_TIMEOUT_SECS     longest wait for one answer; one retry, then extractive [60]
  OCRCHAT_LLM_CONTEXT_TOKENS   the model's context size: budget for passages and history [4096]
  OCRCHAT_LLM_MAX_TOKENS       most tokens in one answer [512]
                               (the chat model also translates for tool=translate; unset: 400)
  OCRCHAT_VLM_BASE_URL         OpenAI-compatible vision model for tier=vlm, up to /v1 []
                               (unset: tier=vlm and tool=handwriting-to-text are 400)
  OCRCHAT_VLM_MODEL            model name sent to it [local]
  OCRCHAT_VLM_API_KEY          its bearer key, if it needs one []
  OCRCHAT_VLM_TIMEOUT_SECS     longest wait for one page's transcription [180]
  OCRCHAT_VLM_ATTEMPTS         calls per page (transient errors retried with backoff) [4]
  RUST_LOG                     log filter [info]";

/// ocrchat: a self-hostable OCR API (OCR.chat-compatible).
#[derive(Debug, Parser)]
#[command(name = "ocrchat", version, about, after_help = ENVIRONMENT)]
struct Cli {
    /// Listen address of the HTTP API (overrides OCRCHAT_ADDR).
    #[arg(long, global = true)]
    addr: Option<SocketAddr>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API and a worker pool in one process.
    Serve,
    /// Run only the HTTP API (workers run elsewhere, sharing Postgres and Redis).
    Api,
    /// Run only workers (any number, on any machine sharing Postgres and Redis).
    Worker,
    /// Manage accounts and their plans.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Add purchased credits to an account (making it a paid account).
    Credits {
        #[command(subcommand)]
        command: CreditsCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print the OpenAPI document (JSON) that the service serves at /api/v1/openapi.json.
    Openapi,
    /// Rebuild read models (job and page projections) from the events alone.
    Replay {
        /// Rebuild one job.
        #[arg(long, conflicts_with = "all")]
        job: Option<uuid::Uuid>,
        /// Rebuild every job.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account on a plan.
    Create {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// `free` (monthly allowance) or `paid` (purchased credits, priority).
        #[arg(long, default_value = "free")]
        plan: Plan,
    },
    /// Print the secret the account's webhooks are signed with (`--rotate` replaces it first).
    WebhookSecret {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// Replace the secret with a new random one.
        #[arg(long)]
        rotate: bool,
    },
    /// Move an account to another plan.
    SetPlan {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// `free` or `paid`.
        #[arg(long)]
        plan: Plan,
    },
}

#[derive(Debug, Subcommand)]
enum CreditsCommand {
    /// Add credits to an account's balance; a free account becomes paid.
    Add {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// How many credits (a cpu page costs 1 by default).
        #[arg(long)]
        credits: u64,
        /// A note kept in the ledger (e.g. an invoice number).
        #[arg(long, default_value = "purchase")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for an account (creating a free account if needed); prints it once.
    Create {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
    /// Revoke every token of an account.
    Revoke {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
    /// Issue a new token and revoke the others; prints the new one once.
    Rotate {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // OpenMP inside Tesseract otherwise spins on every core and a page takes several times
    // longer (SETUP-NOTES). libgomp reads the variable when it is loaded, before `main`, so a
    // process started without it re-executes itself with it set; this returns only on failure.
    if let Err(err) = workers::engine::ocr::reexec_with_omp_thread_limit() {
        eprintln!("warning: could not restart with OMP_THREAD_LIMIT=1 ({err}); OCR will be slower");
    }
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn")
    });
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    if let Some(addr) = cli.addr {
        config.addr = addr;
    }
    match cli.command {
        Command::Serve => {
            serve(
                config,
                Roles {
                    api: true,
                    worker: true,
                },
            )
            .await
        }
        Command::Api => {
            serve(
                config,
                Roles {
                    api: true,
                    worker: false,
                },
            )
            .await
        }
        Command::Worker => {
            serve(
                config,
                Roles {
                    api: false,
                    worker: true,
                },
            )
            .await
        }
        Command::Openapi => {
            println!("{}", app::openapi_json());
            Ok(())
        }
        Command::Token { command } => token(config, command).await,
        Command::Account { command } => account(config, command).await,
        Command::Replay { job, all } => replay(config, job, all).await,
        Command::Credits { command } => credits(config, command).await,
    }
}

async fn serve(config: Config, roles: Roles) -> anyhow::Result<()> {
    let running = app::start(config, roles).await?;
    let shutdown = running.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    running.join().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn connect(config: &Config) -> anyhow::Result<storage::Store> {
    storage::Store::connect(&storage::Options::new(&config.database_url))
        .await
        .context("connecting to Postgres")
}

async fn account(config: Config, command: AccountCommand) -> anyhow::Result<()> {
    let store = connect(&config).await?;
    match command {
        AccountCommand::Create { email, plan } => {
            let account = store.create_account(&email, plan).await?;
            println!("created {} on the {} plan", account.email, account.plan);
        }
        AccountCommand::WebhookSecret { email, rotate } => {
            let account = store.account_by_email(&email).await?;
            let secret = if rotate {
                store.rotate_webhook_secret(account.id).await?
            } else {
                store.webhook_secret(account.id).await?
            };
            println!("{secret}");
        }
        AccountCommand::SetPlan { email, plan } => {
            let account = store.account_by_email(&email).await?;
            store.set_plan(account.id, plan).await?;
            println!("{} is now on the {plan} plan", account.email);
        }
    }
    Ok(())
}

async fn replay(config: Config, job: Option<uuid::Uuid>, all: bool) -> anyhow::Result<()> {
    let store = connect(&config).await?;
    let jobs = match (job, all) {
        (Some(id), _) => vec![domain::JobId(id)],
        (None, true) => store.all_job_ids().await?,
        (None, false) => anyhow::bail!("say which: --job <uuid> or --all"),
    };
    let started = std::time::Instant::now();
    let mut events = 0;
    for id in &jobs {
        events += store.rebuild_job(*id).await?;
    }
    println!(
        "rebuilt {} job(s) from {events} events in {:.2?}",
        jobs.len(),
        started.elapsed()
    );
    reindex(&store, &config, &jobs).await
}

/// Rebuilds the passage index of this data directory for the replayed jobs, from the pages just
/// rebuilt: done jobs are indexed anew, every other job (running, failed, erased) has its
/// passages dropped. A running server holds the index's lock; it then keeps its own copy, which
/// it indexed from the same events, and this step says so instead of failing the replay.
async fn reindex(
    store: &storage::Store,
    config: &Config,
    jobs: &[domain::JobId],
) -> anyhow::Result<()> {
    let dir = config.data_dir.join("index");
    // The server's embedder, or the index's layout would differ and the index be rebuilt empty.
    let index = match search::Index::open(&dir, crate::chat::load_embedder(config)) {
        Ok(index) => index,
        Err(search::Error::Locked(dir)) => {
            println!(
                "passage index in {} is held by a running server: left to it",
                dir.display()
            );
            return Ok(());
        }
        Err(err) => return Err(err).context("opening the passage index"),
    };
    let started = std::time::Instant::now();
    let (mut indexed, mut dropped) = (0, 0);
    for &job in jobs {
        match store.job_view(job, false).await? {
            Some(view) if view.status == domain::JobStatus::Done => {
                let pages: Vec<search::PageText> = store
                    .page_texts(job, None)
                    .await?
                    .into_iter()
                    .map(|p| search::PageText {
                        page: domain::PageIndex(p.index),
                        text: p.text,
                        language: p.language,
                    })
                    .collect();
                index.index_job(job, view.version, &pages)?;
                indexed += 1;
            }
            _ => {
                index.delete_job(job)?;
                dropped += 1;
            }
        }
    }
    println!(
        "passage index in {}: {indexed} job(s) indexed, {dropped} dropped, in {:.2?}",
        dir.display(),
        started.elapsed()
    );
    Ok(())
}

async fn credits(config: Config, command: CreditsCommand) -> anyhow::Result<()> {
    let store = connect(&config).await?;
    match command {
        CreditsCommand::Add {
            email,
            credits,
            note,
        } => {
            let account = store.account_by_email(&email).await?;
            store.grant_credits(account.id, credits, &note).await?;
            if account.plan != Plan::Paid {
                store.set_plan(account.id, Plan::Paid).await?;
            }
            let usage = store
                .usage(&Subject::account(account.id), Plan::Paid, &config.pricing)
                .await?;
            println!(
                "added {credits} credits to {}; balance {}",
                account.email, usage.remaining
            );
        }
    }
    Ok(())
}

async fn token(config: Config, command: TokenCommand) -> anyhow::Result<()> {
    let store = connect(&config).await?;
    match command {
        TokenCommand::Create { email } => {
            let account = match store.account_by_email(&email).await {
                Ok(account) => account,
                Err(storage::Error::AccountNotFound(_)) => {
                    store
                        .create_account(&email, domain::billing::Plan::Free)
                        .await?
                }
                Err(err) => return Err(err.into()),
            };
            let issued = store.create_token(account.id).await?;
            eprintln!("token for {} (shown once, store it safely):", account.email);
            println!("{}", issued.token);
        }
        TokenCommand::Rotate { email } => {
            let account = store.account_by_email(&email).await?;
            let issued = store.rotate_token(account.id).await?;
            eprintln!(
                "new token for {} (old ones revoked; shown once):",
                account.email
            );
            println!("{}", issued.token);
        }
        TokenCommand::Revoke { email } => {
            let account = store.account_by_email(&email).await?;
            let count = store.revoke_tokens(account.id).await?;
            println!("revoked {count} token(s) of {}", account.email);
        }
    }
    Ok(())
}
