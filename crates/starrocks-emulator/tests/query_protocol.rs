//! The query port over the real MySQL protocol: authentication, session handling, session
//! queries client libraries send, and errors that leave the connection usable.

mod query_support;

use mysql_async::prelude::Queryable;
use query_support::{column_names, connect, exec, rows, s, server_error, start, try_connect};

#[tokio::test]
async fn authenticates_with_empty_password() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    assert_eq!(rows(&mut conn, "SELECT 1").await, vec![vec![s("1")]]);
    conn.disconnect().await.expect("disconnect");
}

#[tokio::test]
async fn authenticates_with_password_and_rejects_wrong_ones() {
    let server = start("loader", "s3cret").await;
    let mut conn = try_connect(&server, "loader", "s3cret", None)
        .await
        .expect("right password");
    assert_eq!(rows(&mut conn, "select 1").await, vec![vec![s("1")]]);

    // opensrv-mysql answers a failed authentication with ER_ACCESS_DENIED_NO_PASSWORD_ERROR
    // (1698) where StarRocks sends ER_ACCESS_DENIED_ERROR (1045); both are access-denied errors.
    let access_denied = [1045, 1698];
    let (code, message) = server_error(try_connect(&server, "loader", "wrong", None).await);
    assert!(access_denied.contains(&code), "{code} {message}");
    let (code, _) = server_error(try_connect(&server, "loader", "", None).await);
    assert!(access_denied.contains(&code));
    let (code, _) = server_error(try_connect(&server, "root", "s3cret", None).await);
    assert!(access_denied.contains(&code));
}

#[tokio::test]
async fn answers_version_and_session_queries() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    assert_eq!(
        rows(&mut conn, "select current_version()").await,
        vec![vec![s("3.3.5-emulator")]]
    );
    assert_eq!(
        rows(&mut conn, "SELECT @@version_comment LIMIT 1").await,
        vec![vec![s("StarRocks version 3.3.5-emulator")]]
    );
    assert_eq!(
        column_names(&mut conn, "SELECT @@version_comment LIMIT 1").await,
        vec!["@@version_comment"]
    );
    assert_eq!(
        rows(&mut conn, "select version()").await,
        vec![vec![s("8.0.33")]]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT @@session.auto_increment_increment AS inc, DATABASE()"
        )
        .await,
        vec![vec![s("1"), None]]
    );
    for statement in [
        "SET NAMES utf8mb4",
        "SET autocommit = 1",
        "SET time_zone = '+00:00'",
        "SET SESSION query_timeout = 600",
        "set @@sql_mode = ''",
    ] {
        exec(&mut conn, statement).await;
    }
    let (code, message) = server_error(conn.query_drop("SELECT @@no_such_variable").await);
    assert_eq!(code, 1193, "{message}");
}

#[tokio::test]
async fn use_selects_the_database_for_unqualified_names() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    exec(&mut conn, "CREATE DATABASE d1").await;
    exec(&mut conn, "use d1").await;
    assert_eq!(
        rows(&mut conn, "SELECT database()").await,
        vec![vec![s("d1")]]
    );
    exec(
        &mut conn,
        "CREATE TABLE t (k INT NOT NULL) PRIMARY KEY(k) DISTRIBUTED BY HASH(k)",
    )
    .await;
    assert_eq!(rows(&mut conn, "SHOW TABLES").await, vec![vec![s("t")]]);
    assert_eq!(
        column_names(&mut conn, "SHOW TABLES").await,
        vec!["Tables_in_d1"]
    );

    // `USE` in other spellings goes through on_query.
    exec(&mut conn, "Use `information_schema`").await;
    assert_eq!(
        rows(&mut conn, "SELECT DATABASE()").await,
        vec![vec![s("information_schema")]]
    );

    let (code, message) = server_error(conn.query_drop("USE nope").await);
    assert_eq!(code, 1049, "{message}");
    assert!(message.contains("Unknown database 'nope'"), "{message}");

    // A database given at connect time.
    let mut conn = try_connect(&server, "root", "", Some("d1"))
        .await
        .expect("connect with a database");
    assert_eq!(
        rows(&mut conn, "SELECT COUNT(*) FROM t").await,
        vec![vec![s("0")]]
    );
    let (code, _) = server_error(try_connect(&server, "root", "", Some("missing")).await);
    assert_eq!(code, 1049);
}

#[tokio::test]
async fn unqualified_names_without_database_are_rejected() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    let (code, message) = server_error(conn.query_drop("SHOW TABLES").await);
    assert_eq!(code, 1046, "{message}");
    let (code, _) = server_error(conn.query_drop("SELECT * FROM t").await);
    assert_eq!(code, 1046);
}

#[tokio::test]
async fn unknown_statements_are_errors_and_the_connection_survives() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    let garbage = [
        "HELLO WORLD",
        "SELEC 1",
        "INSERT INTO t VALUES (1)",
        "SELECT * FROM",
        "CREATE TABLE (",
        "DELETE FROM t WHERE k = 1",
        "SELECT 'unterminated",
        "/* only a comment */",
        ";",
        "SELECT 1; SELECT 2",
        "SELECT nope()",
        "SHOW PROCESSLIST",
        "\u{0}\u{1}\u{2}",
        "SELECT ((((((((((((((((((((1",
    ];
    for sql in garbage {
        let result = conn.query_drop(sql).await;
        assert!(
            matches!(result, Err(mysql_async::Error::Server(_))),
            "{sql:?}: {result:?}"
        );
        // Still usable.
        assert_eq!(
            rows(&mut conn, "SELECT 1").await,
            vec![vec![s("1")]],
            "after {sql:?}"
        );
    }
    let (code, message) = server_error(conn.query_drop("INSERT INTO t VALUES (1)").await);
    assert_eq!(code, 1064);
    assert!(message.contains("INSERT"), "{message}");
    let (code, message) = server_error(conn.query_drop("SELEC 1").await);
    assert_eq!(code, 1064);
    assert!(message.contains("Getting syntax error"), "{message}");
}

#[tokio::test]
async fn prepared_statements_are_refused_without_breaking_the_connection() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    let result = conn.exec_drop("SELECT ?", (1,)).await;
    assert!(
        matches!(result, Err(mysql_async::Error::Server(_))),
        "{result:?}"
    );
    assert_eq!(rows(&mut conn, "SELECT 1").await, vec![vec![s("1")]]);
}

#[tokio::test]
async fn serves_many_connections_at_once() {
    let server = start("root", "").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let opts = mysql_async::OptsBuilder::default()
                .ip_or_hostname(addr.ip().to_string())
                .tcp_port(addr.port())
                .user(Some("root"))
                .pass(Some(""))
                .prefer_socket(false);
            let mut conn = mysql_async::Conn::new(opts).await.expect("connect");
            exec(&mut conn, &format!("CREATE DATABASE db{i}")).await;
            conn.disconnect().await.expect("disconnect");
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let mut conn = connect(&server).await;
    assert_eq!(rows(&mut conn, "SHOW DATABASES").await.len(), 9);
}
