//! Integration tests against real Oracle MySQL 9.7 servers started by the test bed.

mod common;

use common::*;
use mysql_async::prelude::Queryable;
use mysql_async::OptsBuilder;
use testbed::{wait_until, Flavor, SourceServer};

#[tokio::test]
async fn mysql97_starts_with_gtid_and_row_binlog_settings() {
    let server = SourceServer::start(Flavor::MySql).await.unwrap();
    assert_eq!(server.flavor(), Flavor::MySql);
    let mut conn = server.admin_conn().await.unwrap();
    let version = var(&mut conn, "VERSION()").await;
    assert!(version.starts_with("9.7."), "version {version}");
    assert_binlog_settings(&mut conn).await;
    assert_eq!(var(&mut conn, "@@global.gtid_mode").await, "ON");
    assert_eq!(
        var(&mut conn, "@@global.enforce_gtid_consistency").await,
        "ON"
    );
    assert_eq!(
        var(&mut conn, "@@global.server_id").await,
        server.server_id().to_string()
    );
    let x_active: Option<i64> = conn
        .query_first(
            "SELECT COUNT(*) FROM information_schema.plugins \
             WHERE plugin_name = 'mysqlx' AND plugin_status = 'ACTIVE'",
        )
        .await
        .unwrap();
    assert_eq!(x_active, Some(0), "the X plugin is active");
    // The template's own user creation is not in the binlog: no GTIDs executed yet.
    assert_eq!(var(&mut conn, "@@global.gtid_executed").await, "");
    let row: Option<mysql_async::Row> = conn.query_first("SHOW BINARY LOG STATUS").await.unwrap();
    let file: String = row.and_then(|r| r.get(0)).unwrap();
    assert!(file.starts_with("binlog."), "{file}");
    // The admin connection itself is TLS.
    assert!(!status(&mut conn, "Ssl_cipher").await.is_empty());
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn mysql97_repl_caching_sha2_full_auth_over_tls() {
    let server = SourceServer::start(Flavor::MySql).await.unwrap();
    let mut admin = server.admin_conn().await.unwrap();
    let plugin: Option<String> = admin
        .query_first("SELECT plugin FROM mysql.user WHERE user = 'repl'")
        .await
        .unwrap();
    assert_eq!(plugin.as_deref(), Some("caching_sha2_password"));
    // Empty the authentication cache so the next login takes the full-authentication path.
    admin.query_drop("FLUSH PRIVILEGES").await.unwrap();
    admin.disconnect().await.unwrap();

    let mut repl = try_connect(server.repl_opts()).await.unwrap();
    assert_eq!(var(&mut repl, "CURRENT_USER()").await, "repl@%");
    let cipher = status(&mut repl, "Ssl_cipher").await;
    assert!(!cipher.is_empty(), "repl connection is not TLS");
    let grants: Vec<String> = repl.query("SHOW GRANTS").await.unwrap();
    let grants = grants.join("\n");
    for privilege in [
        "REPLICATION SLAVE",
        "REPLICATION CLIENT",
        "SELECT",
        "RELOAD",
        "SHOW DATABASES",
    ] {
        assert!(
            grants.contains(privilege),
            "missing {privilege} in {grants}"
        );
    }
    repl.disconnect().await.unwrap();

    // A wrong password is refused.
    let bad = OptsBuilder::from_opts(server.repl_opts()).pass(Some("wrong"));
    assert!(try_connect(bad.into()).await.is_err());
}

#[tokio::test]
async fn mysql97_repl_caching_sha2_full_auth_over_plain_tcp_uses_rsa() {
    let server = SourceServer::start(Flavor::MySql).await.unwrap();
    let mut admin = server.admin_conn().await.unwrap();
    admin.query_drop("FLUSH PRIVILEGES").await.unwrap();
    admin.disconnect().await.unwrap();

    // Without TLS and without a cached password the server demands the RSA key exchange;
    // mysql_async requests the server's public key and encrypts the password with it.
    let opts = server.plain_repl_opts();
    assert!(opts.ssl_opts().is_none());
    let mut repl = try_connect(opts).await.unwrap();
    assert_eq!(var(&mut repl, "CURRENT_USER()").await, "repl@%");
    assert!(
        status(&mut repl, "Ssl_cipher").await.is_empty(),
        "plain connection uses TLS"
    );
    repl.disconnect().await.unwrap();

    let mut admin = server.admin_conn().await.unwrap();
    admin.query_drop("FLUSH PRIVILEGES").await.unwrap();
    admin.disconnect().await.unwrap();
    let bad = OptsBuilder::from_opts(server.plain_repl_opts()).pass(Some("wrong"));
    assert!(try_connect(bad.into()).await.is_err());
}

#[tokio::test]
async fn mysql97_repl_streams_binlog() {
    let server = SourceServer::start(Flavor::MySql).await.unwrap();
    assert_repl_can_stream_binlog(&server, "mysql_stream")
        .await
        .unwrap();
}

#[tokio::test]
async fn mysql97_restart_keeps_data_and_gtids() {
    let mut server = SourceServer::start(Flavor::MySql).await.unwrap();
    let opts = server.create_database("keep").await.unwrap();
    let mut conn = mysql_async::Conn::new(opts.clone()).await.unwrap();
    conn.query_drop("CREATE TABLE t (id INT PRIMARY KEY)")
        .await
        .unwrap();
    conn.query_drop("INSERT INTO t VALUES (1), (2)")
        .await
        .unwrap();
    let gtids = var(&mut conn, "@@global.gtid_executed").await;
    let uuid = var(&mut conn, "@@global.server_uuid").await;
    assert!(gtids.starts_with(&uuid), "{gtids} vs {uuid}");
    conn.disconnect().await.unwrap();
    let port = server.port();

    server.stop().await.unwrap();
    assert!(!port_open(port).await, "port {port} still open after stop");
    server.start_again().await.unwrap();

    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    let n: Option<i64> = conn.query_first("SELECT COUNT(*) FROM t").await.unwrap();
    assert_eq!(n, Some(2));
    assert_eq!(var(&mut conn, "@@global.gtid_executed").await, gtids);
    assert_eq!(var(&mut conn, "@@global.server_uuid").await, uuid);
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn mysql97_servers_get_distinct_uuids_and_ids() {
    let (a, b) = tokio::join!(
        SourceServer::start(Flavor::MySql),
        SourceServer::start(Flavor::MySql)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.port(), b.port());
    assert_ne!(a.server_id(), b.server_id());
    let mut ca = a.admin_conn().await.unwrap();
    let mut cb = b.admin_conn().await.unwrap();
    assert_ne!(
        var(&mut ca, "@@global.server_uuid").await,
        var(&mut cb, "@@global.server_uuid").await
    );
    ca.disconnect().await.unwrap();
    cb.disconnect().await.unwrap();
}

#[tokio::test]
async fn mysql97_drop_stops_server_and_removes_dir() {
    let server = SourceServer::start(Flavor::MySql).await.unwrap();
    let port = server.port();
    let dir = server.dir().to_path_buf();
    assert!(port_open(port).await);
    drop(server);
    wait_until(WAIT, "the MySQL port to close", || async {
        !port_open(port).await
    })
    .await
    .unwrap();
    assert!(!dir.exists(), "{} still exists", dir.display());
}
