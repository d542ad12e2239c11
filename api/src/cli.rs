//! The `ocrchat` command line: run the service (whole or in halves) and administer it.

use crate::{
    app::{self, Roles},
    config::Config,
};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::{net::SocketAddr, process::ExitCode};

const ENVIRONMENT: &str = "\
Environment variables (defaults work on a developer machine):
  OCRCHAT_ADDR                 listen address of the API [127.0.0.1:8080] (also --addr)
  DATABASE_URL                 Postgres URL; the database is created if missing
                               [postgres://postgres@127.0.0.1:5432/ocrchat]
  REDIS_URL                    Redis URL [redis://127.0.0.1:6379]
  OCRCHAT_REDIS_NAMESPACE      prefix of every Redis key [ocrchat]
  OCRCHAT_PDFIUM_LIB           path of libpdfium.so [~/.cache/ocrchat/pdfium-5.15.2/libpdfium.so]
  OCRCHAT_TESSDATA             Tesseract traineddata directory [/usr/share/tesseract-ocr/5/tessdata]
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
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print the OpenAPI document (JSON) that the service serves at /api/v1/openapi.json.
    Openapi,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for an account (creating the account if needed); prints it once.
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

async fn token(config: Config, command: TokenCommand) -> anyhow::Result<()> {
    let store = storage::Store::connect(&storage::Options::new(&config.database_url))
        .await
        .context("connecting to Postgres")?;
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
        TokenCommand::Revoke { email } => {
            let account = store.account_by_email(&email).await?;
            let count = store.revoke_tokens(account.id).await?;
            println!("revoked {count} token(s) of {}", account.email);
        }
    }
    Ok(())
}
