//! Configuration: the YAML file → a typed, validated [`Config`].
//!
//! Three steps, each in its own file:
//! 1. [`raw`]: parse the YAML into [`RawConfig`] (serde, unknown keys refused, defaults filled in;
//!    syntax errors come with line, column and a snippet).
//! 2. [`resolve`]: expand `${ENV}` in every string value and read `password_file`s (the only
//!    step that looks at the environment or other files).
//! 3. [`validate`]: a pure function from [`RawConfig`] to [`Config`] that reports *every* problem
//!    with its field path (`target.max_batch_rows: must be > 0`).
//!
//! YAML is read with `serde-saphyr` (maintained, pure safe Rust, errors with line, column and a
//! snippet); `serde_yaml` is deprecated and archived by its author.
//!
//! Relative paths in the file (`state_dir`, `target.dirty_data_dir`, `*password_file`,
//! `source.tls_ca_file`) are relative to the directory of the configuration file, so that
//! `run` and `status` agree whatever the working directory. Passwords are [`Secret`]s: `Debug`
//! output of a `Config` never shows them.

mod address;
mod error;
pub mod raw;
mod resolve;
mod secret;
mod separator;
mod table_filter;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use address::HostPort;
pub use error::{ConfigError, FieldProblem};
pub use raw::RawConfig;
pub use resolve::EnvLookup;
pub use secret::Secret;
pub use separator::{Separator, MAX_SEPARATOR_BYTES};
pub use table_filter::{parse_table_id, Routes, TableFilter, TablePattern};
pub use validate::validate;

use crate::schema::TableId;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The source server.
    pub source: SourceConfig,
    /// The StarRocks cluster.
    pub target: TargetConfig,
    /// Source → target table renames.
    pub routes: Routes,
    /// DDL policy.
    pub ddl: DdlPolicy,
    /// Initial copy.
    pub snapshot: SnapshotConfig,
    /// Directory of the RocksDB checkpoint store (absolute when loaded from a file).
    pub state_dir: PathBuf,
    /// Admin HTTP endpoint.
    pub admin: AdminConfig,
    /// Logging.
    pub log: LogConfig,
    /// How long a graceful shutdown may take before the process exits anyway.
    pub shutdown_timeout: Duration,
}

/// `source:`.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Host name or IP address.
    pub host: String,
    /// MySQL protocol port.
    pub port: u16,
    /// Replication user.
    pub user: String,
    /// Password (from `password`, `password_file` or `${ENV}`).
    pub password: Secret,
    /// Replica server id, never 0.
    pub server_id: u32,
    /// TLS mode.
    pub tls: TlsMode,
    /// CA certificate file for `verify_ca` / `verify_identity`.
    pub tls_ca_file: Option<PathBuf>,
    /// Which tables are replicated.
    pub tables: TableFilter,
    /// Heartbeat period asked of the source.
    pub heartbeat: Duration,
    /// Silence after which the replication connection is considered dead (> `heartbeat`).
    pub read_timeout: Duration,
}

/// TLS to the source, with MySQL client `--ssl-mode` semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, else plain TCP.
    Prefer,
    /// TLS, without certificate verification.
    Require,
    /// TLS, the certificate must chain to the CA.
    VerifyCa,
    /// TLS, the certificate must chain to the CA and name the host.
    VerifyIdentity,
}

/// `target:`.
#[derive(Debug, Clone)]
pub struct TargetConfig {
    /// FE HTTP addresses, tried in order. Never empty.
    pub load_urls: Vec<HostPort>,
    /// FE MySQL-protocol address.
    pub query_address: HostPort,
    /// StarRocks user.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// Stream Load headers to send as they are: the user's `load_props` with lower-case keys
    /// and string values, plus `timeout` (seconds) when the user gave none. The typed keys
    /// below (`format`, `compression`, `column_separator`, `row_delimiter`) are taken out, and
    /// `label` and `columns` are refused: the loader sets those itself.
    pub load_props: BTreeMap<String, String>,
    /// `load_props.format`, default CSV.
    pub format: LoadFormat,
    /// `load_props.compression`, default none.
    pub compression: Option<Compression>,
    /// `load_props.column_separator` (CSV), default tab.
    pub column_separator: Separator,
    /// `load_props.row_delimiter` (CSV), default newline.
    pub row_delimiter: Separator,
    /// Flush a table's buffer at this many rows (> 0).
    pub max_batch_rows: usize,
    /// Flush a table's buffer at this many bytes (> 0).
    pub max_batch_size: usize,
    /// Flush a non-empty buffer at least this often.
    pub flush_interval: Duration,
    /// What to do with rejected data.
    pub strategy_on_error: ErrorStrategy,
    /// Where rejected batches go under [`ErrorStrategy::BatchDirtyData`].
    pub dirty_data_dir: PathBuf,
    /// SQL run on the first start only.
    pub pre_sql: Vec<String>,
    /// SQL run after a snapshot-only run.
    pub post_sql: Vec<String>,
    /// Time zone TIMESTAMP values are rendered in.
    pub timestamp_time_zone: jiff::tz::TimeZone,
    /// Create missing target tables.
    pub auto_create: bool,
    /// Client-side timeout of one Stream Load request (longer than the server-side `timeout`).
    pub load_timeout: Duration,
    /// Retries of one failed load before restarting from the checkpoint.
    pub max_retries: u32,
}

/// Stream Load body format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadFormat {
    /// Delimited text (`column_separator`, `row_delimiter`).
    Csv,
    /// JSON.
    Json,
}

/// Body compression of Stream Load requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`flate2`).
    Gzip,
    /// Zstandard frame.
    Zstd,
    /// LZ4 frame (`lz4_frame`).
    Lz4Frame,
}

/// `target.strategy_on_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStrategy {
    /// Stop with a definite error.
    Exit,
    /// Write the batch and the server's error to `dirty_data_dir`, then go on.
    BatchDirtyData,
}

/// `ddl:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DdlPolicy {
    /// TRUNCATE of a replicated table.
    pub on_truncate: TruncatePolicy,
    /// Other DDL on a replicated table.
    pub on_other: OtherDdlPolicy,
}

/// `ddl.on_truncate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruncatePolicy {
    /// Flush the table's pending rows, then truncate the target.
    Apply,
    /// Leave the target alone.
    Ignore,
}

/// `ddl.on_other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherDdlPolicy {
    /// Log, refresh the schema, go on.
    Ignore,
    /// Stop with a definite error.
    Fail,
}

/// `snapshot:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotConfig {
    /// When to copy.
    pub mode: SnapshotMode,
    /// Rows per chunk (> 0).
    pub chunk_rows: usize,
    /// Concurrent chunk readers (> 0).
    pub parallelism: usize,
    /// Per-table options.
    pub tables: BTreeMap<TableId, SnapshotTableOptions>,
}

/// `snapshot.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Copy tables without a finished snapshot, then stream.
    Initial,
    /// Never copy; stream from the checkpoint or the source's current position.
    Never,
    /// Copy, run `post_sql`, exit.
    Only,
}

/// `snapshot.tables."db.table"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotTableOptions {
    /// Row filter (snapshot only).
    pub where_clause: Option<String>,
    /// Chunking column instead of the primary key.
    pub split_pk: Option<String>,
    /// Columns to copy (default all). Never empty when set.
    pub columns: Option<Vec<String>>,
}

/// `admin:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminConfig {
    /// Listen address of /metrics /healthz /readyz /status.
    pub listen: SocketAddr,
}

/// `log:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormat,
    /// `tracing_subscriber::EnvFilter` directives (checked to parse).
    pub level: String,
}

/// `log.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (colours on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// Reads, resolves and validates the configuration file at `path`, expanding `${ENV}` from
    /// the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        Config::from_yaml(&text, &path, &|name| std::env::var(name).ok())
    }

    /// Like [`Config::load`], from text already read. `path` names the file in messages and its
    /// directory anchors relative paths; `env` looks up `${VAR}` references.
    pub fn from_yaml(text: &str, path: &Path, env: EnvLookup<'_>) -> Result<Config, ConfigError> {
        let raw = parse_yaml(text, path)?;
        let base_dir = path.parent().unwrap_or_else(|| Path::new(""));
        let raw =
            resolve::resolve(raw, base_dir, env).map_err(|problems| ConfigError::Invalid {
                path: path.to_owned(),
                problems,
            })?;
        validate(&raw, base_dir).map_err(|problems| ConfigError::Invalid {
            path: path.to_owned(),
            problems,
        })
    }
}

/// Parses YAML into [`RawConfig`] without resolving or validating anything.
pub fn parse_yaml(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    serde_saphyr::from_str::<RawConfig>(text).map_err(|error| ConfigError::Parse {
        path: path.to_owned(),
        message: error.to_string(),
    })
}
