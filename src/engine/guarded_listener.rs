//! A TCP listener for the callback receiver that nobody can hold open. Each
//! connection must send its request headers within `header_timeout` and
//! then everything else within `body_timeout`, or its reads fail and hyper
//! drops it; a byte every few seconds no longer keeps it alive. At most
//! `max_connections` are open: one more cuts the oldest that has not sent
//! its headers yet (else the oldest), so a flood of slow connections cannot
//! take every file descriptor or crowd out the provider's real callback.
//! A handler may give its connection longer ([`ConnHandle::allow`]): the
//! media route does, once it knows it is sending a clip it serves.

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

/// How long a connection may take.
#[derive(Clone, Copy, Debug)]
pub struct ReceiverLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ReceiverLimits {
    fn default() -> Self {
        ReceiverLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 256,
        }
    }
}

/// What the listener knows of one open connection.
struct Entry {
    /// Still reading its first request's headers: the first to be cut.
    in_headers: Arc<AtomicBool>,
    cut: Arc<Cut>,
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

type Registry = Arc<Mutex<BTreeMap<u64, Entry>>>;

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

    /// Makes room for one more connection: cuts the oldest still in its
    /// headers, else the oldest of all (ids grow with time).
    fn make_room(&self) {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() < self.limits.max_connections {
            return;
        }
        let idle = open
            .values()
            .find(|e| e.in_headers.load(Ordering::SeqCst) && !e.cut.done.load(Ordering::SeqCst));
        let victim = idle.or_else(|| open.values().find(|e| !e.cut.done.load(Ordering::SeqCst)));
        if let Some(entry) = victim {
            entry.cut.now();
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
        let in_headers = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Cut::default());
        self.open.lock().unwrap_or_else(|p| p.into_inner()).insert(
            id,
            Entry {
                in_headers: in_headers.clone(),
                cut: cut.clone(),
            },
        );
        let stream = GuardedStream {
            allow: Arc::default(),
            inner: stream,
            deadline: Box::pin(tokio::time::sleep(self.limits.header_timeout)),
            body_timeout: self.limits.body_timeout,
            in_headers,
            tail: [0; 4],
            cut,
            open: self.open.clone(),
            id,
        };
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A handler's hold on its connection, through `ConnectInfo`.
#[derive(Clone, Debug)]
pub struct ConnHandle(Arc<AtomicU64>);

impl ConnHandle {
    /// From now on the connection may take `time` (instead of what is left
    /// of its deadline) before its reads fail.
    pub fn allow(&self, time: Duration) {
        let ms = u64::try_from(time.as_millis()).unwrap_or(u64::MAX).max(1);
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, GuardedListener>>
    for ConnHandle
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, GuardedListener>) -> Self {
        ConnHandle(stream.io().allow.clone())
    }
}

/// One connection: reads fail once its deadline passes or it is cut.
pub struct GuardedStream {
    /// Milliseconds a handler allowed from now on (0: none asked).
    allow: Arc<AtomicU64>,
    inner: TcpStream,
    deadline: Pin<Box<Sleep>>,
    body_timeout: Duration,
    in_headers: Arc<AtomicBool>,
    /// The last four bytes read, to see the blank line ending the headers.
    tail: [u8; 4],
    cut: Arc<Cut>,
    open: Registry,
    id: u64,
}

impl GuardedStream {
    /// Watches the bytes read for the end of the headers (`\r\n\r\n`); from
    /// there the body's deadline applies.
    fn saw(&mut self, bytes: &[u8]) {
        if !self.in_headers.load(Ordering::SeqCst) {
            return;
        }
        for &b in bytes {
            self.tail = [self.tail[1], self.tail[2], self.tail[3], b];
            if &self.tail == b"\r\n\r\n" {
                self.in_headers.store(false, Ordering::SeqCst);
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
        *this.cut.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
        if this.cut.done.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "cut to make room for newer connections",
            )));
        }
        let allowed = this.allow.swap(0, Ordering::SeqCst);
        if allowed > 0 {
            this.in_headers.store(false, Ordering::SeqCst);
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
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
