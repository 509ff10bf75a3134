//! Tests of `sink::encode`: value rendering, property validation, and round trips through a
//! test-only reader that follows StarRocks' CSV "v2" parser (`be/src/formats/csv/csv_reader.cpp`,
//! `more_rows`) and its NULL and VARBINARY rules.

use std::collections::{BTreeMap, HashSet};
use std::io::Read as _;

use super::*;

fn col(name: &str, data_type: &str) -> TargetColumn {
    TargetColumn {
        name: name.into(),
        data_type: data_type.into(),
        nullable: true,
        is_key: false,
    }
}

fn table() -> TableId {
    TableId::new("shop", "orders")
}

fn encoder(props: &[(&str, &str)]) -> Encoder {
    let props: BTreeMap<String, String> = props
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Encoder::new(
        LoadFormat::from_load_props(&props).unwrap(),
        RenderOptions::default(),
    )
}

fn encode(encoder: &Encoder, columns: &[TargetColumn], rows: &[(Op, Vec<Value>)]) -> EncodedBody {
    encoder
        .encode(
            &table(),
            columns,
            rows.iter().map(|(op, values)| (*op, values.as_slice())),
        )
        .unwrap()
}

fn header<'a>(body: &'a EncodedBody, name: &str) -> Option<&'a str> {
    body.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A field as StarRocks reads it: `None` is NULL.
type Field = Option<Vec<u8>>;

/// Splits a CSV body the way StarRocks' v2 parser does (enclose `"`, escape `\`), then applies
/// the NULL rule (`\N` after unescaping, whatever the quoting).
fn starrocks_csv_fields(body: &[u8], col_sep: &[u8], row_delim: &[u8]) -> Vec<Vec<Field>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Start,
        Ordinary,
        Enclose,
        Escape(bool),        // pre-state is Enclose?
        EncloseEscape(bool), // pre-state is Enclose?
    }
    let at = |i: usize, sep: &[u8]| body[i..].starts_with(sep);
    let mut rows = Vec::new();
    let mut row: Vec<Field> = Vec::new();
    let mut state = State::Start;
    let mut start = 0;
    let mut enclosed = false;
    let mut removed: HashSet<usize> = HashSet::new();
    let mut i = 0;
    let finish = |start: usize, end: usize, enclosed: bool, removed: &HashSet<usize>| -> Field {
        let mut bytes: Vec<u8> = (start..end)
            .filter(|p| !removed.contains(p))
            .map(|p| body[p])
            .collect();
        if enclosed {
            bytes.pop();
        }
        (bytes != b"\\N").then_some(bytes)
    };
    while i < body.len() {
        let b = body[i];
        // `Some(len)`: the field ends here, followed by a separator of `len` bytes.
        let mut end: Option<(usize, bool)> = None;
        match state {
            State::Start => {
                start = i;
                enclosed = false;
                removed.clear();
                if at(i, row_delim) {
                    end = Some((row_delim.len(), true));
                } else if at(i, col_sep) {
                    end = Some((col_sep.len(), false));
                } else if b == b'\\' {
                    removed.insert(i);
                    i += 1;
                    state = State::Escape(false);
                } else if b == b'"' {
                    i += 1;
                    start = i;
                    if body.get(i) != Some(&b'"') {
                        state = State::Enclose;
                        enclosed = true;
                    } else {
                        i += 1;
                        if at(i, row_delim) {
                            enclosed = true;
                            end = Some((row_delim.len(), true));
                        } else if at(i, col_sep) {
                            enclosed = true;
                            end = Some((col_sep.len(), false));
                        } else {
                            state = State::Ordinary;
                        }
                    }
                } else {
                    i += 1;
                    state = State::Ordinary;
                }
            }
            State::Enclose => {
                if b == b'"' {
                    i += 1;
                    if body.get(i) == Some(&b'"') {
                        removed.insert(i - 1);
                        state = State::EncloseEscape(true);
                    } else {
                        state = State::Ordinary;
                    }
                } else if b == b'\\' {
                    removed.insert(i);
                    i += 1;
                    state = State::Escape(true);
                } else {
                    i += 1;
                }
            }
            State::EncloseEscape(pre_enclose) => {
                i += 1;
                state = if pre_enclose {
                    State::Enclose
                } else {
                    State::Ordinary
                };
            }
            State::Escape(pre_enclose) => {
                let back = if pre_enclose {
                    State::Enclose
                } else {
                    State::Ordinary
                };
                if b == b'"' || b == b'\\' {
                    i += 1;
                    state = back;
                } else if at(i, row_delim) {
                    i += row_delim.len();
                    state = back;
                } else if at(i, col_sep) {
                    i += col_sep.len();
                    state = back;
                } else {
                    state = State::Ordinary; // StarRocks falls through to ORDINARY
                }
            }
            State::Ordinary => {
                if at(i, row_delim) {
                    end = Some((row_delim.len(), true));
                } else if at(i, col_sep) {
                    end = Some((col_sep.len(), false));
                } else if b == b'\\' {
                    removed.insert(i);
                    i += 1;
                    state = State::Escape(false);
                } else if b == b'"' {
                    removed.insert(i);
                    i += 1;
                    state = State::EncloseEscape(false);
                } else {
                    i += 1;
                }
            }
        }
        if let Some((len, is_row_end)) = end {
            row.push(finish(start, i, enclosed, &removed));
            i += len;
            state = State::Start;
            if is_row_end {
                rows.push(std::mem::take(&mut row));
            }
        }
    }
    assert!(
        row.is_empty() && state == State::Start,
        "body does not end with a row delimiter"
    );
    rows
}

fn base64_decode(text: &[u8]) -> Vec<u8> {
    let value = |c: u8| BASE64_ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
    let mut out = Vec::new();
    for chunk in text.chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let n = chunk
            .iter()
            .filter(|&&c| c != b'=')
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | value(c) << (18 - 6 * i));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

/// What StarRocks stores for a text-ish field in CSV (`None`: NULL).
fn csv_stored(fields: &[Field], kinds: &[ColumnKind]) -> Vec<Field> {
    fields
        .iter()
        .zip(kinds)
        .map(|(field, kind)| {
            field.as_ref().map(|bytes| {
                if *kind == ColumnKind::Binary {
                    base64_decode(bytes)
                } else {
                    bytes.clone()
                }
            })
        })
        .collect()
}

/// What StarRocks stores from a JSON body, as text bytes per column plus `__op`.
fn json_stored(body: &[u8], columns: &[TargetColumn]) -> Vec<(Vec<Field>, u8)> {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(body).unwrap();
    rows.into_iter()
        .map(|row| {
            let fields = columns
                .iter()
                .map(|c| match &row[&c.name] {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.as_bytes().to_vec()),
                    other => Some(other.to_string().into_bytes()),
                })
                .collect();
            (fields, row["__op"].as_u64().unwrap() as u8)
        })
        .collect()
}

/// A deterministic generator of hostile strings (xorshift64*).
struct Hostile(u64);

impl Hostile {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "\t", "\n", "\r\n", "\\", "\\N", "N", "\"", "\"\"", "'", ",", "|", "||", "a", "Zz",
            "é", "😀", "\u{0}", " ", "null", "\\\\", "\"\\", "0x09", "\\x09",
        ];
        let len = self.next() % 8;
        (0..len)
            .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
            .collect()
    }

    fn bytes(&mut self) -> Vec<u8> {
        let len = self.next() % 12;
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn csv_round_trips_hostile_text_and_binary() {
    let columns = [
        col("id", "bigint(20)"),
        col("s", "varchar(65533)"),
        col("b", "varbinary"),
    ];
    let kinds: Vec<ColumnKind> = columns.iter().map(|c| column_kind(&c.data_type)).collect();
    for props in [
        vec![],
        vec![("column_separator", "|"), ("row_delimiter", "||\n")],
        vec![("column_separator", "\\x01"), ("row_delimiter", "0x0D0A")],
        vec![("column_separator", ","), ("row_delimiter", "\n")],
    ] {
        let encoder = encoder(&props);
        let mut gen = Hostile(0x9E37_79B9_7F4A_7C15);
        for _round in 0..50 {
            let rows: Vec<(Op, Vec<Value>)> = (0..20)
                .map(|i| {
                    let mut text = gen.text();
                    if text == "\\N" {
                        text.push('x'); // exact `\N` text goes as JSON; tested separately
                    }
                    let op = if gen.next() % 3 == 0 {
                        Op::Delete
                    } else {
                        Op::Upsert
                    };
                    let binary = if gen.next() % 5 == 0 {
                        Value::Null
                    } else {
                        Value::Bytes(gen.bytes())
                    };
                    (op, vec![Value::Int(i), Value::Text(text.into()), binary])
                })
                .collect();
            let body = encode(&encoder, &columns, &rows);
            assert_eq!(body.format, BodyFormat::Csv);
            assert!(
                std::str::from_utf8(&body.bytes).is_ok(),
                "StarRocks refuses non-UTF-8 rows"
            );
            let format = encoder.load_format();
            let parsed =
                starrocks_csv_fields(&body.bytes, &format.column_separator, &format.row_delimiter);
            assert_eq!(parsed.len(), rows.len());
            for ((op, values), fields) in rows.iter().zip(&parsed) {
                assert_eq!(fields.len(), 4, "{fields:?}");
                let stored = csv_stored(&fields[..3], &kinds);
                assert_eq!(
                    stored[0].as_deref(),
                    Some(values[0].clone())
                        .and_then(|v| match v {
                            Value::Int(i) => Some(i.to_string().into_bytes()),
                            _ => None,
                        })
                        .as_deref()
                );
                let Value::Text(text) = &values[1] else {
                    unreachable!()
                };
                assert_eq!(stored[1].as_deref(), Some(text.as_bytes()));
                match &values[2] {
                    Value::Bytes(bytes) => assert_eq!(stored[2].as_deref(), Some(bytes.as_slice())),
                    _ => assert_eq!(stored[2], None),
                }
                assert_eq!(fields[3].as_deref(), Some([b'0' + op.code()].as_slice()));
            }
        }
    }
}

#[test]
fn null_empty_and_backslash_n_text() {
    let columns = [col("s", "varchar(10)"), col("t", "string")];
    let encoder = encoder(&[]);
    // NULL, the empty string and text that merely contains `\N` survive CSV.
    let rows = vec![
        (Op::Upsert, vec![Value::Null, Value::Text("".into())]),
        (
            Op::Upsert,
            vec![Value::Text("a\\N".into()), Value::Text("\\Nb".into())],
        ),
        (
            Op::Upsert,
            vec![Value::Text("\"".into()), Value::Text("\"\"x".into())],
        ),
    ];
    let body = encode(&encoder, &columns, &rows);
    assert_eq!(body.format, BodyFormat::Csv);
    let fields = starrocks_csv_fields(&body.bytes, b"\t", b"\n");
    assert_eq!(fields[0][..2], [None, Some(vec![])]);
    assert_eq!(
        fields[1][..2],
        [Some(b"a\\N".to_vec()), Some(b"\\Nb".to_vec())]
    );
    assert_eq!(
        fields[2][..2],
        [Some(b"\"".to_vec()), Some(b"\"\"x".to_vec())]
    );
    // Text that is exactly `\N` would read as NULL in CSV: the batch goes as JSON.
    let rows = vec![(Op::Upsert, vec![Value::Text("\\N".into()), Value::Null])];
    let body = encode(&encoder, &columns, &rows);
    assert_eq!(body.format, BodyFormat::Json);
    assert_eq!(header(&body, "format"), Some("json"));
    assert_eq!(header(&body, "strip_outer_array"), Some("true"));
    assert_eq!(
        json_stored(&body.bytes, &columns),
        vec![(vec![Some(b"\\N".to_vec()), None], 0)]
    );
    // Also when that row comes after rows already written as CSV: the whole batch is rewritten.
    let rows = vec![
        (Op::Upsert, vec![Value::Text("a".into()), Value::Null]),
        (Op::Delete, vec![Value::Text("b".into()), Value::Null]),
        (Op::Upsert, vec![Value::Null, Value::Text("\\N".into())]),
    ];
    let body = encode(&encoder, &columns, &rows);
    assert_eq!(body.format, BodyFormat::Json);
    assert_eq!(body.row_count, 3);
    assert_eq!(
        json_stored(&body.bytes, &columns),
        vec![
            (vec![Some(b"a".to_vec()), None], 0),
            (vec![Some(b"b".to_vec()), None], 1),
            (vec![None, Some(b"\\N".to_vec())], 0),
        ]
    );
}

#[test]
fn json_round_trips_and_falls_back_to_csv_for_non_utf8_binary() {
    let columns = [
        col("id", "int"),
        col("s", "varchar(100)"),
        col("j", "json"),
        col("b", "varbinary(8)"),
    ];
    let encoder = encoder(&[("format", "json")]);
    let rows = vec![
        (
            Op::Upsert,
            vec![
                Value::Int(1),
                Value::Text("tab\there \"q\" \\ 😀 \\N".into()),
                Value::Json(r#"{"a": [1, "x"]}"#.into()),
                Value::Bytes(b"utf8 ok".to_vec()),
            ],
        ),
        (
            Op::Delete,
            vec![Value::Int(2), Value::Null, Value::Null, Value::Null],
        ),
    ];
    let body = encode(&encoder, &columns, &rows);
    assert_eq!(body.format, BodyFormat::Json);
    let stored = json_stored(&body.bytes, &columns);
    assert_eq!(
        stored[0].0[1].as_deref(),
        Some("tab\there \"q\" \\ 😀 \\N".as_bytes())
    );
    assert_eq!(
        stored[0].0[2].as_deref(),
        Some(br#"{"a":[1,"x"]}"#.as_slice())
    );
    assert_eq!(stored[0].0[3].as_deref(), Some(b"utf8 ok".as_slice()));
    assert_eq!(stored[1], (vec![Some(b"2".to_vec()), None, None, None], 1));

    let rows = vec![(
        Op::Upsert,
        vec![
            Value::Int(3),
            Value::Null,
            Value::Null,
            Value::Bytes(vec![0xff, 0, 0x80]),
        ],
    )];
    let body = encode(&encoder, &columns, &rows);
    assert_eq!(body.format, BodyFormat::Csv);
    let fields = starrocks_csv_fields(&body.bytes, b"\t", b"\n");
    assert_eq!(
        base64_decode(fields[0][3].as_ref().unwrap()),
        vec![0xff, 0, 0x80]
    );
}

/// MariaDB's JSON arrives as text: bound for a JSON column it is the document, in a JSON body
/// (here forced by a `\N` text in another column) as in CSV; text that is not JSON is refused.
#[test]
fn json_text_is_sent_as_the_document_it_holds() {
    let columns = [
        col("id", "int"),
        col("j", "json"),
        col("note", "varchar(8)"),
    ];
    let documents = [
        r#"[]"#,
        r#""str""#,
        r#"{"a": [1, null]}"#,
        "12.50",
        " true ",
    ];
    let rows: Vec<(Op, Vec<Value>)> = documents
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            (
                Op::Upsert,
                vec![
                    Value::Int(i as i64),
                    Value::Text((*doc).into()),
                    Value::Text("\\N".into()),
                ],
            )
        })
        .collect();
    let body = encode(&encoder(&[]), &columns, &rows);
    assert_eq!(body.format, BodyFormat::Json, "the \\N text forces JSON");
    let sent: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&body.bytes).unwrap();
    for (row, doc) in sent.iter().zip(documents) {
        let expected: serde_json::Value = serde_json::from_str(doc).unwrap();
        assert_eq!(row["j"], expected, "{doc}");
    }
    // In CSV the field is the document's text, which StarRocks parses as JSON.
    let rows = [(
        Op::Upsert,
        vec![Value::Int(1), Value::Text("[]".into()), Value::Null],
    )];
    let body = encode(&encoder(&[]), &columns, &rows);
    assert_eq!(body.format, BodyFormat::Csv);
    let fields = starrocks_csv_fields(&body.bytes, b"\t", b"\n");
    assert_eq!(fields[0][1].as_deref(), Some(b"[]".as_slice()));
    // Bytes (a binary collation) are read as UTF-8 text the same way.
    let rows = [(
        Op::Upsert,
        vec![
            Value::Int(1),
            Value::Bytes(b"{\"k\":2}".to_vec()),
            Value::Null,
        ],
    )];
    let body = encode(&encoder(&[("format", "json")]), &columns, &rows);
    let sent: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
    assert_eq!(sent[0]["j"], serde_json::json!({"k": 2}));
    for format in ["csv", "json"] {
        let rows = [(
            Op::Upsert,
            vec![Value::Int(1), Value::Text("not json".into()), Value::Null],
        )];
        let error = encoder(&[("format", format)])
            .encode(
                &table(),
                &columns,
                rows.iter().map(|(op, v)| (*op, v.as_slice())),
            )
            .unwrap_err();
        assert!(!error.is_transient());
        assert!(
            error.message.contains("shop.orders.j") && error.message.contains("not a JSON"),
            "{error}"
        );
    }
}

#[test]
fn unrepresentable_batches_are_refused() {
    let columns = [col("s", "varchar(10)"), col("b", "varbinary")];
    let rows = [
        (Op::Upsert, vec![Value::Text("\\N".into()), Value::Null]),
        (Op::Upsert, vec![Value::Null, Value::Bytes(vec![0xc3])]),
    ];
    for format in ["csv", "json"] {
        let error = encoder(&[("format", format)])
            .encode(
                &table(),
                &columns,
                rows.iter().map(|(op, v)| (*op, v.as_slice())),
            )
            .unwrap_err();
        assert!(!error.is_transient());
        assert!(
            error.message.contains("shop.orders") && error.message.contains("column s"),
            "{error}"
        );
    }
    // Non-UTF-8 bytes bound for a VARCHAR column cannot be sent at all.
    let columns = [col("s", "varchar(10)")];
    let rows = [(Op::Upsert, vec![Value::Bytes(vec![0xff])])];
    let error = encoder(&[])
        .encode(
            &table(),
            &columns,
            rows.iter().map(|(op, v)| (*op, v.as_slice())),
        )
        .unwrap_err();
    assert!(error.message.contains("shop.orders.s"), "{error}");
}

fn render_one(value: Value, data_type: &str, render: RenderOptions) -> Result<Field, Error> {
    let columns = [col("c", data_type)];
    let encoder = Encoder::new(LoadFormat::default(), render);
    let rows = [(Op::Upsert, vec![value])];
    let body = encoder.encode(
        &table(),
        &columns,
        rows.iter().map(|(op, v)| (*op, v.as_slice())),
    )?;
    Ok(starrocks_csv_fields(&body.bytes, b"\t", b"\n")
        .remove(0)
        .remove(0))
}

fn rendered(value: Value, data_type: &str) -> String {
    let field = render_one(value, data_type, RenderOptions::default()).unwrap();
    field.map_or("NULL".into(), |b| String::from_utf8(b).unwrap())
}

#[test]
fn value_contract() {
    assert_eq!(
        rendered(Value::Int(i64::MIN), "bigint"),
        "-9223372036854775808"
    );
    assert_eq!(
        rendered(Value::UInt(u64::MAX), "largeint"),
        "18446744073709551615"
    );
    assert_eq!(
        rendered(Value::Decimal("-12.500".into()), "decimal(10,3)"),
        "-12.500"
    );
    assert_eq!(
        rendered(
            Value::Decimal(
                "12345678901234567890123456789012345.123456789012345678901234567890".into()
            ),
            "varchar(67)"
        ),
        "12345678901234567890123456789012345.123456789012345678901234567890"
    );
    assert_eq!(rendered(Value::Float(0.1), "float"), "0.1");
    assert_eq!(rendered(Value::Double(1e300), "double").len(), 301);
    assert_eq!(rendered(Value::Double(-2.5e-7), "double"), "-0.00000025");
    for x in [
        0.1f64,
        1.0 / 3.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        123456.789e-3,
    ] {
        assert_eq!(
            rendered(Value::Double(x), "double").parse::<f64>().unwrap(),
            x
        );
    }
    assert_eq!(
        rendered(
            Value::Date {
                year: 2024,
                month: 2,
                day: 29
            },
            "date"
        ),
        "2024-02-29"
    );
    assert_eq!(
        rendered(
            Value::Date {
                year: 0,
                month: 1,
                day: 1
            },
            "date"
        ),
        "0000-01-01"
    );
    assert_eq!(
        rendered(
            Value::DateTime {
                year: 2024,
                month: 1,
                day: 2,
                hour: 3,
                minute: 4,
                second: 5,
                micro: 60
            },
            "datetime"
        ),
        "2024-01-02 03:04:05.000060"
    );
    assert_eq!(
        rendered(
            Value::DateTime {
                year: 9999,
                month: 12,
                day: 31,
                hour: 23,
                minute: 59,
                second: 59,
                micro: 0
            },
            "datetime"
        ),
        "9999-12-31 23:59:59"
    );
    assert_eq!(
        rendered(
            Value::Timestamp {
                micros_since_epoch: 1_700_000_000_123_456
            },
            "datetime"
        ),
        "2023-11-14 22:13:20.123456"
    );
    assert_eq!(
        rendered(
            Value::Time {
                negative: true,
                hours: 838,
                minutes: 59,
                seconds: 59,
                micro: 0
            },
            "varchar(32)"
        ),
        "-838:59:59"
    );
    assert_eq!(
        rendered(
            Value::Time {
                negative: false,
                hours: 1,
                minutes: 2,
                seconds: 3,
                micro: 4
            },
            "varchar(32)"
        ),
        "01:02:03.000004"
    );
    assert_eq!(rendered(Value::Year(0), "smallint"), "0");
    assert_eq!(rendered(Value::Year(2155), "smallint"), "2155");
    assert_eq!(rendered(Value::Bool(true), "boolean"), "1");
    assert_eq!(rendered(Value::Bool(false), "boolean"), "0");
    assert_eq!(rendered(Value::Bytes(vec![0x01, 0x02]), "bigint"), "258");
    assert_eq!(rendered(Value::Bytes(vec![0x01]), "boolean"), "1");
    assert_eq!(rendered(Value::Text("a,b".into()), "varchar(10)"), "a,b");
    assert_eq!(
        rendered(Value::Json(r#"{"k": "v\tw"}"#.into()), "json"),
        r#"{"k": "v\tw"}"#
    );
    assert_eq!(rendered(Value::Null, "int"), "NULL");
    // Text bound for VARBINARY is base64 too (StarRocks would decode valid base64 text).
    let field = render_one(
        Value::Text("abcd".into()),
        "varbinary",
        RenderOptions::default(),
    )
    .unwrap();
    assert_eq!(base64_decode(&field.unwrap()), b"abcd");
}

#[test]
fn timestamps_follow_the_zone_and_zero_dates_the_policy() {
    let shanghai = RenderOptions {
        timestamp_tz: TimeZone::fixed(jiff::tz::offset(8)),
        zero_date: ZeroDatePolicy::Null,
    };
    let field = render_one(
        Value::Timestamp {
            micros_since_epoch: 1_000_000,
        },
        "datetime",
        shanghai,
    )
    .unwrap();
    assert_eq!(field.as_deref(), Some(b"1970-01-01 08:00:01".as_slice()));
    for zero in [
        Value::Date {
            year: 0,
            month: 0,
            day: 0,
        },
        Value::Date {
            year: 2020,
            month: 0,
            day: 1,
        },
        Value::DateTime {
            year: 0,
            month: 0,
            day: 0,
            hour: 0,
            minute: 0,
            second: 0,
            micro: 0,
        },
        Value::Timestamp {
            micros_since_epoch: 0,
        },
    ] {
        assert_eq!(
            render_one(zero.clone(), "datetime", RenderOptions::default()).unwrap(),
            None
        );
        let reject = RenderOptions {
            zero_date: ZeroDatePolicy::Reject,
            ..RenderOptions::default()
        };
        let error = render_one(zero, "datetime", reject).unwrap_err();
        assert!(
            error.message.contains("shop.orders.c") && error.message.contains("zero date"),
            "{error}"
        );
    }
}

#[test]
fn csv_headers() {
    let columns = [col("id", "int"), col("create", "int"), col("a`b", "int")];
    let body = encode(
        &encoder(&[("strict_mode", "TRUE"), ("timeout", "60")]),
        &columns,
        &[],
    );
    assert_eq!(body.row_count, 0);
    assert_eq!(
        body.headers,
        vec![
            ("format".to_string(), "csv".to_string()),
            ("columns".into(), "`id`,`create`,`a``b`,`__op`".into()),
            ("column_separator".into(), "\\x09".into()),
            ("row_delimiter".into(), "\\x0A".into()),
            ("enclose".into(), "\"".into()),
            ("escape".into(), "\\".into()),
            ("strict_mode".into(), "true".into()),
            ("timeout".into(), "60".into()),
        ]
    );
}

/// Loads are strict unless the user says otherwise: outside strict mode StarRocks stores NULL
/// for a value it cannot convert or that is too long.
#[test]
fn strict_mode_is_on_by_default() {
    let columns = [col("id", "int")];
    let strict = |props: &[(&str, &str)]| {
        let body = encode(&encoder(props), &columns, &[]);
        body.headers
            .iter()
            .filter(|(k, _)| k == "strict_mode")
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(strict(&[]), vec!["true".to_string()]);
    assert_eq!(strict(&[("format", "json")]), vec!["true".to_string()]);
    assert_eq!(
        strict(&[("strict_mode", "false")]),
        vec!["false".to_string()]
    );
}

#[test]
fn compression_round_trips() {
    let columns = [col("id", "int"), col("s", "string")];
    let rows: Vec<(Op, Vec<Value>)> = (0..100)
        .map(|i| {
            (
                Op::Upsert,
                vec![Value::Int(i), Value::Text("x\ty".repeat(10).into())],
            )
        })
        .collect();
    let plain = encode(&encoder(&[]), &columns, &rows);
    for (name, csv_format) in [("gzip", "gzip"), ("zstd", "zstd"), ("lz4", "lz4")] {
        let body = encode(&encoder(&[("compression", name)]), &columns, &rows);
        assert_eq!(header(&body, "format"), Some(csv_format));
        assert_eq!(body.uncompressed_len, plain.bytes.len());
        let mut inflated = Vec::new();
        match name {
            "gzip" => {
                flate2::read::GzDecoder::new(&body.bytes[..])
                    .read_to_end(&mut inflated)
                    .unwrap();
            }
            "zstd" => inflated = zstd::decode_all(&body.bytes[..]).unwrap(),
            _ => {
                lz4_flex::frame::FrameDecoder::new(&body.bytes[..])
                    .read_to_end(&mut inflated)
                    .unwrap();
            }
        }
        assert_eq!(inflated, plain.bytes, "{name}");
    }
    let body = encode(
        &encoder(&[("format", "json"), ("compression", "lz4")]),
        &columns,
        &rows,
    );
    assert_eq!(header(&body, "format"), Some("json"));
    assert_eq!(header(&body, "compression"), Some("lz4_frame"));
}

#[test]
fn load_props_are_validated() {
    let check = |props: &[(&str, &str)], key: &str| {
        let map: BTreeMap<String, String> = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let error = LoadFormat::from_load_props(&map).unwrap_err();
        assert!(
            error
                .message
                .starts_with(&format!("target.load_props.{key}:")),
            "{error}"
        );
        assert!(!error.is_transient());
    };
    check(&[("format", "parquet")], "format");
    check(&[("frobnicate", "1")], "frobnicate");
    check(&[("columns", "a,b")], "columns");
    check(&[("partial_update", "true")], "partial_update");
    check(&[("column_separator", "\"")], "column_separator");
    check(&[("column_separator", "\\x")], "column_separator");
    check(&[("column_separator", "\\xZZ")], "column_separator");
    check(&[("column_separator", "\\xFF")], "column_separator");
    check(&[("row_delimiter", "N\n")], "row_delimiter");
    check(&[("column_separator", &"x".repeat(51))], "column_separator");
    check(&[("column_separator", "\n")], "column_separator");
    check(
        &[("format", "json"), ("row_delimiter", "|")],
        "row_delimiter",
    );
    check(&[("enclose", "'")], "enclose");
    check(&[("escape", "/")], "escape");
    check(&[("compression", "bzip2")], "compression");
    check(&[("strict_mode", "yes")], "strict_mode");
    check(&[("max_filter_ratio", "2")], "max_filter_ratio");
    check(&[("timeout", "0")], "timeout");
    let ok: BTreeMap<String, String> = [
        ("Format", "JSON"),
        ("max_filter_ratio", "0.1"),
        ("enclose", "\""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let format = LoadFormat::from_load_props(&ok).unwrap();
    assert_eq!(format.format, BodyFormat::Json);
}
