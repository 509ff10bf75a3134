//! Helpers shared by the integration tests of the test bed (each test file includes this module).
#![allow(dead_code)]

use std::time::Duration;

use futures_util::StreamExt;
use mysql_async::binlog::EventType;
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStreamRequest, Conn, Opts};
use testbed::{SourceServer, TestbedError};

/// How long tests wait for asynchronous conditions.
pub const WAIT: Duration = Duration::from_secs(30);

/// The value of a global or session system variable, e.g. `@@global.binlog_format`.
pub async fn var(conn: &mut Conn, expr: &str) -> String {
    let v: Option<String> = conn
        .query_first(format!("SELECT {expr}"))
        .await
        .unwrap_or_else(|e| panic!("SELECT {expr}: {e}"));
    v.unwrap_or_else(|| panic!("{expr} is NULL"))
}

/// The value column of `SHOW <scope> STATUS LIKE name` (empty if the row is missing).
pub async fn status(conn: &mut Conn, name: &str) -> String {
    let row: Option<(String, String)> = conn
        .query_first(format!("SHOW SESSION STATUS LIKE '{name}'"))
        .await
        .unwrap_or_else(|e| panic!("SHOW SESSION STATUS LIKE '{name}': {e}"));
    row.map(|(_, v)| v).unwrap_or_default()
}

/// Checks the settings every source server must have: row binlog with full images and metadata,
/// utf8mb4, bound to loopback.
pub async fn assert_binlog_settings(conn: &mut Conn) {
    assert_eq!(var(conn, "@@global.log_bin").await, "1");
    assert_eq!(var(conn, "@@global.binlog_format").await, "ROW");
    assert_eq!(var(conn, "@@global.binlog_row_image").await, "FULL");
    assert_eq!(var(conn, "@@global.binlog_row_metadata").await, "FULL");
    assert_eq!(var(conn, "@@global.character_set_server").await, "utf8mb4");
    assert_eq!(var(conn, "@@global.bind_address").await, "127.0.0.1");
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
pub async fn port_open(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
}

/// Connects with `opts`, returning the error instead of panicking.
pub async fn try_connect(opts: Opts) -> Result<Conn, mysql_async::Error> {
    Conn::new(opts).await
}

/// Creates `db.t`, inserts one row as admin and then reads the binlog from its first file as
/// `repl` until a WRITE_ROWS event (v1 or v2) written by this server id appears.
pub async fn assert_repl_can_stream_binlog(
    server: &SourceServer,
    db: &str,
) -> Result<(), TestbedError> {
    let opts = server.create_database(db).await?;
    let mut admin = Conn::new(opts).await?;
    admin
        .query_drop("CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR(20))")
        .await?;
    admin.query_drop("INSERT INTO t VALUES (1, 'one')").await?;
    admin.disconnect().await?;

    let mut repl = Conn::new(server.repl_opts()).await?;
    let first: Option<mysql_async::Row> = repl.query_first("SHOW BINARY LOGS").await?;
    let file: String = first
        .and_then(|row| row.get(0))
        .expect("SHOW BINARY LOGS returned no file");
    let request = BinlogStreamRequest::new(server.server_id().wrapping_add(1_000_000))
        .with_filename(file.as_bytes())
        .with_pos(4);
    let mut stream = repl.get_binlog_stream(request).await?;
    let found = tokio::time::timeout(WAIT, async {
        while let Some(event) = stream.next().await {
            let event = event?;
            let header = event.header();
            let ty = event.header().event_type();
            if matches!(
                ty,
                Ok(EventType::WRITE_ROWS_EVENT | EventType::WRITE_ROWS_EVENT_V1)
            ) && header.server_id() == server.server_id()
            {
                return Ok::<bool, mysql_async::Error>(true);
            }
        }
        Ok(false)
    })
    .await
    .expect("no WRITE_ROWS event within the timeout")?;
    assert!(found, "binlog stream ended without a WRITE_ROWS event");
    stream.close().await?;
    Ok(())
}
