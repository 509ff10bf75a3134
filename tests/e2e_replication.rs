//! End-to-end replication scenarios: real MariaDB 10.11 / MySQL 9.7, the StarRocks emulator, the
//! daemon as a child process. Every scenario ends with the full-table comparison.

// Why: scenario bodies are plain async fns called by the generated tests, where a failed unwrap
// is a failed test.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use std::time::Duration;

use mysql_async::prelude::Queryable;
use starrocks_emulator::faults::{FaultAction, FaultRule};
use support::shop::{shop_bed, workload, PAIRS};
use support::{assert_converges, Bed, Daemon};
use testbed::Flavor;

async fn replicates_mixed_transactions(flavor: Flavor) {
    let bed = shop_bed(flavor).await;
    let config = bed.write_config(&["shop.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    workload(&bed, 1).await;
    workload(&bed, 2).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    assert_eq!(daemon.terminate().await, Some(0), "SIGTERM exits 0");
}

async fn resumes_after_restart_and_kill9(flavor: Flavor) {
    let bed = shop_bed(flavor).await;
    let config = bed.write_config(&["shop.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    workload(&bed, 1).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    assert_eq!(daemon.terminate().await, Some(0));

    // Written while the daemon is down: picked up from the checkpoint.
    workload(&bed, 2).await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert!(
        daemon.log().contains("Resuming from the checkpoint"),
        "{}",
        daemon.log()
    );
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;

    // kill -9 while loads are slow (before the checkpoint can move), then more writes.
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::Delay { ms: 3000 }).times(0));
    workload(&bed, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    daemon.kill9().await;
    bed.emulator.faults().clear();
    workload(&bed, 4).await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

async fn survives_target_faults(flavor: Flavor) {
    let bed = shop_bed(flavor).await;
    let config = bed.write_config(
        &["shop.*"],
        "  max_retries: 20\n  load_timeout_ms: 2000",
        "",
    );
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    let faults = bed.emulator.faults();
    // A response slower than the client's timeout: the load committed, the answer is lost.
    faults.add(FaultRule::once(FaultAction::Delay { ms: 4500 }));
    faults.add(
        FaultRule::once(FaultAction::Fail {
            status: "Fail".into(),
            message: "timeout by txn manager".into(),
        })
        .times(2),
    );
    faults.add(FaultRule::once(FaultAction::TooManyVersions));
    faults.add(FaultRule::once(FaultAction::PublishTimeout {
        visible_after_ms: 200,
    }));
    faults.add(FaultRule::once(FaultAction::ResetMidBody {
        after_bytes: 10,
    }));
    faults.add(FaultRule::once(FaultAction::NoBackendAlive));
    faults.add(FaultRule::once(FaultAction::KeepRunning { ms: 1500 }));
    workload(&bed, 1).await;
    workload(&bed, 2).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    // Every retry of a failed attempt reused its label.
    let loads = bed.emulator.loads();
    // The load whose answer came too late committed once; the daemon learned that from the
    // label (its state or `Label Already Exists`), never by loading it again.
    let delayed = loads
        .iter()
        .find(|l| l.fault.as_deref().is_some_and(|f| f.contains("delay")))
        .unwrap_or_else(|| panic!("the delay fault was hit: {loads:?}"));
    let committed = loads
        .iter()
        .filter(|l| l.label == delayed.label && l.status == "Success")
        .count();
    assert_eq!(committed, 1, "{loads:?}");
    let failed: Vec<_> = loads.iter().filter(|l| l.status == "Fail").collect();
    assert!(!failed.is_empty(), "faults were hit: {loads:?}");
    // Every retried attempt is counted, under both names.
    let retries = daemon
        .metric_total("mysql2starrocks_loads_total", "outcome=\"retry\"")
        .await;
    assert!(
        retries >= failed.len() as f64,
        "{retries} retries counted, {} failed attempts",
        failed.len()
    );
    assert_eq!(
        retries,
        daemon
            .metric_total("mysql2starrocks_load_retries_total", "")
            .await
    );
    // `/status` counts the failed attempts per table too.
    let status = daemon.status().await;
    let failures: u64 = status["tables"]
        .as_object()
        .map(|tables| {
            tables
                .values()
                .filter_map(|t| t["load_failures"].as_u64())
                .sum()
        })
        .unwrap_or(0);
    assert!(
        failures >= failed.len() as u64,
        "{failures} load failures in /status, {} failed attempts: {status}",
        failed.len()
    );
    for f in failed {
        assert!(
            loads.iter().any(|l| l.label == f.label && l.seq > f.seq),
            "label {} was retried with the same label",
            f.label
        );
    }
    assert_eq!(daemon.terminate().await, Some(0));
}

async fn truncate_and_ddl_policies(flavor: Flavor) {
    let bed = shop_bed(flavor).await;
    let config = bed.write_config(&["shop.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    workload(&bed, 1).await;
    bed.source_exec(&[
        "TRUNCATE TABLE shop.lines",
        "INSERT INTO shop.lines VALUES (1, 1, 'after-truncate', 1)",
        // Ignored DDL: a new column in the middle is not replicated, others keep their values.
        "ALTER TABLE shop.orders ADD COLUMN extra INT DEFAULT 7 AFTER customer",
        "INSERT INTO shop.orders (id, customer, extra, amount) VALUES (99999, 'after-alter', 8, 1.50)",
        "UPDATE shop.orders SET amount = 3.75 WHERE id = 1001",
    ])
    .await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    assert_eq!(daemon.terminate().await, Some(0));

    // An ignored DROP COLUMN that the daemon reads late: the rows written before it still carry
    // the column (decoded from the binlog's own metadata), later rows leave it out of the load.
    bed.source_exec(&[
        "INSERT INTO shop.orders (id, customer, note) VALUES (88888, 'before-drop', 'kept note')",
        "UPDATE shop.orders SET note = 'changed before drop', amount = 5.5 WHERE id = 1002",
        "ALTER TABLE shop.orders DROP COLUMN note",
        "INSERT INTO shop.orders (id, customer, amount) VALUES (88889, 'after-drop', 2.50)",
        "UPDATE shop.orders SET amount = 4.25 WHERE id = 1004",
        "DELETE FROM shop.orders WHERE id = 1005",
    ])
    .await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    let notes: Vec<Option<String>> = bed
        .target_conn()
        .await
        .query("SELECT note FROM shop.orders WHERE id = 88888")
        .await
        .unwrap();
    assert_eq!(
        notes,
        vec![Some("kept note".to_string())],
        "{}",
        daemon.log()
    );
    assert_eq!(daemon.terminate().await, Some(0));

    // ddl.on_other: fail stops with the definite-error exit code, naming the statement.
    let config = bed.write_config(&["shop.*"], "", "ddl:\n  on_other: fail");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(&["ALTER TABLE shop.tags ADD COLUMN more INT"])
        .await;
    let (code, log) = daemon.wait_exit(Duration::from_secs(60)).await;
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("ADD COLUMN more"), "{log}");
}

async fn big_transaction_with_small_batches(flavor: Flavor) {
    let bed = shop_bed(flavor).await;
    let config = bed.write_config(&["shop.*"], "  max_batch_rows: 5000", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    // 200,000 rows in one transaction, in 100 statements of 2,000 rows.
    let mut statements = vec!["BEGIN".to_string()];
    for chunk in 0..100u64 {
        let values: Vec<String> = (0..2000u64)
            .map(|i| {
                let id = chunk * 2000 + i;
                format!("({id}, 'c{id}', {id}.01, NULL, NULL)")
            })
            .collect();
        statements.push(format!(
            "INSERT INTO shop.orders VALUES {}",
            values.join(",")
        ));
    }
    statements.push("COMMIT".to_string());
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    bed.source_exec(&refs).await;
    assert_converges(&bed, Some(&mut daemon), &[("shop.orders", "shop.orders")]).await;
    let loads = bed.emulator.loads();
    assert!(
        loads.iter().filter(|l| l.port == "be").count() >= 40,
        "the transaction was cut into many loads"
    );
    assert_eq!(daemon.terminate().await, Some(0));
}

async fn refuses_non_pk_target_and_bad_config(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(&[
        "CREATE DATABASE d",
        "CREATE TABLE d.t (id INT PRIMARY KEY, v INT)",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE d",
        "CREATE TABLE d.t (id INT NOT NULL, v INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let config = bed.write_config(&["d.*"], "", "");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mysql2starrocks"))
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("d.t") && text.to_lowercase().contains("primary key"),
        "{text}"
    );
    assert!(
        !text.contains(testbed::REPL_PASSWORD),
        "no password in output: {text}"
    );

    let config = bed.write_config(&["d.*"], "  max_batch_rows: 0", "");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mysql2starrocks"))
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(78), "{text}");
    assert!(text.contains("target.max_batch_rows"), "{text}");
}

/// Every MySQL type with edge values, through the binlog path, compared value by value.
async fn every_type_round_trips(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(support::every_type::SOURCE_DDL).await;
    bed.target_exec(support::every_type::TARGET_DDL).await;
    let config = bed.write_config(&["ty.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(support::every_type::ROWS).await;
    assert_converges(&bed, Some(&mut daemon), &[("ty.t", "ty.t")]).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

both_flavors!(
    replicates_mixed_transactions,
    resumes_after_restart_and_kill9,
    survives_target_faults,
    truncate_and_ddl_policies,
    big_transaction_with_small_batches,
    refuses_non_pk_target_and_bad_config,
    every_type_round_trips,
);
