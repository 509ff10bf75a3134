//! BE HTTP port, CSV fidelity to StarRocks' BE: VARBINARY fields are base64 (`varbinary_converter.cpp`),
//! `\N` is NULL after enclose/escape removal (`nullable_converter.cpp`), rows that are not UTF-8
//! are filtered (`csv_scanner.cpp`), and the enclose/escape reader's rules (`csv_reader.cpp`).

mod http_support;

use base64::Engine as _;
use http_support::*;
use starrocks_emulator::catalog::{Column, ColumnType, KeysModel, Table, Value};

fn int(v: i128) -> Value {
    Value::Int(v)
}

fn text(v: &str) -> Value {
    Value::Text(v.to_string())
}

/// `id BIGINT NOT NULL, vb VARBINARY(64) NULL`, PRIMARY KEY(id).
fn binary_table() -> Table {
    Table::new(
        "bin",
        vec![
            Column::new("id", ColumnType::BigInt, false),
            Column::new("vb", ColumnType::Varbinary(Some(64)), true),
        ],
        KeysModel::PrimaryKeys,
        vec!["id".into()],
    )
}

#[tokio::test]
async fn varbinary_csv_fields_are_base64_decoded_and_length_checked_after_decoding() {
    let emu = emulator().await;
    create(&emu, "db1", binary_table());
    let b64 = base64::engine::general_purpose::STANDARD;
    let full: Vec<u8> = (0u8..64).map(|i| i.wrapping_mul(37)).collect();
    let too_long: Vec<u8> = vec![0xab; 65];
    let encoded = b64.encode(&full);
    assert_eq!(encoded.len(), 88);
    let body = format!(
        "1\t{encoded}\n2\tnot base64!\n3\t\n4\t   \n5\t{}\n",
        b64.encode(&too_long)
    );
    let answer = stream_load(
        &emu,
        "db1",
        "bin",
        &[
            ("label", "vb1"),
            ("strict_mode", "true"),
            ("max_filter_ratio", "0.5"),
        ],
        body,
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(answer["NumberLoadedRows"], 4, "{answer}");
    assert_eq!(
        answer["NumberFilteredRows"], 1,
        "65 decoded bytes > VARBINARY(64)"
    );
    assert_eq!(
        rows(&emu, "db1", "bin"),
        vec![
            vec![int(1), Value::Bytes(full)],
            vec![int(2), Value::Bytes(b"not base64!".to_vec())],
            vec![int(3), Value::Bytes(Vec::new())],
            vec![int(4), Value::Bytes(Vec::new())],
        ]
    );

    // JSON: the string is taken as its text bytes, not decoded.
    let answer = stream_load(
        &emu,
        "db1",
        "bin",
        &[("label", "vb2"), ("format", "json")],
        r#"{"id": 6, "vb": "eHk="}"#,
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(
        rows(&emu, "db1", "bin")[4],
        vec![int(6), Value::Bytes(b"eHk=".to_vec())]
    );
}

#[tokio::test]
async fn enclosed_null_marker_is_null() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[
            ("label", "n1"),
            ("column_separator", ","),
            ("enclose", "\""),
        ],
        "1,\"\\N\",\"\\N\"\n2,\"\",\\N\n",
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(1), Value::Null, Value::Null],
            vec![int(2), text(""), Value::Null],
        ]
    );
}

#[tokio::test]
async fn rows_that_are_not_utf8_are_filtered() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let body: &[u8] = b"1\ta\xff\t1\n2\tb\t2\n";
    let answer = stream_load(&emu, "db1", "t", &[("label", "u1")], body).await;
    assert_eq!(status(&answer), "Fail");
    assert_eq!(message(&answer), "too many filtered rows");
    assert_eq!(answer["NumberFilteredRows"], 1);
    let log = get_text(answer["ErrorURL"].as_str().expect("ErrorURL")).await;
    assert!(
        log.starts_with("Error: Invalid UTF-8 row. Row: 1\ta"),
        "{log}"
    );
    assert!(rows(&emu, "db1", "t").is_empty());

    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "u2"), ("max_filter_ratio", "0.5")],
        body,
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(answer["NumberLoadedRows"], 1);
    assert_eq!(answer["NumberFilteredRows"], 1);
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![vec![int(2), text("b"), int(2)]]
    );
}

#[tokio::test]
async fn enclose_reader_rules() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    // Enclose only: NUL is the escape, a stray `"` is removed and the byte after it kept as is.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[
            ("label", "q1"),
            ("column_separator", ","),
            ("enclose", "\""),
        ],
        &b"1,a\0,b,1\n2,x\"y\",z,2\n"[..],
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    // Escape before an ordinary byte: the escape is dropped.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[
            ("label", "q2"),
            ("column_separator", ","),
            ("enclose", "\""),
            ("escape", "\\"),
        ],
        "3,a\\bc,3\n4,\\N,4\n",
    )
    .await;
    assert_eq!(status(&answer), "Success", "{answer}");
    assert_eq!(
        rows(&emu, "db1", "t"),
        vec![
            vec![int(1), text("a,b"), int(1)],
            vec![int(2), text("xy,z"), int(2)],
            vec![int(3), text("abc"), int(3)],
            vec![int(4), text("N"), int(4)],
        ]
    );
}
