//! End-to-end test support: a real source server, the StarRocks emulator, the daemon as a child
//! process, and the table comparison every scenario ends with.
//!
//! The comparison (`assert_converges`) reads each replicated table ordered by primary key from
//! MySQL and from the target and compares value by value, after normalising each side's text to
//! the value contract (ARCHITECTURE §2): the oracle here is written independently of the daemon's
//! encoder on purpose.

#![allow(dead_code)]

pub mod every_type;
pub mod shop;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Row, Value};
use starrocks_emulator::{EmulatorConfig, RunningEmulator};
use testbed::{Flavor, SourceServer};
use tokio::process::{Child, Command};

/// How long a scenario may take to converge.
pub const CONVERGE_TIMEOUT: Duration = Duration::from_secs(60);

/// A source server, an emulator, and a scratch directory for one test.
pub struct Bed {
    pub source: SourceServer,
    pub emulator: RunningEmulator,
    pub dir: tempfile::TempDir,
}

impl Bed {
    /// Starts a real source of `flavor` and an emulator on free ports.
    pub async fn start(flavor: Flavor) -> Bed {
        Bed::start_with_args(flavor, &[]).await
    }

    /// [`Bed::start`] with extra source server arguments (e.g. `--gtid-mode=OFF`).
    pub async fn start_with_args(flavor: Flavor, args: &[&str]) -> Bed {
        let source = SourceServer::start_with_args(flavor, args)
            .await
            .unwrap_or_else(|e| panic!("cannot start {flavor}: {e}"));
        let emulator = starrocks_emulator::start(EmulatorConfig::default())
            .await
            .unwrap_or_else(|e| panic!("cannot start the emulator: {e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        Bed {
            source,
            emulator,
            dir,
        }
    }

    /// An admin connection to the source, with the session in UTC.
    pub async fn source_conn(&self) -> Conn {
        let mut conn = self
            .source
            .admin_conn()
            .await
            .unwrap_or_else(|e| panic!("source connection: {e}"));
        conn.query_drop("SET time_zone = '+00:00'")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        conn
    }

    /// A connection to the emulator's query port as root.
    pub async fn target_conn(&self) -> Conn {
        let addr = self.emulator.query_addr();
        let opts: Opts = OptsBuilder::default()
            .ip_or_hostname(addr.ip().to_string())
            .tcp_port(addr.port())
            .user(Some("root"))
            .pass(Some(""))
            .prefer_socket(false)
            .into();
        Conn::new(opts)
            .await
            .unwrap_or_else(|e| panic!("target connection: {e}"))
    }

    /// Runs statements on the source (admin).
    pub async fn source_exec(&self, statements: &[&str]) {
        let mut conn = self.source_conn().await;
        for sql in statements {
            conn.query_drop(*sql)
                .await
                .unwrap_or_else(|e| panic!("source `{sql}`: {e}"));
        }
    }

    /// Runs statements on the target.
    pub async fn target_exec(&self, statements: &[&str]) {
        let mut conn = self.target_conn().await;
        for sql in statements {
            conn.query_drop(*sql)
                .await
                .unwrap_or_else(|e| panic!("target `{sql}`: {e}"));
        }
    }

    /// Writes a daemon configuration replicating `tables` (patterns) and returns its path.
    /// `extra` is appended at the top level (YAML, may override nothing already set).
    pub fn write_config(&self, tables: &[&str], target_extra: &str, extra: &str) -> PathBuf {
        self.write_config_with_snapshot(tables, target_extra, "  mode: never", extra)
    }

    /// [`Self::write_config`] with the lines of the `snapshot:` section given.
    pub fn write_config_with_snapshot(
        &self,
        tables: &[&str],
        target_extra: &str,
        snapshot: &str,
        extra: &str,
    ) -> PathBuf {
        let fe = self.emulator.fe_http_addr();
        let query = self.emulator.query_addr();
        let admin_port = free_port();
        let tables_yaml = tables
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let tls = if self.source.flavor() == Flavor::MySql {
            "require"
        } else {
            "disable"
        };
        let yaml = format!(
            r#"source:
  host: 127.0.0.1
  port: {port}
  user: {user}
  password: "{password}"
  server_id: {server_id}
  tls: {tls}
  tables: [{tables_yaml}]
  heartbeat_ms: 1000
target:
  load_url: ["{fe}"]
  query_address: "{query}"
  user: root
  password: ""
  flush_interval_ms: 200
{target_extra}
snapshot:
{snapshot}
state_dir: "{state}"
admin:
  listen: "127.0.0.1:{admin_port}"
shutdown_timeout_ms: 20000
{extra}
"#,
            port = self.source.port(),
            user = testbed::REPL_USER,
            password = testbed::REPL_PASSWORD,
            server_id = 54000 + (std::process::id() % 1000),
            state = self.dir.path().join("state").display(),
        );
        let path = self.dir.path().join("config.yaml");
        std::fs::write(&path, yaml).unwrap_or_else(|e| panic!("writing config: {e}"));
        path
    }
}

impl Bed {
    /// The source's current binlog file and position (`SHOW BINARY LOG STATUS` on MySQL,
    /// `SHOW MASTER STATUS` on MariaDB).
    pub async fn source_binlog_position(&self) -> (String, u64) {
        let sql = match self.source.flavor() {
            Flavor::MySql => "SHOW BINARY LOG STATUS",
            Flavor::MariaDb => "SHOW MASTER STATUS",
        };
        let mut conn = self.source_conn().await;
        let row: Row = conn
            .query_first(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: no row"));
        let file: String = row.get(0).unwrap_or_else(|| panic!("{sql}: no file"));
        let pos: u64 = row.get(1).unwrap_or_else(|| panic!("{sql}: no position"));
        (file, pos)
    }

    /// Kills the source's binlog dump connections (the daemon's replica connection); returns
    /// how many were killed.
    pub async fn kill_dump_connections(&self) -> usize {
        let mut conn = self.source_conn().await;
        let ids: Vec<u64> = conn
            .query(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
            )
            .await
            .unwrap_or_else(|e| panic!("processlist: {e}"));
        for id in &ids {
            conn.query_drop(format!("KILL {id}"))
                .await
                .unwrap_or_else(|e| panic!("KILL {id}: {e}"));
        }
        ids.len()
    }
}

/// A free TCP port on loopback (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// The daemon running as a child process (`mysql2starrocks run --config FILE`).
pub struct Daemon {
    child: Child,
    pub log_path: PathBuf,
    pub admin: String,
}

impl Daemon {
    /// Spawns the daemon; its output goes to `daemon.log` beside the config.
    pub fn spawn(config: &Path) -> Daemon {
        Daemon::spawn_with_env(config, &[])
    }

    /// [`Self::spawn`] with extra environment variables.
    pub fn spawn_with_env(config: &Path, env: &[(&str, &str)]) -> Daemon {
        let dir = config.parent().unwrap_or(Path::new("."));
        let log_path = dir.join("daemon.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .unwrap_or_else(|e| panic!("daemon log: {e}"));
        let err = log
            .try_clone()
            .unwrap_or_else(|e| panic!("daemon log: {e}"));
        let admin = admin_address(config);
        let child = Command::new(env!("CARGO_BIN_EXE_mysql2starrocks"))
            .arg("run")
            .arg("--config")
            .arg(config)
            .env(
                "RUST_LOG",
                std::env::var("M2S_DAEMON_LOG")
                    .unwrap_or_else(|_| "info,mysql2starrocks=debug".into()),
            )
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning the daemon: {e}"));
        Daemon {
            child,
            log_path,
            admin,
        }
    }

    /// Waits until `/readyz` answers 200 (or the daemon exits, which fails the test).
    pub async fn wait_ready(&mut self) {
        let url = format!("http://{}/readyz", self.admin);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "daemon exited with {status} before ready; log:\n{}",
                    self.log()
                );
            }
            if let Ok(resp) = http_get(&url).await {
                if resp.0 == 200 {
                    return;
                }
            }
            if tokio::time::Instant::now() > deadline {
                panic!("daemon not ready after 60 s; log:\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit code.
    pub async fn terminate(mut self) -> Option<i32> {
        if let Some(pid) = self.child.id() {
            // SAFETY-free: plain kill(1) keeps the test free of unsafe code.
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        match tokio::time::timeout(Duration::from_secs(60), self.child.wait()).await {
            Ok(Ok(status)) => status.code(),
            other => panic!(
                "daemon did not stop after SIGTERM: {other:?}; log:\n{}",
                self.log()
            ),
        }
    }

    /// SIGKILL, no chance to flush anything.
    pub async fn kill9(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Waits for the daemon to exit by itself; returns its exit code.
    pub async fn wait_exit(mut self, timeout: Duration) -> (Option<i32>, String) {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => (status.code(), self.log()),
            other => panic!("daemon did not exit: {other:?}; log:\n{}", self.log()),
        }
    }

    /// GETs `path` from the admin endpoint; fails the test unless it answers 200.
    pub async fn admin_get(&self, path: &str) -> String {
        let url = format!("http://{}{path}", self.admin);
        match http_get(&url).await {
            Ok((200, body)) => body,
            other => panic!("GET {url}: {other:?}; log:\n{}", self.log()),
        }
    }

    /// The `/status` document.
    pub async fn status(&self) -> serde_json::Value {
        let body = self.admin_get("/status").await;
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("/status is not JSON ({e}): {body}"))
    }

    /// The value of one sample of `/metrics` (`name{labels}` exactly as exposed), if present.
    pub async fn metric(&self, sample: &str) -> Option<f64> {
        let body = self.admin_get("/metrics").await;
        body.lines().find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == sample).then(|| value.parse().ok()).flatten()
        })
    }

    /// The sum of the samples of metric `name` whose labels contain `label` (e.g.
    /// `outcome="retry"`; empty for all).
    pub async fn metric_total(&self, name: &str, label: &str) -> f64 {
        let body = self.admin_get("/metrics").await;
        body.lines()
            .filter_map(|line| {
                let (sample, value) = line.rsplit_once(' ')?;
                let labels = sample.strip_prefix(name)?.strip_prefix('{')?;
                labels
                    .contains(label)
                    .then(|| value.parse::<f64>().ok())
                    .flatten()
            })
            .sum()
    }

    /// Fails the test if the daemon exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("daemon exited with {status}; log:\n{}", self.log());
        }
    }
}

fn admin_address(config: &Path) -> String {
    let text = std::fs::read_to_string(config).unwrap_or_default();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("listen:"))
        .map(|s| s.trim().trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("no admin.listen in {}", config.display()))
}

/// A minimal HTTP/1.1 GET over loopback: (status, body).
pub async fn http_get(url: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad HTTP response"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// One column as the source describes it.
#[derive(Debug, Clone)]
struct SourceColumn {
    name: String,
    data_type: String,
    column_type: String,
}

async fn source_columns(
    source: &mut Conn,
    db: &str,
    table: &str,
) -> (Vec<SourceColumn>, Vec<String>) {
    let rows: Vec<(String, String, String, String)> = source
        .exec(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        .await
        .unwrap_or_else(|e| panic!("reading columns of {db}.{table}: {e}"));
    let key: Vec<(String,)> = source
        .exec(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        .await
        .unwrap_or_else(|e| panic!("reading the key of {db}.{table}: {e}"));
    let columns = rows
        .into_iter()
        .map(|(name, data_type, column_type, _)| SourceColumn {
            name,
            data_type: data_type.to_lowercase(),
            column_type: column_type.to_lowercase(),
        })
        .collect();
    (columns, key.into_iter().map(|(k,)| k).collect())
}

/// Reads both sides of every `(source db.table, target db.table)` pair and returns a description
/// of the first difference, or `None` when all are equal value by value.
pub async fn first_difference(
    source: &mut Conn,
    target: &mut Conn,
    tables: &[(&str, &str)],
) -> Option<String> {
    for (source_table, target_table) in tables {
        let (db, table) = source_table
            .split_once('.')
            .unwrap_or_else(|| panic!("{source_table}"));
        let (columns, key) = source_columns(source, db, table).await;
        let (tdb, ttable) = target_table
            .split_once('.')
            .unwrap_or_else(|| panic!("{target_table}"));
        // The emulator, like StarRocks' FE for most clients, is queried with plain text queries.
        let target_columns: Vec<(String, String)> = match target
            .query(format!(
                "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = '{tdb}' AND TABLE_NAME = '{ttable}'"
            ))
            .await
        {
            Ok(rows) => rows,
            Err(e) => return Some(format!("reading target columns of {target_table}: {e}")),
        };
        // Columns both sides have; a JSON target column is compared as JSON whatever the source
        // type (MariaDB's JSON is LONGTEXT).
        let shared_columns: Vec<SourceColumn> = columns
            .iter()
            .filter_map(|c| {
                let (_, target_type) = target_columns
                    .iter()
                    .find(|(t, _)| t.eq_ignore_ascii_case(&c.name))?;
                let mut column = c.clone();
                if target_type.eq_ignore_ascii_case("json") {
                    column.data_type = "json".to_string();
                }
                Some(column)
            })
            .collect();
        let shared: Vec<&SourceColumn> = shared_columns.iter().collect();
        let list = shared
            .iter()
            .map(|c| format!("`{}`", c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let order = key
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let source_rows: Vec<Row> = match source
            .query(format!(
                "SELECT {list} FROM `{db}`.`{table}` ORDER BY {order}"
            ))
            .await
        {
            Ok(rows) => rows,
            Err(e) => return Some(format!("reading {source_table}: {e}")),
        };
        let target_rows: Vec<Row> = match target
            .query(format!(
                "SELECT {list} FROM `{tdb}`.`{ttable}` ORDER BY {order}"
            ))
            .await
        {
            Ok(rows) => rows,
            Err(e) => return Some(format!("reading {target_table}: {e}")),
        };
        // Sorted here by the normalised key text: the two servers order by their own
        // collations (MySQL's case-insensitive `'b1' < 'TAG'`, StarRocks' binary `'TAG' < 'b1'`).
        let key_positions: Vec<usize> = key
            .iter()
            .filter_map(|k| shared.iter().position(|c| &c.name == k))
            .collect();
        let source_rows = sorted_by_key(source_rows, &key_positions, |p, row| {
            expected_target_text(shared[p], row.as_ref(p))
        });
        let target_rows = sorted_by_key(target_rows, &key_positions, |p, row| {
            normalize_target(shared[p], row.as_ref(p))
        });
        if source_rows.len() != target_rows.len() {
            return Some(format!(
                "{source_table}: {} rows in the source, {} in the target {target_table}",
                source_rows.len(),
                target_rows.len()
            ));
        }
        for (i, (s, t)) in source_rows.iter().zip(&target_rows).enumerate() {
            for (c, column) in shared.iter().enumerate() {
                let expected = expected_target_text(column, s.as_ref(c));
                let actual = normalize_target(column, t.as_ref(c));
                if expected != actual {
                    return Some(format!(
                        "{source_table} row #{i} column `{}` ({}): source {:?} → expected {:?}, target has {:?}",
                        column.name,
                        column.column_type,
                        s.as_ref(c),
                        expected,
                        actual
                    ));
                }
            }
        }
    }
    None
}

/// `rows` ordered by the text `key_text` gives each of their key columns (at `key_positions`).
fn sorted_by_key(
    rows: Vec<Row>,
    key_positions: &[usize],
    key_text: impl Fn(usize, &Row) -> Option<String>,
) -> Vec<Row> {
    let mut keyed: Vec<(Vec<Option<String>>, Row)> = rows
        .into_iter()
        .map(|row| {
            let key = key_positions.iter().map(|&p| key_text(p, &row)).collect();
            (key, row)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, row)| row).collect()
}

/// Waits until every table pair is equal; fails with the last difference and the daemon's log.
pub async fn assert_converges(bed: &Bed, daemon: Option<&mut Daemon>, tables: &[(&str, &str)]) {
    let mut source = bed.source_conn().await;
    let mut target = bed.target_conn().await;
    let deadline = tokio::time::Instant::now() + CONVERGE_TIMEOUT;
    let mut daemon = daemon;
    loop {
        let difference = first_difference(&mut source, &mut target, tables).await;
        let Some(difference) = difference else { return };
        if let Some(d) = daemon.as_deref_mut() {
            d.assert_running();
        }
        if tokio::time::Instant::now() > deadline {
            let log = daemon.map(|d| d.log()).unwrap_or_default();
            panic!("target did not converge: {difference}\ndaemon log:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn bytes_of(value: Option<&Value>) -> Option<Vec<u8>> {
    match value {
        None | Some(Value::NULL) => None,
        Some(Value::Bytes(b)) => Some(b.clone()),
        Some(Value::Int(i)) => Some(i.to_string().into_bytes()),
        Some(Value::UInt(u)) => Some(u.to_string().into_bytes()),
        Some(Value::Float(f)) => Some(f.to_string().into_bytes()),
        Some(Value::Double(f)) => Some(f.to_string().into_bytes()),
        Some(other) => Some(other.as_sql(true).into_bytes()),
    }
}

fn trim_fraction(text: &str) -> String {
    match text.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => text.to_string(),
    }
}

/// The target text the value contract promises for a source value (None = NULL).
fn expected_target_text(column: &SourceColumn, value: Option<&Value>) -> Option<String> {
    let bytes = bytes_of(value)?;
    let text = String::from_utf8_lossy(&bytes).to_string();
    Some(match column.data_type.as_str() {
        "date" | "datetime" | "timestamp" if text.starts_with("0000-00-00") => return None,
        "datetime" | "timestamp" | "time" => trim_fraction(&text),
        "float" | "double" => normalize_float(&text),
        "year" => text.parse::<u32>().map(|y| y.to_string()).unwrap_or(text),
        "json" => normalize_json(&text),
        "bit" => {
            let n = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            n.to_string()
        }
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "geometry"
        | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" | "geomcollection" => hex(&bytes),
        _ => text,
    })
}

/// The target's text normalised the same way.
fn normalize_target(column: &SourceColumn, value: Option<&Value>) -> Option<String> {
    let bytes = bytes_of(value)?;
    let text = String::from_utf8_lossy(&bytes).to_string();
    Some(match column.data_type.as_str() {
        "datetime" | "timestamp" | "time" => trim_fraction(&text),
        "float" | "double" => normalize_float(&text),
        "json" => normalize_json(&text),
        "bit" => match text.as_str() {
            "true" => "1".to_string(),
            "false" => "0".to_string(),
            _ if text.parse::<u64>().is_ok() => text,
            _ => bytes
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
                .to_string(),
        },
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "geometry"
        | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" | "geomcollection" => hex(&bytes),
        _ => text,
    })
}

fn normalize_float(text: &str) -> String {
    text.parse::<f64>()
        .map(|f| format!("{f:e}"))
        .unwrap_or_else(|_| text.to_string())
}

fn normalize_json(text: &str) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut members: Vec<_> = map.into_iter().collect();
                members.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(
                    members.into_iter().map(|(k, v)| (k, sorted(v))).collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    serde_json::from_str::<serde_json::Value>(text)
        .map(|v| sorted(v).to_string())
        .unwrap_or_else(|_| text.to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Generates one `#[tokio::test]` per scenario and flavour: `mariadb::<scenario>` and
/// `mysql97::<scenario>`, each calling `<scenario>(Flavor)` of the test file.
#[allow(unused_macros)] // Why: not every test file has scenarios for both flavours.
macro_rules! both_flavors {
    ($($scenario:ident),* $(,)?) => {
        mod mariadb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(testbed::Flavor::MariaDb).await;
                }
            )*
        }
        mod mysql97 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(testbed::Flavor::MySql).await;
                }
            )*
        }
    };
}
