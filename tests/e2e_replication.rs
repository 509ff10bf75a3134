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
use support::{assert_converges, Bed, Daemon};
use testbed::Flavor;

/// Source tables with integer, composite and string keys, and their targets.
const SOURCE_TABLES: &[&str] = &[
    "CREATE DATABASE shop",
    "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer VARCHAR(64) NOT NULL, \
     amount DECIMAL(12,2), note TEXT, created DATETIME(6))",
    "CREATE TABLE shop.lines (order_id BIGINT, line INT, sku VARCHAR(32) NOT NULL, qty INT, \
     PRIMARY KEY (order_id, line))",
    "CREATE TABLE shop.tags (code VARCHAR(32) PRIMARY KEY, label VARCHAR(255))",
];

const TARGET_TABLES: &[&str] = &[
    "CREATE DATABASE shop",
    "CREATE TABLE shop.orders (id BIGINT NOT NULL, customer VARCHAR(256) NOT NULL, \
     amount DECIMAL(12,2), note STRING, created DATETIME) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    "CREATE TABLE shop.lines (order_id BIGINT NOT NULL, line INT NOT NULL, sku VARCHAR(128) NOT NULL, \
     qty INT) PRIMARY KEY(order_id, line) DISTRIBUTED BY HASH(order_id)",
    "CREATE TABLE shop.tags (code VARCHAR(128) NOT NULL, label VARCHAR(1020)) PRIMARY KEY(code) \
     DISTRIBUTED BY HASH(code)",
];

const PAIRS: &[(&str, &str)] = &[
    ("shop.orders", "shop.orders"),
    ("shop.lines", "shop.lines"),
    ("shop.tags", "shop.tags"),
];

async fn shop_bed(flavor: Flavor) -> Bed {
    let bed = Bed::start(flavor).await;
    bed.source_exec(SOURCE_TABLES).await;
    bed.target_exec(TARGET_TABLES).await;
    bed
}

/// A mixed workload: multi-table transactions, updates, deletes, key changes, hostile text.
async fn workload(bed: &Bed, round: u32) {
    let base = u64::from(round) * 1000;
    let mut statements = Vec::new();
    statements.push("BEGIN".to_string());
    for i in 0..50u64 {
        let id = base + i;
        statements.push(format!(
            "INSERT INTO shop.orders VALUES ({id}, 'cust\\t{i}', {i}.25, 'line1\\nline2 \\\\N emoji 😀', \
             '2024-02-29 12:34:56.{:06}')",
            i * 7
        ));
        statements.push(format!(
            "INSERT INTO shop.lines VALUES ({id}, 1, 'sku-{i}', {i}), ({id}, 2, 'sku-x', 1)"
        ));
    }
    statements.push(format!(
        "INSERT INTO shop.tags VALUES ('a{round}', 'first'), ('b{round}', NULL)"
    ));
    statements.push("COMMIT".to_string());
    statements.push(format!(
        "UPDATE shop.orders SET amount = amount * 2 WHERE id % 3 = 0 AND id >= {base}"
    ));
    statements.push(format!(
        "DELETE FROM shop.lines WHERE line = 2 AND order_id % 5 = 0 AND order_id >= {base}"
    ));
    // Key changes, also one that only changes case.
    statements.push(format!(
        "UPDATE shop.orders SET id = id + 500 WHERE id = {}",
        base + 1
    ));
    statements.push(format!(
        "UPDATE shop.tags SET code = 'A{round}' WHERE code = 'a{round}'"
    ));
    statements.push(format!(
        "UPDATE shop.lines SET line = 9 WHERE order_id = {} AND line = 1",
        base + 2
    ));
    statements.push(format!("DELETE FROM shop.orders WHERE id = {}", base + 3));
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    bed.source_exec(&refs).await;
}

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
    let json_type = "JSON";
    bed.source_exec(&[
        "CREATE DATABASE ty",
        &format!(
            "CREATE TABLE ty.t (id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, \
             siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, \
             bi BIGINT, biu BIGINT UNSIGNED, f FLOAT, d DOUBLE, dec1 DECIMAL(65,30), dec2 DECIMAL(10,2), \
             c CHAR(10), vc VARCHAR(100), t TEXT, b BINARY(4), vb VARBINARY(20), bl BLOB, dt DATE, \
             dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(6), y YEAR, bt BIT(10), \
             e ENUM('a','b','c'), st SET('x','y','z'), j {json_type}, l1 VARCHAR(20) CHARACTER SET latin1)"
        ),
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE ty",
        "CREATE TABLE ty.t (id INT NOT NULL, ti TINYINT, tiu SMALLINT, si SMALLINT, siu INT, mi INT, \
         miu INT, i INT, iu BIGINT, bi BIGINT, biu LARGEINT, f FLOAT, d DOUBLE, dec1 VARCHAR(100), \
         dec2 DECIMAL(10,2), c VARCHAR(40), vc VARCHAR(400), t STRING, b VARBINARY(4), vb VARBINARY(20), \
         bl VARBINARY, dt DATE, dtm DATETIME, ts DATETIME, tm VARCHAR(32), y SMALLINT, bt VARBINARY(8), \
         e VARCHAR(16), st VARCHAR(32), j JSON, l1 VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let config = bed.write_config(&["ty.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(&[
        "SET SESSION sql_mode = ''",
        "INSERT INTO ty.t (id) VALUES (1)",
        "INSERT INTO ty.t VALUES (2, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, \
         4294967295, -9223372036854775808, 18446744073709551615, -2.25, 1.7976931348623157e308, \
         '-12345678901234567890123456789012345.123456789012345678901234567890', -99999999.99, \
         'ab', 'tab\there\nnew \\\\N \\N emoji 😀 \"q\" ,;', '\\N', 'ab', x'00ff0a09', x'', \
         '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 00:00:01.000', '-838:59:59.000000', 0, \
         b'1010101010', 'c', 'x,z', '{\"b\": [1, 2.5, \"x\"], \"a\": null, \"n\": {\"k\": true}}', x'636166e9')",
        "INSERT INTO ty.t VALUES (3, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, \
         0, 1.5, -0.1, 0.000000000000000000000000000001, 0.01, '', '', '', x'61000000', x'000102', \
         x'deadbeef', '9999-12-31', '2024-02-29 23:59:59.999999', '2038-01-19 03:14:07.999', \
         '838:59:59.999999', 2155, b'0000000001', 'a', '', '[]', '')",
        "UPDATE ty.t SET vc = 'updated\ttab', j = '\"just a string\"' WHERE id = 3",
    ])
    .await;
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
