//! Checks the source before replication starts; each problem is one definite error with a hint.
//!
//! Checked: `log_bin=ON`, `binlog_format=ROW`, `binlog_row_image=FULL`, `binlog_row_metadata=FULL`
//! (required: rows are matched to columns by the names the binlog carries), GTID mode,
//! the privileges (REPLICATION SLAVE, REPLICATION CLIENT / MariaDB BINLOG MONITOR, SELECT),
//! MariaDB `log_bin_compress=OFF`, and that a saved position is still on the server (its file
//! in `SHOW BINARY LOGS`; its GTIDs not purged: MySQL `gtid_purged`, MariaDB the GTID state at
//! the start of the oldest binlog). A source with semi-sync replication enabled is accepted:
//! this replica never asks for semi-sync, so it receives plain events.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use crate::error::Error;
use crate::position::{GtidSet, GtidState, MariaGtidList, Position};
use crate::source::connect::{self, classify};
use crate::source::{
    binary_log_status, global_variable, server_flavor, Flavor, ServerInfo, SourceSettings,
};

/// Runs every check; see the module documentation.
pub async fn check(
    settings: &SourceSettings,
    resume_from: Option<&Position>,
) -> Result<ServerInfo, Error> {
    let mut conn = connect::open(settings).await?;
    let result = check_on(&mut conn, resume_from).await;
    let _ = conn.disconnect().await;
    result
}

/// The checks, on an open connection.
pub async fn check_on(
    conn: &mut Conn,
    resume_from: Option<&Position>,
) -> Result<ServerInfo, Error> {
    let (flavor, version) = server_flavor(conn).await?;
    let server_id: u32 = global_variable(conn, "server_id")
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);

    let log_bin = global_variable(conn, "log_bin").await?.unwrap_or_default();
    if !is_on(&log_bin) {
        return Err(setting_error(
            "log_bin",
            "ON",
            &log_bin,
            "start the server with --log-bin",
        ));
    }
    let format = global_variable(conn, "binlog_format")
        .await?
        .unwrap_or_default();
    if !format.eq_ignore_ascii_case("ROW") {
        return Err(setting_error("binlog_format", "ROW", &format, "SET GLOBAL binlog_format = 'ROW' (and in my.cnf); sessions opened before keep the old format until they reconnect"));
    }
    let image = global_variable(conn, "binlog_row_image")
        .await?
        .unwrap_or_default();
    if !image.eq_ignore_ascii_case("FULL") {
        return Err(setting_error(
            "binlog_row_image",
            "FULL",
            &image,
            "SET GLOBAL binlog_row_image = 'FULL' (and in my.cnf)",
        ));
    }
    let metadata = global_variable(conn, "binlog_row_metadata")
        .await?
        .unwrap_or_else(|| "MINIMAL".into());
    let row_metadata_full = metadata.eq_ignore_ascii_case("FULL");
    if !row_metadata_full {
        // Why: without column names in the binlog, rows are matched to today's columns by
        // position, so a column moved, renamed or dropped and re-added while the daemon lags
        // would shift values into the wrong columns without any error; and rows of a dropped
        // table could not be decoded at all.
        return Err(setting_error(
            "binlog_row_metadata",
            "FULL",
            &metadata,
            "SET GLOBAL binlog_row_metadata = 'FULL' (and in my.cnf): the binlog then names each \
             row's columns and key, so rows written before a schema change decode right after it",
        ));
    }
    let checksum = global_variable(conn, "binlog_checksum")
        .await?
        .unwrap_or_else(|| "NONE".into());
    if !checksum.eq_ignore_ascii_case("CRC32") && !checksum.eq_ignore_ascii_case("NONE") {
        return Err(setting_error(
            "binlog_checksum",
            "CRC32 or NONE",
            &checksum,
            "SET GLOBAL binlog_checksum = 'CRC32'",
        ));
    }

    let (gtid_enabled, server_uuid) = match flavor {
        Flavor::MySql => {
            let mode = global_variable(conn, "gtid_mode")
                .await?
                .unwrap_or_else(|| "OFF".into());
            (
                mode.eq_ignore_ascii_case("ON"),
                global_variable(conn, "server_uuid").await?,
            )
        }
        Flavor::MariaDb => {
            let compress = global_variable(conn, "log_bin_compress")
                .await?
                .unwrap_or_default();
            if is_on(&compress) {
                return Err(setting_error(
                    "log_bin_compress",
                    "OFF",
                    &compress,
                    "compressed binlog events cannot be read: SET GLOBAL log_bin_compress = OFF \
                     (and in my.cnf)",
                ));
            }
            (true, None)
        }
    };
    for variable in [
        "rpl_semi_sync_source_enabled",
        "rpl_semi_sync_master_enabled",
    ] {
        if global_variable(conn, variable)
            .await?
            .is_some_and(|v| is_on(&v))
        {
            tracing::info!(
                message = "The source has semi-sync replication enabled; this replica reads asynchronously.",
                variable
            );
        }
    }

    check_privileges(conn, flavor).await?;
    if let Some(position) = resume_from {
        check_position(conn, position).await?;
    }
    Ok(ServerInfo {
        flavor,
        version,
        server_uuid,
        server_id,
        gtid_enabled,
        row_metadata_full,
    })
}

fn is_on(value: &str) -> bool {
    value == "1" || value.eq_ignore_ascii_case("ON")
}

fn setting_error(name: &str, expected: &str, actual: &str, hint: &str) -> Error {
    Error::definite(format!(
        "the source's {name} is {actual:?}, it must be {expected}"
    ))
    .with_hint(hint)
}

/// REPLICATION CLIENT is checked by using it; REPLICATION SLAVE and SELECT from `SHOW GRANTS`
/// (grants through roles cannot be read there: then only a warning).
async fn check_privileges(conn: &mut Conn, flavor: Flavor) -> Result<(), Error> {
    if let Err(error) = binary_log_status(conn).await {
        if error.message.contains("1227") {
            let privilege = match flavor {
                Flavor::MySql => "REPLICATION CLIENT",
                Flavor::MariaDb => "BINLOG MONITOR (REPLICATION CLIENT)",
            };
            return Err(Error::definite(format!(
                "the source user lacks the {privilege} privilege"
            ))
            .with_hint(format!("GRANT {privilege} ON *.* TO the replication user")));
        }
        return Err(error);
    }
    let grants: Vec<String> = conn
        .query("SHOW GRANTS")
        .await
        .map_err(|error| classify(error).context("reading SHOW GRANTS"))?;
    let grants: Vec<String> = grants.iter().map(|g| g.to_ascii_uppercase()).collect();
    let global = |privilege: &str| {
        grants.iter().any(|g| {
            g.contains(" ON *.* ") && (g.contains("ALL PRIVILEGES") || g.contains(privilege))
        })
    };
    let uses_roles = grants
        .iter()
        .any(|g| g.starts_with("GRANT `") || g.starts_with("GRANT '"))
        || grants.iter().any(|g| g.starts_with("SET DEFAULT ROLE"));
    let mut missing = Vec::new();
    if !global("REPLICATION SLAVE") && !global("REPLICATION REPLICA") {
        missing.push("REPLICATION SLAVE");
    }
    let select = grants
        .iter()
        .any(|g| g.contains("ALL PRIVILEGES") || g.contains("SELECT"));
    if !select {
        missing.push("SELECT");
    }
    if missing.is_empty() {
        return Ok(());
    }
    if uses_roles {
        tracing::warn!(
            message = "Privileges granted through roles cannot be checked; continuing.",
            missing = %missing.join(", ")
        );
        return Ok(());
    }
    Err(Error::definite(format!(
        "the source user lacks the {} privilege(s)",
        missing.join(", ")
    ))
    .with_hint(format!(
        "GRANT {} ON *.* TO the replication user (SELECT may be per database)",
        missing.join(", ")
    )))
}

fn purged_error(position: &Position, detail: String) -> Error {
    Error::definite(format!(
        "the saved position {position} is no longer on the source: {detail}"
    ))
    .with_hint("the binlogs were purged while the daemon was down: re-snapshot (reset the state directory and start again)")
}

async fn check_position(conn: &mut Conn, position: &Position) -> Result<(), Error> {
    let logs: Vec<Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(|error| classify(error).context("reading SHOW BINARY LOGS"))?;
    let mut files: Vec<(String, u64)> = Vec::new();
    for mut row in logs {
        let name: Option<String> = row.take(0);
        let size: Option<u64> = row.take(1);
        if let Some(name) = name {
            files.push((name, size.unwrap_or(0)));
        }
    }
    match &position.gtid {
        Some(GtidState::MySql(saved)) => {
            let purged_text = global_variable(conn, "gtid_purged")
                .await?
                .unwrap_or_default();
            let purged: GtidSet = purged_text
                .parse()
                .map_err(|e: crate::position::GtidParseError| Error::definite(e.to_string()))?;
            let missing = purged.missing_from(saved);
            if !missing.is_empty() {
                return Err(purged_error(
                    position,
                    format!("transactions {missing} were purged"),
                ));
            }
            let executed_text = global_variable(conn, "gtid_executed")
                .await?
                .unwrap_or_default();
            let executed: GtidSet = executed_text
                .parse()
                .map_err(|e: crate::position::GtidParseError| Error::definite(e.to_string()))?;
            let unknown = saved.missing_from(&executed);
            if !unknown.is_empty() {
                return Err(Error::definite(format!(
                    "the saved GTID set holds transactions {unknown} the source has not executed"
                ))
                .with_hint("this is not the server (or a replica of the server) the checkpoint came from: reset the state directory"));
            }
        }
        Some(GtidState::MariaDb(saved)) => {
            let Some((oldest, _)) = files.first() else {
                return Err(purged_error(
                    position,
                    "the source has no binlog files".into(),
                ));
            };
            let start: Option<String> = conn
                .exec_first("SELECT BINLOG_GTID_POS(?, 4)", (oldest,))
                .await
                .map_err(|error| classify(error).context("reading BINLOG_GTID_POS"))?;
            let start: MariaGtidList = start
                .unwrap_or_default()
                .parse()
                .map_err(|e: crate::position::GtidParseError| Error::definite(e.to_string()))?;
            for (domain, (_, first_seq)) in &start.domains {
                let ours = saved.domains.get(domain).map_or(0, |(_, seq)| *seq);
                if ours < *first_seq {
                    return Err(purged_error(position, format!(
                        "domain {domain} is at {ours} but the oldest binlog {oldest} starts after {first_seq}"
                    )));
                }
            }
        }
        None => {
            let Some((_, size)) = files.iter().find(|(name, _)| *name == position.file) else {
                return Err(purged_error(
                    position,
                    format!("binlog file {} is not in SHOW BINARY LOGS", position.file),
                ));
            };
            if position.pos > *size {
                return Err(purged_error(
                    position,
                    format!("binlog file {} has only {size} bytes", position.file),
                ));
            }
        }
    }
    Ok(())
}
