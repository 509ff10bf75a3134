//! Target-table verification, TRUNCATE and auto-create DDL against the emulator's FE query port.

// Test set-up failures are test failures: unwrap is the clearest report.
#![allow(clippy::unwrap_used)]

use mysql2starrocks::schema::{ColumnSchema, MySqlType, TableId, TableSchema};
use mysql2starrocks::target;
use mysql_async::prelude::Queryable;
use starrocks_emulator::{EmulatorConfig, RunningEmulator};

async fn start() -> (RunningEmulator, mysql_async::Conn) {
    let emulator = starrocks_emulator::start(EmulatorConfig::default())
        .await
        .unwrap();
    let opts = target::query_opts(&emulator.query_addr().to_string(), "root", "").unwrap();
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    conn.query_drop("CREATE DATABASE d").await.unwrap();
    (emulator, conn)
}

fn column(name: &str, ty: MySqlType) -> ColumnSchema {
    ColumnSchema {
        name: name.into(),
        ty,
        unsigned: false,
        nullable: true,
        charset: None,
    }
}

fn source() -> TableSchema {
    TableSchema {
        id: TableId::new("src", "t"),
        columns: vec![
            column("id", MySqlType::BigInt),
            column("Name", MySqlType::VarChar { length: 20 }),
            column(
                "price",
                MySqlType::Decimal {
                    precision: 10,
                    scale: 2,
                },
            ),
        ],
        key: vec![0],
    }
}

fn all_columns() -> Vec<String> {
    source().columns.iter().map(|c| c.name.clone()).collect()
}

#[tokio::test]
async fn a_primary_key_table_holding_every_column_is_accepted() {
    let (_emulator, mut conn) = start().await;
    conn.query_drop(
        "CREATE TABLE d.t (id BIGINT NOT NULL, name VARCHAR(80), price DECIMAL(10,2), extra INT) \
         PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    )
    .await
    .unwrap();
    let table = target::verify_table(
        &mut conn,
        &TableId::new("d", "t"),
        &source(),
        &all_columns(),
    )
    .await
    .unwrap();
    assert_eq!(table.columns.len(), 4);
    assert!(table.columns[0].is_key && !table.columns[1].is_key);
    assert!(table.columns[0]
        .data_type
        .to_ascii_lowercase()
        .starts_with("bigint"));
    // Names match case-insensitively, in the order asked for.
    let load_columns = table.columns_for(&["price".into(), "Name".into()]).unwrap();
    assert_eq!(load_columns[0].name, "price");
    assert_eq!(load_columns[1].name, "name");
    assert!(table.columns_for(&["nope".into()]).is_err());
}

#[tokio::test]
async fn a_missing_table_is_a_definite_error_with_a_hint() {
    let (_emulator, mut conn) = start().await;
    let error = target::verify_table(
        &mut conn,
        &TableId::new("d", "absent"),
        &source(),
        &all_columns(),
    )
    .await
    .unwrap_err();
    assert!(!error.is_transient());
    assert!(
        error.message.contains("d.absent") && error.message.contains("does not exist"),
        "{error}"
    );
    assert!(error.hint.unwrap().contains("auto_create"));
}

#[tokio::test]
async fn a_duplicate_key_table_is_refused() {
    let (_emulator, mut conn) = start().await;
    conn.query_drop(
        "CREATE TABLE d.dup (id BIGINT NOT NULL, name VARCHAR(80), price DECIMAL(10,2)) \
         DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)",
    )
    .await
    .unwrap();
    let error = target::verify_table(
        &mut conn,
        &TableId::new("d", "dup"),
        &source(),
        &all_columns(),
    )
    .await
    .unwrap_err();
    assert!(!error.is_transient());
    assert!(
        error.message.contains("d.dup") && error.message.contains("DUPLICATE KEY"),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_column_is_refused() {
    let (_emulator, mut conn) = start().await;
    conn.query_drop(
        "CREATE TABLE d.t (id BIGINT NOT NULL, name VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    )
    .await
    .unwrap();
    let error = target::verify_table(
        &mut conn,
        &TableId::new("d", "t"),
        &source(),
        &all_columns(),
    )
    .await
    .unwrap_err();
    assert!(
        error.message.contains("d.t") && error.message.contains("price"),
        "{error}"
    );
}

#[tokio::test]
async fn a_different_key_is_refused() {
    let (_emulator, mut conn) = start().await;
    conn.query_drop(
        "CREATE TABLE d.t (name VARCHAR(80) NOT NULL, id BIGINT, price DECIMAL(10,2)) \
         PRIMARY KEY(name) DISTRIBUTED BY HASH(name)",
    )
    .await
    .unwrap();
    let error = target::verify_table(
        &mut conn,
        &TableId::new("d", "t"),
        &source(),
        &all_columns(),
    )
    .await
    .unwrap_err();
    assert!(
        error.message.contains("primary key (name)") && error.message.contains("key (id)"),
        "{error}"
    );
}

#[tokio::test]
async fn auto_create_ddl_makes_a_verifiable_table_and_truncate_empties_it() {
    let (emulator, mut conn) = start().await;
    let target_id = TableId::new("d", "created");
    target::create_table(&mut conn, &target_id, &source())
        .await
        .unwrap();
    // IF NOT EXISTS: a second run is harmless.
    target::create_table(&mut conn, &target_id, &source())
        .await
        .unwrap();
    let table = target::verify_table(&mut conn, &target_id, &source(), &all_columns())
        .await
        .unwrap();
    assert_eq!(table.columns[0].name, "id");
    assert!(table.columns[0].is_key);

    {
        let catalog = emulator.catalog();
        let mut catalog = catalog.lock().unwrap();
        let db = catalog.databases.get_mut("d").unwrap();
        let table = db.tables.get_mut("created").unwrap();
        if let starrocks_emulator::catalog::Rows::Keyed(rows) = &mut table.rows {
            use starrocks_emulator::catalog::{RowKey, Value};
            rows.insert(
                RowKey(smallvec::smallvec![Value::Int(1)]),
                vec![
                    Value::Int(1),
                    Value::Text("a".into()),
                    Value::Decimal("1.50".into()),
                ],
            );
        }
    }
    target::truncate(&mut conn, &target_id).await.unwrap();
    let catalog = emulator.catalog();
    let catalog = catalog.lock().unwrap();
    assert_eq!(catalog.table("d", "created").unwrap().row_count(), 0);
}
