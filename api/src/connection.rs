//! Slow clients: a connection may not sit idle, or dribble a request head, for ever.
//!
//! poem's own idle timeout only looks at socket activity, so a long inline wait (no bytes for up
//! to two minutes while the job runs) would be cut as surely as a silent client, while a client
//! sending one header byte every few seconds would never be. The rule here: a connection with no
//! request in flight must deliver a complete request head within `header_timeout` of being
//! opened or of the last byte the server wrote; otherwise its next read fails and hyper closes
//! it. While a request is in flight the connection is left alone (its body is guarded by the
//! body idle timeout in `gate`); response bytes written (downloads, event-stream keep-alives)
//! count as activity.
//!
//! The acceptor ([`GuardedAcceptor`]) wraps each connection; the middleware ([`InFlight`]) marks
//! requests in flight on their connection, found by the peer address (unique per connection).

use poem::{
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
};
use std::{
    collections::HashMap,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    task::{Context, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Instant, Sleep},
};

/// The open connections, by peer address.
pub struct Connections {
    started: Instant,
    open: Mutex<HashMap<SocketAddr, Arc<Connection>>>,
}

/// One connection's state.
struct Connection {
    /// Requests whose handler is running.
    in_flight: AtomicUsize,
    /// When the connection last made progress while idle (opened, or the server wrote), in
    /// milliseconds since [`Connections::started`].
    idle_since_ms: AtomicU64,
}

impl Connections {
    /// An empty registry, shared by the acceptor and the middleware.
    pub fn new() -> Arc<Connections> {
        Arc::new(Connections {
            started: Instant::now(),
            open: Mutex::new(HashMap::new()),
        })
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn find(&self, peer: &SocketAddr) -> Option<Arc<Connection>> {
        self.open.lock().ok()?.get(peer).cloned()
    }

    /// Open connections (for tests and diagnostics).
    pub fn count(&self) -> usize {
        self.open.lock().map_or(0, |open| open.len())
    }
}

/// Wraps an acceptor so each connection obeys the header timeout.
pub struct GuardedAcceptor<A> {
    inner: A,
    connections: Arc<Connections>,
    header_timeout: Duration,
}

impl<A> GuardedAcceptor<A> {
    /// `inner`'s connections, closed when idle without a complete request for `header_timeout`.
    pub fn new(inner: A, connections: Arc<Connections>, header_timeout: Duration) -> Self {
        GuardedAcceptor {
            inner,
            connections,
            header_timeout,
        }
    }
}

impl<A: Acceptor> Acceptor for GuardedAcceptor<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        let connection = Arc::new(Connection {
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(self.connections.now_ms()),
        });
        let peer = remote.as_socket_addr().copied();
        if let (Some(peer), Ok(mut open)) = (peer, self.connections.open.lock()) {
            open.insert(peer, Arc::clone(&connection));
        }
        let io = GuardedIo {
            inner: io,
            connection,
            connections: Arc::clone(&self.connections),
            peer,
            timeout: self.header_timeout,
            deadline: Box::pin(tokio::time::sleep(self.header_timeout)),
        };
        Ok((io, local, remote, scheme))
    }
}

/// A connection under the header timeout.
pub struct GuardedIo<T> {
    inner: T,
    connection: Arc<Connection>,
    connections: Arc<Connections>,
    peer: Option<SocketAddr>,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> GuardedIo<T> {
    /// `Err` once an idle connection is past its deadline; otherwise arms the timer so the
    /// pending read is woken at the deadline.
    fn check_idle(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if self.connection.in_flight.load(Ordering::Acquire) > 0 {
            return Ok(());
        }
        let since = self.connection.idle_since_ms.load(Ordering::Acquire);
        let deadline = self.connections.started + Duration::from_millis(since) + self.timeout;
        if self.deadline.deadline() != deadline {
            self.deadline.as_mut().reset(deadline);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no complete request within the header timeout",
            )),
            Poll::Pending => Ok(()),
        }
    }
}

impl<T> GuardedIo<T> {
    /// Bytes the server wrote count as activity: the idle deadline starts again.
    fn wrote(&self, written: &Poll<io::Result<usize>>) {
        if matches!(written, Poll::Ready(Ok(n)) if *n > 0) {
            self.connection
                .idle_since_ms
                .store(self.connections.now_ms(), Ordering::Release);
        }
    }
}

impl<T> Drop for GuardedIo<T> {
    fn drop(&mut self) {
        if let (Some(peer), Ok(mut open)) = (self.peer, self.connections.open.lock()) {
            // Only this connection's entry: the address may already belong to a newer one.
            if open
                .get(&peer)
                .is_some_and(|c| Arc::ptr_eq(c, &self.connection))
            {
                open.remove(&peer);
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Err(err) = this.check_idle(cx) {
            tracing::info!(peer = ?this.peer, "closing a connection that sent no complete request in time");
            return Poll::Ready(Err(err));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.wrote(&written);
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.wrote(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Marks each request in flight on its connection while its handler runs.
pub struct InFlight(pub Arc<Connections>);

impl<E: Endpoint> Middleware<E> for InFlight {
    type Output = InFlightEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        InFlightEndpoint(ep, Arc::clone(&self.0))
    }
}

/// [`InFlight`] around an endpoint.
pub struct InFlightEndpoint<E>(E, Arc<Connections>);

/// Decrements on drop, so a handler cancelled by a disconnect still leaves the count right.
struct Mark(Arc<Connection>, Arc<Connections>);

impl Drop for Mark {
    fn drop(&mut self) {
        self.0
            .idle_since_ms
            .store(self.1.now_ms(), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<E: Endpoint> Endpoint for InFlightEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let mark = req
            .remote_addr()
            .as_socket_addr()
            .and_then(|peer| self.1.find(peer))
            .map(|connection| {
                connection.in_flight.fetch_add(1, Ordering::AcqRel);
                Mark(connection, Arc::clone(&self.1))
            });
        let response = self.0.call(req).await.map(IntoResponse::into_response);
        drop(mark);
        response
    }
}
