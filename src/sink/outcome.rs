//! What a Stream Load answer means: the pure classification of StarRocks' responses.
//!
//! The HTTP client (`sink::stream_load`) hands every answer it receives (HTTP status and body)
//! to [`classify_load`], and every `get_load_state` answer to [`classify_label_state`]; the
//! decision (done, poll the label, retry with the same label, or stop) is made here and only
//! here, so it can be tested against bodies captured from StarRocks.
//!
//! Invariants (reference `starrocks-stream-load.md` §2.2):
//! - Only `Success`, `OK`, `Publish Timeout`, and `Label Already Exists` with
//!   `ExistingJobStatus: FINISHED` count as loaded. Nothing else ever does: an unknown status,
//!   an unparseable body, or a body without a status is a retry, never a success.
//! - `Fail` (BE) and `FAILED` (FE) are both failures; each is either retryable with the same
//!   label, or definite (data rejected, access denied, unknown table/column, ...).
//! - `Label Already Exists` with a job still running is resolved by polling the label's state.

use serde_json::Value as Json;

/// How long to wait before the next attempt of a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryPace {
    /// The usual capped exponential back-off.
    Normal,
    /// A longer back-off: the server asks for fewer loads (`Too many versions`, running
    /// transaction limit), so retrying quickly makes it worse.
    Slow,
}

/// The decision for one Stream Load answer.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadOutcome {
    /// The data is committed (and visible, or will be).
    Loaded(LoadResponse),
    /// The data is committed but publishing timed out: it becomes visible later. Counts as
    /// loaded; worth a warning.
    LoadedPublishPending(LoadResponse),
    /// The label belongs to a load that is still running: poll `get_load_state`.
    LabelInProgress(LoadResponse),
    /// A failure that may pass: retry with the same label.
    Retry { reason: String, pace: RetryPace },
    /// The server rejected the data (`too many filtered rows`); the error log at `error_url`
    /// says which rows and why. Retrying the same data cannot help.
    Rejected {
        message: String,
        error_url: Option<String>,
    },
    /// A failure retrying cannot fix (credentials, privileges, unknown table or column,
    /// over-long key, malformed request).
    Definite { reason: String },
}

/// The fields of a Stream Load JSON answer that the daemon uses. Keys vary by version and by
/// FE/BE origin (`Status`/`status`, `Message`/`msg`/`message`); missing counters are 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadResponse {
    pub txn_id: Option<i64>,
    pub label: Option<String>,
    pub status: String,
    pub existing_job_status: Option<String>,
    pub message: String,
    pub total_rows: u64,
    pub loaded_rows: u64,
    pub filtered_rows: u64,
    pub unselected_rows: u64,
    pub load_bytes: u64,
    pub load_time_ms: u64,
    pub error_url: Option<String>,
}

/// Messages of failures that retrying cannot fix (lower case; matched as substrings).
const DEFINITE_MESSAGES: &[&str] = &[
    "access denied",
    "primary key size exceed",
    "only primary key table support partial update",
    "unknown table",
    "unknown database",
    "unknown column",
    "column not found",
    "no such column",
    "label format error",
    "unknown data format",
    "no valid basic authorization",
    "there is no 100-continue header",
    "invalid strict mode format",
    "invalid timeout format",
    "can not specify both",
    "only one of http header",
];

/// Messages asking for a longer back-off before retrying (lower case).
const SLOW_DOWN_MESSAGES: &[&str] = &["too many versions", "current running txns"];

/// Classifies one Stream Load answer (`http_status` and raw `body`) from an FE or a BE.
///
/// A 307 is not classified here: the client follows redirects before calling this.
pub fn classify_load(http_status: u16, body: &[u8]) -> LoadOutcome {
    if http_status == 401 || http_status == 403 {
        return LoadOutcome::Definite {
            reason: format!(
                "authentication refused (HTTP {http_status}): {}",
                message_of_error_body(body)
            ),
        };
    }
    if http_status >= 500 || http_status == 408 || http_status == 429 {
        return LoadOutcome::Retry {
            reason: format!("HTTP {http_status}: {}", message_of_error_body(body)),
            pace: RetryPace::Normal,
        };
    }
    if http_status != 200 {
        return LoadOutcome::Definite {
            reason: format!(
                "unexpected HTTP {http_status}: {}",
                message_of_error_body(body)
            ),
        };
    }
    let response = match parse_load_response(body) {
        Ok(response) => response,
        Err(reason) => {
            return LoadOutcome::Retry {
                reason,
                pace: RetryPace::Normal,
            }
        }
    };
    classify_response(response)
}

fn classify_response(response: LoadResponse) -> LoadOutcome {
    let status = response.status.to_ascii_lowercase();
    match status.as_str() {
        "success" | "ok" => LoadOutcome::Loaded(response),
        "publish timeout" => LoadOutcome::LoadedPublishPending(response),
        "label already exists" => {
            let job = response
                .existing_job_status
                .as_deref()
                .unwrap_or("")
                .to_ascii_uppercase();
            match job.as_str() {
                "FINISHED" => LoadOutcome::Loaded(response),
                // RUNNING, or an old server that does not say: ask the label's state.
                _ => LoadOutcome::LabelInProgress(response),
            }
        }
        "fail" | "failed" => classify_failure(response),
        _ => LoadOutcome::Retry {
            reason: format!(
                "unknown Stream Load status {:?}: {}",
                response.status, response.message
            ),
            pace: RetryPace::Normal,
        },
    }
}

fn classify_failure(response: LoadResponse) -> LoadOutcome {
    let message = response.message.to_ascii_lowercase();
    if message.contains("too many filtered rows") {
        return LoadOutcome::Rejected {
            message: response.message,
            error_url: response.error_url,
        };
    }
    if SLOW_DOWN_MESSAGES.iter().any(|m| message.contains(m)) {
        return LoadOutcome::Retry {
            reason: response.message,
            pace: RetryPace::Slow,
        };
    }
    if DEFINITE_MESSAGES.iter().any(|m| message.contains(m)) {
        return LoadOutcome::Definite {
            reason: response.message,
        };
    }
    // Timeouts, cancellations, `No backend alive`, `Service is shutting down`, memory limits
    // and anything unknown: the SDK's rule is to retry what is not known to be permanent; the
    // retries are bounded and the label makes them safe.
    LoadOutcome::Retry {
        reason: response.message,
        pace: RetryPace::Normal,
    }
}

/// Parses a Stream Load JSON answer. `Err` names what is wrong with it.
pub fn parse_load_response(body: &[u8]) -> Result<LoadResponse, String> {
    let json: Json = serde_json::from_slice(body).map_err(|e| {
        format!(
            "unparseable Stream Load answer ({e}): {}",
            printable_prefix(body, 300)
        )
    })?;
    let Some(object) = json.as_object() else {
        return Err(format!(
            "Stream Load answer is not a JSON object: {}",
            printable_prefix(body, 300)
        ));
    };
    let field = |names: &[&str]| names.iter().find_map(|n| object.get(*n));
    let text = |names: &[&str]| field(names).and_then(json_text);
    let count = |names: &[&str]| field(names).and_then(json_u64).unwrap_or(0);
    let Some(status) = text(&["Status", "status"]) else {
        return Err(format!(
            "Stream Load answer without a status: {}",
            printable_prefix(body, 300)
        ));
    };
    Ok(LoadResponse {
        txn_id: field(&["TxnId", "txnId"]).and_then(|v| v.as_i64()),
        label: text(&["Label", "label"]),
        status,
        existing_job_status: text(&["ExistingJobStatus", "existingJobStatus"]),
        message: text(&["Message", "message", "msg"]).unwrap_or_default(),
        total_rows: count(&["NumberTotalRows"]),
        loaded_rows: count(&["NumberLoadedRows"]),
        filtered_rows: count(&["NumberFilteredRows"]),
        unselected_rows: count(&["NumberUnselectedRows"]),
        load_bytes: count(&["LoadBytes"]),
        load_time_ms: count(&["LoadTimeMs"]),
        error_url: text(&["ErrorURL", "ErrorUrl", "errorUrl"]).filter(|u| !u.is_empty()),
    })
}

/// The state of a label, from `GET /api/{db}/get_load_state?label=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelState {
    /// `COMMITTED` or `VISIBLE`: the load is done.
    Committed,
    /// `PREPARE` or `PREPARED`: still running; ask again later.
    InProgress,
    /// `ABORTED`: the label may be reused; load again with it.
    Aborted,
    /// `UNKNOWN`: no load under that label (never started or expired); load again with it.
    Unknown,
    /// The answer was an error or could not be understood.
    Error(String),
}

/// Classifies a `get_load_state` answer.
pub fn classify_label_state(http_status: u16, body: &[u8]) -> LabelState {
    if http_status != 200 {
        return LabelState::Error(format!(
            "HTTP {http_status}: {}",
            message_of_error_body(body)
        ));
    }
    let Ok(json) = serde_json::from_slice::<Json>(body) else {
        return LabelState::Error(format!(
            "unparseable get_load_state answer: {}",
            printable_prefix(body, 300)
        ));
    };
    let get = |name: &str| json.get(name).and_then(json_text);
    if let Some(status) = get("status") {
        if !status.eq_ignore_ascii_case("OK") {
            let message = get("message").or_else(|| get("msg")).unwrap_or_default();
            return LabelState::Error(format!("get_load_state {status}: {message}"));
        }
    }
    // Some versions nest the state in `data`.
    let state = get("state").or_else(|| {
        json.get("data")
            .and_then(|d| d.get("state"))
            .and_then(json_text)
    });
    match state.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("VISIBLE") | Some("COMMITTED") => LabelState::Committed,
        Some("PREPARE") | Some("PREPARED") => LabelState::InProgress,
        Some("ABORTED") => LabelState::Aborted,
        Some("UNKNOWN") => LabelState::Unknown,
        Some(other) => LabelState::Error(format!("unknown label state {other:?}")),
        None => LabelState::Error(format!(
            "get_load_state answer without a state: {}",
            printable_prefix(body, 300)
        )),
    }
}

/// The human-readable message of an error body (JSON `message`/`msg`/`Message`, else the text).
fn message_of_error_body(body: &[u8]) -> String {
    if let Ok(json) = serde_json::from_slice::<Json>(body) {
        for key in ["Message", "message", "msg"] {
            if let Some(text) = json.get(key).and_then(json_text) {
                if !text.is_empty() {
                    return text;
                }
            }
        }
    }
    printable_prefix(body, 300)
}

fn json_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json_u64(value: &Json) -> Option<u64> {
    match value {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// At most `max` bytes of `body` as lossy UTF-8 with control characters escaped, for messages.
pub(crate) fn printable_prefix(body: &[u8], max: usize) -> String {
    let cut = &body[..body.len().min(max)];
    let mut text: String = String::from_utf8_lossy(cut).escape_debug().collect();
    if body.len() > max {
        text.push_str(" …(truncated)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // Bodies in the shape StarRocks' BE (`StreamLoadContext::to_json`) and FE send them.
    const SUCCESS: &str = r#"{
        "TxnId": 1003, "Label": "m2s-orders-7", "Status": "Success", "Message": "OK",
        "NumberTotalRows": 3, "NumberLoadedRows": 3, "NumberFilteredRows": 0,
        "NumberUnselectedRows": 0, "LoadBytes": 51, "LoadTimeMs": 45, "BeginTxnTimeMs": 0,
        "StreamLoadPlanTimeMs": 1, "ReadDataTimeMs": 0, "WriteDataTimeMs": 11,
        "CommitAndPublishTimeMs": 31}"#;
    const PUBLISH_TIMEOUT: &str = r#"{"TxnId": 1004, "Label": "l", "Status": "Publish Timeout",
        "Message": "transaction commit successfully, BUT data will be visible later",
        "NumberTotalRows": 2, "NumberLoadedRows": 2, "NumberFilteredRows": 0,
        "NumberUnselectedRows": 0, "LoadBytes": 10, "LoadTimeMs": 20}"#;
    const LABEL_FINISHED: &str = r#"{"TxnId": -1, "Label": "l", "Status": "Label Already Exists",
        "ExistingJobStatus": "FINISHED", "Message": "Label [l] has already been used.",
        "NumberTotalRows": 0, "NumberLoadedRows": 0, "NumberFilteredRows": 0,
        "NumberUnselectedRows": 0, "LoadBytes": 0, "LoadTimeMs": 0}"#;
    const LABEL_RUNNING: &str = r#"{"TxnId": -1, "Label": "l", "Status": "Label Already Exists",
        "ExistingJobStatus": "RUNNING", "Message": "Label [l] has already been used."}"#;
    const FILTERED: &str = r#"{"TxnId": 1005, "Label": "l", "Status": "Fail",
        "Message": "too many filtered rows", "NumberTotalRows": 2, "NumberLoadedRows": 1,
        "NumberFilteredRows": 1, "NumberUnselectedRows": 0, "LoadBytes": 20, "LoadTimeMs": 5,
        "ErrorURL": "http://127.0.0.1:8040/api/_load_error_log?file=error_log_1_2"}"#;
    const NO_BACKEND: &str = r#"{"Status": "FAILED",
        "Message": "class com.starrocks.common.DdlException: No backend alive."}"#;
    const NO_EXPECT: &str = r#"{"Status": "FAILED",
        "Message": "class com.starrocks.common.DdlException: There is no 100-continue header"}"#;
    const TOO_MANY_VERSIONS: &str = r#"{"TxnId": 1006, "Label": "l", "Status": "Fail",
        "Message": "Too many versions. tablet_id: 10021, version_count: 1001, limit: 1000"}"#;
    const RUNNING_TXNS: &str = r#"{"TxnId": -1, "Label": "l", "Status": "Fail",
        "Message": "current running txns on db 10002 is 1000, larger than limit 1000"}"#;
    const SHUTTING_DOWN: &str = r#"{"TxnId": -1, "Label": "l", "Status": "Fail",
        "Message": "Service is shutting down, please retry later!"}"#;
    const TXN_TIMEOUT: &str = r#"{"TxnId": 1007, "Label": "l", "Status": "Fail",
        "Message": "timeout by txn manager"}"#;
    const ACCESS_DENIED: &str = r#"{"TxnId": -1, "Label": "l", "Status": "Fail",
        "Message": "Access denied; you need (at least one of) the INSERT privilege(s) for this operation"}"#;
    const UNKNOWN_TABLE: &str = r#"{"TxnId": -1, "Label": "l", "Status": "Fail",
        "Message": "unknown table, tbl=orders"}"#;
    const PK_TOO_LONG: &str = r#"{"TxnId": 1008, "Label": "l", "Status": "Fail",
        "Message": "primary key size exceed the limit."}"#;
    const FE_AUTH: &str = r#"{"status":"FAILED","code":"401","msg":"Unauthorized",
        "message":"Access denied for root@127.0.0.1"}"#;

    #[test]
    fn success_and_publish_timeout_are_loaded() {
        let LoadOutcome::Loaded(response) = classify_load(200, SUCCESS.as_bytes()) else {
            panic!("success must be loaded")
        };
        assert_eq!(response.loaded_rows, 3);
        assert_eq!(response.txn_id, Some(1003));
        assert_eq!(response.label.as_deref(), Some("m2s-orders-7"));
        assert!(matches!(
            classify_load(200, PUBLISH_TIMEOUT.as_bytes()),
            LoadOutcome::LoadedPublishPending(_)
        ));
    }

    #[test]
    fn existing_label_finished_is_loaded_running_is_polled() {
        assert!(matches!(
            classify_load(200, LABEL_FINISHED.as_bytes()),
            LoadOutcome::Loaded(_)
        ));
        assert!(matches!(
            classify_load(200, LABEL_RUNNING.as_bytes()),
            LoadOutcome::LabelInProgress(_)
        ));
    }

    #[test]
    fn filtered_rows_are_rejected_with_the_error_url() {
        let outcome = classify_load(200, FILTERED.as_bytes());
        assert_eq!(
            outcome,
            LoadOutcome::Rejected {
                message: "too many filtered rows".into(),
                error_url: Some(
                    "http://127.0.0.1:8040/api/_load_error_log?file=error_log_1_2".into()
                ),
            }
        );
    }

    #[test]
    fn retryable_failures() {
        for (body, pace) in [
            (NO_BACKEND, RetryPace::Normal),
            (SHUTTING_DOWN, RetryPace::Normal),
            (TXN_TIMEOUT, RetryPace::Normal),
            (TOO_MANY_VERSIONS, RetryPace::Slow),
            (RUNNING_TXNS, RetryPace::Slow),
        ] {
            match classify_load(200, body.as_bytes()) {
                LoadOutcome::Retry { pace: got, .. } => assert_eq!(got, pace, "{body}"),
                other => panic!("{body} gave {other:?}"),
            }
        }
    }

    #[test]
    fn definite_failures() {
        for body in [ACCESS_DENIED, UNKNOWN_TABLE, PK_TOO_LONG, NO_EXPECT] {
            assert!(
                matches!(
                    classify_load(200, body.as_bytes()),
                    LoadOutcome::Definite { .. }
                ),
                "{body}"
            );
        }
        match classify_load(401, FE_AUTH.as_bytes()) {
            LoadOutcome::Definite { reason } => {
                assert!(reason.contains("Access denied"), "{reason}")
            }
            other => panic!("401 gave {other:?}"),
        }
    }

    #[test]
    fn never_success_by_default() {
        // Unparseable, statusless, unknown-status and non-object bodies, and 5xx, retry.
        for (status, body) in [
            (200, "<html>502 Bad Gateway</html>"),
            (200, ""),
            (200, r#"{"Message": "OK"}"#),
            (200, r#"{"Status": "Maybe", "Message": "OK"}"#),
            (200, "[1,2]"),
            (502, "bad gateway"),
            (503, r#"{"Status": "Success"}"#),
        ] {
            assert!(
                matches!(
                    classify_load(status, body.as_bytes()),
                    LoadOutcome::Retry { .. }
                ),
                "{status} {body}"
            );
        }
        // A 404 (wrong URL) is definite.
        assert!(matches!(
            classify_load(404, b"not found"),
            LoadOutcome::Definite { .. }
        ));
    }

    #[test]
    fn status_matching_ignores_case() {
        let body = r#"{"Status": "SUCCESS", "Message": "OK", "NumberLoadedRows": "4"}"#;
        let LoadOutcome::Loaded(response) = classify_load(200, body.as_bytes()) else {
            panic!("upper-case success must be loaded")
        };
        assert_eq!(response.loaded_rows, 4);
    }

    #[test]
    fn label_states() {
        let ok = |state: &str| {
            format!(
                r#"{{"state": "{state}", "status": "OK", "code": "0", "msg": "Success", "message": "OK"}}"#
            )
        };
        assert_eq!(
            classify_label_state(200, ok("VISIBLE").as_bytes()),
            LabelState::Committed
        );
        assert_eq!(
            classify_label_state(200, ok("COMMITTED").as_bytes()),
            LabelState::Committed
        );
        assert_eq!(
            classify_label_state(200, ok("PREPARE").as_bytes()),
            LabelState::InProgress
        );
        assert_eq!(
            classify_label_state(200, ok("PREPARED").as_bytes()),
            LabelState::InProgress
        );
        assert_eq!(
            classify_label_state(200, ok("ABORTED").as_bytes()),
            LabelState::Aborted
        );
        assert_eq!(
            classify_label_state(200, ok("UNKNOWN").as_bytes()),
            LabelState::Unknown
        );
        let failed = r#"{"status": "FAILED", "code": "1", "msg": "", "message": "unknown database, database=x"}"#;
        assert!(
            matches!(classify_label_state(200, failed.as_bytes()), LabelState::Error(m) if m.contains("unknown database"))
        );
        assert!(matches!(
            classify_label_state(200, b"nope"),
            LabelState::Error(_)
        ));
        assert!(matches!(
            classify_label_state(500, b"{}"),
            LabelState::Error(_)
        ));
    }
}
