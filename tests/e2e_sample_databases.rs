//! Public sample databases, loaded as published, replicate equal to the target: MySQL's Sakila
//! (`tests/fixtures/sakila`, unchanged; origin and licence in its README) is loaded with the
//! real command-line client (its triggers and routines need `DELIMITER`), copied by an
//! `initial` snapshot into tables `target.auto_create` makes, with a kill -9 of the daemon in the
//! middle of the copy and a rental-shop workload before, during and after it. Real MariaDB 10.11
//! / MySQL 9.7, the StarRocks emulator, the daemon as a child process; the scenario ends with the
//! value-by-value comparison of every Sakila base table.
//!
//! Sakila on MariaDB: MariaDB ignores MySQL's 5.7-only executable comments (`/*!50705 … */`), so
//! `address.location` (GEOMETRY, with its SPATIAL key) and its values in the data file are left
//! out there, exactly as when a user loads the published files into MariaDB. Nothing else
//! differs, and the files load without any change on both flavours.
//!
//! The workload never makes InnoDB cascade a foreign key (`payment.rental_id` is `ON DELETE SET
//! NULL`, all 22 Sakila foreign keys are `ON UPDATE CASCADE`): MariaDB 10.11 writes no row events
//! for the rows a cascade changes, so no binlog reader can see them (MySQL 9.7 logs them).

// Why: scenario bodies are plain async fns called by the generated tests, where a failed unwrap
// is a failed test.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use std::path::PathBuf;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::TxOpts;
use starrocks_emulator::faults::{FaultAction, FaultRule};
use support::{assert_converges, Bed, Daemon};
use testbed::Flavor;

/// The published Sakila files.
fn sakila_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sakila")
        .join(name)
}

/// Loads Sakila (schema, then data) into the source and returns its base tables.
async fn load_sakila(bed: &Bed) -> Vec<String> {
    for file in ["sakila-schema.sql", "sakila-data.sql"] {
        bed.source
            .run_sql_file(&sakila_file(file))
            .await
            .unwrap_or_else(|e| panic!("loading {file}: {e}"));
    }
    let mut conn = bed.source_conn().await;
    let tables: Vec<String> = conn
        .query(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sakila' \
             AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        )
        .await
        .unwrap();
    // The 16 base tables of Sakila 1.5 (its 7 views are not replicated).
    assert_eq!(tables.len(), 16, "{tables:?}");
    let rentals: u64 = conn
        .query_first("SELECT COUNT(*) FROM sakila.rental")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rentals, 16044);
    tables
}

/// The big table (`sakila.rental` or `sakila.payment`) `/status` shows in the middle of its copy,
/// with at least 1000 rows copied, and how many.
fn big_table_mid_copy(status: &serde_json::Value) -> Option<(&'static str, u64)> {
    ["sakila.rental", "sakila.payment"]
        .into_iter()
        .find_map(|table| {
            let t = &status["tables"][table];
            let copied = t["rows_copied"].as_u64()?;
            (status["phase"] == "snapshot" && t["phase"] == "snapshot" && copied >= 1000)
                .then_some((table, copied))
        })
}

/// One round of what a rental shop's application writes: stock bought, films rented and paid,
/// rentals returned, a customer who moves, a catalogue edit (the `upd_film` trigger rewrites
/// `film_text`), a new film (`ins_film` fills `film_text`), a refund (a payment deleted) and a
/// customer closing the account. Each business operation is one transaction; the triggers of
/// the schema set `rental_date`, `payment_date` and `create_date`.
async fn workload(bed: &Bed, round: u32) {
    let mut conn = bed.source_conn().await;
    conn.query_drop("USE sakila").await.unwrap();
    let has_location: bool = conn
        .query_first::<u64, _>(
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sakila' \
             AND TABLE_NAME = 'address' AND COLUMN_NAME = 'location'",
        )
        .await
        .unwrap()
        == Some(1);

    for i in 0..12u32 {
        let store = 1 + i % 2;
        let film = 1 + (round * 101 + i * 7) % 1000;
        let customer = 1 + (round * 37 + i * 11) % 599;
        let mut tx = conn.start_transaction(TxOpts::default()).await.unwrap();
        tx.exec_drop(
            "INSERT INTO inventory (film_id, store_id) VALUES (?, ?)",
            (film, store),
        )
        .await
        .unwrap();
        let inventory = tx.last_insert_id().unwrap();
        tx.exec_drop(
            "INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id) \
             VALUES (NOW(), ?, ?, ?)",
            (inventory, customer, store),
        )
        .await
        .unwrap();
        let rental = tx.last_insert_id().unwrap();
        tx.exec_drop(
            "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) \
             VALUES (?, ?, ?, ?, NOW())",
            (customer, store, rental, format!("{}.99", i % 5)),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    // Returns: the oldest open rentals.
    conn.query_drop(
        "UPDATE rental SET return_date = NOW() WHERE return_date IS NULL \
         ORDER BY rental_id LIMIT 8",
    )
    .await
    .unwrap();

    // A customer moves to a new address; another address has its phone edited in place.
    let mut tx = conn.start_transaction(TxOpts::default()).await.unwrap();
    let (location_column, location_value) = if has_location {
        (
            ", location",
            format!(", ST_GeomFromText('POINT({}.25 -{round}.5)')", 10 + round),
        )
    } else {
        ("", String::new())
    };
    tx.exec_drop(
        format!(
            "INSERT INTO address (address, address2, district, city_id, postal_code, phone\
             {location_column}) VALUES (?, NULL, 'Łódzkie', ?, ?, ?{location_value})"
        ),
        (
            format!("{} Replication Lane", 100 + round),
            1 + round * 3,
            format!("{:05}", 10_000 + round),
            format!("55501{round:04}"),
        ),
    )
    .await
    .unwrap();
    let address = tx.last_insert_id().unwrap();
    tx.exec_drop(
        "UPDATE customer SET address_id = ?, email = CONCAT(LOWER(first_name), '.', \
         LOWER(last_name), '@moved.example') WHERE customer_id = ?",
        (address, 1 + (round * 53) % 599),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    conn.exec_drop(
        "UPDATE address SET phone = ?, address2 = 'Apt. 2' WHERE address_id = ?",
        (format!("0049301{round:05}"), 10 + round),
    )
    .await
    .unwrap();

    // Catalogue: a description and price edited (trigger upd_film → film_text), a new film with
    // its cast and category (trigger ins_film → film_text).
    conn.exec_drop(
        "UPDATE film SET description = CONCAT(description, ' Remastered in round ', ?, \
         ' — «director''s cut»'), rental_rate = rental_rate + 1.00, \
         special_features = 'Trailers,Behind the Scenes' WHERE film_id = ?",
        (round, 1 + (round * 211) % 1000),
    )
    .await
    .unwrap();
    let mut tx = conn.start_transaction(TxOpts::default()).await.unwrap();
    tx.exec_drop(
        "INSERT INTO film (title, description, release_year, language_id, original_language_id, \
         rental_duration, rental_rate, length, replacement_cost, rating, special_features) \
         VALUES (?, ?, 2026, 1, 6, 5, 3.99, ?, 21.99, 'PG-13', 'Commentaries,Deleted Scenes')",
        (
            format!("REPLICATED ROUND {round}"),
            format!("A film about binlogs, round {round}: tabs\there, \"quotes\", ☕"),
            90 + round,
        ),
    )
    .await
    .unwrap();
    let film = tx.last_insert_id().unwrap();
    tx.exec_drop(
        "INSERT INTO film_actor (actor_id, film_id) VALUES (?, ?), (?, ?)",
        (1 + round, film, 100 + round, film),
    )
    .await
    .unwrap();
    tx.exec_drop(
        "INSERT INTO film_category (film_id, category_id) VALUES (?, ?)",
        (film, 1 + round % 16),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A refund: the customer's newest payment is deleted; an account is closed.
    let refunded: Option<u64> = conn
        .exec_first(
            "SELECT MAX(payment_id) FROM payment WHERE customer_id = ?",
            (1 + (round * 37) % 599,),
        )
        .await
        .unwrap()
        .flatten();
    if let Some(payment) = refunded {
        conn.exec_drop("DELETE FROM payment WHERE payment_id = ?", (payment,))
            .await
            .unwrap();
    }
    conn.exec_drop(
        "UPDATE customer SET active = 0 WHERE customer_id = ?",
        (1 + (round * 71) % 599,),
    )
    .await
    .unwrap();
}

/// Polls `/status` until `condition` holds.
async fn wait_status(daemon: &Daemon, what: &str, condition: impl Fn(&serde_json::Value) -> bool) {
    let reached = testbed::wait_for(Duration::from_secs(120), what, || async {
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

async fn sakila_with_kill9_during_the_snapshot(flavor: Flavor) {
    let bed = Bed::start(flavor).await;
    let tables = load_sakila(&bed).await;
    workload(&bed, 1).await;

    // Slow loads, so that the copy (500-row chunks, ~100 of them) is still running when the
    // daemon is killed.
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::Delay { ms: 150 }).times(0));
    let config = bed.write_config_with_snapshot(
        &["sakila.*"],
        "  auto_create: true",
        "  mode: initial\n  chunk_rows: 500",
        "",
    );
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    workload(&bed, 2).await;
    let reached = testbed::wait_for(
        Duration::from_secs(120),
        "rental or payment half copied",
        || async { big_table_mid_copy(&daemon.status().await) },
    )
    .await;
    let Ok((table, copied)) = reached else {
        panic!(
            "the copy of rental or payment was not seen in progress; log:\n{}",
            daemon.log()
        );
    };
    let log_path = daemon.log_path.clone();
    daemon.kill9().await;
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(
        copied < 16044 && !log.contains("Snapshot finished."),
        "killed in the middle of the copy of {table} ({copied} rows copied):\n{log}"
    );

    // While the daemon is down, then while the copy resumes.
    workload(&bed, 3).await;
    let mut daemon = Daemon::spawn(&config);
    daemon.wait_ready().await;
    workload(&bed, 4).await;
    bed.emulator.faults().clear();
    wait_status(&daemon, "streaming", |s| s["phase"] == "streaming").await;

    // After the switch to the binlog.
    workload(&bed, 5).await;
    workload(&bed, 6).await;
    let pairs: Vec<(String, String)> = tables
        .iter()
        .map(|t| (format!("sakila.{t}"), format!("sakila.{t}")))
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(s, t)| (s.as_str(), t.as_str()))
        .collect();
    assert_converges(&bed, Some(&mut daemon), &pairs).await;
    let log = daemon.log();
    let restarted = log
        .get(log.rfind("Starting.").unwrap_or(0)..)
        .unwrap_or_default();
    assert!(
        restarted.contains("Resuming the initial snapshot")
            && restarted.contains("Snapshot finished."),
        "{log}"
    );
    assert_eq!(daemon.terminate().await, Some(0));
}

both_flavors!(sakila_with_kill9_during_the_snapshot);
