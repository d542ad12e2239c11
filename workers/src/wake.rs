//! Waking idle workers the moment a job is pushed, instead of at their next heartbeat.
//!
//! An apalis worker whose fetch came back empty parks until something wakes it; with the plain
//! Redis backend that is its heartbeat, which made every job wait 3.5 to 5 s in the queue. Each
//! lane worker here polls with a [`Wake`] stream, signalled by:
//! - this process's own pushes ([`crate::Queue::enqueue`]), at once;
//! - every other process's pushes, through the `tasks:<queue>:active:available` Redis channel
//!   apalis publishes on each push (one subscriber connection per process,
//!   [`listen_for_pushes`]);
//! - a slow safety-net interval (added by the runtime), for a notification lost while the
//!   subscriber reconnects.

use futures::{task::AtomicWaker, Stream, StreamExt};
use std::{
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};
use tokio_util::sync::CancellationToken;

/// A wake-up signal as a stream: yields once after one or more [`Wake::signal`]s.
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    waker: AtomicWaker,
    set: AtomicBool,
}

impl Wake {
    /// Wakes whoever polls the stream (now or at its next poll), and again shortly after.
    ///
    /// The second wake closes a race inside apalis: a worker woken while its previous fetch is
    /// still in flight consumes the signal in the same poll that completes that (empty) fetch,
    /// and would then park until its next heartbeat. A fetch is a millisecond-scale Lua call,
    /// so a repeat 30 ms later finds the worker ready to fetch again, and the later repeats
    /// cover a machine too loaded for that.
    pub fn signal(&self) {
        self.signal_now();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let again = self.clone();
            runtime.spawn(async move {
                for delay in REPEATS {
                    tokio::time::sleep(delay).await;
                    again.signal_now();
                }
            });
        }
    }

    fn signal_now(&self) {
        self.0.set.store(true, Ordering::Release);
        self.0.waker.wake();
    }
}

/// When a signal is repeated (see [`Wake::signal`]); the later ones cover a fetch slowed down by
/// a loaded machine. An extra empty fetch is one short Lua call.
const REPEATS: [Duration; 4] = [
    Duration::from_millis(30),
    Duration::from_millis(300),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

impl Stream for Wake {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let inner = &self.0;
        // Register on every poll, also the one that yields: apalis polls this stream only as a
        // side effect of polling its backend, and a backend that parks in the very poll that
        // consumed a signal would otherwise never hear the next one (`AtomicWaker::wake` takes
        // the registered waker, so nothing would be left to wake). Registering before the check
        // also keeps a signal sent in between.
        inner.waker.register(cx.waker());
        if inner.set.swap(false, Ordering::AcqRel) {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

/// The Redis channel apalis-redis publishes on when a task is pushed onto `queue`.
pub fn push_channel(queue: &str) -> String {
    format!("tasks:{queue}:active:available")
}

/// Subscribes to the push channels and signals the matching wake, until `shutdown`. Reconnects
/// after errors, waking everyone on each reconnect (a push may have been missed meanwhile).
pub async fn listen_for_pushes(
    redis_url: String,
    channels: Vec<(String, Wake)>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        match subscribe(&redis_url, &channels).await {
            Ok(mut pubsub) => {
                for (_, wake) in &channels {
                    wake.signal();
                }
                let mut messages = pubsub.on_message();
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        message = messages.next() => match message {
                            Some(message) => {
                                let channel = message.get_channel_name();
                                for (name, wake) in &channels {
                                    if name == channel {
                                        wake.signal();
                                    }
                                }
                            }
                            None => break,
                        },
                    }
                }
                tracing::warn!("queue push subscription ended; resubscribing");
            }
            Err(err) => tracing::warn!(error = %err, "could not subscribe to queue pushes"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

async fn subscribe(
    redis_url: &str,
    channels: &[(String, Wake)],
) -> Result<redis::aio::PubSub, redis::RedisError> {
    let client = redis::Client::open(redis_url)?;
    let mut pubsub = client.get_async_pubsub().await?;
    for (name, _) in channels {
        pubsub.subscribe(name).await?;
    }
    Ok(pubsub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_signal_before_the_poll_is_kept() {
        let mut wake = Wake::default();
        wake.signal_now();
        wake.signal_now();
        assert_eq!(wake.next().await, Some(()));
        // Both signals collapsed into one wake-up.
        let pending = tokio::time::timeout(Duration::from_millis(20), wake.next()).await;
        assert!(pending.is_err());
        let signaller = wake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            signaller.signal_now();
        });
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(5), wake.next()).await,
            Ok(Some(()))
        );
    }

    #[tokio::test]
    async fn a_signal_is_repeated_for_a_worker_that_consumed_it_too_early() {
        let mut wake = Wake::default();
        wake.signal();
        assert_eq!(wake.next().await, Some(()));
        // The repeat arrives by itself, without another signal.
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(2), wake.next()).await,
            Ok(Some(()))
        );
    }

    /// Counts the wake-ups of the task that polls.
    #[derive(Default)]
    struct Counter(std::sync::atomic::AtomicUsize);

    impl futures::task::ArcWake for Counter {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_poll_that_takes_a_signal_still_hears_the_next_one() {
        let counter = Arc::new(Counter::default());
        let waker = futures::task::waker(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let mut wake = Wake::default();
        wake.signal_now();
        // The poll that consumes the signal (and whose backend then parks)...
        assert_eq!(
            Pin::new(&mut wake).poll_next(&mut cx),
            Poll::Ready(Some(()))
        );
        // ...must still be woken by the next signal, or the worker sleeps until its heartbeat.
        wake.signal_now();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            Pin::new(&mut wake).poll_next(&mut cx),
            Poll::Ready(Some(()))
        );
        assert_eq!(Pin::new(&mut wake).poll_next(&mut cx), Poll::Pending);
    }

    #[test]
    fn the_channel_is_the_one_apalis_publishes_on() {
        let config = apalis_redis::Config::default().queue("ns:ocr");
        assert_eq!(
            push_channel("ns:ocr"),
            format!("tasks:{}:available", config.active_jobs_list())
        );
    }
}
