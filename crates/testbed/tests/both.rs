//! Integration tests running MariaDB 10.11 and MySQL 9.7 side by side, and the polling helpers.

mod common;

use std::time::Duration;

use common::*;
use mysql_async::prelude::Queryable;
use testbed::{wait_for, wait_until, Flavor, SourceServer, TestbedError};

#[tokio::test]
async fn mariadb_and_mysql97_run_at_once_on_different_ports() {
    let (maria, mysql) = tokio::join!(
        SourceServer::start(Flavor::MariaDb),
        SourceServer::start(Flavor::MySql)
    );
    let (maria, mysql) = (maria.unwrap(), mysql.unwrap());
    assert_ne!(maria.port(), mysql.port());
    let mut cm = maria.admin_conn().await.unwrap();
    let mut cy = mysql.admin_conn().await.unwrap();
    assert!(var(&mut cm, "VERSION()").await.contains("-MariaDB"));
    assert!(var(&mut cy, "VERSION()").await.starts_with("9.7."));
    cm.query_drop("CREATE DATABASE only_on_mariadb")
        .await
        .unwrap();
    let dbs: Vec<String> = cy.query("SHOW DATABASES").await.unwrap();
    assert!(!dbs.iter().any(|d| d == "only_on_mariadb"));
    cm.disconnect().await.unwrap();
    cy.disconnect().await.unwrap();
}

#[tokio::test]
async fn flavor_display_names_the_server() {
    assert_eq!(Flavor::MariaDb.to_string(), "MariaDB 10.11");
    assert_eq!(Flavor::MySql.to_string(), "MySQL 9.7");
}

#[tokio::test]
async fn wait_until_times_out_with_the_condition_name() {
    let err = wait_until(Duration::from_millis(120), "the impossible", || async {
        false
    })
    .await
    .unwrap_err();
    assert!(matches!(err, TestbedError::Timeout { .. }));
    assert!(err.to_string().contains("the impossible"), "{err}");
}

#[tokio::test]
async fn wait_for_returns_the_value_once_ready() {
    let mut calls = 0;
    let value = wait_for(Duration::from_secs(5), "the third call", || {
        calls += 1;
        let n = calls;
        async move { (n >= 3).then_some(n * 10) }
    })
    .await
    .unwrap();
    assert_eq!(value, 30);
}

#[tokio::test]
async fn mariadb_and_mysql97_start_failure_reports_the_error_log_tail() {
    for flavor in Flavor::ALL {
        let err = SourceServer::start_with_args(flavor, &["--no-such-option-m2s"])
            .await
            .expect_err("a server with an unknown option started");
        let text = err.to_string();
        assert!(
            matches!(err, TestbedError::Script { .. }),
            "{flavor}: {text}"
        );
        assert!(text.contains("tail of"), "{flavor}: no log tail in: {text}");
        assert!(
            text.contains("no-such-option-m2s"),
            "{flavor}: log does not name the option: {text}"
        );
    }
}
