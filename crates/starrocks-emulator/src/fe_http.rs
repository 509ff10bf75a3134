//! The FE HTTP port (StarRocks' `http_port`, 8030).
//!
//! - `PUT /api/{db}/{table}/_stream_load`, checked in StarRocks' order: Basic auth (401 with
//!   `WWW-Authenticate: Basic realm=""`), then `Expect: 100-continue` for HTTP/1.1 (HTTP/1.0 is
//!   exempt), then `307 Temporary Redirect` to the BE with the same path and query. The body is
//!   never read and the connection is closed after the answer.
//! - `GET /api/{db}/get_load_state?label=<label>`: the label's transaction state.
//! - Emulator administration (no auth): `GET|POST|DELETE /_emulator/faults` (list, add a rule or
//!   an array of rules, clear) and `GET|DELETE /_emulator/loads` (list, clear the attempt log).
//! - Anything else: 404.

use std::net::SocketAddr;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, EXPECT, LOCATION, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode, Version};

use crate::faults::{FaultAction, FaultPort, FaultRule};
use crate::load_log::LoadAttempt;
use crate::server::{json_response, not_found, path_segments, query_param, HttpResult};
use crate::state::EmulatorState;
use crate::stream_load::parse_basic_auth;

/// Message of the FE when an HTTP/1.1 Stream Load lacks `Expect: 100-continue`.
pub const NO_EXPECT_MESSAGE: &str =
    "class com.starrocks.common.DdlException: There is no 100-continue header";
/// Message of the FE when no BE is alive.
pub const NO_BACKEND_MESSAGE: &str = "class com.starrocks.common.DdlException: No backend alive.";

/// Routes one FE request.
pub(crate) async fn handle(
    state: EmulatorState,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> HttpResult {
    let segments = path_segments(req.uri().path());
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (req.method(), segments.as_slice()) {
        (&Method::PUT, ["api", db, table, "_stream_load"]) => {
            Ok(stream_load(&state, peer, db, table, &req))
        }
        (&Method::GET, ["api", db, "get_load_state"]) => Ok(get_load_state(&state, peer, db, &req)),
        (_, ["_emulator", "faults"]) => Ok(faults(&state, req).await),
        (_, ["_emulator", "loads"]) => Ok(loads(&state, req.method())),
        _ => Ok(not_found()),
    }
}

/// The lower-case-key JSON of FE REST errors.
fn rest_error(message: &str) -> String {
    serde_json::json!({
        "status": "FAILED",
        "code": "1",
        "msg": message,
        "message": message,
    })
    .to_string()
}

/// Checks Basic auth; the error is the 401 answer.
#[allow(clippy::result_large_err)]
fn check_auth(
    state: &EmulatorState,
    peer: SocketAddr,
    req: &Request<Incoming>,
) -> Result<(), Response<http_body_util::Full<bytes::Bytes>>> {
    let message = match parse_basic_auth(req.headers()) {
        None => "Need auth information.".to_string(),
        Some((user, password)) if !state.credentials.accepts(&user, &password) => {
            format!("Access denied for {user}@{}", peer.ip())
        }
        Some(_) => return Ok(()),
    };
    let mut response = json_response(StatusCode::UNAUTHORIZED, rest_error(&message));
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"\""),
    );
    Err(response)
}

fn closing(
    mut response: Response<http_body_util::Full<bytes::Bytes>>,
) -> Response<http_body_util::Full<bytes::Bytes>> {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn fe_failed(
    state: &EmulatorState,
    db: &str,
    table: &str,
    req: &Request<Incoming>,
    message: &str,
    fault: Option<&FaultAction>,
) -> Response<http_body_util::Full<bytes::Bytes>> {
    let label = req
        .headers()
        .get("label")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    state.loads.push(LoadAttempt {
        seq: 0,
        port: "fe".to_string(),
        db: db.to_string(),
        table: table.to_string(),
        label: label.to_string(),
        txn_id: -1,
        status: "FAILED".to_string(),
        existing_job_status: None,
        message: message.to_string(),
        total_rows: 0,
        loaded_rows: 0,
        filtered_rows: 0,
        unselected_rows: 0,
        fault: fault.and_then(|f| serde_json::to_string(f).ok()),
    });
    let body = format!(
        "{{\"Status\": \"FAILED\", \"Message\": {}}}",
        serde_json::Value::String(message.to_string())
    );
    closing(json_response(StatusCode::OK, body))
}

fn stream_load(
    state: &EmulatorState,
    peer: SocketAddr,
    db: &str,
    table: &str,
    req: &Request<Incoming>,
) -> Response<http_body_util::Full<bytes::Bytes>> {
    if let Err(response) = check_auth(state, peer, req) {
        return closing(response);
    }
    let expects_continue = req
        .headers()
        .get(EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if req.version() == Version::HTTP_11 && !expects_continue {
        return fe_failed(state, db, table, req, NO_EXPECT_MESSAGE, None);
    }
    if let Some(fault) = state.faults.take(FaultPort::Fe, db, table) {
        return fe_failed(state, db, table, req, NO_BACKEND_MESSAGE, Some(&fault));
    }
    let mut location = format!("{}{}", state.be_base_url(), req.uri().path());
    if let Some(query) = req.uri().query() {
        location.push('?');
        location.push_str(query);
    }
    let mut response = Response::new(http_body_util::Full::new(bytes::Bytes::new()));
    *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, value);
    }
    closing(response)
}

fn get_load_state(
    state: &EmulatorState,
    peer: SocketAddr,
    db: &str,
    req: &Request<Incoming>,
) -> Response<http_body_util::Full<bytes::Bytes>> {
    if let Err(response) = check_auth(state, peer, req) {
        return response;
    }
    let label = query_param(req.uri().query(), "label").unwrap_or_default();
    if label.is_empty() {
        return json_response(StatusCode::OK, rest_error("No label selected."));
    }
    let catalog = state.catalog();
    let Some(database) = catalog.databases.get(db) else {
        return json_response(
            StatusCode::OK,
            rest_error(&format!("unknown database, database={db}")),
        );
    };
    let mut body = serde_json::Map::new();
    match database.labels.get(&label) {
        None => {
            body.insert("state".into(), "UNKNOWN".into());
        }
        Some(record) => {
            body.insert("state".into(), record.state.as_str().into());
            if let Some(reason) = &record.reason {
                body.insert("reason".into(), reason.clone().into());
            }
        }
    }
    body.insert("status".into(), "OK".into());
    body.insert("code".into(), "0".into());
    body.insert("msg".into(), "Success".into());
    body.insert("message".into(), "OK".into());
    json_response(StatusCode::OK, serde_json::Value::Object(body).to_string())
}

async fn faults(
    state: &EmulatorState,
    req: Request<Incoming>,
) -> Response<http_body_util::Full<bytes::Bytes>> {
    match *req.method() {
        Method::GET => {}
        Method::DELETE => state.faults.clear(),
        Method::POST | Method::PUT => {
            let body = match req.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    return json_response(
                        StatusCode::BAD_REQUEST,
                        serde_json::json!({ "error": error.to_string() }).to_string(),
                    )
                }
            };
            let rules: Result<Vec<FaultRule>, _> = serde_json::from_slice::<Vec<FaultRule>>(&body)
                .or_else(|_| serde_json::from_slice::<FaultRule>(&body).map(|r| vec![r]));
            match rules {
                Ok(rules) => {
                    for rule in rules {
                        state.faults.add(rule);
                    }
                }
                Err(error) => {
                    return json_response(
                        StatusCode::BAD_REQUEST,
                        serde_json::json!({ "error": error.to_string() }).to_string(),
                    )
                }
            }
        }
        _ => return not_found(),
    }
    let list = serde_json::to_string(&state.faults.list()).unwrap_or_else(|_| "[]".into());
    json_response(StatusCode::OK, list)
}

fn loads(state: &EmulatorState, method: &Method) -> Response<http_body_util::Full<bytes::Bytes>> {
    match *method {
        Method::GET => {}
        Method::DELETE => state.loads.clear(),
        _ => return not_found(),
    }
    let list = serde_json::to_string(&state.loads.attempts()).unwrap_or_else(|_| "[]".into());
    json_response(StatusCode::OK, list)
}
