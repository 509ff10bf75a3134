//! DDL over the query port: databases, tables, StarRocks' CREATE TABLE rules, ALTER, TRUNCATE,
//! DROP, and how the result shows in SHOW CREATE TABLE and information_schema.

mod query_support;

use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use query_support::{column_names, connect, exec, rows, s, server_error, start};
use starrocks_emulator::catalog::{KeysModel, RowKey, Rows, Value};

const PK_TABLE: &str = "CREATE TABLE IF NOT EXISTS `d`.`orders` (\n\
    `k1` BIGINT NOT NULL COMMENT 'first key',\n\
    `k2` VARCHAR(64) NOT NULL,\n\
    `amount` DECIMAL(10, 2) NULL,\n\
    `note` STRING\n\
) ENGINE=OLAP\n\
PRIMARY KEY(`k1`, `k2`)\n\
DISTRIBUTED BY HASH(`k1`) BUCKETS 4\n\
PROPERTIES (\"replication_num\" = \"1\");";

async fn setup() -> (query_support::Server, Conn) {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    exec(&mut conn, "CREATE DATABASE d").await;
    (server, conn)
}

async fn analysis_error(conn: &mut Conn, sql: &str) -> (u16, String) {
    let (code, message) = server_error(conn.query_drop(sql).await);
    assert!(
        message.starts_with("Getting analyzing error. Detail message: "),
        "{sql}: {message}"
    );
    (code, message)
}

#[tokio::test]
async fn databases_are_created_listed_and_dropped() {
    let (_server, mut conn) = setup().await;
    exec(&mut conn, "create database if not exists d").await;
    let (code, message) = server_error(conn.query_drop("CREATE DATABASE d").await);
    assert_eq!(code, 1007, "{message}");
    assert_eq!(
        rows(&mut conn, "SHOW DATABASES").await,
        vec![vec![s("d")], vec![s("information_schema")]]
    );
    assert_eq!(
        column_names(&mut conn, "SHOW DATABASES").await,
        vec!["Database"]
    );
    exec(&mut conn, "DROP DATABASE d").await;
    exec(&mut conn, "DROP DATABASE IF EXISTS d").await;
    let (code, _) = server_error(conn.query_drop("DROP DATABASE d").await);
    assert_eq!(code, 1008);
    let (code, _) = server_error(conn.query_drop("CREATE DATABASE `1bad`").await);
    assert_eq!(code, 1064);
}

#[tokio::test]
async fn primary_key_table_is_created_with_starrocks_metadata() {
    let (server, mut conn) = setup().await;
    exec(&mut conn, PK_TABLE).await;
    // IF NOT EXISTS on an existing table is a no-op; without it, an error.
    exec(&mut conn, PK_TABLE).await;
    let (code, message) = analysis_error(
        &mut conn,
        "CREATE TABLE d.orders (k INT NOT NULL) PRIMARY KEY(k)",
    )
    .await;
    assert_eq!(code, 1050);
    assert!(
        message.contains("Table 'orders' already exists"),
        "{message}"
    );

    {
        let catalog = server.catalog.lock().expect("catalog");
        let table = &catalog.databases["d"].tables["orders"];
        assert_eq!(table.model, KeysModel::PrimaryKeys);
        assert_eq!(table.key_columns, vec!["k1", "k2"]);
        assert_eq!(table.distributed_by, vec!["k1"]);
        assert_eq!(table.buckets, Some(4));
        assert!(!table.columns[0].nullable && !table.columns[1].nullable);
        assert!(table.columns[2].nullable && table.columns[3].nullable);
        assert!(matches!(table.rows, Rows::Keyed(_)));
    }

    let show = rows(&mut conn, "SHOW CREATE TABLE d.orders").await;
    assert_eq!(show[0][0], s("orders"));
    let ddl = show[0][1].clone().expect("create table text");
    assert!(ddl.starts_with("CREATE TABLE `orders` ("), "{ddl}");
    assert!(ddl.contains("PRIMARY KEY(`k1`, `k2`)"), "{ddl}");
    assert!(
        ddl.contains("`k1` bigint(20) NOT NULL COMMENT \"first key\""),
        "{ddl}"
    );
    assert!(ddl.contains("`amount` decimal(10, 2) NULL"), "{ddl}");
    assert!(ddl.contains("`note` varchar(65533) NULL"), "{ddl}");
    assert!(ddl.contains("DISTRIBUTED BY HASH(`k1`) BUCKETS 4"), "{ddl}");
    assert!(ddl.contains("\"replication_num\" = \"1\""), "{ddl}");
    assert_eq!(
        column_names(&mut conn, "SHOW CREATE TABLE d.orders").await,
        vec!["Table", "Create Table"]
    );

    let config = rows(
        &mut conn,
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ENGINE, TABLE_MODEL, PRIMARY_KEY, \
         DISTRIBUTE_KEY, DISTRIBUTE_TYPE, DISTRIBUTE_BUCKET, SORT_KEY \
         FROM information_schema.tables_config WHERE TABLE_SCHEMA = 'd' AND TABLE_NAME = 'orders'",
    )
    .await;
    assert_eq!(
        config,
        vec![vec![
            s("d"),
            s("orders"),
            s("OLAP"),
            s("PRIMARY_KEYS"),
            s("`k1`, `k2`"),
            s("`k1`"),
            s("HASH"),
            s("4"),
            s("`k1`, `k2`"),
        ]]
    );

    let columns = rows(
        &mut conn,
        "select column_name, ordinal_position, is_nullable, data_type, column_type, column_key, \
         column_comment from information_schema.columns \
         where table_schema = 'd' and table_name = 'orders' order by ordinal_position",
    )
    .await;
    assert_eq!(
        columns,
        vec![
            vec![
                s("k1"),
                s("1"),
                s("NO"),
                s("bigint"),
                s("bigint(20)"),
                s("PRI"),
                s("first key")
            ],
            vec![
                s("k2"),
                s("2"),
                s("NO"),
                s("varchar"),
                s("varchar(64)"),
                s("PRI"),
                s("")
            ],
            vec![
                s("amount"),
                s("3"),
                s("YES"),
                s("decimal"),
                s("decimal(10,2)"),
                s(""),
                s("")
            ],
            vec![
                s("note"),
                s("4"),
                s("YES"),
                s("varchar"),
                s("varchar(65533)"),
                s(""),
                s("")
            ],
        ]
    );

    let tables = rows(
        &mut conn,
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA IN ('d', 'x')",
    )
    .await;
    assert_eq!(tables, vec![vec![s("d"), s("orders"), s("BASE TABLE")]]);
    let schemata = rows(
        &mut conn,
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME DESC",
    )
    .await;
    assert_eq!(schemata, vec![vec![s("information_schema")], vec![s("d")]]);
}

#[tokio::test]
async fn duplicate_key_table_reports_its_model() {
    let (_server, mut conn) = setup().await;
    exec(
        &mut conn,
        "CREATE TABLE d.events (ts DATETIME, id BIGINT, payload JSON) \
         DUPLICATE KEY(ts, id) DISTRIBUTED BY HASH(id) BUCKETS 2",
    )
    .await;
    exec(&mut conn, "CREATE TABLE d.plain (a INT, b DOUBLE)").await;
    let config = rows(
        &mut conn,
        "SELECT TABLE_NAME, TABLE_MODEL, PRIMARY_KEY, DISTRIBUTE_TYPE, SORT_KEY \
         FROM information_schema.tables_config WHERE TABLE_SCHEMA = 'd' ORDER BY TABLE_NAME",
    )
    .await;
    assert_eq!(
        config,
        vec![
            vec![
                s("events"),
                s("DUP_KEYS"),
                s(""),
                s("HASH"),
                s("`ts`, `id`")
            ],
            vec![s("plain"), s("DUP_KEYS"), s(""), s("RANDOM"), s("`a`")],
        ]
    );
    let keys = rows(
        &mut conn,
        "SELECT COLUMN_NAME, COLUMN_KEY FROM information_schema.COLUMNS \
         WHERE TABLE_NAME = 'events' ORDER BY ORDINAL_POSITION",
    )
    .await;
    assert_eq!(
        keys,
        vec![
            vec![s("ts"), s("DUP")],
            vec![s("id"), s("DUP")],
            vec![s("payload"), s("")]
        ]
    );
    let ddl = rows(&mut conn, "SHOW CREATE TABLE d.events").await[0][1]
        .clone()
        .expect("ddl");
    assert!(ddl.contains("DUPLICATE KEY(`ts`, `id`)"), "{ddl}");
}

#[tokio::test]
async fn primary_key_rules_are_enforced() {
    let (_server, mut conn) = setup().await;
    exec(&mut conn, "USE d").await;
    let cases: [(&str, &str); 16] = [
        (
            "CREATE TABLE t (v INT, k INT NOT NULL) PRIMARY KEY(k) DISTRIBUTED BY HASH(k)",
            "Key columns should be a ordered prefix of the schema",
        ),
        (
            "CREATE TABLE t (a INT NOT NULL, b INT NOT NULL) PRIMARY KEY(b, a)",
            "Key columns should be a ordered prefix of the schema",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL) PRIMARY KEY(nope)",
            "Key column(nope) doesn't exist",
        ),
        (
            "CREATE TABLE t (k INT NULL, v INT) PRIMARY KEY(k)",
            "primary key column[k] cannot be nullable",
        ),
        (
            "CREATE TABLE t (k DOUBLE NOT NULL) PRIMARY KEY(k)",
            "primary key column[k] type not supported: double",
        ),
        (
            "CREATE TABLE t (k DECIMAL(10,2) NOT NULL) PRIMARY KEY(k)",
            "primary key column[k] type not supported: decimal(10, 2)",
        ),
        (
            "CREATE TABLE t (k CHAR(10) NOT NULL) PRIMARY KEY(k)",
            "primary key column[k] type not supported: char(10)",
        ),
        (
            "CREATE TABLE t (k JSON NOT NULL) PRIMARY KEY(k)",
            "primary key column[k] type not supported: json",
        ),
        (
            "CREATE TABLE t (k VARBINARY NOT NULL) PRIMARY KEY(k)",
            "primary key column[k] type not supported: varbinary",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, v INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(v)",
            "Distribution column[v] is not key column",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL) PRIMARY KEY(k) DISTRIBUTED BY HASH(x)",
            "Distribution column(x) doesn't exist",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL) PRIMARY KEY(k) DISTRIBUTED BY RANDOM",
            "PRIMARY KEY must use hash distribution",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, __op INT) PRIMARY KEY(k)",
            "Column name [__op] is a system reserved name",
        ),
        (
            "CREATE TABLE t (k VARCHAR(1048577) NOT NULL) PRIMARY KEY(k)",
            "Varchar size must between 1 and 1048576",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, c CHAR(256)) PRIMARY KEY(k)",
            "Char size must between 1 and 255",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, d DECIMAL(39, 2)) PRIMARY KEY(k)",
            "DECIMAL's precision should range from 1 to 38",
        ),
    ];
    for (sql, expected) in cases {
        let (code, message) = analysis_error(&mut conn, sql).await;
        assert_eq!(code, 1064, "{sql}: {message}");
        assert!(message.contains(expected), "{sql}: {message}");
    }
    let more: [(&str, u16, &str); 6] = [
        (
            "CREATE TABLE t (k INT NOT NULL, d DECIMAL(5, 6)) PRIMARY KEY(k)",
            1064,
            "scale must be smaller than or equal to precision",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, K BIGINT) PRIMARY KEY(k)",
            1060,
            "Duplicate column name 'K'",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, g GEOMETRY) PRIMARY KEY(k)",
            1064,
            "Unknown type 'GEOMETRY'",
        ),
        (
            "CREATE TABLE nodb.t (k INT NOT NULL) PRIMARY KEY(k)",
            1049,
            "Unknown database 'nodb'",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, v INT) UNIQUE KEY(k)",
            1064,
            "Currently not support default distribution in UNIQUE_KEYS",
        ),
        (
            "CREATE TABLE t (k INT NOT NULL, v INT SUM) PRIMARY KEY(k)",
            1064,
            "should not specify aggregate type for non-key column[v]",
        ),
    ];
    for (sql, expected_code, expected) in more {
        let (code, message) = analysis_error(&mut conn, sql).await;
        assert_eq!(code, expected_code, "{sql}: {message}");
        assert!(message.contains(expected), "{sql}: {message}");
    }
    let (_, message) = server_error(
        conn.query_drop(
            "CREATE TABLE t (k INT NOT NULL) PRIMARY KEY(k) PROPERTIES(\"replication_num\" = \"3\")",
        )
        .await,
    );
    assert!(message.contains("replication num"), "{message}");
    let (_, message) = server_error(
        conn.query_drop("CREATE TABLE t (k INT NOT NULL) PRIMARY KEY(k) PARTITION BY RANGE(k) ()")
            .await,
    );
    assert!(message.contains("PARTITION BY"), "{message}");
    // Nothing was created by the failed statements.
    assert!(rows(&mut conn, "SHOW TABLES").await.is_empty());

    // Implicit NOT NULL on primary-key columns; nullable value columns by default.
    exec(
        &mut conn,
        "CREATE TABLE t (k INT, s STRING, v INT) PRIMARY KEY(k, s) DISTRIBUTED BY HASH(k, s)",
    )
    .await;
    let nullable = rows(
        &mut conn,
        "SELECT IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_NAME = 't'",
    )
    .await;
    assert_eq!(nullable, vec![vec![s("NO")], vec![s("NO")], vec![s("YES")]]);
}

#[tokio::test]
async fn alter_truncate_and_drop_tables() {
    let (server, mut conn) = setup().await;
    exec(&mut conn, PK_TABLE).await;
    {
        let mut catalog = server.catalog.lock().expect("catalog");
        let table = catalog
            .databases
            .get_mut("d")
            .and_then(|db| db.tables.get_mut("orders"))
            .expect("table");
        let Rows::Keyed(map) = &mut table.rows else {
            panic!("keyed rows");
        };
        map.insert(
            RowKey(smallvec::smallvec![Value::Int(1), Value::Text("a".into())]),
            vec![
                Value::Int(1),
                Value::Text("a".into()),
                Value::Decimal("1.50".into()),
                Value::Null,
            ],
        );
    }

    exec(
        &mut conn,
        "ALTER TABLE d.orders ADD COLUMN qty INT NOT NULL DEFAULT \"7\" COMMENT 'n' AFTER amount",
    )
    .await;
    exec(&mut conn, "alter table d.orders add column flag BOOLEAN").await;
    assert_eq!(
        rows(
            &mut conn,
            "SELECT k1, amount, qty, note, flag FROM d.orders"
        )
        .await,
        vec![vec![s("1"), s("1.50"), s("7"), None, None]]
    );
    let (code, message) =
        analysis_error(&mut conn, "ALTER TABLE d.orders ADD COLUMN qty INT").await;
    assert_eq!(code, 1060, "{message}");
    let (_, message) =
        analysis_error(&mut conn, "ALTER TABLE d.orders ADD COLUMN x INT FIRST").await;
    assert!(message.contains("value should be after key"), "{message}");

    exec(&mut conn, "ALTER TABLE d.orders DROP COLUMN note").await;
    let (_, message) = analysis_error(&mut conn, "ALTER TABLE d.orders DROP COLUMN k2").await;
    assert!(message.contains("Can not drop key column"), "{message}");
    let (code, _) = analysis_error(&mut conn, "ALTER TABLE d.orders DROP COLUMN nope").await;
    assert_eq!(code, 1054);
    assert_eq!(
        rows(&mut conn, "SELECT * FROM d.orders").await,
        vec![vec![s("1"), s("a"), s("1.50"), s("7"), None]]
    );
    assert_eq!(
        column_names(&mut conn, "SELECT * FROM d.orders").await,
        vec!["k1", "k2", "amount", "qty", "flag"]
    );

    exec(&mut conn, "TRUNCATE TABLE d.orders").await;
    assert_eq!(
        rows(&mut conn, "SELECT COUNT(*) FROM d.orders").await,
        vec![vec![s("0")]]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_NAME = 'orders'"
        )
        .await,
        vec![vec![s("5")]]
    );

    exec(&mut conn, "DROP TABLE d.orders FORCE").await;
    exec(&mut conn, "DROP TABLE IF EXISTS d.orders").await;
    let (code, message) = analysis_error(&mut conn, "DROP TABLE d.orders").await;
    assert_eq!(code, 1051, "{message}");
    assert!(message.contains("Unknown table"), "{message}");
    let (code, _) = analysis_error(&mut conn, "TRUNCATE TABLE d.orders").await;
    assert_eq!(code, 1146);
    let (code, _) = analysis_error(&mut conn, "SHOW CREATE TABLE d.orders").await;
    assert_eq!(code, 1146);
    assert!(rows(&mut conn, "SHOW ALTER TABLE COLUMN FROM d")
        .await
        .is_empty());
}
