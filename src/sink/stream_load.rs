//! The Stream Load HTTP client: one labelled load into one StarRocks table, with retries.
//!
//! Protocol (reference `starrocks-stream-load.md` §1–2):
//! 1. A headers-only `PUT /api/{db}/{table}/_stream_load` to an FE (Basic auth,
//!    `Expect: 100-continue`, the data headers, `timeout`) learns the BE from the `307`'s
//!    `Location`. Redirects are never followed automatically: reqwest would drop `Authorization`
//!    when the port changes (FE 8030 → BE 8040).
//! 2. The same headers plus the `label` and the body are `PUT` to the BE (at most 2 hops).
//! 3. The answer is classified by `sink::outcome`.
//!
//! Invariants:
//! - Every attempt of one load uses the **same label**, so a load whose answer was lost can
//!   never commit twice. After a lost answer (timeout, reset) the label's state is asked before
//!   loading again.
//! - The probe of step 1 carries no label: should a load URL point at a BE rather than an FE,
//!   the empty probe load cannot consume the label; the real load then goes to that URL.
//! - Nothing counts as loaded unless StarRocks said so (`sink::outcome`).
//! - On a connection failure the next FE URL is tried; the last one that worked is used first.
//! - The password never appears in `Debug` output, logs or errors.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};

use crate::error::Error;
use crate::sink::encode::{base64, EncodedBody};
use crate::sink::label::validate_label;
use crate::sink::outcome::{
    classify_label_state, classify_load, printable_prefix, LabelState, LoadOutcome, LoadResponse,
    RetryPace,
};

/// The longest back-off between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest back-off when StarRocks asks for fewer loads (`Too many versions`).
const MAX_SLOW_BACKOFF: Duration = Duration::from_secs(120);
/// How much of a rejected load's error log goes into the error.
const ERROR_LOG_MAX_CHARS: usize = 2000;
/// Redirect hops followed for one request.
const MAX_REDIRECTS: usize = 2;

/// Settings of a [`StreamLoadClient`].
#[derive(Clone)]
pub struct StreamLoadSettings {
    /// FE HTTP addresses (`host:port` or `http://host:port`), tried in order on failure.
    pub load_urls: Vec<String>,
    pub user: String,
    pub password: String,
    /// Client timeout of one HTTP request. The server-side `timeout` header defaults to 80 % of
    /// it (whole seconds, at least 1), so the server gives up first.
    pub timeout: Duration,
    /// Attempts after the first one before giving up with a transient error.
    pub max_retries: u32,
    /// First back-off; doubles per attempt up to 30 s.
    pub retry_backoff: Duration,
}

impl fmt::Debug for StreamLoadSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamLoadSettings")
            .field("load_urls", &self.load_urls)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

/// What a successful load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub label: String,
    /// StarRocks' status (`Success`, `Publish Timeout`, `Label Already Exists`), or the label
    /// state (`VISIBLE`/`COMMITTED`) when the load was confirmed by `get_load_state`.
    pub status: String,
    /// Rows loaded. When StarRocks confirmed an earlier attempt (existing label) without
    /// counters, this is the batch's row count.
    pub loaded_rows: u64,
    pub filtered_rows: u64,
    pub load_bytes: u64,
    pub elapsed: Duration,
    /// HTTP load attempts made (1 when the first one succeeded).
    pub attempts: u32,
}

/// How a load of an earlier run ended ([`StreamLoadClient::settle_label`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettledLabel {
    Committed,
    Aborted,
    /// StarRocks has no such label: the load never began.
    Unknown,
}

/// A Stream Load client shared by all tables' loaders.
pub struct StreamLoadClient {
    http: reqwest::Client,
    settings: StreamLoadSettings,
    fe_urls: Vec<Url>,
    /// Index into `fe_urls` of the FE to try first.
    preferred_fe: AtomicUsize,
    authorization: HeaderValue,
    on_retry: Option<RetryObserver>,
}

/// Told `(db, table)` each time a failed attempt is retried with the same label (metrics).
pub type RetryObserver = Arc<dyn Fn(&str, &str) + Send + Sync>;

impl fmt::Debug for StreamLoadClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamLoadClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The result of one attempt.
enum Attempt {
    Loaded {
        report: LoadResponseSummary,
        publish_pending: bool,
    },
    Retry {
        reason: String,
        pace: RetryPace,
        connection_failed: bool,
    },
    Fatal(Error),
}

/// The fields of a successful answer kept for the report.
struct LoadResponseSummary {
    status: String,
    loaded_rows: u64,
    filtered_rows: u64,
    load_bytes: u64,
}

impl LoadResponseSummary {
    fn from_response(response: &LoadResponse, batch_rows: u64) -> Self {
        let existing = response.status.eq_ignore_ascii_case("Label Already Exists");
        LoadResponseSummary {
            status: response.status.clone(),
            loaded_rows: if existing && response.loaded_rows == 0 {
                batch_rows
            } else {
                response.loaded_rows
            },
            filtered_rows: response.filtered_rows,
            load_bytes: response.load_bytes,
        }
    }
}

impl StreamLoadClient {
    /// A client for `settings`. Invalid URLs are definite errors naming `target.load_url`.
    pub fn new(settings: StreamLoadSettings) -> Result<Self, Error> {
        // Why: reqwest is built without a default crypto provider; installing one twice is
        // refused harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if settings.load_urls.is_empty() {
            return Err(Error::definite(
                "target.load_url: at least one FE address is needed",
            ));
        }
        let fe_urls = settings
            .load_urls
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                parse_base_url(raw).map_err(|why| {
                    Error::definite(format!("target.load_url[{index}]: {raw:?} {why}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let credentials = format!("{}:{}", settings.user, settings.password);
        let mut authorization =
            HeaderValue::from_str(&format!("Basic {}", base64(credentials.as_bytes())))
                .map_err(|_| Error::definite("target.user: not a valid HTTP header value"))?;
        authorization.set_sensitive(true);
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .http1_only()
            .no_proxy();
        if fe_urls.iter().all(|url| url.scheme() == "http") {
            // Why: loading the platform's CA roots cost 10-30 ms of every start (measured), and a
            // plain-HTTP FE never leads to TLS (its 307 names the BE with `http`, reference §1.3).
            builder = builder.tls_certs_only([]);
        }
        let http = builder
            .build()
            .map_err(|e| Error::definite(format!("building the Stream Load HTTP client: {e}")))?;
        Ok(StreamLoadClient {
            http,
            settings,
            fe_urls,
            preferred_fe: AtomicUsize::new(0),
            authorization,
            on_retry: None,
        })
    }

    /// This client, telling `observer` of every retry (also of loads that fail in the end).
    pub fn with_retry_observer(mut self, observer: RetryObserver) -> Self {
        self.on_retry = Some(observer);
        self
    }

    fn retrying(&self, db: &str, table: &str) {
        if let Some(observer) = &self.on_retry {
            observer(db, table);
        }
    }

    /// Loads `body` into `db.table` under `label`, retrying with the same label.
    ///
    /// `Ok` only when StarRocks committed the data. A definite `Err` names the table, the
    /// label and the server's message (with the rejected rows' error log for
    /// `too many filtered rows`); a transient `Err` means the retries ran out.
    pub async fn load(
        &self,
        db: &str,
        table: &str,
        label: &str,
        body: &EncodedBody,
    ) -> Result<LoadReport, Error> {
        validate_label(label)?;
        let started = Instant::now();
        let max_attempts = self.settings.max_retries.saturating_add(1);
        let mut attempts = 0u32;
        let mut connection_failures_in_a_row = 0usize;
        loop {
            attempts += 1;
            let fe_index = self.preferred_fe.load(Ordering::Relaxed) % self.fe_urls.len();
            let fe = &self.fe_urls[fe_index];
            let outcome = self.attempt(fe, db, table, label, body).await;
            let (reason, pace) = match outcome {
                Attempt::Loaded {
                    report,
                    publish_pending,
                } => {
                    if publish_pending {
                        tracing::warn!(
                            message = "Load committed; StarRocks has not published it yet (Publish Timeout).",
                            table = %format_args!("{db}.{table}"), label,
                        );
                    }
                    return Ok(LoadReport {
                        label: label.to_string(),
                        status: report.status,
                        loaded_rows: report.loaded_rows,
                        filtered_rows: report.filtered_rows,
                        load_bytes: report.load_bytes,
                        elapsed: started.elapsed(),
                        attempts,
                    });
                }
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retry {
                    reason,
                    pace,
                    connection_failed,
                } => {
                    if connection_failed {
                        connection_failures_in_a_row += 1;
                        let next = (fe_index + 1) % self.fe_urls.len();
                        self.preferred_fe.store(next, Ordering::Relaxed);
                        // Why: another FE may be up; try each once before sleeping.
                        if connection_failures_in_a_row < self.fe_urls.len()
                            && attempts < max_attempts
                        {
                            tracing::warn!(
                                message = "FE unreachable; trying the next load URL.",
                                table = %format_args!("{db}.{table}"), label, fe = %fe, error = %reason,
                            );
                            self.retrying(db, table);
                            continue;
                        }
                    }
                    (reason, pace)
                }
            };
            if attempts >= max_attempts {
                return Err(Error::transient(format!(
                    "Stream Load into {db}.{table} (label {label}) failed after {attempts} attempts: {reason}"
                ))
                .with_hint("check that the StarRocks FE and BE are up and reachable"));
            }
            let delay = backoff(self.settings.retry_backoff, attempts, pace);
            tracing::warn!(
                message = "Stream Load attempt failed; retrying with the same label.",
                table = %format_args!("{db}.{table}"), label, attempt = attempts,
                delay_ms = delay.as_millis() as u64, error = %reason,
            );
            self.retrying(db, table);
            tokio::time::sleep(delay).await;
            connection_failures_in_a_row = 0;
        }
    }

    /// One attempt: probe the FE, send the body to the BE, resolve lost answers and running
    /// labels.
    async fn attempt(
        &self,
        fe: &Url,
        db: &str,
        table: &str,
        label: &str,
        body: &EncodedBody,
    ) -> Attempt {
        let load_url = match stream_load_url(fe, db, table) {
            Ok(url) => url,
            Err(why) => return Attempt::Fatal(Error::definite(format!("{db}.{table}: {why}"))),
        };
        let headers = match self.data_headers(body) {
            Ok(headers) => headers,
            Err(error) => return Attempt::Fatal(error.context(format!("{db}.{table}"))),
        };
        let fatal = |reason: String| {
            Attempt::Fatal(
                Error::definite(format!(
                    "Stream Load into {db}.{table} (label {label}): {reason}"
                ))
                .with_hint(definite_hint(&reason)),
            )
        };
        // 1. Headers-only probe to learn the BE.
        let probe = self
            .http
            .request(Method::PUT, load_url.clone())
            .headers(headers.clone())
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await;
        let probe = match probe {
            Ok(response) => response,
            Err(error) => return transport_retry("FE probe", &error),
        };
        let mut target = match probe.status() {
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT | StatusCode::FOUND => {
                match redirect_target(&load_url, probe.headers()) {
                    Ok(url) => url,
                    Err(why) => {
                        return Attempt::Retry {
                            reason: why,
                            pace: RetryPace::Normal,
                            connection_failed: false,
                        }
                    }
                }
            }
            status => {
                let code = status.as_u16();
                let answer = match probe.bytes().await {
                    Ok(bytes) => bytes,
                    Err(error) => return transport_retry("FE probe answer", &error),
                };
                match classify_load(code, &answer) {
                    // An FE-made failure (`FAILED`), or auth/HTTP errors: decide now.
                    LoadOutcome::Retry { reason, pace } => {
                        return Attempt::Retry {
                            reason,
                            pace,
                            connection_failed: false,
                        }
                    }
                    LoadOutcome::Definite { reason } => return fatal(reason),
                    LoadOutcome::Rejected { message, .. } => return fatal(message),
                    // A BE answered the probe itself: the URL is a BE; load there.
                    _ => load_url.clone(),
                }
            }
        };
        // 2. Headers + label + body to the BE.
        let mut hops = 0;
        let response = loop {
            let sent = self
                .http
                .request(Method::PUT, target.clone())
                .headers(headers.clone())
                .header("label", label)
                .body(body.bytes.clone())
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    // The answer is lost: the load may or may not have committed.
                    let reason = describe_transport_error("load to BE", &error);
                    return self.resolve_lost_answer(fe, db, label, body, reason).await;
                }
            };
            let is_redirect = matches!(
                response.status(),
                StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT | StatusCode::FOUND
            );
            if is_redirect && hops < MAX_REDIRECTS {
                hops += 1;
                match redirect_target(&target, response.headers()) {
                    Ok(url) => target = url,
                    Err(why) => {
                        return Attempt::Retry {
                            reason: why,
                            pace: RetryPace::Normal,
                            connection_failed: false,
                        }
                    }
                }
                continue;
            }
            break response;
        };
        let code = response.status().as_u16();
        let answer = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => {
                let reason = describe_transport_error("reading the load answer", &error);
                return self.resolve_lost_answer(fe, db, label, body, reason).await;
            }
        };
        let batch_rows = body.row_count as u64;
        match classify_load(code, &answer) {
            LoadOutcome::Loaded(response) => Attempt::Loaded {
                report: LoadResponseSummary::from_response(&response, batch_rows),
                publish_pending: false,
            },
            LoadOutcome::LoadedPublishPending(response) => Attempt::Loaded {
                report: LoadResponseSummary::from_response(&response, batch_rows),
                publish_pending: true,
            },
            LoadOutcome::LabelInProgress(_) => self.wait_for_label(fe, db, label, batch_rows).await,
            LoadOutcome::Retry { reason, pace } => Attempt::Retry {
                reason,
                pace,
                connection_failed: false,
            },
            LoadOutcome::Definite { reason } => fatal(reason),
            LoadOutcome::Rejected { message, error_url } => {
                let log = match error_url {
                    Some(url) => self.fetch_error_log(&url).await,
                    None => "no ErrorURL in the answer".to_string(),
                };
                Attempt::Fatal(
                    Error::definite(format!(
                        "Stream Load into {db}.{table} (label {label}) rejected: {message}; error log: {log}"
                    ))
                    .with_hint(
                        "the target table refused rows (types, NOT NULL, lengths); fix the target \
                         schema, or use strategy_on_error: batch_dirty_data",
                    ),
                )
            }
        }
    }

    /// The data headers of every request of a load (without the label).
    fn data_headers(&self, body: &EncodedBody) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, self.authorization.clone());
        headers.insert(
            reqwest::header::EXPECT,
            HeaderValue::from_static("100-continue"),
        );
        for (name, value) in &body.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::definite(format!("invalid Stream Load header name {name:?}"))
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::definite(format!("invalid value for Stream Load header {name}"))
            })?;
            headers.insert(name, value);
        }
        if !headers.contains_key("timeout") {
            let secs = (self.settings.timeout.as_secs() * 4 / 5).max(1);
            headers.insert("timeout", HeaderValue::from(secs));
        }
        Ok(headers)
    }

    /// After a lost answer: ask the label's state before loading again.
    async fn resolve_lost_answer(
        &self,
        fe: &Url,
        db: &str,
        label: &str,
        body: &EncodedBody,
        reason: String,
    ) -> Attempt {
        match self.label_state(fe, db, label).await {
            Ok(LabelState::Committed) => Attempt::Loaded {
                report: LoadResponseSummary {
                    status: "VISIBLE".into(),
                    loaded_rows: body.row_count as u64,
                    filtered_rows: 0,
                    load_bytes: body.bytes.len() as u64,
                },
                publish_pending: false,
            },
            Ok(LabelState::InProgress) => {
                self.wait_for_label(fe, db, label, body.row_count as u64)
                    .await
            }
            Ok(_) | Err(_) => Attempt::Retry {
                reason,
                pace: RetryPace::Normal,
                connection_failed: false,
            },
        }
    }

    /// Waits until the load under `label` (in `db`) can no longer change the table: it
    /// committed, was aborted, or StarRocks does not know the label. Polls `get_load_state`
    /// (each FE in turn when one fails) for up to the client timeout; a load still running
    /// then is a transient error. Used before a new run replays, for the labels an earlier run
    /// may have left in flight.
    pub async fn settle_label(&self, db: &str, label: &str) -> Result<SettledLabel, Error> {
        let deadline = Instant::now() + self.settings.timeout;
        let mut delay = Duration::from_millis(100);
        let mut fe_index = self.preferred_fe.load(Ordering::Relaxed);
        loop {
            let fe = &self.fe_urls[fe_index % self.fe_urls.len()];
            let last = match self.label_state(fe, db, label).await {
                Ok(LabelState::Committed) => return Ok(SettledLabel::Committed),
                Ok(LabelState::Aborted) => return Ok(SettledLabel::Aborted),
                Ok(LabelState::Unknown) => return Ok(SettledLabel::Unknown),
                Ok(LabelState::InProgress) => "still in progress".to_string(),
                Ok(LabelState::Error(message)) | Err(message) => {
                    fe_index += 1;
                    message
                }
            };
            if Instant::now() + delay > deadline {
                return Err(Error::transient(format!(
                    "the load under label {label} (db {db}) of an earlier run has not ended: {last}"
                ))
                .with_hint(
                    "it must end before rows are loaded again (an old load committing after newer \
                     ones would leave old values); the daemon retries",
                ));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// Polls `get_load_state` until the label's load ends or the client timeout passes.
    async fn wait_for_label(&self, fe: &Url, db: &str, label: &str, batch_rows: u64) -> Attempt {
        let deadline = Instant::now() + self.settings.timeout;
        let mut delay = Duration::from_millis(100);
        loop {
            let last = match self.label_state(fe, db, label).await {
                Ok(LabelState::Committed) => {
                    return Attempt::Loaded {
                        report: LoadResponseSummary {
                            status: "Label Already Exists".into(),
                            loaded_rows: batch_rows,
                            filtered_rows: 0,
                            load_bytes: 0,
                        },
                        publish_pending: false,
                    }
                }
                Ok(LabelState::Aborted) | Ok(LabelState::Unknown) => {
                    return Attempt::Retry {
                        reason: format!("the earlier load under label {label} was aborted"),
                        pace: RetryPace::Normal,
                        connection_failed: false,
                    }
                }
                Ok(LabelState::InProgress) => "label still in progress".to_string(),
                Ok(LabelState::Error(message)) | Err(message) => message,
            };
            if Instant::now() + delay > deadline {
                return Attempt::Retry {
                    reason: format!("waiting for label {label}: {last}"),
                    pace: RetryPace::Normal,
                    connection_failed: false,
                };
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// `GET /api/{db}/get_load_state?label=` on `fe`, following redirects to the leader.
    async fn label_state(&self, fe: &Url, db: &str, label: &str) -> Result<LabelState, String> {
        let mut url = fe.clone();
        url.path_segments_mut()
            .map_err(|_| format!("{fe} cannot be a base URL"))?
            .pop_if_empty()
            .extend(["api", db, "get_load_state"]);
        url.query_pairs_mut().append_pair("label", label);
        for _ in 0..=MAX_REDIRECTS {
            let response = self
                .http
                .get(url.clone())
                .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
                .send()
                .await
                .map_err(|e| describe_transport_error("get_load_state", &e))?;
            if response.status().is_redirection() {
                url = redirect_target(&url, response.headers())?;
                continue;
            }
            let code = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map_err(|e| describe_transport_error("get_load_state", &e))?;
            return Ok(classify_label_state(code, &body));
        }
        Err("get_load_state: too many redirects".into())
    }

    /// The rejected rows' error log (truncated), or why it could not be read.
    async fn fetch_error_log(&self, url: &str) -> String {
        let response = match self.http.get(url).send().await {
            Ok(response) => response,
            Err(error) => {
                return format!(
                    "could not fetch {url}: {}",
                    describe_transport_error("GET", &error)
                )
            }
        };
        match response.bytes().await {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let mut log: String = text.chars().take(ERROR_LOG_MAX_CHARS).collect();
                if text.chars().count() > ERROR_LOG_MAX_CHARS {
                    log.push_str(" …(truncated)");
                }
                format!("{url}:\n{}", log.trim_end())
            }
            Err(error) => format!("could not read {url}: {error}"),
        }
    }
}

fn parse_base_url(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("is not an address: {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("must be http:// or https://".into());
    }
    if url.host_str().is_none() {
        return Err("has no host".into());
    }
    Ok(url)
}

fn stream_load_url(fe: &Url, db: &str, table: &str) -> Result<Url, String> {
    let mut url = fe.clone();
    url.path_segments_mut()
        .map_err(|_| format!("{fe} cannot be a base URL"))?
        .pop_if_empty()
        .extend(["api", db, table, "_stream_load"]);
    Ok(url)
}

fn redirect_target(from: &Url, headers: &HeaderMap) -> Result<Url, String> {
    let location = headers
        .get(reqwest::header::LOCATION)
        .ok_or_else(|| format!("redirect from {from} without a Location"))?
        .to_str()
        .map_err(|_| format!("redirect from {from} with an unreadable Location"))?;
    from.join(location)
        .map_err(|e| format!("redirect from {from} to bad Location {location:?}: {e}"))
}

fn transport_retry(step: &str, error: &reqwest::Error) -> Attempt {
    Attempt::Retry {
        reason: describe_transport_error(step, error),
        pace: RetryPace::Normal,
        connection_failed: error.is_connect(),
    }
}

fn describe_transport_error(step: &str, error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "failed"
    };
    // Why: reqwest's Display hides the cause (reset, refused); the chain names it.
    let mut text = format!("{step} {kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn definite_hint(reason: &str) -> String {
    let lower = reason.to_ascii_lowercase();
    if lower.contains("access denied")
        || lower.contains("authentication")
        || lower.contains("authorization")
    {
        "check target.user and target.password and the user's INSERT privilege".into()
    } else if lower.contains("unknown table") || lower.contains("unknown database") {
        "create the target table (or set target.auto_create: true)".into()
    } else if lower.contains("primary key size") {
        "StarRocks keys are limited to 128 bytes; shorten the key columns".into()
    } else {
        format!(
            "StarRocks refused the load ({}); fix the cause and restart",
            printable_prefix(reason.as_bytes(), 80)
        )
    }
}

/// Capped exponential back-off for attempt number `attempt` (1-based).
fn backoff(base: Duration, attempt: u32, pace: RetryPace) -> Duration {
    let (base, cap) = match pace {
        RetryPace::Normal => (base, MAX_BACKOFF),
        RetryPace::Slow => (base * 4, MAX_SLOW_BACKOFF),
    };
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    base.saturating_mul(factor).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_password() {
        let settings = StreamLoadSettings {
            load_urls: vec!["127.0.0.1:8030".into()],
            user: "root".into(),
            password: "s3cret-pw".into(),
            timeout: Duration::from_secs(60),
            max_retries: 3,
            retry_backoff: Duration::from_millis(100),
        };
        let text = format!("{settings:?}");
        assert!(!text.contains("s3cret-pw"), "{text}");
        let client = StreamLoadClient::new(settings).unwrap();
        let text = format!("{client:?}");
        assert!(
            !text.contains("s3cret-pw") && !text.contains(&base64(b"root:s3cret-pw")),
            "{text}"
        );
    }

    #[test]
    fn urls() {
        let fe = parse_base_url("127.0.0.1:8030").unwrap();
        assert_eq!(
            stream_load_url(&fe, "shop db", "t/1").unwrap().as_str(),
            "http://127.0.0.1:8030/api/shop%20db/t%2F1/_stream_load"
        );
        assert!(parse_base_url("ftp://x:1").is_err());
        assert!(StreamLoadClient::new(StreamLoadSettings {
            load_urls: vec![],
            user: "root".into(),
            password: String::new(),
            timeout: Duration::from_secs(1),
            max_retries: 0,
            retry_backoff: Duration::from_millis(1),
        })
        .is_err());
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::LOCATION,
            HeaderValue::from_static("http://127.0.0.1:8040/api/d/t/_stream_load"),
        );
        let target = redirect_target(&stream_load_url(&fe, "d", "t").unwrap(), &headers).unwrap();
        assert_eq!(target.port(), Some(8040));
    }

    #[test]
    fn backoff_is_capped_exponential() {
        let base = Duration::from_millis(100);
        assert_eq!(
            backoff(base, 1, RetryPace::Normal),
            Duration::from_millis(100)
        );
        assert_eq!(
            backoff(base, 3, RetryPace::Normal),
            Duration::from_millis(400)
        );
        assert_eq!(backoff(base, 30, RetryPace::Normal), MAX_BACKOFF);
        assert_eq!(
            backoff(base, 1, RetryPace::Slow),
            Duration::from_millis(400)
        );
        assert_eq!(backoff(base, 30, RetryPace::Slow), MAX_SLOW_BACKOFF);
    }
}
