//! Connections that a handler can kill: how "dropped connection" faults really close the socket.
//!
//! The listener wraps every accepted `TcpStream` in a [`KillableStream`] sharing a [`KillSwitch`]
//! with the request handlers (through axum's `ConnectInfo`). A handler that wants to drop the
//! connection flips the switch and wakes the stream: the next read or write fails, hyper abandons
//! the connection without writing the response, drops the stream, and the socket is closed (the
//! client sees the connection end before any response byte). Shutdown kills every live connection
//! the same way.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Shared between a connection's stream and its request handlers.
#[derive(Debug, Default)]
pub(crate) struct KillSwitch {
    killed: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl KillSwitch {
    /// Kills the connection: pending and future reads/writes fail.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *self.wakers.lock().unwrap_or_else(|e| e.into_inner()));
        wakers.into_iter().for_each(Waker::wake);
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    fn register(&self, w: &Waker) {
        let mut wakers = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        if !wakers.iter().any(|x| x.will_wake(w)) {
            wakers.push(w.clone());
        }
    }
}

/// The connection info handlers get: the peer and the kill switch.
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    /// The peer address.
    pub remote: SocketAddr,
    /// Kills this connection.
    pub switch: Arc<KillSwitch>,
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// Live connections, so shutdown can kill them all.
#[derive(Debug, Default)]
pub(crate) struct ConnRegistry {
    live: Mutex<Vec<Weak<KillSwitch>>>,
}

impl ConnRegistry {
    fn track(&self, s: &Arc<KillSwitch>) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(s));
    }

    /// Kills every live connection.
    pub(crate) fn kill_all(&self) {
        let live = std::mem::take(&mut *self.live.lock().unwrap_or_else(|e| e.into_inner()));
        live.iter().filter_map(Weak::upgrade).for_each(|s| s.kill());
    }
}

/// A `TcpListener` whose connections can be killed.
pub(crate) struct KillableListener {
    inner: TcpListener,
    registry: Arc<ConnRegistry>,
}

impl KillableListener {
    pub(crate) fn new(inner: TcpListener, registry: Arc<ConnRegistry>) -> Self {
        Self { inner, registry }
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = ConnHandle;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let switch = Arc::new(KillSwitch::default());
                    self.registry.track(&switch);
                    return (
                        KillableStream {
                            inner: stream,
                            switch: switch.clone(),
                        },
                        ConnHandle { remote, switch },
                    );
                }
                Err(e) => {
                    // Like axum's own loop: transient accept errors (e.g. too many open files).
                    tracing::debug!(error = %e, "kingdee simulator: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnHandle {
            remote: self.inner.local_addr()?,
            switch: Arc::new(KillSwitch::default()),
        })
    }
}

/// A `TcpStream` that fails every operation once its switch is flipped.
#[derive(Debug)]
pub(crate) struct KillableStream {
    inner: TcpStream,
    switch: Arc<KillSwitch>,
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by the simulator",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.switch.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        this.switch.register(cx.waker());
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.switch.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        this.switch.register(cx.waker());
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.switch.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
