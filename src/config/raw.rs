//! The configuration file as written: serde types mirroring the YAML, with defaults.
//!
//! These types accept any well-formed file whose keys are known (`deny_unknown_fields`); they do
//! not check values. [`super::validate`] turns a [`RawConfig`] into the typed
//! [`super::Config`]. The field docs here are the user documentation of each key
//! (`config.yaml.example` repeats them). Defaults are the `DEFAULT_*` consts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Default `source.host`.
pub const DEFAULT_SOURCE_HOST: &str = "127.0.0.1";
/// Default `source.port`.
pub const DEFAULT_SOURCE_PORT: u16 = 3306;
/// Default `source.server_id`.
pub const DEFAULT_SERVER_ID: u32 = 5401;
/// Default `source.tls`.
pub const DEFAULT_TLS: &str = "prefer";
/// Default `source.heartbeat_ms`.
pub const DEFAULT_HEARTBEAT_MS: u64 = 5_000;
/// Default `source.read_timeout_ms`.
pub const DEFAULT_READ_TIMEOUT_MS: u64 = 30_000;
/// Default `target.load_url`.
pub const DEFAULT_LOAD_URL: &str = "127.0.0.1:8030";
/// Default `target.query_address`.
pub const DEFAULT_QUERY_ADDRESS: &str = "127.0.0.1:9030";
/// Default `target.user`.
pub const DEFAULT_TARGET_USER: &str = "root";
/// Default `target.max_batch_rows`.
pub const DEFAULT_MAX_BATCH_ROWS: u64 = 500_000;
/// Default `target.max_batch_size` (bytes).
pub const DEFAULT_MAX_BATCH_SIZE: u64 = 5_242_880;
/// Default `target.flush_interval_ms`.
pub const DEFAULT_FLUSH_INTERVAL_MS: u64 = 1_000;
/// Default `target.strategy_on_error`.
pub const DEFAULT_STRATEGY_ON_ERROR: &str = "exit";
/// Default `target.dirty_data_dir`.
pub const DEFAULT_DIRTY_DATA_DIR: &str = "./dirty";
/// Default `target.timestamp_time_zone`.
pub const DEFAULT_TIMESTAMP_TIME_ZONE: &str = "UTC";
/// Default `target.load_timeout_ms`.
pub const DEFAULT_LOAD_TIMEOUT_MS: u64 = 120_000;
/// Default `target.max_retries`.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Default `ddl.on_truncate`.
pub const DEFAULT_ON_TRUNCATE: &str = "apply";
/// Default `ddl.on_other`.
pub const DEFAULT_ON_OTHER: &str = "ignore";
/// Default `snapshot.mode`.
pub const DEFAULT_SNAPSHOT_MODE: &str = "initial";
/// Default `snapshot.chunk_rows`.
pub const DEFAULT_CHUNK_ROWS: u64 = 20_000;
/// Default `snapshot.parallelism`.
pub const DEFAULT_SNAPSHOT_PARALLELISM: u32 = 4;
/// Default `state_dir`.
pub const DEFAULT_STATE_DIR: &str = "./state";
/// Default `admin.listen`.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9501";
/// Default `log.format`.
pub const DEFAULT_LOG_FORMAT: &str = "text";
/// Default `log.level`.
pub const DEFAULT_LOG_LEVEL: &str = "info";
/// Default `shutdown_timeout_ms`.
pub const DEFAULT_SHUTDOWN_TIMEOUT_MS: u64 = 30_000;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// The MySQL or MariaDB server to replicate from (as a replica).
    pub source: RawSource,
    /// The StarRocks cluster to load into.
    #[serde(default)]
    pub target: RawTarget,
    /// Optional renames: source `db.table` → target `db.table`. Default target: the same name.
    #[serde(default)]
    pub routes: Vec<RawRoute>,
    /// What to do with DDL statements on replicated tables.
    #[serde(default)]
    pub ddl: RawDdl,
    /// Initial copy of the tables before streaming the binlog.
    #[serde(default)]
    pub snapshot: RawSnapshot,
    /// Directory of the RocksDB checkpoint store. Relative paths are relative to the directory of
    /// the configuration file. One process per directory.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// The HTTP admin endpoint.
    #[serde(default)]
    pub admin: RawAdmin,
    /// Logging.
    #[serde(default)]
    pub log: RawLog,
    /// After SIGTERM/SIGINT, how long to wait for in-flight loads and the last checkpoint before
    /// exiting anyway (nothing is lost: the next start replays from the last checkpoint).
    #[serde(default = "default_shutdown_timeout_ms")]
    pub shutdown_timeout_ms: u64,
}

/// `source:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Host name or IP address of the source server.
    #[serde(default = "default_source_host")]
    pub host: String,
    /// MySQL protocol port.
    #[serde(default = "default_source_port")]
    pub port: u16,
    /// Replication user: needs REPLICATION SLAVE, REPLICATION CLIENT and SELECT.
    pub user: String,
    /// Password of `user`. Mutually exclusive with `password_file`.
    #[serde(default)]
    pub password: Option<String>,
    /// File holding the password (one trailing newline is removed). Relative to the config file.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Replica server id; must be unique among all replicas of the source, and not 0.
    #[serde(default = "default_server_id")]
    pub server_id: u32,
    /// TLS to the source: disable | prefer | require | verify_ca | verify_identity.
    #[serde(default = "default_tls")]
    pub tls: String,
    /// PEM file of the CA that signed the server certificate (for verify_ca and verify_identity;
    /// without it the system roots are used).
    #[serde(default)]
    pub tls_ca_file: Option<PathBuf>,
    /// Tables to replicate: patterns `db.table`, `*` matches any run of characters.
    pub tables: Vec<String>,
    /// Tables to leave out even if `tables` selects them (same pattern syntax).
    #[serde(default)]
    pub exclude_tables: Vec<String>,
    /// Heartbeat period asked of the source while the binlog is idle.
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: u64,
    /// A replication connection silent for this long is considered dead and reconnected. Must be
    /// longer than `heartbeat_ms`.
    #[serde(default = "default_read_timeout_ms")]
    pub read_timeout_ms: u64,
}

/// `target:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// FE HTTP addresses (`host:port`), tried in order for failover (DataWorks: loadUrl).
    #[serde(default = "default_load_url")]
    pub load_url: Vec<String>,
    /// FE MySQL-protocol address (`host:port`) for metadata queries and DDL.
    #[serde(default = "default_query_address")]
    pub query_address: String,
    /// StarRocks user.
    #[serde(default = "default_target_user")]
    pub user: String,
    /// Password of `user`. Mutually exclusive with `password_file`.
    #[serde(default)]
    pub password: Option<String>,
    /// File holding the password (one trailing newline is removed). Relative to the config file.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Stream Load options sent as headers (DataWorks: loadProps): format csv|json,
    /// column_separator, row_delimiter, strict_mode, compression, timeout, ...
    #[serde(default)]
    pub load_props: BTreeMap<String, serde_json::Value>,
    /// Flush a table's buffer at this many rows (DataWorks: maxBatchRows).
    #[serde(default = "default_max_batch_rows")]
    pub max_batch_rows: u64,
    /// Flush a table's buffer at this many bytes of encoded rows (DataWorks: maxBatchSize).
    #[serde(default = "default_max_batch_size")]
    pub max_batch_size: u64,
    /// Flush a non-empty buffer at least this often.
    #[serde(default = "default_flush_interval_ms")]
    pub flush_interval_ms: u64,
    /// What to do when StarRocks rejects a batch's data: exit | batch_dirty_data
    /// (DataWorks: strategyOnError).
    #[serde(default = "default_strategy_on_error")]
    pub strategy_on_error: String,
    /// Where `batch_dirty_data` writes rejected batches with the server's error. Relative to the
    /// config file.
    #[serde(default = "default_dirty_data_dir")]
    pub dirty_data_dir: PathBuf,
    /// SQL run on the target on the first start only (DataWorks: preSql).
    #[serde(default)]
    pub pre_sql: Vec<String>,
    /// SQL run on the target after a snapshot-only run ends (DataWorks: postSql).
    #[serde(default)]
    pub post_sql: Vec<String>,
    /// Time zone TIMESTAMP values are rendered in: `UTC`, an IANA name, or an offset `+08:00`.
    #[serde(default = "default_timestamp_time_zone")]
    pub timestamp_time_zone: String,
    /// Create missing target tables as PRIMARY KEY tables from the source schema.
    #[serde(default)]
    pub auto_create: bool,
    /// Client-side timeout of one Stream Load request. The server-side `timeout` load property
    /// must be shorter; when `load_props` has none, it is set to 80% of this.
    #[serde(default = "default_load_timeout_ms")]
    pub load_timeout_ms: u64,
    /// Retries of one failed load (same label) before the pipeline restarts from the checkpoint.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
}

impl Default for RawTarget {
    fn default() -> Self {
        RawTarget {
            load_url: default_load_url(),
            query_address: default_query_address(),
            user: default_target_user(),
            password: None,
            password_file: None,
            load_props: BTreeMap::new(),
            max_batch_rows: DEFAULT_MAX_BATCH_ROWS,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            flush_interval_ms: DEFAULT_FLUSH_INTERVAL_MS,
            strategy_on_error: default_strategy_on_error(),
            dirty_data_dir: default_dirty_data_dir(),
            pre_sql: Vec::new(),
            post_sql: Vec::new(),
            timestamp_time_zone: default_timestamp_time_zone(),
            auto_create: false,
            load_timeout_ms: DEFAULT_LOAD_TIMEOUT_MS,
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }
}

/// One item of `routes:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Source table `db.table` (no wildcard).
    pub source: String,
    /// Target table `db.table` (no wildcard).
    pub target: String,
}

/// `ddl:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDdl {
    /// TRUNCATE of a replicated table: apply (flush, then truncate the target) | ignore.
    #[serde(default = "default_on_truncate")]
    pub on_truncate: String,
    /// Any other DDL on a replicated table: ignore (log and go on) | fail (stop).
    #[serde(default = "default_on_other")]
    pub on_other: String,
}

impl Default for RawDdl {
    fn default() -> Self {
        RawDdl {
            on_truncate: default_on_truncate(),
            on_other: default_on_other(),
        }
    }
}

/// `snapshot:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSnapshot {
    /// initial (copy on first start, then stream) | never (stream only) | only (copy, run
    /// post_sql, exit).
    #[serde(default = "default_snapshot_mode")]
    pub mode: String,
    /// Rows per primary-key-ordered chunk.
    #[serde(default = "default_chunk_rows")]
    pub chunk_rows: u64,
    /// Chunk readers working at once, across and within tables, each on its own connection.
    #[serde(default = "default_snapshot_parallelism")]
    pub parallelism: u32,
    /// Per-table options, keyed by source `db.table`.
    #[serde(default)]
    pub tables: BTreeMap<String, RawSnapshotTable>,
}

impl Default for RawSnapshot {
    fn default() -> Self {
        RawSnapshot {
            mode: default_snapshot_mode(),
            chunk_rows: DEFAULT_CHUNK_ROWS,
            parallelism: DEFAULT_SNAPSHOT_PARALLELISM,
            tables: BTreeMap::new(),
        }
    }
}

/// `snapshot.tables."db.table":`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSnapshotTable {
    /// SQL condition limiting the rows copied (snapshot only: binlog rows are not filtered).
    #[serde(default, rename = "where")]
    pub where_clause: Option<String>,
    /// Column to split chunks on, instead of the primary key.
    #[serde(default)]
    pub split_pk: Option<String>,
    /// Columns to copy (default: all).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// `admin:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    /// Address of the HTTP endpoint serving /metrics /healthz /readyz /status.
    #[serde(default = "default_admin_listen")]
    pub listen: String,
}

impl Default for RawAdmin {
    fn default() -> Self {
        RawAdmin {
            listen: default_admin_listen(),
        }
    }
}

/// `log:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    /// text (human-readable) | json (one object per line).
    #[serde(default = "default_log_format")]
    pub format: String,
    /// Level or filter directives (`info`, `debug`, `info,mysql2starrocks=debug`). The RUST_LOG
    /// environment variable overrides it.
    #[serde(default = "default_log_level")]
    pub level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: default_log_format(),
            level: default_log_level(),
        }
    }
}

fn default_source_host() -> String {
    DEFAULT_SOURCE_HOST.to_owned()
}
fn default_source_port() -> u16 {
    DEFAULT_SOURCE_PORT
}
fn default_server_id() -> u32 {
    DEFAULT_SERVER_ID
}
fn default_tls() -> String {
    DEFAULT_TLS.to_owned()
}
fn default_heartbeat_ms() -> u64 {
    DEFAULT_HEARTBEAT_MS
}
fn default_read_timeout_ms() -> u64 {
    DEFAULT_READ_TIMEOUT_MS
}
fn default_load_url() -> Vec<String> {
    vec![DEFAULT_LOAD_URL.to_owned()]
}
fn default_query_address() -> String {
    DEFAULT_QUERY_ADDRESS.to_owned()
}
fn default_target_user() -> String {
    DEFAULT_TARGET_USER.to_owned()
}
fn default_max_batch_rows() -> u64 {
    DEFAULT_MAX_BATCH_ROWS
}
fn default_max_batch_size() -> u64 {
    DEFAULT_MAX_BATCH_SIZE
}
fn default_flush_interval_ms() -> u64 {
    DEFAULT_FLUSH_INTERVAL_MS
}
fn default_strategy_on_error() -> String {
    DEFAULT_STRATEGY_ON_ERROR.to_owned()
}
fn default_dirty_data_dir() -> PathBuf {
    PathBuf::from(DEFAULT_DIRTY_DATA_DIR)
}
fn default_timestamp_time_zone() -> String {
    DEFAULT_TIMESTAMP_TIME_ZONE.to_owned()
}
fn default_load_timeout_ms() -> u64 {
    DEFAULT_LOAD_TIMEOUT_MS
}
fn default_max_retries() -> u32 {
    DEFAULT_MAX_RETRIES
}
fn default_on_truncate() -> String {
    DEFAULT_ON_TRUNCATE.to_owned()
}
fn default_on_other() -> String {
    DEFAULT_ON_OTHER.to_owned()
}
fn default_snapshot_mode() -> String {
    DEFAULT_SNAPSHOT_MODE.to_owned()
}
fn default_chunk_rows() -> u64 {
    DEFAULT_CHUNK_ROWS
}
fn default_snapshot_parallelism() -> u32 {
    DEFAULT_SNAPSHOT_PARALLELISM
}
fn default_state_dir() -> PathBuf {
    PathBuf::from(DEFAULT_STATE_DIR)
}
fn default_admin_listen() -> String {
    DEFAULT_ADMIN_LISTEN.to_owned()
}
fn default_log_format() -> String {
    DEFAULT_LOG_FORMAT.to_owned()
}
fn default_log_level() -> String {
    DEFAULT_LOG_LEVEL.to_owned()
}
fn default_shutdown_timeout_ms() -> u64 {
    DEFAULT_SHUTDOWN_TIMEOUT_MS
}
