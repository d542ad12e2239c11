//! The job queue: apalis tasks on Redis that carry only a job id.

use crate::{wake::Wake, webhook::WebhookTask};
use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_redis::{Config as RedisConfig, ConnectionManager, RedisStorage};
use domain::JobId;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A queue message: "work on this job". Everything else is read from the event store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcrTask {
    /// The job to process.
    pub job: JobId,
}

/// Where the queue lives and how worker liveness is judged.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Redis URL.
    pub redis_url: String,
    /// Prefix of every key, so deployments and tests sharing a Redis stay apart.
    pub namespace: String,
    /// Worker heartbeat; a worker silent for `missed_heartbeats` beats is presumed dead and its
    /// in-flight jobs are re-enqueued by the next live worker.
    pub heartbeat: Duration,
    /// Beats a worker may miss before its jobs are taken back.
    pub missed_heartbeats: usize,
    /// How long a sweep's re-enqueue of one job blocks the next one for that job.
    pub resweep_after: Duration,
}

/// Which of the two queues a job goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Paid plans: its own workers, so a backlog of free work never delays it, and its pages
    /// are served first by the OCR pool.
    Priority,
    /// Free and anonymous work.
    Standard,
}

impl Lane {
    /// Both lanes, priority first.
    pub const ALL: [Lane; 2] = [Lane::Priority, Lane::Standard];

    /// The lane of a plan priority (`domain::billing::Plan::priority`).
    pub fn for_priority(priority: u8) -> Lane {
        if priority > 0 {
            Lane::Priority
        } else {
            Lane::Standard
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Lane::Priority => "ocr:priority",
            Lane::Standard => "ocr",
        }
    }
}

impl QueueOptions {
    /// The apalis queue name of a lane: explicit, so keys never depend on a Rust type path.
    pub fn queue_name(&self, lane: Lane) -> String {
        format!("{}:{}", self.namespace, lane.suffix())
    }

    /// The queue of webhook deliveries.
    pub fn webhook_queue_name(&self) -> String {
        format!("{}:webhooks", self.namespace)
    }

    pub(crate) fn webhook_config(&self) -> RedisConfig {
        RedisConfig::default()
            .queue(self.webhook_queue_name())
            .batch_size(1)
            .heartbeat_interval(self.heartbeat)
            .missed_heartbeats(self.missed_heartbeats)
            .persist_results(false)
    }

    pub(crate) fn apalis_config(&self, lane: Lane) -> RedisConfig {
        RedisConfig::default()
            .queue(self.queue_name(lane))
            // One job at a time per fetch: a worker never hoards jobs other workers could start.
            .batch_size(1)
            .heartbeat_interval(self.heartbeat)
            .missed_heartbeats(self.missed_heartbeats)
            .persist_results(false)
            .idempotency_ttl(Some(self.resweep_after))
    }
}

/// Why the queue could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Redis refused or could not be reached.
    #[error("redis error")]
    Redis(#[from] apalis_redis::RedisError),
    /// apalis could not push the task.
    #[error("could not enqueue job {job}")]
    Push {
        /// The job.
        job: JobId,
        /// The cause.
        #[source]
        source: apalis::prelude::TaskSinkError<apalis_redis::Error>,
    },
}

/// A handle for pushing jobs; cheap to clone.
#[derive(Debug, Clone)]
pub struct Queue {
    priority: RedisStorage<OcrTask>,
    standard: RedisStorage<OcrTask>,
    webhooks: RedisStorage<WebhookTask>,
    options: QueueOptions,
    /// Wakes this process's idle lane workers on this process's pushes ([`crate::wake`]).
    wakes: [Wake; 2],
}

impl Queue {
    /// Connects to Redis.
    pub async fn connect(options: QueueOptions) -> Result<Queue, Error> {
        let conn = connect(&options.redis_url).await?;
        let priority =
            RedisStorage::new(conn.clone()).with_config(options.apalis_config(Lane::Priority));
        let standard =
            RedisStorage::new(conn.clone()).with_config(options.apalis_config(Lane::Standard));
        let webhooks = RedisStorage::new(conn).with_config(options.webhook_config());
        Ok(Queue {
            priority,
            standard,
            webhooks,
            options,
            wakes: Default::default(),
        })
    }

    /// Enqueues a job on the lane of its plan priority. Safe to call twice for one job: the
    /// second run finds it done.
    pub async fn enqueue(&self, job: JobId, priority: u8) -> Result<(), Error> {
        let lane = Lane::for_priority(priority);
        let mut storage = self.storage(lane);
        storage
            .push(OcrTask { job })
            .await
            .map_err(|source| Error::Push { job, source })?;
        self.wake(lane).signal();
        Ok(())
    }

    /// The wake-up signal of a lane's worker in this process.
    pub(crate) fn wake(&self, lane: Lane) -> &Wake {
        match lane {
            Lane::Priority => &self.wakes[0],
            Lane::Standard => &self.wakes[1],
        }
    }

    /// The Redis channel a push onto `lane` is announced on (by any process).
    pub(crate) fn push_channel(&self, lane: Lane) -> String {
        crate::wake::push_channel(&self.options.queue_name(lane))
    }

    /// Enqueues a job again unless this was already done within `resweep_after`: the stranded
    /// job sweep uses it so a job that stays stuck is pushed once per period, not once per sweep.
    pub async fn enqueue_once_per_period(&self, job: JobId, priority: u8) -> Result<(), Error> {
        let mut storage = self.storage(Lane::for_priority(priority));
        let task = TaskBuilder::new(OcrTask { job })
            .idempotency_key(format!("sweep:{job}"))
            .build();
        storage
            .push_task(task)
            .await
            .map_err(|source| Error::Push { job, source })?;
        self.wake(Lane::for_priority(priority)).signal();
        Ok(())
    }

    /// Enqueues a job's webhook delivery (after the job ended). Safe to repeat: delivery is
    /// decided from the job's events.
    pub async fn enqueue_webhook(&self, job: JobId) -> Result<(), Error> {
        let mut storage = self.webhooks.clone();
        storage
            .push(WebhookTask { job })
            .await
            .map_err(|source| Error::Push { job, source })
    }

    pub(crate) fn webhook_storage(&self) -> RedisStorage<WebhookTask> {
        self.webhooks.clone()
    }

    /// The options this queue was opened with.
    pub fn options(&self) -> &QueueOptions {
        &self.options
    }

    pub(crate) fn storage(&self, lane: Lane) -> RedisStorage<OcrTask> {
        match lane {
            Lane::Priority => self.priority.clone(),
            Lane::Standard => self.standard.clone(),
        }
    }
}

/// A managed connection that reconnects by itself after Redis restarts.
pub(crate) async fn connect(url: &str) -> Result<ConnectionManager, apalis_redis::RedisError> {
    let client = apalis_redis::Client::open(url)?;
    client.get_connection_manager().await
}
