//! End-to-end scenarios about running the daemon unattended: rejected data under both
//! `strategy_on_error` settings, a restarted source and a killed replica connection, the
//! checkpoint following writes on unwatched tables, and what `/metrics` and `/status` show.
//! Real MariaDB 10.11 / MySQL 9.7, the StarRocks emulator, the daemon as a child process; every
//! scenario ends with the full-table comparison.

// Why: scenario bodies are plain async fns called by the generated tests, where a failed unwrap
// is a failed test.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{assert_converges, Bed, Daemon};
use testbed::Flavor;

const SOURCE_TABLES: &[&str] = &[
    "CREATE DATABASE app",
    "CREATE TABLE app.items (id BIGINT PRIMARY KEY, name VARCHAR(64), qty INT)",
    "CREATE DATABASE other",
    "CREATE TABLE other.noise (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(32))",
];

/// `name` is NOT NULL in the target only: a NULL name is data StarRocks rejects.
const TARGET_TABLES: &[&str] = &[
    "CREATE DATABASE app",
    "CREATE TABLE app.items (id BIGINT NOT NULL, name VARCHAR(256) NOT NULL, qty INT) \
     PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
];

const PAIRS: &[(&str, &str)] = &[("app.items", "app.items")];

async fn app_bed(flavor: Flavor) -> Bed {
    let bed = Bed::start(flavor).await;
    bed.source_exec(SOURCE_TABLES).await;
    bed.target_exec(TARGET_TABLES).await;
    bed
}

/// Inserts `count` items from `first`, then updates and deletes some of them.
async fn write_items(bed: &Bed, first: u64, count: u64) {
    let values: Vec<String> = (first..first + count)
        .map(|id| format!("({id}, 'item {id}', {})", id % 7))
        .collect();
    bed.source_exec(&[
        &format!("INSERT INTO app.items VALUES {}", values.join(", ")),
        &format!(
            "UPDATE app.items SET qty = qty + 100 WHERE id % 3 = 0 AND id >= {first} AND id < {}",
            first + count
        ),
        &format!(
            "DELETE FROM app.items WHERE id % 10 = 9 AND id >= {first} AND id < {}",
            first + count
        ),
    ])
    .await;
}

fn dirty_config_lines(dirty: &Path) -> String {
    format!(
        "  strategy_on_error: batch_dirty_data\n  dirty_data_dir: \"{}\"",
        dirty.display()
    )
}

/// The `*.error.txt` reports in `dir`.
fn error_reports(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".error.txt"))
        .collect()
}

async fn rejected_batches_go_aside_or_stop(flavor: Flavor) {
    let bed = app_bed(flavor).await;
    let dirty = bed.dir.path().join("dirty");
    let config = bed.write_config(&["app.*"], &dirty_config_lines(&dirty), "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    write_items(&bed, 0, 100).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;

    // A row the target refuses (NULL into NOT NULL), alone in its batch.
    bed.source_exec(&["INSERT INTO app.items VALUES (1000, NULL, 1)"])
        .await;
    let reports = testbed::wait_for(Duration::from_secs(30), "a dirty batch report", || {
        let dirty = dirty.clone();
        async move {
            let reports = error_reports(&dirty);
            (!reports.is_empty()).then_some(reports)
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no dirty batch written; log:\n{}", daemon.log()));
    let report = std::fs::read_to_string(&reports[0]).unwrap();
    assert!(report.contains("table: app.items"), "{report}");
    assert!(report.contains("too many filtered rows"), "{report}");
    let data_path = reports[0].to_string_lossy().replace(".error.txt", ".data");
    let data = std::fs::read_to_string(&data_path).unwrap();
    assert!(
        data.contains("1000"),
        "the rejected row is in {data_path}: {data:?}"
    );
    assert_eq!(
        daemon
            .metric("mysql2starrocks_dirty_batches_total{table=\"app.items\"}")
            .await,
        Some(1.0)
    );

    // Replication goes on; fixing the row on the source brings the target back to equal.
    write_items(&bed, 200, 50).await;
    bed.source_exec(&["UPDATE app.items SET name = 'fixed' WHERE id = 1000"])
        .await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    assert_eq!(daemon.terminate().await, Some(0));

    // strategy_on_error: exit (the default) stops with the definite-error code and the reason.
    let config = bed.write_config(&["app.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    bed.source_exec(&["INSERT INTO app.items VALUES (1001, NULL, 1)"])
        .await;
    let (code, log) = daemon.wait_exit(Duration::from_secs(60)).await;
    assert_eq!(code, Some(2), "{log}");
    assert!(
        log.contains("app.items") && log.contains("too many filtered rows"),
        "{log}"
    );

    // The operator fixes the source row and restarts: the rejected change is replayed from the
    // checkpoint (nothing was skipped), and the tables end equal.
    bed.source_exec(&["UPDATE app.items SET name = 'fixed too' WHERE id = 1001"])
        .await;
    let config = bed.write_config(&["app.*"], &dirty_config_lines(&dirty), "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

async fn survives_source_restart_and_killed_connection(flavor: Flavor) {
    let mut bed = app_bed(flavor).await;
    let config = bed.write_config(&["app.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    write_items(&bed, 0, 50).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;

    // The replica connection is killed on the source: the daemon reconnects and resumes.
    assert!(bed.kill_dump_connections().await >= 1, "a dump connection");
    write_items(&bed, 100, 50).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;

    // The source restarts: the daemon retries until it is back, then resumes.
    bed.source.stop().await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    daemon.assert_running();
    bed.source.start_again().await.unwrap();
    write_items(&bed, 200, 50).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;

    let metrics = daemon.admin_get("/metrics").await;
    let reconnects = daemon
        .metric("mysql2starrocks_source_reconnects_total")
        .await
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(reconnects >= 2.0, "{metrics}");
    let upserts = daemon
        .metric("mysql2starrocks_rows_loaded_total{table=\"app.items\",op=\"upsert\"}")
        .await
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(upserts >= 100.0, "{metrics}");
    // `/status` counts the loaded rows per source table too (upserts and deletes).
    let status = daemon.status().await;
    let deletes = daemon
        .metric("mysql2starrocks_rows_loaded_total{table=\"app.items\",op=\"delete\"}")
        .await
        .unwrap_or(0.0);
    assert_eq!(
        status["tables"]["app.items"]["rows_loaded"].as_f64(),
        Some(upserts + deletes),
        "{status}"
    );
    for name in [
        "mysql2starrocks_replication_lag_seconds",
        "mysql2starrocks_checkpoint_age_seconds",
        "mysql2starrocks_checkpoint_position{",
        "mysql2starrocks_loads_total{",
        "mysql2starrocks_load_duration_seconds_bucket{",
        "mysql2starrocks_pipeline_phase{phase=\"streaming\"} 1",
    ] {
        assert!(metrics.contains(name), "{name} in:\n{metrics}");
    }
    assert_eq!(daemon.terminate().await, Some(0));
}

async fn checkpoint_follows_unwatched_writes(flavor: Flavor) {
    let bed = app_bed(flavor).await;
    let config = bed.write_config(&["app.*"], "", "");
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    write_items(&bed, 0, 20).await;
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;

    // Only unwatched tables change: the checkpoint still reaches the source's position, so an
    // idle pipeline never falls behind the binlog retention.
    for i in 0..20 {
        bed.source_exec(&[&format!("INSERT INTO other.noise (v) VALUES ('n{i}')")])
            .await;
    }
    let (file, pos) = bed.source_binlog_position().await;
    let reached = testbed::wait_for(
        Duration::from_secs(30),
        "the checkpoint at the source position",
        || {
            let daemon = &daemon;
            let file = file.clone();
            async move {
                let status = daemon.status().await;
                let at = &status["position"];
                (at["file"] == file.as_str() && at["pos"].as_u64() >= Some(pos)).then_some(())
            }
        },
    )
    .await;
    assert!(
        reached.is_ok(),
        "checkpoint did not reach {file}:{pos}: {}\n{}",
        daemon.status().await,
        daemon.log()
    );
    assert_converges(&bed, Some(&mut daemon), PAIRS).await;
    assert_eq!(daemon.terminate().await, Some(0));
}

both_flavors!(
    rejected_batches_go_aside_or_stop,
    survives_source_restart_and_killed_connection,
    checkpoint_follows_unwatched_writes,
);
