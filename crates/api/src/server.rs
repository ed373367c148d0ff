//! Serving the router on a TCP listener with the limits a public node needs, which
//! `axum::serve` does not offer: a time limit on reading a request's headers (a client
//! that sends half a request and waits is cut off), an idle limit on a connection
//! between requests, and a limit on open connections (past it, a new connection is
//! closed at once and counted in `companyos_http_connections_refused_total`).
//! Upgraded connections (WebSockets) are not held to the idle limit: they have their
//! own liveness.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// What a connection may do.
#[derive(Clone, Copy, Debug)]
pub struct ServerLimits {
    /// Time to receive a request's headers, from the first byte (or from the end of the
    /// previous request).
    pub header_read_timeout: Duration,
    /// Time a connection may stay open without a byte in either direction.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            max_connections: 4096,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open requests
/// finish. The router sees each client's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics::counter!(crate::metrics::HTTP_CONNECTIONS_REFUSED_TOTAL).increment(1);
            tracing::debug!(%peer, "connection refused: http.max_connections are open");
            drop(stream);
            continue;
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        let app = app.clone();
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let upgraded = Arc::new(AtomicBool::new(false));
            let io = TokioIo::new(Idle::new(stream, limits.idle_timeout, upgraded.clone()));
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    let app = app.clone();
                    let upgraded = upgraded.clone();
                    async move {
                        let response = app.oneshot(request.map(axum::body::Body::new)).await;
                        if let Ok(response) = &response
                            && response.status() == hyper::StatusCode::SWITCHING_PROTOCOLS
                        {
                            upgraded.store(true, Ordering::Relaxed);
                        }
                        response
                    }
                },
            );
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection = builder.serve_connection_with_upgrades(io, service);
            tokio::pin!(connection);
            // A bool, not the watch's guard: nothing borrowed lives across an await.
            let stop = async move { stopping.wait_for(|stop| *stop).await.is_ok() };
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                true = stop => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    if stop.send(true).is_err() {
        tracing::debug!("no connection was open at shutdown");
    }
    // Open requests finish (up to every permit coming back), bounded.
    let everyone = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    if tokio::time::timeout(Duration::from_secs(10), permits.acquire_many(everyone))
        .await
        .is_err()
    {
        tracing::warn!("connections still open 10 s after shutdown began; stopping anyway");
    }
}

/// A TCP stream that fails with `TimedOut` after `limit` without a byte read or
/// written — unless the connection was upgraded.
struct Idle {
    stream: TcpStream,
    limit: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    upgraded: Arc<AtomicBool>,
}

impl Idle {
    fn new(stream: TcpStream, limit: Duration, upgraded: Arc<AtomicBool>) -> Idle {
        Idle {
            stream,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
            upgraded,
        }
    }

    fn touch(&mut self) {
        self.deadline
            .as_mut()
            .reset(tokio::time::Instant::now() + self.limit);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        !self.upgraded.load(Ordering::Relaxed) && self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the connection was idle too long",
    )
}

impl AsyncRead for Idle {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.touch();
                Poll::Ready(result)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Idle {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(result) => {
                this.touch();
                Poll::Ready(result)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => {
                this.touch();
                Poll::Ready(result)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
