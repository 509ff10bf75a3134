//! BE HTTP port, data side: filtering and error logs, strict mode, `__op`, CSV and JSON options,
//! compression, type rejection, atomicity.

mod http_support;

use http_support::*;
use starrocks_emulator::catalog::{Column, ColumnType, KeysModel, Table, Value};

fn int(v: i128) -> Value {
    Value::Int(v)
}

fn text(v: &str) -> Value {
    Value::Text(v.to_string())
}

#[tokio::test]
async fn filtered_rows_fail_the_load_by_default_with_an_error_url() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let body = "1\ta\t1\n2\tb\n3\tc\t3\textra\n";
    let answer = stream_load(&emu, "db1", "t", &[("label", "f1")], body).await;
    assert_eq!(status(&answer), "Fail");
    assert_eq!(message(&answer), "too many filtered rows");
    assert_eq!(answer["NumberTotalRows"], 3);
    assert_eq!(answer["NumberLoadedRows"], 1);
    assert_eq!(answer["NumberFilteredRows"], 2);
    assert!(
        rows(&emu, "db1", "t").is_empty(),
        "a failed load changes nothing"
    );
    let url = answer["ErrorURL"].as_str().expect("ErrorURL");
    let prefix = format!("{}/api/_load_error_log?file=error_log_", emu.be_http_url());
    assert!(url.starts_with(&prefix), "{url}");
    let log = get_text(url).await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines,
        vec![
            "Error: Target column count: 3 doesn't match source value column count: 2. Column separator: '\\t', Row delimiter: '\\n'. Row: 2\tb",
            "Error: Target column count: 3 doesn't match source value column count: 4. Column separator: '\\t', Row delimiter: '\\n'. Row: 3\tc\t3\textra",
        ]
    );
}

#[tokio::test]
async fn max_filter_ratio_tolerates_filtered_rows() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let body = "1\ta\t1\n2\tb\n3\tc\t3\n";
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "r1"), ("max_filter_ratio", "0.5")],
        body,
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(answer["NumberLoadedRows"], 2);
    assert_eq!(answer["NumberFilteredRows"], 1);
    assert!(
        answer["ErrorURL"].is_string(),
        "filtered rows give an ErrorURL even on success"
    );
    assert_eq!(rows(&emu, "db1", "t").len(), 2);
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "r2"), ("max_filter_ratio", "0.2")],
        "4\ta\t1\n5\tb\n",
    )
    .await;
    assert_eq!(message(&answer), "too many filtered rows");
}

#[tokio::test]
async fn null_marker_and_not_null_columns() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "n1")],
        "1\t\\N\t\\N\n2\t\t7\n",
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(1), Value::Null, Value::Null],
            vec![int(2), text(""), int(7)],
        ]
    );
    let answer = stream_load(&emu, "db1", "t", &[("label", "n2")], "\\N\ta\t1\n").await;
    assert_eq!(status(&answer), "Fail");
    let log = get_text(answer["ErrorURL"].as_str().unwrap()).await;
    assert_eq!(
        log.trim_end(),
        "Error: NULL value in non-nullable column 'id'. Row: \\N\ta\t1"
    );
}

#[tokio::test]
async fn strict_mode_off_turns_bad_values_into_null_and_on_filters_them() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    // Not strict: a bad INT and an over-long VARCHAR(10) become NULL (nullable columns).
    let body = "1\tabcdefghijk\tnot-a-number\n";
    let answer = stream_load(&emu, "db1", "t", &[("label", "s1")], body).await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![vec![int(1), Value::Null, Value::Null]]
    );
    // Not strict, NOT NULL column: the NULL is filtered.
    let answer = stream_load(&emu, "db1", "t", &[("label", "s2")], "x\ta\t1\n").await;
    assert_eq!(status(&answer), "Fail");
    let log = get_text(answer["ErrorURL"].as_str().unwrap()).await;
    assert!(
        log.starts_with("Error: NULL value in non-nullable column 'id'."),
        "{log}"
    );
    // Strict: both rows are filtered, with the conversion error.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[
            ("label", "s3"),
            ("strict_mode", "true"),
            ("max_filter_ratio", "1"),
        ],
        "2\tok\tnot-a-number\n3\tabcdefghijk\t3\n4\tfine\t4\n",
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(answer["NumberFilteredRows"], 2);
    let log = get_text(answer["ErrorURL"].as_str().unwrap()).await;
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines[0],
        "Error: Value 'not-a-number' is out of range. The type of 'score' is INT. Row: 2\tok\tnot-a-number"
    );
    assert_eq!(
        lines[1],
        "Error: String 'abcdefghijk'(length=11) is too long. The max length of 'name' is 10. Row: 3\tabcdefghijk\t3"
    );
    // Strict mode does not filter a real NULL in a nullable column.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "s4"), ("strict_mode", "true")],
        "5\t\\N\t\\N\n",
    )
    .await;
    assert_eq!(status(&answer), "Success");
}

#[tokio::test]
async fn op_column_deletes_and_last_op_per_key_wins() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "o1"), ("columns", "`id`,`name`,`score`,`__op`")],
        "1\ta\t1\t0\n2\tb\t2\t0\n3\tc\t3\t0\n",
    )
    .await;
    assert_eq!(status(&answer), "Success");
    // In one load: delete 1, upsert 2 twice (last wins), delete then re-insert 3, insert then
    // delete 4.
    let body =
        "1\ta\t1\t1\n2\tb\t20\t0\n2\tb2\t21\t0\n3\tc\t3\t1\n3\tc3\t30\t0\n4\td\t4\t0\n4\td\t4\t1\n";
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "o2"), ("columns", "`id`,`name`,`score`,`__op`")],
        body,
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(answer["NumberLoadedRows"], 7);
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(2), text("b2"), int(21)],
            vec![int(3), text("c3"), int(30)],
        ]
    );
    // A constant op: __op='delete' deletes by key.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[
            ("label", "o3"),
            ("columns", "id, name, score, __op='delete'"),
        ],
        "2\tx\t0\n",
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(rows(&emu, "db1", "t").len(), 1);
    // A NULL op is filtered.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "o4"), ("columns", "id,name,score,__op")],
        "9\tz\t9\t\\N\n",
    )
    .await;
    let log = get_text(answer["ErrorURL"].as_str().unwrap()).await;
    assert!(
        log.starts_with("Error: NULL value in non-nullable column '__op'."),
        "{log}"
    );
}

#[tokio::test]
async fn op_on_a_duplicate_key_table_is_ignored() {
    let emu = emulator().await;
    create(&emu, "db1", dup_table("d"));
    let answer = stream_load(
        &emu,
        "db1",
        "d",
        &[("label", "d1"), ("columns", "id,name,score,__op")],
        "1\ta\t1\t0\n1\ta\t1\t1\n",
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(
        rows(&emu, "db1", "d").len(),
        2,
        "duplicate tables append every row"
    );
}

#[tokio::test]
async fn hex_separators_and_multi_byte_delimiters() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[
            ("label", "h1"),
            ("column_separator", "\\x01"),
            ("row_delimiter", "0x0D0A"),
        ],
        "1\u{1}a,b\u{1}1\r\n2\u{1}c\td\u{1}2\r\n",
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(1), text("a,b"), int(1)],
            vec![int(2), text("c\td"), int(2)],
        ]
    );
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "h2"), ("column_separator", "|")],
        "3|x|3\n4|y|4|\n",
    )
    .await;
    let log = get_text(answer["ErrorURL"].as_str().unwrap()).await;
    assert!(log.contains("Column separator: '|'"), "{log}");
}

#[tokio::test]
async fn columns_mapping_with_back_ticks_order_and_defaults() {
    let emu = emulator().await;
    let mut table = Table::new(
        "k",
        vec![
            Column::new("id", ColumnType::Int, false),
            Column::new("create", ColumnType::Varchar(20), true),
            Column {
                default: Some("5".into()),
                ..Column::new("level", ColumnType::Int, false)
            },
        ],
        KeysModel::PrimaryKeys,
        vec!["id".into()],
    );
    table.properties.clear();
    create(&emu, "db1", table);
    // Reversed order, a reserved word in back-ticks, a skipped source field, a default.
    let answer = stream_load(
        &emu,
        "db1",
        "k",
        &[("label", "m1"), ("columns", "`create`, `tmp`, `ID`")],
        "hello\tignored\t7\n",
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(
        rows(&emu, "db1", "k"),
        vec![vec![int(7), text("hello"), int(5)]]
    );
    // The same reserved word without back-ticks is a syntax error.
    let answer = stream_load(
        &emu,
        "db1",
        "k",
        &[("label", "m2"), ("columns", "create, id")],
        "x\t1\n",
    )
    .await;
    assert_eq!(status(&answer), "Fail");
    assert!(
        message(&answer).contains("Unexpected input 'create'"),
        "{answer}"
    );
}

#[tokio::test]
async fn enclose_and_escape() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[
            ("label", "e1"),
            ("column_separator", ","),
            ("enclose", "\""),
            ("escape", "\\"),
        ],
        "1,\"a,\n\"\"b\",1\n2,c\\,d,2\n",
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(1), text("a,\n\"b"), int(1)],
            vec![int(2), text("c,d"), int(2)],
        ]
    );
}

#[tokio::test]
async fn json_lines_arrays_and_op_key() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "j1"), ("format", "json")],
        "{\"id\": 1, \"name\": \"a\", \"score\": 1}\n{\"id\": 2, \"name\": \"b\"}\n",
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "j2"), ("format", "json"), ("strip_outer_array", "true")],
        r#"[{"id": 1, "__op": 1}, {"id": 3, "name": "c", "score": "3", "__op": 0}, {"id": 2, "name": "b2", "score": 2}]"#,
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(2), text("b2"), int(2)],
            vec![int(3), text("c"), int(3)],
        ]
    );
    // An array without strip_outer_array is a filtered row.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "j3"), ("format", "json")],
        r#"[{"id": 9}]"#,
    )
    .await;
    assert_eq!(status(&answer), "Fail");
    let log = get_text(answer["ErrorURL"].as_str().unwrap()).await;
    assert!(
        log.contains("JSON data is an array, strip_outer_array must be set true"),
        "{log}"
    );
}

#[tokio::test]
async fn compressed_bodies() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let data = b"1\ta\t1\n2\tb\t2\n".to_vec();
    let gz = gzip(&data);
    let zst = zstd::encode_all(&data[..], 3).unwrap();
    let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
    std::io::Write::write_all(&mut lz4, &data).unwrap();
    let lz4 = lz4.finish().unwrap();
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut deflate, &data).unwrap();
    let deflate = deflate.finish().unwrap();
    for (i, (format, body)) in [
        ("gzip", gz.clone()),
        ("zstd", zst),
        ("lz4", lz4),
        ("deflate", deflate),
    ]
    .into_iter()
    .enumerate()
    {
        let label = format!("z{i}");
        let answer = stream_load(
            &emu,
            "db1",
            "t",
            &[("label", label.as_str()), ("format", format)],
            body.clone(),
        )
        .await;
        assert_eq!(status(&answer), "Success", "{format}: {answer}");
        assert_eq!(answer["NumberLoadedRows"], 2, "{format}");
        assert_eq!(
            answer["LoadBytes"],
            body.len(),
            "LoadBytes counts received bytes"
        );
    }
    // JSON with Content-Encoding / compression.
    let json = gzip(br#"{"id": 5, "name": "e", "score": 5}"#);
    for (i, header) in ["Content-Encoding", "compression"].into_iter().enumerate() {
        let label = format!("zj{i}");
        let answer = stream_load(
            &emu,
            "db1",
            "t",
            &[
                ("label", label.as_str()),
                ("format", "json"),
                (header, "gzip"),
            ],
            json.clone(),
        )
        .await;
        assert_eq!(status(&answer), "Success", "{header}: {answer}");
    }
    // A body that is not what the format says fails the load.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "zbad"), ("format", "gzip")],
        data,
    )
    .await;
    assert_eq!(status(&answer), "Fail");
    assert!(
        message(&answer).starts_with("Failed to decompress gzip data"),
        "{answer}"
    );
}

/// A table with one nullable column of each type, keyed by `id`.
fn typed_table() -> Table {
    Table::new(
        "types",
        vec![
            Column::new("id", ColumnType::Int, false),
            Column::new("b", ColumnType::Boolean, true),
            Column::new("ti", ColumnType::TinyInt, true),
            Column::new("si", ColumnType::SmallInt, true),
            Column::new("i", ColumnType::Int, true),
            Column::new("bi", ColumnType::BigInt, true),
            Column::new("li", ColumnType::LargeInt, true),
            Column::new("f", ColumnType::Float, true),
            Column::new("d", ColumnType::Double, true),
            Column::new(
                "dec",
                ColumnType::Decimal {
                    precision: 5,
                    scale: 2,
                },
                true,
            ),
            Column::new("c", ColumnType::Char(2), true),
            Column::new("v", ColumnType::Varchar(3), true),
            Column::new("s", ColumnType::String, true),
            Column::new("vb", ColumnType::Varbinary(Some(2)), true),
            Column::new("dt", ColumnType::Date, true),
            Column::new("dtm", ColumnType::Datetime, true),
            Column::new("j", ColumnType::Json, true),
        ],
        KeysModel::PrimaryKeys,
        vec!["id".into()],
    )
}

#[tokio::test]
async fn every_type_accepts_good_values() {
    let emu = emulator().await;
    create(&emu, "db1", typed_table());
    let row = "1\ttrue\t-128\t32767\t-2147483648\t9223372036854775807\t18446744073709551615\t1.5\t-2.25e10\t123.456\tab\tabc\tlong text\teHk=\t2024-02-29\t2024-02-29 23:59:59.123456\t{\"k\": [1, 2]}\n";
    let answer = stream_load(
        &emu,
        "db1",
        "types",
        &[("label", "ok"), ("strict_mode", "true")],
        row,
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    let stored = rows(&emu, "db1", "types");
    assert_eq!(
        stored[0],
        vec![
            int(1),
            Value::Bool(true),
            int(-128),
            int(32767),
            int(-2_147_483_648),
            int(9_223_372_036_854_775_807),
            int(18_446_744_073_709_551_615),
            Value::Float(1.5),
            Value::Float(-2.25e10),
            Value::Decimal("123.46".into()),
            text("ab"),
            text("abc"),
            text("long text"),
            Value::Bytes(b"xy".to_vec()),
            Value::Date("2024-02-29".into()),
            Value::Datetime("2024-02-29 23:59:59.123456".into()),
            Value::Json("{\"k\":[1,2]}".into()),
        ]
    );
}

#[tokio::test]
async fn every_type_rejects_what_starrocks_rejects() {
    let emu = emulator().await;
    create(&emu, "db1", typed_table());
    // (column position, bad value): each row has one bad value, all other fields \N.
    let bad: Vec<(usize, &str)> = vec![
        (1, "maybe"),
        (2, "128"),
        (3, "-32769"),
        (4, "2147483648"),
        (5, "9223372036854775808"),
        (6, "1e5"),
        (7, "3.5e39"),
        (8, "nan"),
        (9, "1000"),
        (9, "1e2"),
        (10, "abc"),
        (11, "abcd"),
        (13, "YWJj"),
        (14, "2023-02-29"),
        (14, "0000-00-00"),
        (15, "2024-01-01 25:00:00"),
        (16, "{not json"),
        (4, "1.5"),
    ];
    let mut body = String::new();
    for (n, (position, value)) in bad.iter().enumerate() {
        let mut fields = vec!["\\N".to_string(); 17];
        fields[0] = (n + 1).to_string();
        fields[*position] = value.to_string();
        body.push_str(&fields.join("\t"));
        body.push('\n');
    }
    let answer = stream_load(
        &emu,
        "db1",
        "types",
        &[
            ("label", "strict"),
            ("strict_mode", "true"),
            ("max_filter_ratio", "1"),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(answer["NumberFilteredRows"], bad.len(), "{answer}");
    assert_eq!(answer["NumberLoadedRows"], 0);
    let log = get_text(answer["ErrorURL"].as_str().unwrap()).await;
    assert_eq!(log.lines().count(), bad.len());
    assert!(
        log.contains("Value '128' is out of range. The type of 'ti' is TINYINT"),
        "{log}"
    );
    assert!(
        log.contains("The type of 'dec' is DECIMAL32(5, 2)"),
        "{log}"
    );

    // Without strict mode the same rows load with NULL in the bad column.
    let answer = stream_load(&emu, "db1", "types", &[("label", "lenient")], body).await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(answer["NumberLoadedRows"], bad.len());
    for row in rows(&emu, "db1", "types") {
        assert!(row[1..].iter().all(|v| *v == Value::Null), "{row:?}");
    }
}

#[tokio::test]
async fn json_values_embed_as_values() {
    let emu = emulator().await;
    create(&emu, "db1", typed_table());
    let answer = stream_load(
        &emu,
        "db1",
        "types",
        &[
            ("label", "jv"),
            ("format", "json"),
            ("strict_mode", "true"),
            ("max_filter_ratio", "0.5"),
        ],
        r#"{"id": 1, "b": false, "li": "170141183460469231731687303715884105727", "dec": "1.5", "v": 12, "j": "a string", "dtm": "2024-01-02T03:04:05"}
{"id": 2, "j": {"nested": true}, "i": 1.5}"#,
    )
    .await;
    assert_eq!(answer["NumberLoadedRows"], 1, "{answer}");
    let stored = rows(&emu, "db1", "types");
    assert_eq!(stored[0][1], Value::Bool(false));
    assert_eq!(stored[0][6], int(i128::MAX));
    assert_eq!(stored[0][9], Value::Decimal("1.50".into()));
    assert_eq!(stored[0][11], text("12"));
    assert_eq!(stored[0][15], Value::Datetime("2024-01-02 03:04:05".into()));
    assert_eq!(stored[0][16], Value::Json("\"a string\"".into()));
}

#[tokio::test]
async fn a_failing_load_changes_nothing_and_a_later_one_applies_whole() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(&emu, "db1", "t", &[("label", "a1")], "1\ta\t1\n2\tb\t2\n").await;
    assert_eq!(status(&answer), "Success");
    // Updates 1, deletes nothing, but one bad row: nothing changes.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "a2")],
        "1\tCHANGED\t9\n3\tc\t3\nbad\tx\t1\n",
    )
    .await;
    assert_eq!(status(&answer), "Fail");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(1), text("a"), int(1)],
            vec![int(2), text("b"), int(2)]
        ]
    );
}

#[tokio::test]
async fn primary_key_size_limit() {
    let emu = emulator().await;
    let table = Table::new(
        "wide",
        vec![Column::new("k", ColumnType::Varchar(1000), false)],
        KeysModel::PrimaryKeys,
        vec!["k".into()],
    );
    create(&emu, "db1", table);
    let key = "k".repeat(129);
    let answer = stream_load(&emu, "db1", "wide", &[("label", "pk1")], format!("{key}\n")).await;
    assert_eq!(status(&answer), "Fail");
    assert!(
        message(&answer).starts_with("primary key size exceed the limit"),
        "{answer}"
    );
}

#[tokio::test]
async fn merge_condition_keeps_newer_rows() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    stream_load(&emu, "db1", "t", &[("label", "mc1")], "1\ta\t5\n").await;
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "mc2"), ("merge_condition", "score")],
        "1\told\t4\n",
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(rows(&emu, "db1", "t")[0][1], text("a"));
    stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "mc3"), ("merge_condition", "score")],
        "1\tnew\t6\n",
    )
    .await;
    assert_eq!(rows(&emu, "db1", "t")[0][1], text("new"));
}
