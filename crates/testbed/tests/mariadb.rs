//! Integration tests against real MariaDB 10.11 servers started by the test bed.

mod common;

use common::*;
use mysql_async::prelude::Queryable;
use testbed::{wait_until, Flavor, SourceServer};

#[tokio::test]
async fn mariadb_starts_with_row_binlog_settings() {
    let server = SourceServer::start(Flavor::MariaDb).await.unwrap();
    assert_eq!(server.flavor(), Flavor::MariaDb);
    let mut conn = server.admin_conn().await.unwrap();
    let version = var(&mut conn, "VERSION()").await;
    assert!(
        version.contains("10.11") && version.contains("-MariaDB"),
        "version {version}"
    );
    assert_binlog_settings(&mut conn).await;
    assert_eq!(
        var(&mut conn, "@@global.server_id").await,
        server.server_id().to_string()
    );
    assert_eq!(var(&mut conn, "@@port").await, server.port().to_string());
    // SHOW MASTER STATUS works on MariaDB and names a binlog file.
    let row: Option<mysql_async::Row> = conn.query_first("SHOW MASTER STATUS").await.unwrap();
    let file: String = row.and_then(|r| r.get(0)).unwrap();
    assert!(file.starts_with("mysql-bin."), "{file}");
    assert!(server.data_dir().join(&file).exists());
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn mariadb_repl_user_has_replication_grants_and_streams_binlog() {
    let server = SourceServer::start(Flavor::MariaDb).await.unwrap();
    let mut repl = try_connect(server.repl_opts()).await.unwrap();
    assert_eq!(var(&mut repl, "CURRENT_USER()").await, "repl@%");
    let grants: Vec<String> = repl.query("SHOW GRANTS").await.unwrap();
    let grants = grants.join("\n");
    for privilege in ["REPLICATION SLAVE", "SELECT", "RELOAD", "SHOW DATABASES"] {
        assert!(
            grants.contains(privilege),
            "missing {privilege} in {grants}"
        );
    }
    assert!(
        grants.contains("BINLOG MONITOR") || grants.contains("REPLICATION CLIENT"),
        "{grants}"
    );
    repl.disconnect().await.unwrap();
    // No TLS on MariaDB: the repl options are plain.
    assert!(server.repl_opts().ssl_opts().is_none());
    assert_repl_can_stream_binlog(&server, "mariadb_stream")
        .await
        .unwrap();
}

#[tokio::test]
async fn mariadb_restart_keeps_data() {
    let mut server = SourceServer::start(Flavor::MariaDb).await.unwrap();
    let opts = server.create_database("keep").await.unwrap();
    let mut conn = mysql_async::Conn::new(opts.clone()).await.unwrap();
    conn.query_drop("CREATE TABLE t (id INT PRIMARY KEY)")
        .await
        .unwrap();
    conn.query_drop("INSERT INTO t VALUES (1), (2)")
        .await
        .unwrap();
    let gtid_before = var(&mut conn, "@@global.gtid_binlog_pos").await;
    conn.disconnect().await.unwrap();
    let port = server.port();

    server.stop().await.unwrap();
    assert!(!port_open(port).await, "port {port} still open after stop");
    server.start_again().await.unwrap();
    assert_eq!(server.port(), port);

    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    let n: Option<i64> = conn.query_first("SELECT COUNT(*) FROM t").await.unwrap();
    assert_eq!(n, Some(2));
    assert_eq!(
        var(&mut conn, "@@global.gtid_binlog_pos").await,
        gtid_before
    );
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn mariadb_kill_then_start_again_recovers_committed_rows() {
    let mut server = SourceServer::start(Flavor::MariaDb).await.unwrap();
    let opts = server.create_database("crash").await.unwrap();
    let mut conn = mysql_async::Conn::new(opts.clone()).await.unwrap();
    conn.query_drop("CREATE TABLE t (id INT PRIMARY KEY)")
        .await
        .unwrap();
    conn.query_drop("INSERT INTO t VALUES (1)").await.unwrap();
    conn.disconnect().await.unwrap();

    server.kill().await.unwrap();
    assert!(!server.is_running());
    server.start_again().await.unwrap();
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    let n: Option<i64> = conn.query_first("SELECT COUNT(*) FROM t").await.unwrap();
    assert_eq!(n, Some(1));
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn mariadb_drop_stops_server_and_removes_dir() {
    let server = SourceServer::start(Flavor::MariaDb).await.unwrap();
    let port = server.port();
    let dir = server.dir().to_path_buf();
    assert!(port_open(port).await);
    drop(server);
    // Drop waits for the process to die, so the port is closed at once; poll only to be safe.
    wait_until(WAIT, "the MariaDB port to close", || async {
        !port_open(port).await
    })
    .await
    .unwrap();
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[tokio::test]
async fn mariadb_create_database_rejects_bad_names() {
    let server = SourceServer::start(Flavor::MariaDb).await.unwrap();
    for bad in ["", "a-b", "x`y", "a b"] {
        assert!(
            server.create_database(bad).await.is_err(),
            "{bad:?} accepted"
        );
    }
    server.create_database("dup").await.unwrap();
    assert!(
        server.create_database("dup").await.is_err(),
        "duplicate accepted"
    );
}

#[tokio::test]
async fn mariadb_start_with_args_overrides_defaults() {
    let server = SourceServer::start_with_args(Flavor::MariaDb, &["--binlog-row-image=MINIMAL"])
        .await
        .unwrap();
    let mut conn = server.admin_conn().await.unwrap();
    assert_eq!(var(&mut conn, "@@global.binlog_row_image").await, "MINIMAL");
    conn.disconnect().await.unwrap();
}
