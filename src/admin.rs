//! The admin HTTP endpoint: `/metrics`, `/healthz`, `/readyz`, `/status`.
//!
//! - `/metrics`: Prometheus text format 0.0.4 ([`crate::metrics`]); whole-pipeline gauges are
//!   refreshed from the status at each scrape.
//! - `/healthz` (liveness): 200 unless the pipeline is stalled ([`PipelineStatus::health`]), else
//!   503 with the reason.
//! - `/readyz` (readiness): 200 once both sides are verified and the pipeline copies or streams
//!   ([`PipelineStatus::set_ready`]; systemd gets `READY=1` at the same moment), else 503.
//! - `/status`: the [`crate::status::StatusReport`] as JSON.
//!
//! The server only reads shared state; it never blocks the pipeline.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::metrics::{Metrics, CONTENT_TYPE};
use crate::status::PipelineStatus;

/// What the endpoint serves.
#[derive(Debug, Clone)]
pub struct AdminState {
    /// Live pipeline status, updated by the pipeline.
    pub status: Arc<PipelineStatus>,
    /// Metrics, updated by the pipeline's tasks.
    pub metrics: Metrics,
}

/// Binds `listen` and serves the endpoint until the returned task is aborted. Returns the bound
/// address (useful with port 0). A bind failure is a definite error naming `admin.listen`.
pub async fn serve(listen: SocketAddr, state: AdminState) -> Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| {
            Error::definite(format!("cannot listen on admin.listen {listen}: {error}"))
                .with_hint("choose a free address for admin.listen, or stop the process using it")
        })?;
    let bound = listener.local_addr().map_err(|error| {
        Error::definite(format!(
            "cannot read the bound admin address of {listen}: {error}"
        ))
    })?;
    let app = router(state);
    let handle = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(message = "Admin endpoint stopped.", %error);
        }
    });
    tracing::info!(message = "Admin endpoint listening.", address = %bound);
    Ok((bound, handle))
}

/// The routes, without a listener (for in-process use).
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/status", get(status))
        .with_state(state)
}

async fn metrics(State(state): State<AdminState>) -> Response {
    state.metrics.refresh_from_status(&state.status);
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}

async fn healthz(State(state): State<AdminState>) -> Response {
    match state.status.health() {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("stalled: {reason}\n"),
        )
            .into_response(),
    }
}

async fn readyz(State(state): State<AdminState>) -> Response {
    if state.status.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        let phase = state.status.phase().as_str();
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {phase}\n"),
        )
            .into_response()
    }
}

async fn status(State(state): State<AdminState>) -> Response {
    Json(state.status.report()).into_response()
}
