//! The `shop` schema (integer, composite and string keys) and a mixed workload: multi-table
//! transactions, updates, deletes, key changes (one only in letter case) and hostile text.

use super::Bed;
use testbed::Flavor;

/// Source tables with integer, composite and string keys, and their targets.
pub const SOURCE_TABLES: &[&str] = &[
    "CREATE DATABASE shop",
    "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer VARCHAR(64) NOT NULL, \
     amount DECIMAL(12,2), note TEXT, created DATETIME(6))",
    "CREATE TABLE shop.lines (order_id BIGINT, line INT, sku VARCHAR(32) NOT NULL, qty INT, \
     PRIMARY KEY (order_id, line))",
    "CREATE TABLE shop.tags (code VARCHAR(32) PRIMARY KEY, label VARCHAR(255))",
];

pub const TARGET_TABLES: &[&str] = &[
    "CREATE DATABASE shop",
    "CREATE TABLE shop.orders (id BIGINT NOT NULL, customer VARCHAR(256) NOT NULL, \
     amount DECIMAL(12,2), note STRING, created DATETIME) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    "CREATE TABLE shop.lines (order_id BIGINT NOT NULL, line INT NOT NULL, sku VARCHAR(128) NOT NULL, \
     qty INT) PRIMARY KEY(order_id, line) DISTRIBUTED BY HASH(order_id)",
    "CREATE TABLE shop.tags (code VARCHAR(128) NOT NULL, label VARCHAR(1020)) PRIMARY KEY(code) \
     DISTRIBUTED BY HASH(code)",
];

pub const PAIRS: &[(&str, &str)] = &[
    ("shop.orders", "shop.orders"),
    ("shop.lines", "shop.lines"),
    ("shop.tags", "shop.tags"),
];

pub async fn shop_bed(flavor: Flavor) -> Bed {
    let bed = Bed::start(flavor).await;
    bed.source_exec(SOURCE_TABLES).await;
    bed.target_exec(TARGET_TABLES).await;
    bed
}

/// A mixed workload: multi-table transactions, updates, deletes, key changes, hostile text.
pub async fn workload(bed: &Bed, round: u32) {
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
