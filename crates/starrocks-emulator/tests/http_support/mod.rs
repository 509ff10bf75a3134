//! Shared helpers of the HTTP tests: start the emulator in-process, create tables through the
//! catalog handle, run Stream Loads the way the official clients do (FE with an empty body to learn
//! the 307 `Location`, then the BE with the body), and speak raw HTTP/1.x when the exact bytes
//! matter (`100 Continue`, HTTP/1.0, unread bodies).

#![allow(dead_code)]
// Why: test helpers; a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use starrocks_emulator::catalog::{Column, ColumnType, KeysModel, Table, Value};
use starrocks_emulator::{start, EmulatorConfig, RunningEmulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `Authorization` value for `root` with an empty password.
pub fn root_auth() -> String {
    basic("root", "")
}

/// `Authorization: Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// Starts an emulator on free loopback ports with database `db1` and `db2`.
pub async fn emulator() -> RunningEmulator {
    let emu = start(EmulatorConfig::default())
        .await
        .expect("start the emulator");
    {
        let catalog = emu.catalog();
        let mut catalog = catalog.lock().unwrap();
        catalog.create_database("db1");
        catalog.create_database("db2");
    }
    emu
}

/// `id BIGINT NOT NULL, name VARCHAR(10) NULL, score INT NULL`, PRIMARY KEY(id).
pub fn pk_table(name: &str) -> Table {
    Table::new(
        name,
        vec![
            Column::new("id", ColumnType::BigInt, false),
            Column::new("name", ColumnType::Varchar(10), true),
            Column::new("score", ColumnType::Int, true),
        ],
        KeysModel::PrimaryKeys,
        vec!["id".into()],
    )
}

/// Same columns as [`pk_table`], DUPLICATE KEY(id).
pub fn dup_table(name: &str) -> Table {
    let mut table = pk_table(name);
    table.model = KeysModel::DuplicateKeys;
    table.rows = starrocks_emulator::catalog::Rows::Appended(Vec::new());
    table
}

/// Puts `table` into `db`.
pub fn create(emu: &RunningEmulator, db: &str, table: Table) {
    emu.catalog().lock().unwrap().put_table(db, table);
}

/// The rows of `db`.`table`.
pub fn rows(emu: &RunningEmulator, db: &str, table: &str) -> Vec<Vec<Value>> {
    emu.catalog()
        .lock()
        .unwrap()
        .table(db, table)
        .expect("table exists")
        .row_list()
}

/// An HTTP client that does not follow redirects.
pub fn client() -> reqwest::Client {
    // Only needed when the workspace enables reqwest's TLS (the daemon does); harmless if the
    // provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build the client")
}

/// A Stream Load the official-client way: PUT to the FE with `Expect: 100-continue` and an empty
/// body, then PUT headers + body to the 307 `Location`. Returns the BE's JSON.
pub async fn stream_load(
    emu: &RunningEmulator,
    db: &str,
    table: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> serde_json::Value {
    let client = client();
    let url = format!("{}/api/{db}/{table}/_stream_load", emu.fe_http_url());
    let mut fe = client
        .put(&url)
        .header("Authorization", root_auth())
        .header("Expect", "100-continue");
    for (k, v) in headers {
        fe = fe.header(*k, *v);
    }
    let redirect = fe.send().await.expect("FE answers");
    assert_eq!(redirect.status().as_u16(), 307, "FE redirects");
    let location = redirect
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .unwrap()
        .to_string();
    be_load(&location, headers, body).await
}

/// PUT directly to a BE URL with Basic auth and `headers`; returns the JSON answer.
pub async fn be_load(
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> serde_json::Value {
    let mut be = client().put(url).header("Authorization", root_auth());
    for (k, v) in headers {
        be = be.header(*k, *v);
    }
    let response = be.body(body.into()).send().await.expect("BE answers");
    assert_eq!(response.status().as_u16(), 200, "BE answers 200");
    let text = response.text().await.expect("BE body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("BE JSON {text:?}: {e}"))
}

/// The BE Stream Load URL of `db`.`table`.
pub fn be_url(emu: &RunningEmulator, db: &str, table: &str) -> String {
    format!("{}/api/{db}/{table}/_stream_load", emu.be_http_url())
}

/// Status of a load answer.
pub fn status(answer: &serde_json::Value) -> &str {
    answer["Status"].as_str().unwrap_or_default()
}

/// Message of a load answer.
pub fn message(answer: &serde_json::Value) -> &str {
    answer["Message"].as_str().unwrap_or_default()
}

/// Fetches an `ErrorURL`.
pub async fn get_text(url: &str) -> String {
    client()
        .get(url)
        .send()
        .await
        .expect("GET answers")
        .text()
        .await
        .expect("GET body")
}

/// `get_load_state` of `label` in `db`.
pub async fn load_state(emu: &RunningEmulator, db: &str, label: &str) -> serde_json::Value {
    let url = format!(
        "{}/api/{db}/get_load_state?label={label}",
        emu.fe_http_url()
    );
    let text = client()
        .get(url)
        .header("Authorization", root_auth())
        .send()
        .await
        .expect("FE answers")
        .text()
        .await
        .expect("FE body");
    serde_json::from_str(&text).expect("get_load_state JSON")
}

/// Gzip-compresses `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A raw HTTP exchange's bytes as text.
pub struct Raw {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Raw {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Raw {
        Raw {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buffer: Vec::new(),
        }
    }

    /// Sends `bytes` as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Reads until `pattern` has been received (or EOF / 5 s); returns everything read so far.
    pub async fn read_until(&mut self, pattern: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !String::from_utf8_lossy(&self.buffer).contains(pattern) {
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Err(_) => break,
                Ok(Ok(n)) => self.buffer.extend_from_slice(&chunk[..n]),
                Ok(Err(_)) => break,
            }
        }
        String::from_utf8_lossy(&self.buffer).into_owned()
    }

    /// Reads whatever arrives within `wait`.
    pub async fn read_for(&mut self, wait: Duration) -> String {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
                Ok(Ok(n)) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&self.buffer).into_owned()
    }

    /// Reads until the peer closes (or 5 s); returns everything and whether EOF was seen.
    pub async fn read_to_close(&mut self) -> (String, bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let closed = loop {
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break true,
                Err(_) => break false,
                Ok(Ok(n)) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        };
        (String::from_utf8_lossy(&self.buffer).into_owned(), closed)
    }
}

/// The JSON body of a raw HTTP response text (after the blank line).
pub fn raw_json(text: &str) -> serde_json::Value {
    let (_, body) = text
        .rsplit_once("\r\n\r\n")
        .expect("a header/body boundary");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON body {body:?}: {e}"))
}
