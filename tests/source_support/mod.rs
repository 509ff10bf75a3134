//! Shared helpers of the source integration tests: settings for a test server, reading the
//! binlog reader with a deadline, SQL shortcuts.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use mysql2starrocks::change::{RowChange, SourceEvent};
use mysql2starrocks::schema::TableId;
use mysql2starrocks::source::binlog::BinlogReader;
use mysql2starrocks::source::{SourceSettings, TlsMode};
use mysql2starrocks::value::Value;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use testbed::{Flavor, SourceServer, REPL_PASSWORD, REPL_USER};

/// Deadline for anything a test waits for.
pub const DEADLINE: Duration = Duration::from_secs(60);

pub async fn server(flavor: Flavor) -> SourceServer {
    SourceServer::start(flavor)
        .await
        .expect("source server starts")
}

/// Replication settings for `server` (user `repl`, short heartbeat).
pub fn settings(server: &SourceServer) -> SourceSettings {
    let mut settings = SourceSettings::new(
        "127.0.0.1",
        server.port(),
        REPL_USER,
        REPL_PASSWORD,
        4_000_000 + server.port() as u32,
    );
    settings.tls = TlsMode::Prefer;
    settings.heartbeat = Duration::from_millis(300);
    settings.read_timeout = Duration::from_secs(5);
    settings.connect_timeout = Duration::from_secs(10);
    settings
}

pub async fn admin(server: &SourceServer) -> Conn {
    let mut conn = server.admin_conn().await.expect("admin connects");
    conn.query_drop("SET time_zone = '+00:00'").await.unwrap();
    conn
}

pub async fn exec(conn: &mut Conn, sql: &str) {
    conn.query_drop(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Watches every table of database `db`.
pub fn watch_db(db: &str) -> Arc<dyn Fn(&TableId) -> bool + Send + Sync> {
    let db = db.to_owned();
    Arc::new(move |table: &TableId| table.db == db)
}

/// Reads events until `done` holds for the collected events, or fails after [`DEADLINE`].
pub async fn read_until(
    reader: &mut BinlogReader,
    mut done: impl FnMut(&[SourceEvent]) -> bool,
) -> Vec<SourceEvent> {
    let mut events = Vec::new();
    let reading = async {
        while !done(&events) {
            let event = reader
                .next()
                .await
                .unwrap_or_else(|e| panic!("binlog read failed: {e}"));
            events.push(event);
        }
    };
    tokio::time::timeout(DEADLINE, reading)
        .await
        .unwrap_or_else(|_| panic!("timed out; events so far: {events:#?}"));
    events
}

/// The row changes of `events` on table `table`, in order.
pub fn changes_of(events: &[SourceEvent], table: &str) -> Vec<RowChange> {
    events
        .iter()
        .flat_map(|event| match event {
            SourceEvent::Rows {
                table: schema,
                changes,
            } if schema.id.table == table => changes.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// The inserted rows of `events` on `table`.
pub fn inserts_of(events: &[SourceEvent], table: &str) -> Vec<Vec<Value>> {
    changes_of(events, table)
        .into_iter()
        .filter_map(|change| match change {
            RowChange::Insert { after } => Some(after),
            _ => None,
        })
        .collect()
}

/// The first column of each inserted row of `table`, as an integer.
pub fn inserted_ids(events: &[SourceEvent], table: &str) -> Vec<i64> {
    inserts_of(events, table)
        .iter()
        .map(|row| match row.first() {
            Some(Value::Int(id)) => *id,
            other => panic!("unexpected id {other:?}"),
        })
        .collect()
}

pub fn count_commits(events: &[SourceEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, SourceEvent::Commit { .. }))
        .count()
}
