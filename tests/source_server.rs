//! The source side against real MariaDB 10.11 and MySQL 9.7 servers: value decoding on both
//! paths, resume by GTID and by file:pos, compressed transactions, partial JSON updates,
//! heartbeats, reconnection after a restart or a killed connection, preflight errors, schemas.

// Scenarios are plain async functions called by the `#[tokio::test]`s: they unwrap like tests.
#![allow(clippy::unwrap_used)]

mod source_support;

use std::collections::BTreeMap;

use mysql2starrocks::change::{DdlKind, RowChange, SourceEvent};
use mysql2starrocks::position::Position;
use mysql2starrocks::schema::TableId;
use mysql2starrocks::source::binlog::BinlogReader;
use mysql2starrocks::source::schema_loader::{list_tables, load_table_schema};
use mysql2starrocks::source::{connect, current_position, decode, preflight, Flavor, TlsMode};
use mysql2starrocks::value::Value;
use mysql_async::prelude::Queryable;
use source_support::*;
use testbed::Flavor as TestFlavor;

const TYPES_TABLE: &str = "CREATE TABLE m2s.types (
    id INT NOT NULL PRIMARY KEY,
    ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
    mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
    f FLOAT, d DOUBLE, dec1 DECIMAL(65,30), dec2 DECIMAL(10,2),
    c CHAR(10), vc VARCHAR(100), tx TEXT, lat VARCHAR(20) CHARACTER SET latin1,
    bn BINARY(4), vb VARBINARY(10), bl BLOB,
    dt DATE, dtm DATETIME(6), dtm0 DATETIME, ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(6), yr YEAR,
    b1 BIT(1), b12 BIT(12), e ENUM('a','b','c'), s SET('x','y','z'),
    j JSON, g GEOMETRY
) DEFAULT CHARSET = utf8mb4";

const TYPES_ROWS: [&str; 3] = [
    "INSERT INTO m2s.types (id) VALUES (1)",
    "INSERT INTO m2s.types VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647,
        4294967295, 9223372036854775807, 18446744073709551615, 1.5, 1.7976931348623157e308,
        '99999999999999999999999999999999999.999999999999999999999999999999', -12345678.90,
        'abc', '😀 tab\there\nnew line \\\\N end', 'text', 'café €',
        x'0100', x'00ff00', x'0001feff00',
        '2024-02-29', '2024-02-29 23:59:59.999999', '1000-01-01 00:00:00',
        '2038-01-19 03:14:07.999999', '838:59:59.000000', 2155,
        b'1', b'101010101010', 'c', 'x,z',
        '{\"a\": [1, 2.5, \"x\"], \"b\": null, \"c\": {\"d\": true}, \"long key\": \"v\"}',
        ST_GeomFromText('POINT(1 2)'))",
    "INSERT INTO m2s.types VALUES (3, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,
        -9223372036854775808, 0, -0.25, -2.5e-300,
        '-0.000000000000000000000000000001', 0,
        '', '', '', '',
        x'', x'', x'',
        '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00',
        '0000-00-00 00:00:00', '-838:59:58.5', 0,
        b'0', b'0', '', '',
        '[]', NULL)",
];

/// Inserts every type with edge values, reads them from the binlog and with SELECTs (text and
/// binary protocol), and compares value by value.
async fn every_type_decodes_the_same_on_both_paths(flavor: TestFlavor) {
    let server = server(flavor).await;
    let mut admin = admin(&server).await;
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(&mut admin, TYPES_TABLE).await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    // Zero dates and the invalid ENUM value need a lenient session.
    exec(&mut admin, "SET SESSION sql_mode = ''").await;
    for sql in TYPES_ROWS {
        exec(&mut admin, sql).await;
    }
    let mut reader = BinlogReader::start(settings.clone(), start, watch_db("m2s"))
        .await
        .unwrap();
    let events = read_until(&mut reader, |events| inserts_of(events, "types").len() == 3).await;
    let binlog_rows = inserts_of(&events, "types");

    let table = TableId::new("m2s", "types");
    let schema = load_table_schema(&mut conn, &table).await.unwrap();
    let text_rows: Vec<mysql_async::Row> = conn
        .query("SELECT * FROM m2s.types ORDER BY id")
        .await
        .unwrap();
    let binary_rows: Vec<mysql_async::Row> = conn
        .exec("SELECT * FROM m2s.types WHERE id > ? ORDER BY id", (0,))
        .await
        .unwrap();
    for (label, rows) in [("text", text_rows), ("binary", binary_rows)] {
        let decoded: Vec<Vec<Value>> = rows
            .into_iter()
            .map(|row| decode::decode_result_row(row, &schema).unwrap())
            .collect();
        assert_eq!(decoded.len(), 3);
        for (index, (from_binlog, from_select)) in binlog_rows.iter().zip(&decoded).enumerate() {
            for (column, (a, b)) in schema
                .columns
                .iter()
                .zip(from_binlog.iter().zip(from_select))
            {
                assert_eq!(
                    a, b,
                    "{flavor:?} row {index} column {} ({label} protocol)",
                    column.name
                );
            }
        }
    }

    let value =
        |row: usize, name: &str| binlog_rows[row][schema.column_index(name).unwrap()].clone();
    assert!(binlog_rows[0][1..].iter().all(Value::is_null));
    assert_eq!(value(1, "tiu"), Value::UInt(255));
    assert_eq!(value(1, "biu"), Value::UInt(u64::MAX));
    assert_eq!(value(2, "bi"), Value::Int(i64::MIN));
    assert_eq!(value(2, "mi"), Value::Int(-8_388_608));
    assert_eq!(
        value(1, "dec1"),
        Value::Decimal(format!("{}.{}", "9".repeat(35), "9".repeat(30)).into())
    );
    assert_eq!(
        value(2, "dec1"),
        Value::Decimal(format!("-0.{}1", "0".repeat(29)).into())
    );
    assert_eq!(value(1, "dec2"), Value::Decimal("-12345678.90".into()));
    assert_eq!(
        value(1, "vc"),
        Value::Text("😀 tab\there\nnew line \\N end".into())
    );
    assert_eq!(value(1, "lat"), Value::Text("café €".into()));
    assert_eq!(value(1, "bn"), Value::Bytes(vec![1, 0, 0, 0]));
    assert_eq!(value(2, "bn"), Value::Bytes(vec![0, 0, 0, 0]));
    assert_eq!(value(1, "bl"), Value::Bytes(vec![0, 1, 0xfe, 0xff, 0]));
    assert_eq!(
        value(1, "dtm"),
        Value::DateTime {
            year: 2024,
            month: 2,
            day: 29,
            hour: 23,
            minute: 59,
            second: 59,
            micro: 999_999
        }
    );
    assert_eq!(
        value(1, "ts"),
        Value::Timestamp {
            micros_since_epoch: 2_147_483_647_999_999
        }
    );
    assert_eq!(
        value(1, "tm"),
        Value::Time {
            negative: false,
            hours: 838,
            minutes: 59,
            seconds: 59,
            micro: 0
        }
    );
    assert_eq!(
        value(2, "tm"),
        Value::Time {
            negative: true,
            hours: 838,
            minutes: 59,
            seconds: 58,
            micro: 500_000
        }
    );
    assert_eq!(value(2, "dt"), Value::Null);
    assert_eq!(value(2, "dtm"), Value::Null);
    assert_eq!(value(2, "ts"), Value::Null);
    assert_eq!(value(2, "yr"), Value::Year(0));
    assert_eq!(value(1, "yr"), Value::Year(2155));
    assert_eq!(value(1, "b1"), Value::Bool(true));
    assert_eq!(value(1, "b12"), Value::Bytes(vec![0x0a, 0xaa]));
    assert_eq!(value(1, "e"), Value::Text("c".into()));
    assert_eq!(value(2, "e"), Value::Text("".into()));
    assert_eq!(value(1, "s"), Value::Text("x,z".into()));
    if flavor == TestFlavor::MySql {
        assert_eq!(
            value(1, "j"),
            Value::Json(r#"{"a":[1,2.5,"x"],"b":null,"c":{"d":true},"long key":"v"}"#.into())
        );
    }
    assert!(matches!(value(1, "g"), Value::Bytes(b) if b.len() == 25));
}

#[tokio::test]
async fn mariadb_every_type_decodes_the_same_on_both_paths() {
    every_type_decodes_the_same_on_both_paths(TestFlavor::MariaDb).await;
}

#[tokio::test]
async fn mysql97_every_type_decodes_the_same_on_both_paths() {
    every_type_decodes_the_same_on_both_paths(TestFlavor::MySql).await;
}

/// Starting from a saved position returns exactly the later transactions.
async fn resume_returns_exactly_the_later_transactions(flavor: TestFlavor, by_gtid: bool) {
    let server = server(flavor).await;
    let mut admin = admin(&server).await;
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(
        &mut admin,
        "CREATE TABLE m2s.t (id INT PRIMARY KEY, v VARCHAR(10))",
    )
    .await;
    exec(&mut admin, "INSERT INTO m2s.t VALUES (1, 'before')").await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let mut start = current_position(&mut conn).await.unwrap();
    if by_gtid {
        assert!(start.gtid.is_some(), "{start}");
    } else {
        start.gtid = None;
    }
    exec(&mut admin, "INSERT INTO m2s.t VALUES (2, 'after')").await;
    exec(&mut admin, "BEGIN").await;
    exec(&mut admin, "INSERT INTO m2s.t VALUES (3, 'after')").await;
    exec(&mut admin, "UPDATE m2s.t SET v = 'changed' WHERE id = 1").await;
    exec(
        &mut admin,
        "UPDATE m2s.t SET id = 30, v = 'moved' WHERE id = 3",
    )
    .await;
    exec(&mut admin, "COMMIT").await;
    let end = current_position(&mut conn).await.unwrap();

    let mut reader = BinlogReader::start(settings, start, watch_db("m2s"))
        .await
        .unwrap();
    let events = read_until(&mut reader, |events| {
        events
            .iter()
            .any(|e| matches!(e, SourceEvent::Heartbeat { .. }))
            && count_commits(events) >= 2
    })
    .await;
    assert_eq!(inserted_ids(&events, "t"), vec![2, 3], "{events:#?}");
    let updates: Vec<(Option<Vec<Value>>, Vec<Value>)> = changes_of(&events, "t")
        .into_iter()
        .filter_map(|c| match c {
            RowChange::Update { before, after } => Some((before, after)),
            _ => None,
        })
        .collect();
    // The before image is kept only when the key moved.
    let text = |s: &str| Value::Text(s.into());
    assert_eq!(
        updates,
        vec![
            (None, vec![Value::Int(1), text("changed")]),
            (
                Some(vec![Value::Int(3), text("after")]),
                vec![Value::Int(30), text("moved")]
            ),
        ]
    );
    let last_commit = events
        .iter()
        .rev()
        .find_map(|e| match e {
            SourceEvent::Commit { position, .. } => Some(position.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (last_commit.file.as_str(), last_commit.pos),
        (end.file.as_str(), end.pos)
    );
    if by_gtid {
        assert_eq!(
            last_commit.gtid, end.gtid,
            "the GTID state after the last commit"
        );
    }
}

#[tokio::test]
async fn mariadb_resume_by_gtid() {
    resume_returns_exactly_the_later_transactions(TestFlavor::MariaDb, true).await;
}

#[tokio::test]
async fn mariadb_resume_by_file_pos() {
    resume_returns_exactly_the_later_transactions(TestFlavor::MariaDb, false).await;
}

#[tokio::test]
async fn mysql97_resume_by_gtid() {
    resume_returns_exactly_the_later_transactions(TestFlavor::MySql, true).await;
}

#[tokio::test]
async fn mysql97_resume_by_file_pos() {
    resume_returns_exactly_the_later_transactions(TestFlavor::MySql, false).await;
}

#[tokio::test]
async fn mysql97_compressed_transactions_and_partial_json_updates() {
    let server = server(TestFlavor::MySql).await;
    let mut admin = admin(&server).await;
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(
        &mut admin,
        "CREATE TABLE m2s.t (id INT PRIMARY KEY, j JSON, n INT UNSIGNED)",
    )
    .await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    exec(
        &mut admin,
        "SET SESSION binlog_transaction_compression = ON",
    )
    .await;
    exec(&mut admin, "BEGIN").await;
    for id in 1..=50 {
        exec(&mut admin, &format!(r#"INSERT INTO m2s.t VALUES ({id}, '{{"a": {id}, "b": [1, 2], "c": "x"}}', 4294967295)"#)).await;
    }
    exec(&mut admin, "COMMIT").await;
    exec(
        &mut admin,
        "SET SESSION binlog_transaction_compression = OFF",
    )
    .await;
    exec(
        &mut admin,
        "SET SESSION binlog_row_value_options = 'PARTIAL_JSON'",
    )
    .await;
    exec(&mut admin, r#"UPDATE m2s.t SET j = JSON_SET(j, '$.a', 'new', '$.b[1]', 20), j = JSON_REMOVE(j, '$.c') WHERE id = 7"#).await;
    exec(
        &mut admin,
        r#"UPDATE m2s.t SET j = JSON_REPLACE(j, '$.b[0]', JSON_OBJECT('k', 1.25)) WHERE id = 8"#,
    )
    .await;

    let mut reader = BinlogReader::start(settings, start, watch_db("m2s"))
        .await
        .unwrap();
    let events = read_until(&mut reader, |events| count_commits(events) >= 3).await;
    assert_eq!(inserted_ids(&events, "t"), (1..=50).collect::<Vec<_>>());
    let updates: BTreeMap<i64, Vec<Value>> = changes_of(&events, "t")
        .into_iter()
        .filter_map(|c| match c {
            RowChange::Update { after, .. } => match after[0] {
                Value::Int(id) => Some((id, after)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(updates.len(), 2);
    let schema = load_table_schema(&mut conn, &TableId::new("m2s", "t"))
        .await
        .unwrap();
    for (id, after) in updates {
        let row: mysql_async::Row = conn
            .exec_first("SELECT * FROM m2s.t WHERE id = ?", (id,))
            .await
            .unwrap()
            .unwrap();
        let selected = decode::decode_result_row(row, &schema).unwrap();
        assert_eq!(after, selected, "row {id} after a partial JSON update");
    }
}

async fn heartbeats_arrive_on_an_idle_source(flavor: TestFlavor) {
    let server = server(flavor).await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    let mut reader = BinlogReader::start(settings, start.clone(), watch_db("m2s"))
        .await
        .unwrap();
    let events = read_until(&mut reader, |events| {
        events
            .iter()
            .filter(|e| matches!(e, SourceEvent::Heartbeat { .. }))
            .count()
            >= 2
    })
    .await;
    for event in &events {
        if let SourceEvent::Heartbeat { position } = event {
            assert_eq!(position.file, start.file);
            assert_eq!(position.gtid, start.gtid);
        }
    }
}

#[tokio::test]
async fn mariadb_heartbeats_arrive_on_an_idle_source() {
    heartbeats_arrive_on_an_idle_source(TestFlavor::MariaDb).await;
}

#[tokio::test]
async fn mysql97_heartbeats_arrive_on_an_idle_source() {
    heartbeats_arrive_on_an_idle_source(TestFlavor::MySql).await;
}

/// Nothing lost or out of order across a source restart and a killed dump connection.
async fn reconnects_after_restart_and_killed_connection(flavor: TestFlavor) {
    let mut server = server(flavor).await;
    let mut admin_conn = admin(&server).await;
    exec(&mut admin_conn, "CREATE DATABASE m2s").await;
    exec(&mut admin_conn, "CREATE TABLE m2s.t (id INT PRIMARY KEY)").await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    drop(conn);
    for id in 1..=5 {
        exec(&mut admin_conn, &format!("INSERT INTO m2s.t VALUES ({id})")).await;
    }
    let mut reader = BinlogReader::start(settings, start, watch_db("m2s"))
        .await
        .unwrap();
    let mut ids = inserted_ids(
        &read_until(&mut reader, |e| inserted_ids(e, "t").len() == 5).await,
        "t",
    );

    drop(admin_conn);
    server.stop().await.unwrap();
    server.start_again().await.unwrap();
    let mut admin_conn = admin(&server).await;
    for id in 6..=10 {
        exec(&mut admin_conn, &format!("INSERT INTO m2s.t VALUES ({id})")).await;
    }
    ids.extend(inserted_ids(
        &read_until(&mut reader, |e| inserted_ids(e, "t").contains(&10)).await,
        "t",
    ));
    assert!(reader.reconnect_count() >= 1);

    let dump_connection = reader.connection_id().expect("a dump connection");
    exec(&mut admin_conn, &format!("KILL {dump_connection}")).await;
    for id in 11..=15 {
        exec(&mut admin_conn, &format!("INSERT INTO m2s.t VALUES ({id})")).await;
    }
    ids.extend(inserted_ids(
        &read_until(&mut reader, |e| inserted_ids(e, "t").contains(&15)).await,
        "t",
    ));
    assert!(reader.reconnect_count() >= 2);
    ids.dedup();
    assert_eq!(ids, (1..=15).collect::<Vec<_>>());
}

#[tokio::test]
async fn mariadb_reconnects_after_restart_and_killed_connection() {
    reconnects_after_restart_and_killed_connection(TestFlavor::MariaDb).await;
}

#[tokio::test]
async fn mysql97_reconnects_after_restart_and_killed_connection() {
    reconnects_after_restart_and_killed_connection(TestFlavor::MySql).await;
}

async fn preflight_accepts_and_refuses(flavor: TestFlavor) {
    let server = server(flavor).await;
    let mut admin = admin(&server).await;
    let settings = settings(&server);

    let info = preflight::check(&settings, None).await.unwrap();
    let expected = if flavor == TestFlavor::MySql {
        Flavor::MySql
    } else {
        Flavor::MariaDb
    };
    assert_eq!(info.flavor, expected);
    assert!(info.gtid_enabled && info.row_metadata_full);
    assert_eq!(info.server_uuid.is_some(), flavor == TestFlavor::MySql);

    // A user without replication privileges.
    exec(&mut admin, "CREATE USER 'weak'@'%' IDENTIFIED BY 'weak-pw'").await;
    exec(&mut admin, "GRANT SELECT ON *.* TO 'weak'@'%'").await;
    let mut weak = settings.clone();
    weak.user = "weak".into();
    weak.password = "weak-pw".into();
    let error = preflight::check(&weak, None).await.unwrap_err();
    assert!(!error.is_transient());
    assert!(
        error.message.contains("REPLICATION") || error.message.contains("BINLOG MONITOR"),
        "{error}"
    );
    assert!(!format!("{error} {weak:?}").contains("weak-pw"));

    // binlog_format=STATEMENT.
    exec(&mut admin, "SET GLOBAL binlog_format = 'STATEMENT'").await;
    let error = preflight::check(&settings, None).await.unwrap_err();
    assert!(error.message.contains("binlog_format"), "{error}");
    assert!(error.hint.is_some());
    exec(&mut admin, "SET GLOBAL binlog_format = 'ROW'").await;

    // A position whose binlogs were purged, by file:pos and by GTID.
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(&mut admin, "CREATE TABLE m2s.t (id INT PRIMARY KEY)").await;
    let mut conn = connect::open(&settings).await.unwrap();
    let old = current_position(&mut conn).await.unwrap();
    preflight::check(&settings, Some(&old)).await.unwrap();
    exec(&mut admin, "INSERT INTO m2s.t VALUES (1)").await;
    exec(&mut admin, "FLUSH BINARY LOGS").await;
    exec(&mut admin, "INSERT INTO m2s.t VALUES (2)").await;
    exec(&mut admin, "FLUSH BINARY LOGS").await;
    let now = current_position(&mut conn).await.unwrap();
    exec(&mut admin, &format!("PURGE BINARY LOGS TO '{}'", now.file)).await;
    for saved in [
        Position {
            gtid: None,
            ..old.clone()
        },
        old.clone(),
    ] {
        let error = preflight::check(&settings, Some(&saved)).await.unwrap_err();
        assert!(
            error.message.contains("no longer on the source"),
            "{saved}: {error}"
        );
        assert!(!error.is_transient());
    }
    preflight::check(&settings, Some(&now)).await.unwrap();

    // The reader refuses a purged position with a definite error instead of looping.
    let mut reader = BinlogReader::start(settings.clone(), old, watch_db("m2s")).await;
    let error = match &mut reader {
        Ok(reader) => tokio::time::timeout(DEADLINE, reader.next())
            .await
            .unwrap()
            .unwrap_err(),
        Err(error) => error.clone(),
    };
    assert!(!error.is_transient(), "{error}");
}

#[tokio::test]
async fn mariadb_preflight_accepts_and_refuses() {
    preflight_accepts_and_refuses(TestFlavor::MariaDb).await;
}

#[tokio::test]
async fn mysql97_preflight_accepts_and_refuses() {
    preflight_accepts_and_refuses(TestFlavor::MySql).await;
}

#[tokio::test]
async fn mysql97_plain_tcp_uses_the_rsa_key_exchange() {
    let server = server(TestFlavor::MySql).await;
    let mut admin = admin(&server).await;
    // Empty the password cache so the full caching_sha2 authentication runs.
    exec(&mut admin, "FLUSH PRIVILEGES").await;
    let mut settings = settings(&server);
    settings.tls = TlsMode::Disable;
    let info = preflight::check(&settings, None).await.unwrap();
    assert_eq!(info.flavor, Flavor::MySql);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    let mut reader = BinlogReader::start(settings, start, watch_db("m2s"))
        .await
        .unwrap();
    read_until(&mut reader, |e| {
        e.iter().any(|e| matches!(e, SourceEvent::Heartbeat { .. }))
    })
    .await;
}

/// DDL is reported, and rows after an ADD COLUMN in the middle keep their names.
async fn ddl_is_reported_and_columns_stay_right(flavor: TestFlavor) {
    let server = server(flavor).await;
    let mut admin = admin(&server).await;
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(
        &mut admin,
        "CREATE TABLE m2s.t (id INT PRIMARY KEY, a VARCHAR(10), b INT)",
    )
    .await;
    exec(&mut admin, "CREATE TABLE m2s.nokey (a INT)").await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    exec(&mut admin, "INSERT INTO m2s.t VALUES (1, 'x', 10)").await;
    exec(&mut admin, "ALTER TABLE m2s.t ADD COLUMN mid DATE AFTER id").await;
    exec(
        &mut admin,
        "INSERT INTO m2s.t VALUES (2, '2024-01-02', 'y', 20)",
    )
    .await;
    exec(&mut admin, "TRUNCATE TABLE m2s.t").await;

    let mut reader = BinlogReader::start(settings, start, watch_db("m2s"))
        .await
        .unwrap();
    let events = read_until(&mut reader, |events| {
        events.iter().any(|e| {
            matches!(
                e,
                SourceEvent::Ddl {
                    kind: DdlKind::Truncate,
                    ..
                }
            )
        })
    })
    .await;
    let mut saw_alter = false;
    for event in &events {
        match event {
            SourceEvent::Ddl {
                kind: DdlKind::AlterTable,
                tables,
                ..
            } => {
                assert_eq!(tables, &vec![TableId::new("m2s", "t")]);
                saw_alter = true;
            }
            SourceEvent::Rows { table, changes } => {
                let RowChange::Insert { after } = &changes[0] else {
                    panic!("{changes:?}")
                };
                let b = table.column_index("b").unwrap();
                let a = table.column_index("a").unwrap();
                assert_eq!(table.key_names(), vec!["id"]);
                match after[0] {
                    Value::Int(1) => {
                        assert_eq!(table.columns.len(), 3, "row 1 was written before the ALTER");
                        assert_eq!(after[b], Value::Int(10));
                    }
                    Value::Int(2) => {
                        assert!(saw_alter);
                        assert_eq!(after[a], Value::Text("y".into()));
                        assert_eq!(after[b], Value::Int(20));
                        let mid = table.column_index("mid").unwrap();
                        assert_eq!(
                            after[mid],
                            Value::Date {
                                year: 2024,
                                month: 1,
                                day: 2
                            }
                        );
                    }
                    ref other => panic!("unexpected row {other:?}"),
                }
            }
            _ => {}
        }
    }
    assert!(saw_alter);

    let tables = list_tables(&mut conn).await.unwrap();
    assert!(
        tables.contains(&TableId::new("m2s", "t"))
            && tables.contains(&TableId::new("m2s", "nokey"))
    );
    assert!(!tables.iter().any(|t| t.db == "mysql"));
    let error = load_table_schema(&mut conn, &TableId::new("m2s", "nokey"))
        .await
        .unwrap_err();
    assert!(
        error.message.contains("m2s.nokey") && !error.is_transient(),
        "{error}"
    );
}

#[tokio::test]
async fn mariadb_ddl_is_reported_and_columns_stay_right() {
    ddl_is_reported_and_columns_stay_right(TestFlavor::MariaDb).await;
}

#[tokio::test]
async fn mysql97_ddl_is_reported_and_columns_stay_right() {
    ddl_is_reported_and_columns_stay_right(TestFlavor::MySql).await;
}

/// A source with semi-sync replication enabled is read as an ordinary asynchronous replica
/// (mysql_async's issue #360 only hits replicas that ask for semi-sync).
async fn semi_sync_source_is_read_asynchronously(flavor: TestFlavor) {
    let server = server(flavor).await;
    let mut admin = admin(&server).await;
    if flavor == TestFlavor::MySql {
        exec(
            &mut admin,
            "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'",
        )
        .await;
        exec(&mut admin, "SET GLOBAL rpl_semi_sync_source_timeout = 100").await;
        exec(&mut admin, "SET GLOBAL rpl_semi_sync_source_enabled = 1").await;
    } else {
        exec(&mut admin, "SET GLOBAL rpl_semi_sync_master_timeout = 100").await;
        exec(&mut admin, "SET GLOBAL rpl_semi_sync_master_enabled = 1").await;
    }
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(&mut admin, "CREATE TABLE m2s.t (id INT PRIMARY KEY)").await;
    let settings = settings(&server);
    preflight::check(&settings, None).await.unwrap();
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    let mut reader = BinlogReader::start(settings, start, watch_db("m2s"))
        .await
        .unwrap();
    for id in 1..=3 {
        exec(&mut admin, &format!("INSERT INTO m2s.t VALUES ({id})")).await;
    }
    let events = read_until(&mut reader, |e| inserted_ids(e, "t").len() == 3).await;
    assert_eq!(inserted_ids(&events, "t"), vec![1, 2, 3]);
}

#[tokio::test]
async fn mariadb_semi_sync_source_is_read_asynchronously() {
    semi_sync_source_is_read_asynchronously(TestFlavor::MariaDb).await;
}

#[tokio::test]
async fn mysql97_semi_sync_source_is_read_asynchronously() {
    semi_sync_source_is_read_asynchronously(TestFlavor::MySql).await;
}

/// MariaDB's compressed binlog events cannot be decoded: preflight refuses the setting, and a
/// reader that meets such an event stops with a definite error instead of dropping it.
#[tokio::test]
async fn mariadb_compressed_binlog_events_are_refused() {
    let server = server(TestFlavor::MariaDb).await;
    let mut admin = admin(&server).await;
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(
        &mut admin,
        "CREATE TABLE m2s.t (id INT PRIMARY KEY, v TEXT)",
    )
    .await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    exec(&mut admin, "SET GLOBAL log_bin_compress = ON").await;
    let error = preflight::check(&settings, None).await.unwrap_err();
    assert!(error.message.contains("log_bin_compress"), "{error}");

    let mut writer = server.admin_conn().await.unwrap();
    exec(
        &mut writer,
        &format!("INSERT INTO m2s.t VALUES (1, '{}')", "x".repeat(500)),
    )
    .await;
    let mut reader = BinlogReader::start(settings, start, watch_db("m2s"))
        .await
        .unwrap();
    let error = tokio::time::timeout(DEADLINE, async {
        loop {
            if let Err(error) = reader.next().await {
                return error;
            }
        }
    })
    .await
    .unwrap();
    assert!(!error.is_transient());
    assert!(
        error
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("log_bin_compress"),
        "{error}"
    );
}

/// `CREATE TABLE … SELECT` (MySQL 8.0.21+ writes the DDL and its rows as one GTID group): the
/// `Ddl` carries a position from which the rows are read again, by GTID as by file:pos, so a
/// restart right after the DDL cannot skip them.
async fn create_table_select_resumes_before_its_rows(flavor: TestFlavor) {
    let server = server(flavor).await;
    let mut admin = admin(&server).await;
    exec(&mut admin, "CREATE DATABASE m2s").await;
    exec(
        &mut admin,
        "CREATE TABLE m2s.src (id INT PRIMARY KEY, v VARCHAR(10))",
    )
    .await;
    exec(&mut admin, "INSERT INTO m2s.src VALUES (1, 'a'), (2, 'b')").await;
    let settings = settings(&server);
    let mut conn = connect::open(&settings).await.unwrap();
    let start = current_position(&mut conn).await.unwrap();
    assert!(start.gtid.is_some(), "{start}");
    exec(
        &mut admin,
        "CREATE TABLE m2s.copy (PRIMARY KEY (id)) SELECT id, v FROM m2s.src",
    )
    .await;
    exec(&mut admin, "INSERT INTO m2s.src VALUES (3, 'c')").await;

    let mut reader = BinlogReader::start(settings.clone(), start, watch_db("m2s"))
        .await
        .unwrap();
    let events = read_until(&mut reader, |events| inserted_ids(events, "src") == vec![3]).await;
    assert_eq!(inserted_ids(&events, "copy"), vec![1, 2], "{events:#?}");
    let ddl_position = events
        .iter()
        .find_map(|e| match e {
            SourceEvent::Ddl {
                kind: DdlKind::CreateTable,
                position,
                ..
            } => Some(position.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no CREATE TABLE: {events:#?}"));
    for by_gtid in [true, false] {
        let mut from = ddl_position.clone();
        if !by_gtid {
            from.gtid = None;
        }
        let mut reader = BinlogReader::start(settings.clone(), from, watch_db("m2s"))
            .await
            .unwrap();
        let again = read_until(&mut reader, |events| inserted_ids(events, "src") == vec![3]).await;
        assert_eq!(
            inserted_ids(&again, "copy"),
            vec![1, 2],
            "resuming from the DDL's position (by GTID: {by_gtid}): {again:#?}"
        );
    }
}

#[tokio::test]
async fn mariadb_create_table_select_resumes_before_its_rows() {
    create_table_select_resumes_before_its_rows(TestFlavor::MariaDb).await;
}

#[tokio::test]
async fn mysql97_create_table_select_resumes_before_its_rows() {
    create_table_select_resumes_before_its_rows(TestFlavor::MySql).await;
}
