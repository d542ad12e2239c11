//! Running workers: apalis workers on the Redis queue, plus a sweep that re-enqueues stranded
//! jobs from the event store's point of view.
//!
//! Two mechanisms bring a job back after a failure, on purpose:
//! - apalis' heartbeat: a worker that stops beating has its in-flight tasks re-enqueued by a live
//!   worker (bounded by `heartbeat × missed_heartbeats`);
//! - the sweep: any job still `pending`/`processing` whose projection has not moved for
//!   `stale_after` is pushed again. This covers what the queue cannot know: a Redis restart that
//!   lost its (non-persisted) lists, or retries exhausted while Postgres was down. Enqueueing a job
//!   twice is harmless, because processing is idempotent per page.

use crate::{
    process::{Outcome, Processor},
    queue::{Lane, OcrTask, Queue},
    webhook::{Deliverer, Delivery, WebhookTask},
};
use apalis::{
    layers::{
        catch_panic::{CatchPanicLayer, PanicError},
        retry::{
            backoff::{self as tower_backoff, ExponentialBackoffMaker, MakeBackoff},
            HasherRng, RetryPolicy,
        },
        WorkerBuilderExt,
    },
    prelude::{BackendExt, BoxDynError, Data, WorkerBuilder},
};
use std::{sync::Arc, time::Duration};
use storage::Store;
use tokio_util::sync::CancellationToken;

/// How the worker side of a process runs.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Jobs worked on at once by this process.
    pub concurrency: usize,
    /// Delivery attempts per task (the first plus retries with backoff).
    pub attempts: u32,
    /// A non-final job whose projection has not changed for this long is re-enqueued.
    pub stale_after: Duration,
    /// How often the sweep looks.
    pub sweep_every: Duration,
    /// How often idle workers look at the queue without being woken (pushes wake them at once;
    /// this only covers a notification lost while the push subscriber reconnected).
    pub wake_every: Duration,
    /// Prefix for this process' apalis worker names (unique per process).
    pub name: String,
    /// Finished jobs older than this are erased; `None` keeps them.
    pub retention: Option<Duration>,
    /// Webhook delivery attempts (the first plus retries with backoff).
    pub webhook_attempts: u32,
}

/// What a task that panicked ends with: aborted (not retried: it would panic again), with the
/// panic's message. (A named function: apalis' own `catch_panic()` does not compile inside a
/// spawned task.)
fn panicked(panic: &Box<dyn std::any::Any + Send + 'static>) -> apalis::prelude::AbortError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(%message, "a queue task panicked");
    apalis::prelude::AbortError::new(PanicError(message))
}

/// The apalis handler: one queue message, one job.
async fn handle(task: OcrTask, processor: Data<Arc<Processor>>) -> Result<(), BoxDynError> {
    match processor.process(task.job).await {
        Ok(outcome) => {
            match &outcome {
                Outcome::Done => tracing::info!(job = %task.job, "job done"),
                Outcome::Failed(reason) => tracing::info!(job = %task.job, %reason, "job failed"),
                Outcome::AlreadyFinished => {
                    tracing::debug!(job = %task.job, "job already finished")
                }
                Outcome::Unknown => tracing::warn!(job = %task.job, "queued job does not exist"),
            }
            Ok(())
        }
        Err(err) => Err(Box::new(err)),
    }
}

/// The apalis handler of webhook deliveries: an error makes the queue retry with backoff.
async fn deliver(task: WebhookTask, deliverer: Data<Arc<Deliverer>>) -> Result<(), BoxDynError> {
    match deliverer.deliver(task.job).await {
        Ok(Delivery::Failed(reason)) => Err(reason.into()),
        Ok(outcome) => {
            tracing::info!(job = %task.job, ?outcome, "webhook");
            Ok(())
        }
        Err(err) => Err(Box::new(err)),
    }
}

/// Runs workers and the sweep until `shutdown` is cancelled. A worker that stops on a backend
/// error (Redis gone) is rebuilt after a pause, so a Redis restart does not end processing.
pub async fn run(
    processor: Arc<Processor>,
    deliverer: Arc<Deliverer>,
    queue: Queue,
    store: Store,
    options: RuntimeOptions,
    shutdown: CancellationToken,
) {
    let sweep = tokio::spawn(sweep_loop(
        store,
        queue.clone(),
        options.clone(),
        shutdown.clone(),
    ));
    let webhooks = tokio::spawn(run_webhooks(
        deliverer,
        queue.clone(),
        options.clone(),
        shutdown.clone(),
    ));
    // Idle lane workers wake on pushes from any process (see `wake`), with a slow safety net.
    let channels = Lane::ALL
        .map(|lane| (queue.push_channel(lane), queue.wake(lane).clone()))
        .to_vec();
    let listener = tokio::spawn(crate::wake::listen_for_pushes(
        queue.options().redis_url.clone(),
        channels,
        shutdown.clone(),
    ));
    let safety_net = {
        let (queue, shutdown, every) = (queue.clone(), shutdown.clone(), options.wake_every);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                for lane in Lane::ALL {
                    queue.wake(lane).signal();
                }
            }
        })
    };
    // One worker per lane, each with the full concurrency: a backlog of standard work never
    // holds a paid job back, and the OCR pool serves paid pages first.
    let lanes = Lane::ALL.map(|lane| {
        tokio::spawn(run_lane(
            lane,
            Arc::clone(&processor),
            queue.clone(),
            options.clone(),
            shutdown.clone(),
        ))
    });
    for lane in lanes {
        let _ = lane.await;
    }
    let _ = webhooks.await;
    let _ = listener.await;
    safety_net.abort();
    sweep.abort();
}

fn backoff() -> Option<tower_backoff::ExponentialBackoff> {
    ExponentialBackoffMaker::new(
        Duration::from_millis(500),
        Duration::from_secs(30),
        0.5,
        HasherRng::default(),
    )
    .map(|mut maker| maker.make_backoff())
    .ok()
}

/// Keeps one apalis worker running until shutdown. An apalis worker ends on backend errors (a
/// Redis outage), so `run`, which builds generation `n` of the worker with a fresh retry backoff
/// and runs it until the token is cancelled, is called again a second after each stop.
async fn supervise<F, Fut, E>(what: &str, shutdown: CancellationToken, mut run: F)
where
    F: FnMut(u32, tower_backoff::ExponentialBackoff, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut generation = 0u32;
    while !shutdown.is_cancelled() {
        generation += 1;
        let Some(backoff) = backoff() else {
            tracing::error!("invalid retry backoff settings");
            return;
        };
        match run(generation, backoff, shutdown.clone()).await {
            Ok(()) if shutdown.is_cancelled() => return,
            Ok(()) => tracing::warn!("{what} stopped; restarting"),
            Err(err) => tracing::warn!(error = %err, "{what} stopped on an error; restarting"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Runs the webhook worker until shutdown, rebuilding it after backend errors.
async fn run_webhooks(
    deliverer: Arc<Deliverer>,
    queue: Queue,
    options: RuntimeOptions,
    shutdown: CancellationToken,
) {
    supervise("webhook worker", shutdown, |generation, backoff, stop| {
        WorkerBuilder::new(format!("{}-webhooks-{generation}", options.name))
            .backend(queue.webhook_storage())
            .concurrency(4)
            .retry(
                RetryPolicy::retries(options.webhook_attempts.saturating_sub(1) as usize)
                    .with_backoff(backoff),
            )
            // A panic in a delivery becomes an aborted task (not retried), never a dead worker.
            .layer(CatchPanicLayer::with_panic_handler(panicked))
            .data(Arc::clone(&deliverer))
            .build(deliver)
            .run_until(async move {
                stop.cancelled().await;
                Ok::<(), std::io::Error>(())
            })
    })
    .await;
}

/// Runs the workers of one lane until shutdown, rebuilding them after backend errors.
async fn run_lane(
    lane: Lane,
    processor: Arc<Processor>,
    queue: Queue,
    options: RuntimeOptions,
    shutdown: CancellationToken,
) {
    supervise("worker", shutdown, |generation, backoff, stop| {
        WorkerBuilder::new(format!("{}-{lane:?}-{generation}", options.name))
            .backend(
                queue
                    .storage(lane)
                    .poll_with_stream(queue.wake(lane).clone()),
            )
            // concurrency before retry: the other order hung without retrying (SETUP-NOTES).
            .concurrency(options.concurrency)
            .retry(
                RetryPolicy::retries(options.attempts.saturating_sub(1) as usize)
                    .with_backoff(backoff),
            )
            // `Processor::process` fails a job whose processing panics; this catches whatever
            // panics outside it, so a panic never takes the worker down with its other tasks.
            .layer(CatchPanicLayer::with_panic_handler(panicked))
            .data(Arc::clone(&processor))
            .build(handle)
            .run_until(async move {
                stop.cancelled().await;
                Ok::<(), std::io::Error>(())
            })
    })
    .await;
}

/// Periodically re-enqueues jobs that should be moving but are not.
async fn sweep_loop(
    store: Store,
    queue: Queue,
    options: RuntimeOptions,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(options.sweep_every) => {}
        }
        match store.stale_jobs(options.stale_after).await {
            Ok(jobs) => {
                for (job, priority) in jobs {
                    tracing::info!(%job, "re-enqueueing stranded job");
                    if let Err(err) = queue.enqueue_once_per_period(job, priority).await {
                        tracing::warn!(%job, error = %err, "could not re-enqueue");
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "stranded-job sweep failed"),
        }
        match store.webhooks_due(options.stale_after).await {
            Ok(jobs) => {
                for job in jobs {
                    tracing::info!(%job, "re-enqueueing an owed webhook");
                    if let Err(err) = queue.enqueue_webhook(job).await {
                        tracing::warn!(%job, error = %err, "could not re-enqueue the webhook");
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "webhook sweep failed"),
        }
        if let Some(retention) = options.retention {
            erase_expired(&store, retention, &options.name).await;
        }
    }
}

/// Erases finished jobs older than the retention period.
async fn erase_expired(store: &Store, retention: Duration, worker: &str) {
    let cutoff =
        chrono::Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let jobs = match store.finished_before(cutoff).await {
        Ok(jobs) => jobs,
        Err(err) => {
            tracing::warn!(error = %err, "retention sweep failed");
            return;
        }
    };
    for job in jobs {
        let meta = domain::EventMeta {
            worker: Some(format!("retention:{worker}")),
            attempt: None,
        };
        match store.erase_job(job, meta).await {
            Ok(_) => tracing::info!(%job, "erased after the retention period"),
            Err(err) => tracing::warn!(%job, error = %err, "could not erase an expired job"),
        }
    }
}
