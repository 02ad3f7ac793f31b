//! A TCP listener for the callback receiver that nobody can hold open. Each
//! connection must send its request headers within `header_timeout` and
//! then everything else within `body_timeout`, or its reads fail and hyper
//! drops it; a byte every few seconds no longer keeps it alive.
//!
//! Connections are budgeted by standing. One that has shown a valid media
//! token or the callback path (a handler vouches for it:
//! [`ConnHandle::vouch`]) is trusted, and nothing a stranger does cuts it:
//! at most `max_unauthenticated` others are open, and one more cuts the
//! oldest idle one of those (still in its headers, or done with its
//! answer), else the oldest of them. So a flood of complete or slow
//! requests without a token cannot cut a clip being sent to the provider,
//! nor take every file descriptor. At most `max_trusted` are trusted at
//! once; past that a vouched-for connection stays a stranger.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// How long a connection may take, and how many may be open.
#[derive(Clone, Copy, Debug)]
pub struct ReceiverLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// Connections open at once that have not shown a valid token.
    pub max_unauthenticated: usize,
    /// Connections open at once that have (the provider's).
    pub max_trusted: usize,
}

impl Default for ReceiverLimits {
    fn default() -> Self {
        ReceiverLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_unauthenticated: 192,
            max_trusted: 64,
        }
    }
}

/// What the listener and the connection's handlers share of it.
#[derive(Default)]
struct ConnState {
    /// Still reading its first request's headers.
    in_headers: AtomicBool,
    /// Wrote an answer and has sent nothing since: idle.
    answered: AtomicBool,
    /// Showed a valid token: never cut to make room.
    trusted: AtomicBool,
    /// Milliseconds a handler allowed from now on (0: none asked).
    allow: AtomicU64,
    cut: Cut,
}

impl ConnState {
    fn live_stranger(&self) -> bool {
        !self.trusted.load(Ordering::SeqCst) && !self.cut.done.load(Ordering::SeqCst)
    }

    fn idle(&self) -> bool {
        self.in_headers.load(Ordering::SeqCst) || self.answered.load(Ordering::SeqCst)
    }
}

/// Set by the listener to end a connection; wakes its reader.
#[derive(Default)]
struct Cut {
    done: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Cut {
    fn now(&self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            waker.wake();
        }
    }
}

/// The open connections by id (ids grow with time: oldest first).
type Registry = Arc<Mutex<BTreeMap<u64, Arc<ConnState>>>>;

pub struct GuardedListener {
    inner: TcpListener,
    limits: ReceiverLimits,
    open: Registry,
    next_id: u64,
}

impl GuardedListener {
    pub fn new(inner: TcpListener, limits: ReceiverLimits) -> GuardedListener {
        GuardedListener {
            inner,
            limits,
            open: Registry::default(),
            next_id: 0,
        }
    }

    /// Makes room for one more stranger: when the strangers' budget is
    /// full, cuts the oldest idle stranger, else the oldest stranger.
    /// Trusted connections are never chosen.
    fn make_room(&self) {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let strangers = || open.values().filter(|c| c.live_stranger());
        if strangers().count() < self.limits.max_unauthenticated.max(1) {
            return;
        }
        let victim = strangers()
            .find(|c| c.idle())
            .or_else(|| strangers().next());
        if let Some(conn) = victim {
            conn.cut.now();
        }
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream, SocketAddr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        self.make_room();
        self.next_id += 1;
        let id = self.next_id;
        let state = Arc::new(ConnState::default());
        state.in_headers.store(true, Ordering::SeqCst);
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, state.clone());
        let stream = GuardedStream {
            state,
            inner: stream,
            deadline: Box::pin(tokio::time::sleep(self.limits.header_timeout)),
            body_timeout: self.limits.body_timeout,
            tail: [0; 4],
            open: self.open.clone(),
            max_trusted: self.limits.max_trusted,
            id,
        };
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A handler's hold on its connection, through `ConnectInfo`.
#[derive(Clone)]
pub struct ConnHandle {
    state: Arc<ConnState>,
    open: Registry,
    max_trusted: usize,
}

impl std::fmt::Debug for ConnHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnHandle")
            .field("trusted", &self.state.trusted.load(Ordering::SeqCst))
            .finish()
    }
}

impl ConnHandle {
    /// The request showed a valid token: from now on the connection is
    /// never cut to make room for others (while trusted connections are
    /// fewer than `max_trusted`), and may take `time` (instead of what is
    /// left of its deadline) before its reads fail.
    pub fn vouch(&self, time: Duration) {
        if !self.state.trusted.load(Ordering::SeqCst) {
            let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let trusted = open
                .values()
                .filter(|c| c.trusted.load(Ordering::SeqCst))
                .count();
            if trusted < self.max_trusted {
                self.state.trusted.store(true, Ordering::SeqCst);
            }
        }
        let ms = u64::try_from(time.as_millis()).unwrap_or(u64::MAX).max(1);
        self.state.allow.store(ms, Ordering::SeqCst);
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, GuardedListener>>
    for ConnHandle
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, GuardedListener>) -> Self {
        let io = stream.io();
        ConnHandle {
            state: io.state.clone(),
            open: io.open.clone(),
            max_trusted: io.max_trusted,
        }
    }
}

/// One connection: reads fail once its deadline passes or it is cut.
pub struct GuardedStream {
    state: Arc<ConnState>,
    inner: TcpStream,
    deadline: Pin<Box<Sleep>>,
    body_timeout: Duration,
    /// The last four bytes read, to see the blank line ending the headers.
    tail: [u8; 4],
    open: Registry,
    max_trusted: usize,
    id: u64,
}

impl GuardedStream {
    /// Watches the bytes read for the end of the headers (`\r\n\r\n`); from
    /// there the body's deadline applies.
    fn saw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        // A new request (or more of this one): not idle.
        self.state.answered.store(false, Ordering::SeqCst);
        if !self.state.in_headers.load(Ordering::SeqCst) {
            return;
        }
        for &b in bytes {
            self.tail = [self.tail[1], self.tail[2], self.tail[3], b];
            if &self.tail == b"\r\n\r\n" {
                self.state.in_headers.store(false, Ordering::SeqCst);
                let body_deadline = Instant::now() + self.body_timeout;
                self.deadline.as_mut().reset(body_deadline);
                return;
            }
        }
    }
}

impl Drop for GuardedStream {
    fn drop(&mut self) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let cut = &this.state.cut;
        *cut.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
        if cut.done.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "cut to make room for newer connections",
            )));
        }
        let allowed = this.state.allow.swap(0, Ordering::SeqCst);
        if allowed > 0 {
            this.state.in_headers.store(false, Ordering::SeqCst);
            let until = Instant::now() + Duration::from_millis(allowed);
            this.deadline.as_mut().reset(until);
        }
        if Future::poll(this.deadline.as_mut(), cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request took too long to arrive",
            )));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if read.is_ready() {
            this.saw(&buf.filled()[before..]);
        }
        read
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written
            && n > 0
        {
            self.state.answered.store(true, Ordering::SeqCst);
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
