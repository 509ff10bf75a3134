//! Correctness regressions found outside the suite's own vocabulary (public sample schemas,
//! unusual workloads, a read of the code): each scenario failed before its fix, runs on MariaDB
//! 10.11 and MySQL 9.7, and ends with the value-by-value comparison of every replicated table.

// Why: scenario bodies are plain async fns called by the generated tests, where a failed unwrap
// is a failed test.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use mysql_async::prelude::Queryable;
use starrocks_emulator::faults::{FaultAction, FaultRule};
use support::{assert_converges, Bed, Daemon};
use testbed::Flavor;

/// JSON documents whose text is also a JSON string or array (`[]`, `"str"`) arrive as
/// documents, also in a batch sent as JSON (forced here by a text value that is exactly `\N`).
/// MariaDB's JSON is LONGTEXT: before the fix its text was sent as a JSON string.
async fn json_documents_survive_json_batches(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE jt",
        "CREATE TABLE jt.docs (id INT PRIMARY KEY, doc JSON, note VARCHAR(20))",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE jt",
        "CREATE TABLE jt.docs (id INT NOT NULL, doc JSON, note VARCHAR(80)) \
         PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let config = bed.write_config(&["jt.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(&[
        "BEGIN",
        r#"INSERT INTO jt.docs VALUES (1, '[]', '\\N'), (2, '"str"', 'x'), (3, '{"a": [1, null]}', NULL),
           (4, '12.5', 'y'), (5, 'true', 'z'), (6, NULL, 'n'), (7, '"\\\\N"', '\\N')"#,
        "COMMIT",
        // A CSV batch of the same shapes.
        r#"INSERT INTO jt.docs VALUES (11, '[]', 'a'), (12, '"str"', 'b'), (13, '{}', 'c')"#,
    ])
    .await;
    assert_converges(&bed, Some(&mut daemon), &[("jt.docs", "jt.docs")]).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// A DECIMAL inside a JSON document keeps every digit on both paths (snapshot: MySQL's JSON
/// text; binlog: the binary JSON's DECIMAL opaque value), never rounded through f64.
async fn decimals_inside_json_keep_their_digits(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    let documents = [
        "JSON_ARRAY(CAST(12345678901234567.89 AS DECIMAL(20,2)), CAST(0.000001 AS DECIMAL(20,6)))",
        "JSON_OBJECT('price', CAST(-98765432109876543210.123456789 AS DECIMAL(65,30)))",
        "'[1.50, 100, 1e3, 123456789012345678901234567890]'",
    ];
    bed.source_exec(&[
        "CREATE DATABASE jd",
        "CREATE TABLE jd.t (id INT PRIMARY KEY, doc JSON)",
    ])
    .await;
    for (i, doc) in documents.iter().enumerate() {
        bed.source_exec(&[&format!("INSERT INTO jd.t VALUES ({i}, {doc})")])
            .await;
    }
    let config =
        bed.write_config_with_snapshot(&["jd.*"], "  auto_create: true", "  mode: initial", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    for (i, doc) in documents.iter().enumerate() {
        bed.source_exec(&[&format!("INSERT INTO jd.t VALUES ({}, {doc})", i + 10)])
            .await;
    }
    assert_converges(&bed, Some(&mut daemon), &[("jd.t", "jd.t")]).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// `snapshot.mode: never`: the start position is saved before "Replication running", so a stop
/// in the first seconds (before any heartbeat or commit moves the checkpoint) loses nothing that
/// is written while the daemon is down.
async fn start_position_is_saved_before_running(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE sp",
        "CREATE TABLE sp.t (id INT PRIMARY KEY, v VARCHAR(40))",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE sp",
        "CREATE TABLE sp.t (id INT NOT NULL, v VARCHAR(160)) PRIMARY KEY(id) \
         DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let config = bed.write_config(&["sp.*"], "", "");

    // kill -9 right after ready: no heartbeat, no commit.
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    daemon.kill9().await;
    bed.source_exec(&["INSERT INTO sp.t VALUES (2, 'while down after kill -9')"])
        .await;

    // SIGTERM right after ready.
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert_eq!(daemon.terminate().await, Some(0));
    bed.source_exec(&["INSERT INTO sp.t VALUES (3, 'while down after SIGTERM')"])
        .await;

    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), &[("sp.t", "sp.t")]).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// `target.auto_create` on a database the target lacks, with GEOMETRY (binary: SRID + WKB) and
/// TEXT longer than StarRocks' STRING, copied by the snapshot and streamed; then a table created
/// on the source while the daemon runs is created on the target and replicated.
async fn auto_create_holds_every_value(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE ac",
        "CREATE TABLE ac.place (id INT PRIMARY KEY, loc GEOMETRY NOT NULL, pt POINT, \
         body LONGTEXT, note TEXT, blob_col MEDIUMBLOB)",
        "INSERT INTO ac.place VALUES (1, ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 0))'), \
         ST_GeomFromText('POINT(1.5 -2)'), REPEAT('long text ', 9000), 'short', REPEAT(x'00ff', 40000))",
    ])
    .await;
    let config =
        bed.write_config_with_snapshot(&["ac.*"], "  auto_create: true", "  mode: initial", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(&[
        "INSERT INTO ac.place VALUES (2, ST_GeomFromText('LINESTRING(0 0, 1 1, 2 5)'), NULL, \
         REPEAT('é😀', 20000), NULL, x'')",
        "UPDATE ac.place SET body = CONCAT(body, 'more') WHERE id = 1",
        "CREATE TABLE ac.later (id INT PRIMARY KEY, v VARCHAR(10), g GEOMETRY)",
        "INSERT INTO ac.later VALUES (1, 'new', ST_GeomFromText('POINT(3 4)')), (2, NULL, NULL)",
    ])
    .await;
    assert_converges(
        &bed,
        Some(&mut daemon),
        &[("ac.place", "ac.place"), ("ac.later", "ac.later")],
    )
    .await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// Two source tables routed to one target are refused at start (their rows would mix, and a
/// TRUNCATE of either would empty both): here `rc.a` is renamed onto `rc.b`, which the pattern
/// also selects. A table created later that lands on a target in use is refused too.
async fn two_sources_into_one_target_are_refused(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE rc",
        "CREATE TABLE rc.a (id INT PRIMARY KEY)",
        "CREATE TABLE rc.b (id INT PRIMARY KEY)",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE rc",
        "CREATE TABLE rc.b (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let routes = "routes:\n  - source: rc.a\n    target: rc.b";
    let config = bed.write_config(&["rc.*"], "", routes);
    let log = stops_with_definite_error(Daemon::spawn(&config)).await;
    assert!(
        log.contains("source tables rc.a and rc.b are both routed to target table rc.b"),
        "{log}"
    );

    // Only rc.a exists at start; rc.b, created later, lands on the same target.
    bed.source_exec(&["DROP TABLE rc.b"]).await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(&["INSERT INTO rc.a VALUES (1)"]).await;
    assert_converges(&bed, Some(&mut daemon), &[("rc.a", "rc.b")]).await;
    bed.source_exec(&[
        "CREATE TABLE rc.b (id INT PRIMARY KEY)",
        "INSERT INTO rc.b VALUES (2)",
    ])
    .await;
    let log = stops_with_definite_error(daemon).await;
    assert!(
        log.contains("are both routed to target table rc.b"),
        "{log}"
    );
}

/// A hand-made target whose types would store values changed (a DECIMAL scale cut, DOUBLE into
/// FLOAT, DATETIME into DATE) is refused at start, naming each column; one that is only narrower
/// (a VARCHAR shorter in bytes) is accepted, and a value too long for it fails its load loudly
/// (strict mode) instead of arriving as NULL.
async fn target_types_are_verified(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE tv",
        "CREATE TABLE tv.t (id INT PRIMARY KEY, price DECIMAL(10,3), ratio DOUBLE, \
         at DATETIME(3), name VARCHAR(20))",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE tv",
        "CREATE TABLE tv.t (id INT NOT NULL, price DECIMAL(10,2), ratio FLOAT, at DATE, \
         name VARCHAR(20)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let config = bed.write_config(&["tv.*"], "", "");
    let log = stops_with_definite_error(Daemon::spawn(&config)).await;
    for column in ["`price`", "`ratio`", "`at`"] {
        assert!(log.contains(column), "{column} named: {log}");
    }
    assert!(!log.contains("`name`"), "{log}");

    bed.target_exec(&[
        "DROP TABLE tv.t",
        "CREATE TABLE tv.t (id INT NOT NULL, price DECIMAL(10,3), ratio DOUBLE, at DATETIME, \
         name VARCHAR(20)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert!(
        daemon.log().contains("may not fit"),
        "the narrow VARCHAR is warned about: {}",
        daemon.log()
    );
    bed.source_exec(&[
        "INSERT INTO tv.t VALUES (1, 1.125, 0.1, '2024-01-02 03:04:05.678', 'short')",
    ])
    .await;
    assert_converges(&bed, Some(&mut daemon), &[("tv.t", "tv.t")]).await;
    // 20 characters of 2 bytes each: 40 bytes into VARCHAR(20); more rows keep coming, so the
    // loader that failed is found stopped: the definite failure must still be the exit reason.
    bed.source_exec(&["INSERT INTO tv.t VALUES (2, 0, 0, NULL, REPEAT('é', 20))"])
        .await;
    for id in 10..40 {
        bed.source_exec(&[&format!(
            "INSERT INTO tv.t VALUES ({id}, 0, 0, NULL, 'more')"
        )])
        .await;
    }
    // A value too long fails loudly.
    let log = stops_with_definite_error(daemon).await;
    assert!(log.contains("tv.t"), "the failure names the table: {log}");
    let mut target = bed.target_conn().await;
    let names: Vec<Option<String>> =
        mysql_async::prelude::Queryable::query(&mut target, "SELECT name FROM tv.t ORDER BY id")
            .await
            .unwrap();
    assert_eq!(
        names,
        vec![Some("short".to_string())],
        "no NULL stored for row 2"
    );
}

/// Rows of a table dropped while the daemon was down are decoded from their TABLE_MAP
/// (`binlog_row_metadata=FULL`) instead of stopping every restart: information_schema no
/// longer knows the table.
async fn rows_of_a_dropped_table_are_applied(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE dt",
        "CREATE TABLE dt.kept (id INT PRIMARY KEY, v VARCHAR(20))",
        "CREATE TABLE dt.scratch (k VARCHAR(10), n INT, amount DECIMAL(8,2), PRIMARY KEY (k, n))",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE dt",
        "CREATE TABLE dt.kept (id INT NOT NULL, v VARCHAR(80)) PRIMARY KEY(id) \
         DISTRIBUTED BY HASH(id)",
        "CREATE TABLE dt.scratch (k VARCHAR(40) NOT NULL, n INT NOT NULL, amount DECIMAL(8,2)) \
         PRIMARY KEY(k, n) DISTRIBUTED BY HASH(k)",
    ])
    .await;
    let config = bed.write_config(&["dt.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(&["INSERT INTO dt.kept VALUES (1, 'one')"])
        .await;
    assert_converges(&bed, Some(&mut daemon), &[("dt.kept", "dt.kept")]).await;
    assert_eq!(daemon.terminate().await, Some(0));

    bed.source_exec(&[
        "INSERT INTO dt.scratch VALUES ('a', 1, 10.50), ('b', 2, -3.25)",
        "UPDATE dt.scratch SET amount = 11 WHERE k = 'a'",
        "INSERT INTO dt.kept VALUES (2, 'two')",
        "DROP TABLE dt.scratch",
        "INSERT INTO dt.kept VALUES (3, 'three')",
    ])
    .await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), &[("dt.kept", "dt.kept")]).await;
    // SIGTERM loads everything read so far before exiting 0.
    assert_eq!(daemon.terminate().await, Some(0));
    // The dropped table's rows as the source had them before the DROP.
    let mut target = bed.target_conn().await;
    let rows: Vec<(String, i32, String)> = mysql_async::prelude::Queryable::query(
        &mut target,
        "SELECT k, n, amount FROM dt.scratch ORDER BY k",
    )
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("a".to_string(), 1, "11.00".to_string()),
            ("b".to_string(), 2, "-3.25".to_string())
        ]
    );
}

async fn stale_pair_bed(flavor: Flavor) -> Bed {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE so",
        "CREATE TABLE so.a (id INT PRIMARY KEY, v VARCHAR(20))",
        "CREATE TABLE so.b (id INT PRIMARY KEY, v VARCHAR(20))",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE so",
        "CREATE TABLE so.a (id INT NOT NULL, v VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
        "CREATE TABLE so.b (id INT NOT NULL, v VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    bed
}

/// A load abandoned by an in-process restart (another table's load failed past its retries)
/// that StarRocks still holds, and commits seconds later, must not land after the new run's
/// newer load of the same key: the new run first waits for the old label to end.
async fn abandoned_load_never_commits_after_a_newer_one(flavor: Flavor) {
    let bed = stale_pair_bed(flavor).await;
    let config = bed.write_config(&["so.*"], "  max_retries: 1", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    let faults = bed.emulator.faults();
    // so.a's next load holds its body for 4 s, then commits (whoever waits for the answer).
    faults.add(FaultRule::once(FaultAction::KeepRunning { ms: 4000 }).on_table("so", "a"));
    // so.b's loads fail past max_retries: the pipeline restarts, abandoning so.a's load.
    faults.add(
        FaultRule::once(FaultAction::Fail {
            status: "Fail".into(),
            message: "timeout by txn manager".into(),
        })
        .on_table("so", "b")
        .times(2),
    );
    bed.source_exec(&[
        "BEGIN",
        "INSERT INTO so.a VALUES (1, 'old')",
        "INSERT INTO so.b VALUES (1, 'b')",
        "COMMIT",
    ])
    .await;
    wait_for_log(&mut daemon, "Pipeline failed; restarting").await;
    bed.source_exec(&["UPDATE so.a SET v = 'new' WHERE id = 1"])
        .await;
    // Past the old load's commit: a stale 'old' would have landed by now.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_converges(
        &bed,
        Some(&mut daemon),
        &[("so.a", "so.a"), ("so.b", "so.b")],
    )
    .await;
    assert!(
        daemon.log().contains("A load of an earlier run has ended"),
        "{}",
        daemon.log()
    );
    assert_eq!(daemon.terminate().await, Some(0));
}

/// The same across kill -9: the load in flight is recorded in the state directory before it is
/// sent, and the next start waits for it before replaying.
async fn load_in_flight_at_kill9_is_settled_before_replay(flavor: Flavor) {
    let bed = stale_pair_bed(flavor).await;
    let config = bed.write_config(&["so.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::KeepRunning { ms: 6000 }).on_table("so", "a"));
    bed.source_exec(&["INSERT INTO so.a VALUES (1, 'old')"])
        .await;
    // The load is sent within a flush interval (200 ms) and held for 6 s: kill it while held.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    daemon.kill9().await;
    bed.source_exec(&[
        "UPDATE so.a SET v = 'new' WHERE id = 1",
        "INSERT INTO so.b VALUES (2, 'b')",
    ])
    .await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_converges(
        &bed,
        Some(&mut daemon),
        &[("so.a", "so.a"), ("so.b", "so.b")],
    )
    .await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// DDL that removes rows without row events is DDL on the replicated tables: under
/// `ddl.on_other: fail` `ALTER TABLE … TRUNCATE PARTITION` and `DROP DATABASE` stop the daemon
/// naming the statement (DROP DATABASE was ignored silently before); under `ignore` each is a
/// warning, never silence.
async fn row_removing_ddl_is_ddl_on_the_tables(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE pd",
        "CREATE TABLE pd.t (id INT PRIMARY KEY, v INT) PARTITION BY RANGE (id) \
         (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE pd",
        "CREATE TABLE pd.t (id INT NOT NULL, v INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let fail = bed.write_config(&["pd.*"], "", "ddl:\n  on_other: fail");
    let mut daemon = Daemon::spawn(&fail);
    daemon.wait_ready().await;
    bed.source_exec(&["INSERT INTO pd.t VALUES (1, 1), (20, 2)"])
        .await;
    assert_converges(&bed, Some(&mut daemon), &[("pd.t", "pd.t")]).await;
    bed.source_exec(&["ALTER TABLE pd.t TRUNCATE PARTITION p0"])
        .await;
    let log = stops_with_definite_error(daemon).await;
    assert!(log.contains("TRUNCATE PARTITION"), "{log}");

    let ignore = bed.write_config(&["pd.*"], "", "ddl:\n  on_other: ignore");
    let mut daemon = Daemon::spawn(&ignore);
    daemon.wait_ready().await;
    wait_for_log(&mut daemon, "DDL on a replicated table ignored").await;
    assert_eq!(daemon.terminate().await, Some(0));

    let fail = bed.write_config(&["pd.*"], "", "ddl:\n  on_other: fail");
    let mut daemon = Daemon::spawn(&fail);
    daemon.wait_ready().await;
    bed.source_exec(&["DROP DATABASE pd"]).await;
    let log = stops_with_definite_error(daemon).await;
    assert!(log.contains("DROP DATABASE pd"), "{log}");
}

async fn xa_bed(flavor: Flavor) -> Bed {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE xa",
        "CREATE TABLE xa.t (id INT PRIMARY KEY, v VARCHAR(20))",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE xa",
        "CREATE TABLE xa.t (id INT NOT NULL, v VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    bed
}

/// XA: a prepared transaction's rows are applied only at `XA COMMIT` (never at `XA PREPARE`),
/// dropped at `XA ROLLBACK`, and survive a kill -9 between PREPARE and COMMIT (the checkpoint
/// never passes an undecided prepared group); `XA COMMIT … ONE PHASE` commits at once.
async fn xa_rows_apply_only_at_commit(flavor: Flavor) {
    let bed = xa_bed(flavor).await;
    let config = bed.write_config(&["xa.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    let pairs = &[("xa.t", "xa.t")];
    bed.source_exec(&["INSERT INTO xa.t VALUES (0, 'zero')"])
        .await;
    assert_converges(&bed, Some(&mut daemon), pairs).await;

    let mut xa = bed.source_conn().await;
    for sql in [
        "XA START 'x1'",
        "INSERT INTO xa.t VALUES (1, 'prepared')",
        "UPDATE xa.t SET v = 'changed by x1' WHERE id = 0",
        "XA END 'x1'",
        "XA PREPARE 'x1'",
    ] {
        xa.query_drop(sql).await.unwrap();
    }
    bed.source_exec(&["INSERT INTO xa.t VALUES (3, 'after the prepare')"])
        .await;
    // The source's committed state: row 3, not x1's rows.
    assert_converges(&bed, Some(&mut daemon), pairs).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_converges(&bed, Some(&mut daemon), pairs).await;

    // kill -9 between PREPARE and COMMIT, with a checkpoint saved after the prepare.
    daemon.kill9().await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    xa.query_drop("XA COMMIT 'x1'").await.unwrap();
    assert_converges(&bed, Some(&mut daemon), pairs).await;

    for sql in [
        "XA START 'x2'",
        "INSERT INTO xa.t VALUES (4, 'rolled back')",
        "DELETE FROM xa.t WHERE id = 3",
        "XA END 'x2'",
        "XA PREPARE 'x2'",
        "XA ROLLBACK 'x2'",
        "XA START X'0102',X'ff',7",
        "INSERT INTO xa.t VALUES (5, 'one phase')",
        "XA END X'0102',X'ff',7",
        "XA COMMIT X'0102',X'ff',7 ONE PHASE",
    ] {
        xa.query_drop(sql).await.unwrap();
    }
    assert_converges(&bed, Some(&mut daemon), pairs).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// A transaction that also changed a non-transactional (MyISAM) table and was rolled back, or
/// rolled back to a savepoint, leaves its undone InnoDB rows in the binlog: only what was
/// committed is applied. MySQL runs without GTIDs here (GTID consistency forbids such
/// transactions).
async fn mixed_engine_rollbacks_apply_only_what_committed(flavor: Flavor) {
    let args: &[&str] = match flavor {
        Flavor::MySql => &["--gtid-mode=OFF", "--enforce-gtid-consistency=OFF"],
        Flavor::MariaDb => &[],
    };
    let bed = Bed::start_with_args(flavor, args).await;
    bed.source_exec(&[
        "CREATE DATABASE me",
        "CREATE TABLE me.inno (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB",
        "CREATE TABLE me.my (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE me",
        "CREATE TABLE me.inno (id INT NOT NULL, v VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
        "CREATE TABLE me.my (id INT NOT NULL, v VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let config = bed.write_config(&["me.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    let mut conn = bed.source_conn().await;
    for sql in [
        "INSERT INTO me.inno VALUES (1, 'original')",
        "BEGIN",
        "INSERT INTO me.inno VALUES (2, 'undone')",
        "UPDATE me.inno SET v = 'undone' WHERE id = 1",
        "INSERT INTO me.my VALUES (1, 'kept: MyISAM')",
        "ROLLBACK",
        "BEGIN",
        "INSERT INTO me.inno VALUES (3, 'kept')",
        "INSERT INTO me.my VALUES (2, 'kept')",
        "SAVEPOINT sp",
        "INSERT INTO me.inno VALUES (4, 'undone')",
        "UPDATE me.inno SET v = 'undone' WHERE id = 1",
        "INSERT INTO me.my VALUES (3, 'kept: MyISAM')",
        "ROLLBACK TO SAVEPOINT sp",
        "INSERT INTO me.inno VALUES (5, 'kept')",
        "COMMIT",
    ] {
        // Rolling back non-transactional changes is a warning, not an error.
        conn.query_drop(sql).await.unwrap();
    }
    assert_converges(
        &bed,
        Some(&mut daemon),
        &[("me.inno", "me.inno"), ("me.my", "me.my")],
    )
    .await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// `binlog_row_metadata=MINIMAL` is refused at start: without names in the binlog, a column
/// moved or renamed while the daemon lags would shift values silently.
async fn minimal_row_metadata_is_refused(flavor: Flavor) {
    let bed = Bed::start_with_args(flavor, &["--binlog-row-metadata=MINIMAL"]).await;
    bed.source_exec(&[
        "CREATE DATABASE mm",
        "CREATE TABLE mm.t (id INT PRIMARY KEY)",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE mm",
        "CREATE TABLE mm.t (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let config = bed.write_config(&["mm.*"], "", "");
    let log = stops_with_definite_error(Daemon::spawn(&config)).await;
    assert!(
        log.contains("binlog_row_metadata") && log.contains("FULL"),
        "{log}"
    );
}

/// A table taken out of `source.tables` (one run without it) and put back is copied again, so
/// the writes made while it was excluded reach the target.
async fn a_table_put_back_is_copied_again(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE ex",
        "CREATE TABLE ex.a (id INT PRIMARY KEY, v VARCHAR(40))",
        "CREATE TABLE ex.b (id INT PRIMARY KEY, v VARCHAR(40))",
        "INSERT INTO ex.a VALUES (1, 'a1')",
        "INSERT INTO ex.b VALUES (1, 'b1')",
    ])
    .await;
    let both = |bed: &Bed| {
        bed.write_config_with_snapshot(
            &["ex.a", "ex.b"],
            "  auto_create: true",
            "  mode: initial",
            "",
        )
    };
    let pairs = &[("ex.a", "ex.a"), ("ex.b", "ex.b")];
    let mut daemon = Daemon::spawn(&both(&bed));
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), pairs).await;
    assert_eq!(daemon.terminate().await, Some(0));

    let only_a =
        bed.write_config_with_snapshot(&["ex.a"], "  auto_create: true", "  mode: initial", "");
    let mut daemon = Daemon::spawn(&only_a);
    daemon.wait_ready().await;
    bed.source_exec(&[
        "INSERT INTO ex.a VALUES (2, 'a2')",
        "INSERT INTO ex.b VALUES (2, 'written while excluded')",
        "UPDATE ex.b SET v = 'changed while excluded' WHERE id = 1",
    ])
    .await;
    assert_converges(&bed, Some(&mut daemon), &[("ex.a", "ex.a")]).await;
    assert_eq!(daemon.terminate().await, Some(0));

    let mut daemon = Daemon::spawn(&both(&bed));
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), pairs).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

/// MariaDB writes no row events for rows changed by a foreign key's cascade (MySQL does): the
/// daemon cannot see those changes, so it says so at start for each such key into a replicated
/// table; on MySQL the cascaded rows replicate.
async fn foreign_key_cascades(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE fk",
        "CREATE TABLE fk.parent (id INT PRIMARY KEY) ENGINE=InnoDB",
        "CREATE TABLE fk.child (id INT PRIMARY KEY, parent_id INT, \
         CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES fk.parent (id) \
         ON DELETE SET NULL) ENGINE=InnoDB",
    ])
    .await;
    let config = bed.write_config(&["fk.*"], "  auto_create: true", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    let warned = daemon
        .log()
        .contains("foreign key child_parent (ON DELETE SET NULL)");
    assert_eq!(warned, flavor == Flavor::MariaDb, "{}", daemon.log());
    let pairs = &[("fk.parent", "fk.parent"), ("fk.child", "fk.child")];
    bed.source_exec(&[
        "INSERT INTO fk.parent VALUES (1), (2)",
        "INSERT INTO fk.child VALUES (10, 1), (20, 2)",
    ])
    .await;
    assert_converges(&bed, Some(&mut daemon), pairs).await;
    if flavor == Flavor::MySql {
        bed.source_exec(&["DELETE FROM fk.parent WHERE id = 1"])
            .await;
        assert_converges(&bed, Some(&mut daemon), pairs).await;
    }
    assert_eq!(daemon.terminate().await, Some(0));
}

/// Waits for the daemon to stop by itself with a definite error (exit code 2); its log.
async fn stops_with_definite_error(daemon: Daemon) -> String {
    let (code, log) = daemon.wait_exit(std::time::Duration::from_secs(60)).await;
    assert_eq!(code, Some(2), "{log}");
    log
}

/// Waits until the daemon's log holds `text` (30 s at most).
async fn wait_for_log(daemon: &mut Daemon, text: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !daemon.log().contains(text) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {text:?} in the log:\n{}",
            daemon.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

both_flavors!(
    json_documents_survive_json_batches,
    decimals_inside_json_keep_their_digits,
    start_position_is_saved_before_running,
    auto_create_holds_every_value,
    two_sources_into_one_target_are_refused,
    target_types_are_verified,
    rows_of_a_dropped_table_are_applied,
    abandoned_load_never_commits_after_a_newer_one,
    load_in_flight_at_kill9_is_settled_before_replay,
    row_removing_ddl_is_ddl_on_the_tables,
    xa_rows_apply_only_at_commit,
    mixed_engine_rollbacks_apply_only_what_committed,
    minimal_row_metadata_is_refused,
    a_table_put_back_is_copied_again,
    foreign_key_cascades,
);
