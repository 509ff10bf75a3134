//! Starting and stopping the emulator: binds the FE HTTP, BE HTTP and query ports, serves each on
//! its own task, and hands back a [`RunningEmulator`] with the bound addresses and the handles
//! tests use (catalog, faults, load attempts).
//!
//! HTTP is served by hyper's HTTP/1 server. hyper sends `100 Continue` only when a handler first
//! reads the request body, so a handler that answers without reading it (the FE's 307, the BE's
//! header-phase errors) never sends it, exactly as StarRocks behaves.
//!
//! Invariant: dropping (or [`RunningEmulator::shutdown`]) stops every accept loop and, with it,
//! every open connection.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::catalog::Catalog;
use crate::credentials::Credentials;
use crate::error_log::ErrorLogs;
use crate::faults::Faults;
use crate::load_log::{LoadAttempt, LoadLog};
use crate::state::EmulatorState;

/// Where the emulator listens and whom it accepts.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind all ports on; also the host the FE redirects to (`0.0.0.0`/`::` redirect
    /// to `127.0.0.1`).
    pub host: String,
    /// FE HTTP port (StarRocks default 8030); 0 picks a free port.
    pub fe_http_port: u16,
    /// BE HTTP port (StarRocks default 8040); 0 picks a free port.
    pub be_http_port: u16,
    /// FE MySQL-protocol port (StarRocks default 9030); 0 picks a free port.
    pub query_port: u16,
    /// The single accepted user.
    pub credentials: Credentials,
}

impl Default for EmulatorConfig {
    /// Loopback, every port 0 (free ports), user `root` with an empty password.
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_string(),
            fe_http_port: 0,
            be_http_port: 0,
            query_port: 0,
            credentials: Credentials {
                user: "root".to_string(),
                password: String::new(),
            },
        }
    }
}

/// A running emulator. Dropping it stops it.
#[derive(Debug)]
pub struct RunningEmulator {
    fe_http_addr: SocketAddr,
    be_http_addr: SocketAddr,
    query_addr: SocketAddr,
    advertised_host: String,
    state: EmulatorState,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningEmulator {
    /// The bound FE HTTP address.
    pub fn fe_http_addr(&self) -> SocketAddr {
        self.fe_http_addr
    }

    /// The bound BE HTTP address.
    pub fn be_http_addr(&self) -> SocketAddr {
        self.be_http_addr
    }

    /// The bound query (MySQL protocol) address.
    pub fn query_addr(&self) -> SocketAddr {
        self.query_addr
    }

    /// `http://<host>:<fe_http_port>`.
    pub fn fe_http_url(&self) -> String {
        format!(
            "http://{}:{}",
            self.advertised_host,
            self.fe_http_addr.port()
        )
    }

    /// `http://<host>:<be_http_port>`.
    pub fn be_http_url(&self) -> String {
        format!(
            "http://{}:{}",
            self.advertised_host,
            self.be_http_addr.port()
        )
    }

    /// The shared catalog (lock it briefly; never across an `.await`).
    pub fn catalog(&self) -> Arc<Mutex<Catalog>> {
        Arc::clone(&self.state.catalog)
    }

    /// The fault rules, switchable at run time.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// The log of Stream Load attempts.
    pub fn load_log(&self) -> &LoadLog {
        &self.state.loads
    }

    /// Every Stream Load attempt so far, oldest first.
    pub fn loads(&self) -> Vec<LoadAttempt> {
        self.state.loads.attempts()
    }

    /// The text of the error log `file` (the `file=` of an `ErrorURL`).
    pub fn error_log(&self, file: &str) -> Option<String> {
        self.state.error_logs.get(file)
    }

    /// Stops every port and waits until the listeners are closed.
    pub async fn shutdown(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            // Why: an aborted task reports a cancellation error; that is the expected outcome.
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the emulator on `config`'s ports.
pub async fn start(config: EmulatorConfig) -> std::io::Result<RunningEmulator> {
    let host = config.host.as_str();
    let be_listener = TcpListener::bind((host, config.be_http_port)).await?;
    let fe_listener = TcpListener::bind((host, config.fe_http_port)).await?;
    let query_listener = TcpListener::bind((host, config.query_port)).await?;
    let be_http_addr = be_listener.local_addr()?;
    let fe_http_addr = fe_listener.local_addr()?;
    let query_addr = query_listener.local_addr()?;
    let advertised_host = match host {
        "0.0.0.0" | "::" | "[::]" => "127.0.0.1".to_string(),
        other => other.to_string(),
    };
    let state = EmulatorState {
        catalog: Arc::new(Mutex::new(Catalog::default())),
        credentials: config.credentials.clone(),
        faults: Faults::default(),
        loads: LoadLog::default(),
        error_logs: ErrorLogs::default(),
        be_host: advertised_host.clone(),
        be_port: be_http_addr.port(),
    };
    let fe_state = state.clone();
    let be_state = state.clone();
    let query_catalog = Arc::clone(&state.catalog);
    let query_credentials = config.credentials.clone();
    let tasks = vec![
        tokio::spawn(serve_http(fe_listener, move |peer, req| {
            crate::fe_http::handle(fe_state.clone(), peer, req)
        })),
        tokio::spawn(serve_http(be_listener, move |peer, req| {
            crate::be_http::handle(be_state.clone(), peer, req)
        })),
        tokio::spawn(async move {
            // Why: the query server only returns on a listener failure; the HTTP ports stay up.
            let _ = crate::query_server::run_query_server(
                query_listener,
                query_catalog,
                query_credentials,
            )
            .await;
        }),
    ];
    Ok(RunningEmulator {
        fe_http_addr,
        be_http_addr,
        query_addr,
        advertised_host,
        state,
        tasks,
    })
}

/// A handler's way to close the connection without answering (hyper closes the connection when
/// the service returns an error).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// A handler's answer.
pub(crate) type HttpResult = Result<Response<Full<Bytes>>, DropConnection>;

/// Accepts connections forever, serving each with `handler` on its own task. The connection tasks
/// live in a `JoinSet` owned by this future, so aborting it closes them too.
async fn serve_http<H, F>(listener: TcpListener, handler: H)
where
    H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = HttpResult> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Why: per-connection accept errors (e.g. too many open files) are transient.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        // Why: a response's head and body may leave in separate writes; without this the body
        // can wait for the client's delayed ACK.
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |req: Request<Incoming>| handler(peer, req));
            // Why: a connection error (client gone, dropped on purpose) concerns only this
            // connection.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A response with `status`, a JSON content type and `body`.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A plain-text response.
pub(crate) fn text_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 404 for paths the port does not serve.
pub(crate) fn not_found() -> Response<Full<Bytes>> {
    text_response(StatusCode::NOT_FOUND, "Not Found".to_string())
}

/// Splits a path into percent-decoded segments.
pub(crate) fn path_segments(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// The value of query parameter `name` (percent-decoded, `+` as space).
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}
