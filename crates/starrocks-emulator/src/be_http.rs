//! The BE HTTP port (StarRocks' `be_http_port`, 8040).
//!
//! - `PUT /api/{db}/{table}/_stream_load`: the header phase answers errors at once, without
//!   reading the body (so no `100 Continue` is sent); otherwise the body is read (which makes
//!   hyper send `100 Continue`), then converted and applied. Always HTTP 200 with StarRocks' JSON,
//!   except for the `http_status` fault.
//! - `GET /api/_load_error_log?file=<name>`: a load's error log as text.
//! - Anything else: 404.
//!
//! The body phase runs on its own task, so a load whose client went away still finishes (and its
//! label still leaves PREPARE), as on a real BE.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::{Method, Request, StatusCode};

use crate::catalog::LabelState;
use crate::faults::{FaultAction, FaultPort};
use crate::load_log::LoadAttempt;
use crate::server::{
    json_response, not_found, path_segments, query_param, text_response, DropConnection, HttpResult,
};
use crate::state::EmulatorState;
use crate::stream_load::{self, Commit, HeaderOutcome, LoadHead, LoadResult};

/// Most bytes reserved up front for a load body from its Content-Length.
const MAX_BODY_RESERVE: usize = 256 << 20;

/// Routes one BE request.
pub(crate) async fn handle(
    state: EmulatorState,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> HttpResult {
    let segments = path_segments(req.uri().path());
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (req.method(), segments.as_slice()) {
        (&Method::PUT, ["api", db, table, "_stream_load"]) => {
            let (db, table) = (db.to_string(), table.to_string());
            stream_load(state, peer, db, table, req).await
        }
        (&Method::GET, ["api", "_load_error_log"]) => {
            let file = query_param(req.uri().query(), "file").unwrap_or_default();
            Ok(match state.error_logs.get(&file) {
                Some(text) => text_response(StatusCode::OK, text),
                None => text_response(
                    StatusCode::NOT_FOUND,
                    format!("error log file not found: {file}"),
                ),
            })
        }
        _ => Ok(not_found()),
    }
}

fn attempt_without_answer(
    result_label: &str,
    txn_id: i64,
    db: &str,
    table: &str,
    status: &str,
    message: &str,
    fault: Option<&FaultAction>,
) -> LoadAttempt {
    LoadAttempt {
        seq: 0,
        port: "be".to_string(),
        db: db.to_string(),
        table: table.to_string(),
        label: result_label.to_string(),
        txn_id,
        status: status.to_string(),
        existing_job_status: None,
        message: message.to_string(),
        total_rows: 0,
        loaded_rows: 0,
        filtered_rows: 0,
        unselected_rows: 0,
        fault: fault.and_then(|f| serde_json::to_string(f).ok()),
    }
}

async fn stream_load(
    state: EmulatorState,
    peer: SocketAddr,
    db: String,
    table: String,
    req: Request<Incoming>,
) -> HttpResult {
    let head = LoadHead {
        db: db.clone(),
        table: table.clone(),
        headers: req.headers().clone(),
        peer_ip: peer.ip(),
    };
    let fault = state.faults.take(FaultPort::Be, &db, &table);
    if let Some(FaultAction::HttpStatus { code, body }) = &fault {
        let label = head
            .headers
            .get("label")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        state.loads.push(attempt_without_answer(
            &label,
            -1,
            &db,
            &table,
            &format!("HTTP {code}"),
            body,
            fault.as_ref(),
        ));
        let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Ok(text_response(status, body.clone()));
    }
    let prepared = match stream_load::on_header(&state, &head, fault.as_ref()) {
        HeaderOutcome::Reply(result) => {
            state
                .loads
                .push(result.attempt(&db, &table, fault.as_ref()));
            return Ok(json_response(StatusCode::OK, result.to_json()));
        }
        HeaderOutcome::Proceed(prepared) => prepared,
    };
    let label = prepared.result.label.clone();
    let txn_id = prepared.result.txn_id;

    // Reading the first frame makes hyper send `100 Continue`.
    let read_started = Instant::now();
    let reset_after = match &fault {
        Some(FaultAction::ResetMidBody { after_bytes }) => Some(*after_bytes),
        _ => None,
    };
    let mut body = req.into_body();
    // Reserved from Content-Length (capped, as the header is the client's word).
    let expected = usize::try_from(body.size_hint().lower()).unwrap_or(0);
    let mut data: Vec<u8> = Vec::with_capacity(expected.min(MAX_BODY_RESERVE));
    loop {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Ok(chunk) = frame.into_data() {
                    data.extend_from_slice(&chunk);
                }
                if reset_after.is_some_and(|limit| data.len() as u64 >= limit) {
                    break;
                }
            }
            Some(Err(error)) => {
                let message = format!("receive body failed: {error}");
                stream_load::abort_label(&state, &db, &label, txn_id, &message);
                state.loads.push(attempt_without_answer(
                    &label,
                    txn_id,
                    &db,
                    &table,
                    stream_load::STATUS_FAIL,
                    &message,
                    fault.as_ref(),
                ));
                return Err(DropConnection);
            }
        }
    }
    if reset_after.is_some() {
        let message = "connection reset by the emulator's fault injection";
        stream_load::abort_label(&state, &db, &label, txn_id, message);
        state.loads.push(attempt_without_answer(
            &label,
            txn_id,
            &db,
            &table,
            "connection reset",
            message,
            fault.as_ref(),
        ));
        return Err(DropConnection);
    }
    let read_ms = u64::try_from(read_started.elapsed().as_millis()).unwrap_or(u64::MAX);

    let task = tokio::spawn(execute(state, prepared, data, read_ms, fault));
    let result = task.await.map_err(|_| DropConnection)?;
    Ok(json_response(StatusCode::OK, result.to_json()))
}

/// The body phase with the fault's timing, then the attempt record (before any answer delay, so
/// tests see the attempt even when the client gave up).
async fn execute(
    state: EmulatorState,
    prepared: Box<stream_load::PreparedLoad>,
    data: Vec<u8>,
    read_ms: u64,
    fault: Option<FaultAction>,
) -> LoadResult {
    let db = prepared.db.clone();
    let table = prepared.table.clone();
    if let Some(FaultAction::Discard) = &fault {
        let result = stream_load::discard(&state, prepared, &data, read_ms);
        state
            .loads
            .push(result.attempt(&db, &table, fault.as_ref()));
        return result;
    }
    let computed = stream_load::compute(prepared, data, read_ms);
    let (forced, commit) = match &fault {
        Some(FaultAction::Fail { message, .. }) => (Some(message.clone()), Commit::Visible),
        Some(FaultAction::TooManyVersions) => (
            Some("Too many versions. tablet_id: 10086, version_count: 1001, limit: 1000".into()),
            Commit::Visible,
        ),
        Some(FaultAction::KeepRunning { ms }) => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            (None, Commit::Visible)
        }
        Some(FaultAction::PublishTimeout { .. }) => (None, Commit::PublishTimeout),
        _ => (None, Commit::Visible),
    };
    let mut result = stream_load::finish(&state, computed, forced, commit);
    if let Some(FaultAction::Fail { status, .. }) = &fault {
        result.status = status.clone();
    }
    if let Some(FaultAction::PublishTimeout { visible_after_ms }) = &fault {
        if result.status == stream_load::STATUS_PUBLISH_TIMEOUT {
            let state = state.clone();
            let (db, label, txn_id) = (db.clone(), result.label.clone(), result.txn_id);
            let delay = Duration::from_millis(*visible_after_ms);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                stream_load::set_label_state(
                    &state,
                    &db,
                    &label,
                    txn_id,
                    LabelState::Visible,
                    None,
                );
            });
        }
    }
    state
        .loads
        .push(result.attempt(&db, &table, fault.as_ref()));
    if let Some(FaultAction::Delay { ms }) = &fault {
        tokio::time::sleep(Duration::from_millis(*ms)).await;
    }
    result
}
