//! SELECT over the query port: value rendering per type, filters, ordering, limits, COUNT(*).

mod query_support;

use mysql_async::prelude::Queryable;
use query_support::{column_names, connect, exec, rows, s, server_error, start};
use starrocks_emulator::catalog::{RowKey, Rows, Value};

#[tokio::test]
async fn renders_every_type_like_starrocks() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    exec(&mut conn, "CREATE DATABASE d").await;
    exec(
        &mut conn,
        "CREATE TABLE d.all_types (\
           id BIGINT NOT NULL, b BOOLEAN, ti TINYINT, si SMALLINT, i INT, li LARGEINT, \
           f FLOAT, db DOUBLE, dec2 DECIMAL(12, 3), c CHAR(5), vc VARCHAR(20), st STRING, \
           vb VARBINARY, dt DATE, dtm DATETIME, j JSON) \
         PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    )
    .await;
    {
        let mut catalog = server.catalog.lock().expect("catalog");
        let table = catalog
            .databases
            .get_mut("d")
            .and_then(|db| db.tables.get_mut("all_types"))
            .expect("table");
        let Rows::Keyed(map) = &mut table.rows else {
            panic!("keyed rows");
        };
        map.insert(
            RowKey(smallvec::smallvec![Value::Int(1)]),
            vec![
                Value::Int(1),
                Value::Bool(true),
                Value::Int(-128),
                Value::Int(32_767),
                Value::Int(-2_147_483_648),
                Value::Int(-170_141_183_460_469_231_731_687_303_715_884_105_728),
                Value::Float(f64::from(1.1f32)),
                Value::Float(0.1 + 0.2),
                Value::Decimal("-12.5".into()),
                Value::Text("ab".into()),
                Value::Text("tab\there".into()),
                Value::Text("ünïcødé".into()),
                Value::Bytes(vec![0, 159, 146, 150]),
                Value::Date("2024-02-29".into()),
                Value::Datetime("2024-02-29 23:59:59.000001".into()),
                Value::Json("{\"a\": 1}".into()),
            ],
        );
        map.insert(
            RowKey(smallvec::smallvec![Value::Int(2)]),
            std::iter::once(Value::Int(2))
                .chain(std::iter::repeat_n(Value::Null, 15))
                .collect(),
        );
    }
    let result = rows(&mut conn, "SELECT * FROM d.all_types ORDER BY id").await;
    assert_eq!(
        result[0],
        vec![
            s("1"),
            s("1"),
            s("-128"),
            s("32767"),
            s("-2147483648"),
            s("-170141183460469231731687303715884105728"),
            s("1.1"),
            s("0.30000000000000004"),
            s("-12.500"),
            s("ab"),
            s("tab\there"),
            s("ünïcødé"),
            Some(String::from_utf8_lossy(&[0, 159, 146, 150]).into_owned()),
            s("2024-02-29"),
            s("2024-02-29 23:59:59.000001"),
            s("{\"a\": 1}"),
        ]
    );
    assert_eq!(result[1][0], s("2"));
    assert!(
        result[1][1..].iter().all(Option::is_none),
        "{:?}",
        result[1]
    );

    // Raw bytes arrive unchanged.
    let raw: Vec<mysql_async::Row> = conn
        .query("SELECT vb FROM d.all_types WHERE id = 1")
        .await
        .expect("select vb");
    assert_eq!(raw[0].get::<Vec<u8>, _>(0), Some(vec![0, 159, 146, 150]));
    // Typed reads work through the announced column types.
    let typed: Vec<(i64, Option<f64>, Option<String>)> = conn
        .query("SELECT id, db, dec2 FROM d.all_types ORDER BY id")
        .await
        .expect("typed select");
    assert_eq!(
        typed[0],
        (1, Some(0.30000000000000004), Some("-12.500".into()))
    );
    assert_eq!(typed[1], (2, None, None));
}

#[tokio::test]
async fn filters_orders_limits_and_counts() {
    let server = start("root", "").await;
    let mut conn = connect(&server).await;
    exec(&mut conn, "CREATE DATABASE d").await;
    exec(&mut conn, "USE d").await;
    exec(
        &mut conn,
        "CREATE TABLE t (k INT NOT NULL, name VARCHAR(10), score DECIMAL(5,1)) \
         PRIMARY KEY(k) DISTRIBUTED BY HASH(k)",
    )
    .await;
    {
        let mut catalog = server.catalog.lock().expect("catalog");
        let table = catalog
            .databases
            .get_mut("d")
            .and_then(|db| db.tables.get_mut("t"))
            .expect("table");
        let Rows::Keyed(map) = &mut table.rows else {
            panic!("keyed rows");
        };
        for (k, name, score) in [
            (1, Some("ann"), "9.5"),
            (2, Some("bob"), "7.0"),
            (3, None, "8.0"),
            (4, Some("amy"), "7.0"),
        ] {
            map.insert(
                RowKey(smallvec::smallvec![Value::Int(k)]),
                vec![
                    Value::Int(k),
                    name.map_or(Value::Null, |n| Value::Text(n.into())),
                    Value::Decimal(score.into()),
                ],
            );
        }
    }
    assert_eq!(
        rows(&mut conn, "SELECT COUNT(*) FROM t").await,
        vec![vec![s("4")]]
    );
    assert_eq!(
        rows(&mut conn, "SELECT count(name) AS c FROM d.t").await,
        vec![vec![s("3")]]
    );
    assert_eq!(
        rows(&mut conn, "SELECT k FROM t WHERE score = 7 ORDER BY k DESC").await,
        vec![vec![s("4")], vec![s("2")]]
    );
    assert_eq!(
        rows(&mut conn, "SELECT k, name FROM t ORDER BY name, k LIMIT 2").await,
        vec![vec![s("3"), None], vec![s("4"), s("amy")]]
    );
    assert_eq!(
        rows(&mut conn, "SELECT k FROM t ORDER BY k LIMIT 1, 2").await,
        vec![vec![s("2")], vec![s("3")]]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT `K` FROM t WHERE name LIKE 'a%' AND k IN (1, 2, 4) OR name IS NULL ORDER BY 1"
        )
        .await,
        vec![vec![s("1")], vec![s("3")], vec![s("4")]]
    );
    assert_eq!(
        rows(
            &mut conn,
            "SELECT k FROM t WHERE k >= 2 AND k <> 3 AND NOT name = 'bob'"
        )
        .await,
        vec![vec![s("4")]]
    );
    assert_eq!(
        column_names(&mut conn, "SELECT k AS key_col, name FROM t LIMIT 0").await,
        vec!["key_col", "name"]
    );
    let (code, message) = server_error(conn.query_drop("SELECT nope FROM t").await);
    assert_eq!(code, 1054, "{message}");
    let (code, message) = server_error(conn.query_drop("SELECT * FROM missing").await);
    assert_eq!(code, 1146, "{message}");
    assert!(message.contains("Unknown table 'd.missing'"), "{message}");
    let (code, _) = server_error(conn.query_drop("SELECT * FROM nodb.t").await);
    assert_eq!(code, 1049);
    let (code, _) = server_error(conn.query_drop("SELECT k, COUNT(*) FROM t").await);
    assert_eq!(code, 1064);
}
