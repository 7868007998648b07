//! Running the application on a TCP listener with graceful shutdown.
//!
//! Connections are served by hyper's HTTP/1 server directly rather than through `axum::serve`,
//! which does not expose hyper's header read timeout: a client that does not send a complete
//! request head within [`Config::header_read_timeout`](crate::config::Config) is disconnected,
//! so slow or silent connections (slowloris) cannot hold sockets forever. The same timeout
//! bounds how long a kept-alive connection may sit idle between requests.
//!
//! The header timeout stops at the end of the head, so a request body gets a deadline of its
//! own: a body that has not arrived completely [`Config::body_read_timeout`](crate::config::Config)
//! after its head fails to read, the request is answered with an error, and hyper closes the
//! connection (it cannot reuse one with unread body bytes). Without it, a request announcing a
//! `Content-Length` it never sends would hold its connection and handler forever.
//!
//! A WebSocket upgrade needs no timeout of its own: hyper hands the connection over as soon as
//! the `101` is written (even if the request announced a body), and from then on the socket's
//! pings and idle timeout apply.
//!
//! On shutdown the listener stops accepting, every open WebSocket is told to close with 1001
//! ("going away"), and in-flight requests may finish; all of that within [`SHUTDOWN_GRACE`], so
//! a client that never finishes its request, or never answers a close frame, cannot hold the
//! process.

use std::{
    future::Future,
    pin::{pin, Pin},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::Request,
    serve::{Listener, ListenerExt},
    BoxError,
};
use hyper::{
    body::{Body, Frame, Incoming, SizeHint},
    server::conn::http1,
    service::service_fn,
};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    net::TcpListener,
    sync::watch,
    time::{Instant, Sleep},
};

use crate::{routes::app, state::AppState};

/// The kernel send buffer of every connection (`SO_SNDBUF`; Linux doubles it for bookkeeping):
/// what a client that does not read can hold of the kernel's memory, besides what the server
/// queues for it. Large enough for a game snapshot and a burst of frames.
pub const SEND_BUFFER_BYTES: usize = 128 * 1024;

/// Longest time shutdown waits for in-flight requests and for open WebSockets to close.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Restores the unfinished games of the database (their actors re-arm their timers), then serves
/// the application on `listener` until `shutdown` completes. Then it closes every WebSocket with
/// 1001 and lets in-flight requests finish, waiting at most `SHUTDOWN_GRACE` (3 s) for both.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state
        .games
        .restore(&state)
        .await
        .map_err(std::io::Error::other)?;
    let header_read_timeout = state.config.header_read_timeout;
    let body_read_timeout = state.config.body_read_timeout;
    let sockets = state.sockets.clone();
    let router = app(state);
    // Game sockets send small frames one at a time: without TCP_NODELAY, Nagle's algorithm and
    // delayed ACKs add about 40 ms to a round trip.
    // A fixed send buffer: with the kernel's autotuning, a client that stops reading could pin
    // megabytes of kernel memory per connection before any write blocks (and times out).
    let mut listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        if let Err(error) = socket2::SockRef::from(&*stream).set_send_buffer_size(SEND_BUFFER_BYTES)
        {
            tracing::debug!(%error, "cannot set SO_SNDBUF");
        }
    });
    // Dropping `signal_rx` tells every connection to finish; each connection holds a clone of
    // `close_rx`, so `close_tx.closed()` completes when the last one is done.
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    let (close_tx, close_rx) = watch::channel(());
    // Dropping `abort_rx` after the grace period makes every connection still open drop its
    // request and close.
    let (abort_tx, abort_rx) = watch::channel(());
    loop {
        let (stream, address) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = signal_tx.closed() => break,
        };
        let router = TowerToHyperService::new(router.clone());
        // Every request body gets its deadline when its head has arrived.
        let service = service_fn(move |request: Request<Incoming>| {
            let mut request =
                request.map(|body| DeadlineBody::new(body, Instant::now() + body_read_timeout));
            // The peer address, for the per-address throttles (`auth::ClientAddress`).
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(address));
            hyper::service::Service::call(&router, request)
        });
        let signal_tx = signal_tx.clone();
        let close_rx = close_rx.clone();
        let abort_tx = abort_tx.clone();
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let mut connection = pin!(builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades());
            let mut shutting_down = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%error, "connection ended with an error");
                        }
                        break;
                    }
                    () = signal_tx.closed(), if !shutting_down => {
                        shutting_down = true;
                        connection.as_mut().graceful_shutdown();
                    }
                    () = abort_tx.closed() => break,
                }
            }
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    sockets.close_all();
    let finished = async {
        close_tx.closed().await;
        sockets.all_closed().await;
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, finished)
        .await
        .is_err()
    {
        tracing::warn!(
            sockets = sockets.total(),
            "shutdown grace elapsed; dropping the requests and sockets still open"
        );
    }
    drop(abort_rx);
    Ok(())
}

/// A request body that fails once its deadline has passed before it was read to the end.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    /// Armed on the first read that has to wait, so bodies nobody waits for cost no timer.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, deadline: Instant) -> Self {
        Self {
            inner,
            deadline,
            sleep: None,
        }
    }
}

/// The error of a body that was not received in time.
#[derive(Debug, thiserror::Error)]
#[error("request body not received within the timeout")]
pub(crate) struct BodyTimedOut;

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(BoxError::from)));
        }
        let deadline = self.deadline;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimedOut.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Completes when the process receives SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("received SIGINT, shutting down"),
        () = terminate => tracing::info!("received SIGTERM, shutting down"),
    }
}
