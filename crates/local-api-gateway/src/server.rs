//! The HTTP server around a [`Gateway`]: one listener per API, one catch-all handler, an
//! access-log line per request, graceful shutdown on Ctrl-C / SIGTERM.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, State},
    http::{Request, Response},
};
use tokio::net::TcpListener;

use crate::{
    gateway::{Gateway, Outcome},
    invoke::Invoke,
    keys::FetchJwks,
};

pub fn router<F: FetchJwks, I: Invoke>(api: Arc<Gateway<F, I>>) -> Router {
    Router::new().fallback(handle::<F, I>).with_state(api)
}

async fn handle<F: FetchJwks, I: Invoke>(
    State(api): State<Arc<Gateway<F, I>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request<Body>,
) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: a query string may carry a token (`$request.querystring.*` sources).
    let path = req.uri().path().to_owned();
    let response = api.handle(req, peer).await;
    let outcome = response
        .extensions()
        .get::<Outcome>()
        .cloned()
        .unwrap_or_default();
    tracing::info!(
        api = %api.api().id,
        method = %method,
        path = %path,
        route = outcome.route.as_deref().unwrap_or("-"),
        status = response.status().as_u16(),
        latency_ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
        auth = %outcome.auth,
        preflight = outcome.preflight,
        error = outcome.error.as_deref().unwrap_or("-"),
        "request"
    );
    response
}

/// Serves until `shutdown` completes.
pub async fn serve<F: FetchJwks, I: Invoke>(
    listener: TcpListener,
    api: Arc<Gateway<F, I>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(api).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
