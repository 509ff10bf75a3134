//! The source side: everything that talks to MySQL / MariaDB and turns its binlog into
//! `SourceEvent`s.
//!
//! Layout:
//! - `settings`, `connect`: how to reach the server; error classification.
//! - `preflight`: server checks before replication starts.
//! - `schema_loader`: table schemas and table lists from `information_schema`.
//! - `binlog`: the replica connection (`BinlogReader`): dump request, heartbeats, read timeout,
//!   reconnection.
//! - `event_decoder`: the event state machine (positions, transactions, rows, DDL).
//! - `table_map`, `decode`, `json`, `charset`: TABLE_MAP metadata and value decoding (the only
//!   place MySQL values become `Value`s).
//! - `checksum`, `mariadb`, `ddl`, `binlog_file`: CRC32, MariaDB's raw events, statement
//!   classification, binlog files on disk.

pub mod binary_decimal;
pub mod binary_timestamp;
pub mod binlog;
pub mod binlog_file;
pub mod cell_reader;
pub mod charset;
pub mod checksum;
pub mod connect;
pub mod ddl;
pub mod decode;
pub mod event_decoder;
pub mod json;
pub mod mariadb;
pub mod preflight;
pub mod row_image;
pub mod schema_loader;
pub mod settings;
pub mod table_map;
pub mod transaction;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

pub use self::settings::{SourceSettings, TlsMode};
use crate::error::Error;
use crate::position::{GtidSet, GtidState, MariaGtidList, Position};
use connect::classify;

/// The kind of source server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MySql,
    MariaDb,
}

/// What preflight learned about the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub flavor: Flavor,
    /// `SELECT VERSION()`.
    pub version: String,
    /// MySQL's `server_uuid` (MariaDB has none).
    pub server_uuid: Option<String>,
    pub server_id: u32,
    /// MySQL `gtid_mode=ON`; always true for MariaDB (its GTIDs are always written).
    pub gtid_enabled: bool,
    /// `binlog_row_metadata=FULL` (column names in the binlog).
    pub row_metadata_full: bool,
}

/// The flavour and version of the server behind `conn`.
pub async fn server_flavor(conn: &mut Conn) -> Result<(Flavor, String), Error> {
    let version: Option<String> = conn
        .query_first("SELECT VERSION()")
        .await
        .map_err(|error| classify(error).context("reading the source's version"))?;
    let version = version.unwrap_or_default();
    let flavor = if version.to_ascii_lowercase().contains("mariadb") {
        Flavor::MariaDb
    } else {
        Flavor::MySql
    };
    Ok((flavor, version))
}

/// Reads a global variable as text (`None` when the server does not know it).
pub(crate) async fn global_variable(conn: &mut Conn, name: &str) -> Result<Option<String>, Error> {
    // Why interpolation is safe: `name` is always a constant of this crate.
    debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    match conn
        .query_first::<Option<String>, _>(format!("SELECT @@GLOBAL.{name}"))
        .await
    {
        Ok(value) => Ok(value.flatten()),
        Err(mysql_async::Error::Server(server))
            if server.code == connect::code::UNKNOWN_SYSTEM_VARIABLE =>
        {
            Ok(None)
        }
        Err(error) => Err(classify(error).context(format!("reading @@GLOBAL.{name}"))),
    }
}

/// The source's current binlog file and position (`SHOW BINARY LOG STATUS`, or `SHOW MASTER
/// STATUS` on older servers and MariaDB) and its GTID state (`gtid_executed` with
/// `gtid_mode=ON`; MariaDB's `gtid_binlog_pos`).
pub async fn current_position(conn: &mut Conn) -> Result<Position, Error> {
    let (flavor, _) = server_flavor(conn).await?;
    // MariaDB: read the GTID state first; a transaction committed between the two reads is then
    // replayed (harmless), never skipped.
    let maria_gtid = if flavor == Flavor::MariaDb {
        let text = global_variable(conn, "gtid_binlog_pos")
            .await?
            .unwrap_or_default();
        Some(
            text.parse::<MariaGtidList>()
                .map_err(|error| Error::definite(error.to_string()))?,
        )
    } else {
        None
    };
    let status = binary_log_status(conn).await?;
    let mut row = status.ok_or_else(|| {
        Error::definite("the source has no binary log (SHOW BINARY LOG STATUS is empty)")
            .with_hint("start the source with log_bin enabled")
    })?;
    let file: String = row
        .take::<Option<String>, _>(0)
        .flatten()
        .unwrap_or_default();
    let pos: u64 = row.take::<Option<u64>, _>(1).flatten().unwrap_or(4);
    let gtid = match flavor {
        Flavor::MariaDb => maria_gtid.map(GtidState::MariaDb),
        Flavor::MySql => {
            let mode = global_variable(conn, "gtid_mode")
                .await?
                .unwrap_or_default();
            if mode.eq_ignore_ascii_case("ON") {
                let executed: String = row
                    .take::<Option<String>, _>(4)
                    .flatten()
                    .unwrap_or_default();
                Some(GtidState::MySql(
                    executed
                        .parse::<GtidSet>()
                        .map_err(|error| Error::definite(error.to_string()))?,
                ))
            } else {
                None
            }
        }
    };
    Ok(Position { file, pos, gtid })
}

/// [`current_position`] on a new connection made with `settings`.
pub async fn current_position_at(settings: &SourceSettings) -> Result<Position, Error> {
    let mut conn = connect::open(settings).await?;
    let position = current_position(&mut conn).await;
    let _ = conn.disconnect().await;
    position
}

/// `SHOW BINARY LOG STATUS`, falling back to `SHOW MASTER STATUS`.
pub(crate) async fn binary_log_status(conn: &mut Conn) -> Result<Option<Row>, Error> {
    match conn.query_first::<Row, _>("SHOW BINARY LOG STATUS").await {
        Ok(row) => Ok(row),
        Err(mysql_async::Error::Server(server)) if server.code == connect::code::PARSE_ERROR => {
            conn.query_first::<Row, _>("SHOW MASTER STATUS")
                .await
                .map_err(|error| classify(error).context("reading SHOW MASTER STATUS"))
        }
        Err(error) => Err(classify(error).context("reading SHOW BINARY LOG STATUS")),
    }
}
