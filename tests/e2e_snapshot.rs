//! End-to-end snapshot scenarios: the initial copy under a concurrent workload (integer,
//! composite and string keys, every type), kill -9 between tables, mid-table and at the switch to
//! the binlog with the copy resuming, `snapshot.mode: only` with `auto_create` and `post_sql`, and
//! a table added to a running pipeline copied alone. Real MariaDB 10.11 / MySQL 9.7, the
//! StarRocks emulator, the daemon as a child process; every scenario ends with the full-table
//! comparison.

// Why: scenario bodies are plain async fns called by the generated tests, where a failed unwrap
// is a failed test.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use std::time::Duration;

use mysql_async::prelude::Queryable;
use starrocks_emulator::faults::{FaultAction, FaultRule};
use support::shop::{shop_bed, workload, PAIRS, SOURCE_TABLES};
use support::{assert_converges, every_type, Bed, Daemon};
use testbed::Flavor;

/// Rows written before the daemon starts: `orders` ids from 100000, two lines each, tags.
async fn populate(bed: &Bed, orders: u64) {
    let mut statements = Vec::new();
    for start in (0..orders).step_by(1000) {
        let end = (start + 1000).min(orders);
        let order_rows: Vec<String> = (start..end)
            .map(|i| {
                let id = 100_000 + i;
                format!(
                    "({id}, 'customer {i}\\t\\\\N', {i}.50, {}, '2023-0{}-1{} 10:11:12.{:06}')",
                    if i % 4 == 0 {
                        "NULL".to_string()
                    } else {
                        format!("'note {i} 😀'")
                    },
                    1 + i % 9,
                    i % 10,
                    i * 13 % 1_000_000
                )
            })
            .collect();
        statements.push(format!(
            "INSERT INTO shop.orders VALUES {}",
            order_rows.join(", ")
        ));
        let line_rows: Vec<String> = (start..end)
            .flat_map(|i| {
                let id = 100_000 + i;
                [
                    format!("({id}, 1, 'sku-{i}', {i})"),
                    format!("({id}, 2, 'sku-b', 1)"),
                ]
            })
            .collect();
        statements.push(format!(
            "INSERT INTO shop.lines VALUES {}",
            line_rows.join(", ")
        ));
    }
    let tags: Vec<String> = (0..300)
        .map(|i| format!("('tag-{i:04}', 'Label {i}')"))
        .collect();
    statements.push(format!("INSERT INTO shop.tags VALUES {}", tags.join(", ")));
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    bed.source_exec(&refs).await;
}

/// Changes to rows the snapshot copies: updates, deletes and key changes.
async fn change_copied_rows(bed: &Bed, round: u64) {
    let base = 100_000 + round * 37;
    bed.source_exec(&[
        &format!(
            "UPDATE shop.orders SET note = 'changed {round}' WHERE id % 7 = {}",
            round % 7
        ),
        &format!(
            "DELETE FROM shop.lines WHERE order_id BETWEEN {base} AND {}",
            base + 5
        ),
        &format!(
            "UPDATE shop.orders SET id = id + 5000000 WHERE id BETWEEN {} AND {}",
            base + 10,
            base + 12
        ),
        &format!(
            "UPDATE shop.tags SET code = UPPER(code) WHERE code = 'tag-{:04}'",
            round
        ),
    ])
    .await;
}

fn snapshot_yaml(mode: &str, chunk_rows: u64, parallelism: u32) -> String {
    format!("  mode: {mode}\n  chunk_rows: {chunk_rows}\n  parallelism: {parallelism}")
}

/// The log written since `from` bytes.
fn log_since(daemon: &Daemon, from: usize) -> String {
    daemon.log().get(from..).unwrap_or_default().to_string()
}

fn log_len(config: &std::path::Path) -> usize {
    std::fs::read_to_string(config.with_file_name("daemon.log"))
        .map(|l| l.len())
        .unwrap_or(0)
}

/// Polls `/status` until `condition` holds for it.
async fn wait_status(daemon: &Daemon, what: &str, condition: impl Fn(&serde_json::Value) -> bool) {
    let reached = testbed::wait_for(Duration::from_secs(60), what, || async {
        let status = daemon.status().await;
        condition(&status).then_some(())
    })
    .await;
    if reached.is_err() {
        panic!(
            "{what}: not reached; status {}\nlog:\n{}",
            daemon.status().await,
            daemon.log()
        );
    }
}

fn table_field(status: &serde_json::Value, table: &str, field: &str) -> serde_json::Value {
    status["tables"][table][field].clone()
}

async fn copies_under_concurrent_writes(flavor: Flavor) {
    let bed = shop_bed(flavor).await;
    bed.source_exec(every_type::SOURCE_DDL).await;
    bed.source_exec(every_type::ROWS).await;
    bed.target_exec(every_type::TARGET_DDL).await;
    populate(&bed, 5000).await;
    // Slow loads so that the workload below runs while tables are being copied.
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::Delay { ms: 40 }).times(0));
    let config = bed.write_config_with_snapshot(
        &["shop.*", "ty.*"],
        "",
        &snapshot_yaml("initial", 300, 3),
        "",
    );
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    for round in 1..=4u32 {
        workload(&bed, round).await;
        change_copied_rows(&bed, u64::from(round)).await;
    }
    let mut pairs = PAIRS.to_vec();
    pairs.push(("ty.t", "ty.t"));
    assert_converges(&bed, Some(&mut daemon), &pairs).await;
    bed.emulator.faults().clear();
    let log = daemon.log();
    assert!(log.contains("Snapshot finished."), "{log}");
    let status = daemon.status().await;
    assert_eq!(status["phase"], "streaming", "{status}");
    assert!(
        table_field(&status, "shop.orders", "rows_copied").as_u64() >= Some(4000),
        "{status}"
    );
    assert!(
        daemon
            .metric("mysql2starrocks_snapshot_rows_copied{table=\"shop.lines\"}")
            .await
            >= Some(9000.0)
    );
    // More writes after the switch to the binlog.
    workload(&bed, 5).await;
    assert_converges(&bed, Some(&mut daemon), &pairs).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

async fn resumes_after_kill9_during_the_copy(flavor: Flavor) {
    let bed = shop_bed(flavor).await;
    populate(&bed, 8000).await;
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::Delay { ms: 150 }).times(0));
    let config =
        bed.write_config_with_snapshot(&["shop.*"], "", &snapshot_yaml("initial", 400, 1), "");

    // 1. Between tables: shop.lines (copied first) is done.
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    wait_status(&daemon, "shop.lines copied", |s| {
        table_field(s, "shop.lines", "phase") == "pending"
            && table_field(s, "shop.lines", "rows_copied").as_u64() >= Some(16000)
    })
    .await;
    daemon.kill9().await;
    workload(&bed, 1).await;

    // 2. Mid-table: part of shop.orders is copied.
    let from = log_len(&config);
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    wait_status(&daemon, "shop.orders half copied", |s| {
        table_field(s, "shop.orders", "rows_copied").as_u64() >= Some(2000)
    })
    .await;
    let log = log_since(&daemon, from);
    assert!(
        !log.contains("Copying the table. table=shop.lines"),
        "a finished table is not copied again:\n{log}"
    );
    daemon.kill9().await;
    change_copied_rows(&bed, 1).await;

    // 3. At the switch to the binlog; the copy resumed after the last loaded chunk.
    let from = log_len(&config);
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    wait_status(&daemon, "streaming", |s| s["phase"] == "streaming").await;
    let copied_this_run = daemon
        .metric("mysql2starrocks_source_events_total{table=\"shop.orders\",op=\"snapshot\"}")
        .await
        .unwrap_or(0.0);
    let log = log_since(&daemon, from);
    assert!(
        log.contains(
            "Resuming the snapshot of the table after its last loaded chunk. table=shop.orders"
        ),
        "{log}"
    );
    assert!(
        copied_this_run < 7000.0,
        "the copy resumed instead of restarting ({copied_this_run} rows copied in this run)"
    );
    daemon.kill9().await;
    workload(&bed, 2).await;

    // 4. Nothing is copied again; the binlog catches up.
    bed.emulator.faults().clear();
    let from = log_len(&config);
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    let log = log_since(&daemon, from);
    assert!(!log.contains("Copying the table."), "{log}");
    assert_eq!(daemon.terminate().await, Some(0));
}

async fn only_mode_auto_create_and_added_table(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    bed.source_exec(SOURCE_TABLES).await;
    bed.target_exec(&["CREATE DATABASE shop"]).await;
    populate(&bed, 1500).await;
    let target_extra =
        "  auto_create: true\n  post_sql: [\"CREATE TABLE shop.marker (id INT NOT NULL) \
                        PRIMARY KEY(id) DISTRIBUTED BY HASH(id)\"]";
    let config = bed.write_config_with_snapshot(
        &["shop.orders", "shop.tags"],
        target_extra,
        &snapshot_yaml("only", 500, 2),
        "",
    );
    let (code, log) = Daemon::spawn(&config)
        .wait_exit(Duration::from_secs(120))
        .await;
    assert_eq!(code, Some(0), "{log}");
    let copied = [("shop.orders", "shop.orders"), ("shop.tags", "shop.tags")];
    assert_converges(&bed, None, &copied).await;

    // Created as primary-key tables, types by the mapping, post_sql ran.
    let mut target = bed.target_conn().await;
    let columns: Vec<(String, String)> = target
        .query(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION",
        )
        .await
        .unwrap();
    let columns: Vec<(String, String)> = columns
        .into_iter()
        .map(|(n, t)| (n, t.to_lowercase()))
        .collect();
    assert_eq!(columns.len(), 5, "{columns:?}");
    assert_eq!(columns[0].0, "id", "key column first: {columns:?}");
    assert!(columns[0].1.starts_with("bigint"), "{columns:?}");
    assert!(columns[1].1.starts_with("varchar(256)"), "{columns:?}");
    assert!(columns[2].1.starts_with("decimal"), "{columns:?}");
    assert!(columns[4].1.starts_with("datetime"), "{columns:?}");
    let markers: Vec<String> = target
        .query(
            "SELECT TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'marker'",
        )
        .await
        .unwrap();
    assert_eq!(markers, vec!["marker".to_string()]);

    // Changes while stopped, then shop.lines joins: it alone is copied, the others stream on.
    workload(&bed, 1).await;
    let config = bed.write_config_with_snapshot(
        &["shop.*"],
        "  auto_create: true",
        &snapshot_yaml("initial", 500, 2),
        "",
    );
    let from = log_len(&config);
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    workload(&bed, 2).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    let log = log_since(&daemon, from);
    let copying: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Copying the table."))
        .collect();
    assert_eq!(copying.len(), 1, "{log}");
    assert!(copying[0].contains("table=shop.lines"), "{log}");
    assert_eq!(daemon.terminate().await, Some(0));
}

both_flavors!(
    copies_under_concurrent_writes,
    resumes_after_kill9_during_the_copy,
    only_mode_auto_create_and_added_table,
);
