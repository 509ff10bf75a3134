//! Stream Load against the project's StarRocks-compatible emulator, in process: the 307 with
//! auth re-sent, FE failover, every fault of the emulator's fault API (retried with the same
//! label, never loaded twice), rejected data, delimiter-hostile values, compression.

// Test set-up failures are test failures: unwrap is the clearest report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mysql2starrocks::schema::TableId;
use mysql2starrocks::sink::encode::{
    BodyFormat, EncodedBody, Encoder, LoadFormat, Op, RenderOptions,
};
use mysql2starrocks::sink::stream_load::{StreamLoadClient, StreamLoadSettings};
use mysql2starrocks::target::{self, TargetTable};
use mysql2starrocks::value::Value;
use mysql_async::prelude::Queryable;
use starrocks_emulator::catalog::Value as Stored;
use starrocks_emulator::faults::{FaultAction, FaultRule};
use starrocks_emulator::{EmulatorConfig, RunningEmulator};

const DB: &str = "shop";
const TABLE: &str = "orders";
const DDL: &str = "CREATE TABLE shop.orders (\
    id BIGINT NOT NULL, note VARCHAR(200) NULL, data VARBINARY(64) NULL, doc JSON NULL, \
    at DATETIME NULL, amount DECIMAL(10,2) NULL) \
    PRIMARY KEY(id) DISTRIBUTED BY HASH(id)";

struct Bed {
    emulator: RunningEmulator,
    table: TargetTable,
}

async fn bed() -> Bed {
    let emulator = starrocks_emulator::start(EmulatorConfig::default())
        .await
        .unwrap();
    let mut conn = query_conn(&emulator).await;
    conn.query_drop("CREATE DATABASE shop").await.unwrap();
    conn.query_drop(DDL).await.unwrap();
    let table = TableId::new(DB, TABLE);
    let schema = source_schema();
    let names: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    let table = target::verify_table(&mut conn, &table, &schema, &names)
        .await
        .unwrap();
    conn.disconnect().await.unwrap();
    Bed { emulator, table }
}

async fn query_conn(emulator: &RunningEmulator) -> mysql_async::Conn {
    let opts = target::query_opts(&emulator.query_addr().to_string(), "root", "").unwrap();
    mysql_async::Conn::new(opts).await.unwrap()
}

fn source_schema() -> mysql2starrocks::schema::TableSchema {
    use mysql2starrocks::schema::{ColumnSchema, MySqlType, TableSchema};
    let column = |name: &str, ty: MySqlType| ColumnSchema {
        name: name.into(),
        ty,
        unsigned: false,
        nullable: true,
        charset: None,
    };
    TableSchema {
        id: TableId::new("src", "orders"),
        columns: vec![
            column("id", MySqlType::BigInt),
            column("note", MySqlType::VarChar { length: 50 }),
            column("data", MySqlType::VarBinary { length: 64 }),
            column("doc", MySqlType::Json),
            column("at", MySqlType::DateTime { fsp: 6 }),
            column(
                "amount",
                MySqlType::Decimal {
                    precision: 10,
                    scale: 2,
                },
            ),
        ],
        key: vec![0],
    }
}

fn settings(urls: Vec<String>) -> StreamLoadSettings {
    StreamLoadSettings {
        load_urls: urls,
        user: "root".into(),
        password: String::new(),
        timeout: Duration::from_secs(10),
        max_retries: 4,
        retry_backoff: Duration::from_millis(20),
    }
}

fn client(bed: &Bed) -> StreamLoadClient {
    StreamLoadClient::new(settings(vec![bed.emulator.fe_http_url()])).unwrap()
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

fn row(id: i64, note: &str) -> (Op, Vec<Value>) {
    (
        Op::Upsert,
        vec![
            Value::Int(id),
            Value::Text(note.into()),
            Value::Null,
            Value::Json(r#"{"k": [1, 2]}"#.into()),
            Value::DateTime {
                year: 2024,
                month: 5,
                day: 6,
                hour: 7,
                minute: 8,
                second: 9,
                micro: 123_456,
            },
            Value::Decimal("-12.50".into()),
        ],
    )
}

fn encode(bed: &Bed, encoder: &Encoder, rows: &[(Op, Vec<Value>)]) -> EncodedBody {
    encoder
        .encode(
            &bed.table.id,
            &bed.table.columns,
            rows.iter().map(|(op, v)| (*op, v.as_slice())),
        )
        .unwrap()
}

/// The stored rows, ordered by key.
fn stored(bed: &Bed) -> Vec<Vec<Stored>> {
    let catalog = bed.emulator.catalog();
    let catalog = catalog.lock().unwrap();
    catalog.table(DB, TABLE).unwrap().row_list()
}

fn stored_ids(bed: &Bed) -> Vec<i128> {
    stored(bed)
        .iter()
        .map(|r| match r[0] {
            Stored::Int(id) => id,
            ref other => panic!("id {other:?}"),
        })
        .collect()
}

/// Loads attempts recorded by the emulator for `label`.
fn attempts_for(bed: &Bed, label: &str) -> Vec<starrocks_emulator::load_log::LoadAttempt> {
    bed.emulator
        .loads()
        .into_iter()
        .filter(|a| a.label == label)
        .collect()
}

#[tokio::test]
async fn load_through_the_redirect_makes_rows_visible() {
    let bed = bed().await;
    let body = encode(&bed, &encoder(&[]), &[row(1, "one"), row(2, "two")]);
    let report = client(&bed)
        .load(DB, TABLE, "m2s-orders-1", &body)
        .await
        .unwrap();
    assert_eq!(report.status, "Success");
    assert_eq!(report.loaded_rows, 2);
    assert_eq!(report.attempts, 1);
    assert_eq!(report.label, "m2s-orders-1");
    let rows = stored(&bed);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        vec![
            Stored::Int(1),
            Stored::Text("one".into()),
            Stored::Null,
            Stored::Json(r#"{"k":[1,2]}"#.into()),
            Stored::Datetime("2024-05-06 07:08:09.123456".into()),
            Stored::Decimal("-12.50".into()),
        ]
    );
    // The BE (reached through the FE's 307) authenticated the load: auth was re-sent.
    let attempts = attempts_for(&bed, "m2s-orders-1");
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0].port, "be");
    assert_eq!(attempts[0].status, "Success");

    // Deletes via __op.
    let body = encode(&bed, &encoder(&[]), &[(Op::Delete, row(1, "one").1)]);
    client(&bed)
        .load(DB, TABLE, "m2s-orders-2", &body)
        .await
        .unwrap();
    assert_eq!(stored_ids(&bed), vec![2]);

    // Loading the same label again is recognised as done and loads nothing twice.
    let body = encode(&bed, &encoder(&[]), &[row(1, "again")]);
    let report = client(&bed)
        .load(DB, TABLE, "m2s-orders-2", &body)
        .await
        .unwrap();
    assert_eq!(report.status, "Label Already Exists");
    assert_eq!(stored_ids(&bed), vec![2]);
}

#[tokio::test]
async fn fails_over_to_the_next_fe() {
    let bed = bed().await;
    // A port nobody listens on.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let client = StreamLoadClient::new(settings(vec![dead, bed.emulator.fe_http_url()])).unwrap();
    let body = encode(&bed, &encoder(&[]), &[row(7, "seven")]);
    let report = client.load(DB, TABLE, "failover-1", &body).await.unwrap();
    assert_eq!(report.attempts, 2);
    assert_eq!(stored_ids(&bed), vec![7]);
    // The working FE is now preferred.
    let body = encode(&bed, &encoder(&[]), &[row(8, "eight")]);
    let report = client.load(DB, TABLE, "failover-2", &body).await.unwrap();
    assert_eq!(report.attempts, 1);
}

#[tokio::test]
async fn wrong_password_is_definite() {
    let bed = bed().await;
    let mut settings = settings(vec![bed.emulator.fe_http_url()]);
    settings.password = "wrong-secret".into();
    let client = StreamLoadClient::new(settings).unwrap();
    let body = encode(&bed, &encoder(&[]), &[row(1, "x")]);
    let error = client.load(DB, TABLE, "auth-1", &body).await.unwrap_err();
    assert!(!error.is_transient(), "{error}");
    assert!(
        error.message.contains("shop.orders") && error.message.contains("auth-1"),
        "{error}"
    );
    assert!(!error.to_string().contains("wrong-secret"));
}

/// Each retryable fault: the load succeeds, every attempt used the same label, rows load once.
#[tokio::test]
async fn retryable_faults_are_retried_with_the_same_label() {
    let bed = bed().await;
    let faults = [
        FaultAction::Fail {
            status: "Fail".into(),
            message: "timeout by txn manager".into(),
        },
        FaultAction::TooManyVersions,
        FaultAction::TooManyRunningTxns,
        FaultAction::NoBackendAlive,
        FaultAction::ShuttingDown,
        FaultAction::HttpStatus {
            code: 503,
            body: "busy".into(),
        },
        FaultAction::ResetMidBody { after_bytes: 10 },
    ];
    for (index, fault) in faults.into_iter().enumerate() {
        let label = format!("fault-{index}");
        let id = 100 + index as i64;
        bed.emulator
            .faults()
            .add(FaultRule::once(fault.clone()).on_table(DB, TABLE));
        let body = encode(&bed, &encoder(&[]), &[row(id, "x")]);
        let report = client(&bed).load(DB, TABLE, &label, &body).await;
        let report = report.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(report.attempts, 2, "{fault:?}");
        let attempts = attempts_for(&bed, &label);
        assert_eq!(attempts.last().unwrap().status, "Success", "{fault:?}");
        if fault == FaultAction::NoBackendAlive {
            // The FE refused the label-less probe; only the retry reached the BE.
            assert_eq!(attempts.len(), 1, "{attempts:?}");
            let fe_failures = bed
                .emulator
                .loads()
                .iter()
                .filter(|a| a.port == "fe")
                .count();
            assert_eq!(fe_failures, 1);
        } else {
            assert_eq!(attempts.len(), 2, "{fault:?}: {attempts:?}");
            assert!(attempts[0].fault.is_some(), "{attempts:?}");
        }
    }
    let ids = stored_ids(&bed);
    assert_eq!(ids, (100..107).collect::<Vec<i128>>());
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_does_not_load_twice() {
    let bed = bed().await;
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::Delay { ms: 2500 }));
    let mut settings = settings(vec![bed.emulator.fe_http_url()]);
    settings.timeout = Duration::from_secs(1);
    let client = StreamLoadClient::new(settings).unwrap();
    let body = encode(&bed, &encoder(&[]), &[row(1, "slow"), row(2, "slow")]);
    let started = Instant::now();
    let report = client.load(DB, TABLE, "slow-1", &body).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(stored_ids(&bed), vec![1, 2]);
    // Only the first attempt reached the BE with data; nothing was loaded twice.
    let loaded: u64 = attempts_for(&bed, "slow-1")
        .iter()
        .map(|a| a.loaded_rows)
        .sum();
    assert_eq!(loaded, 2, "{report:?}");
}

#[tokio::test]
async fn publish_timeout_counts_as_loaded() {
    let bed = bed().await;
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::PublishTimeout {
            visible_after_ms: 200,
        }));
    let body = encode(&bed, &encoder(&[]), &[row(3, "p")]);
    let report = client(&bed)
        .load(DB, TABLE, "publish-1", &body)
        .await
        .unwrap();
    assert_eq!(report.status, "Publish Timeout");
    assert_eq!(report.attempts, 1);
}

#[tokio::test]
async fn a_running_label_is_polled_until_finished() {
    let bed = bed().await;
    bed.emulator
        .faults()
        .add(FaultRule::once(FaultAction::KeepRunning { ms: 1500 }));
    let body = encode(&bed, &encoder(&[]), &[row(5, "r")]);
    let first = {
        let client = client(&bed);
        let body = body.clone();
        tokio::spawn(async move { client.load(DB, TABLE, "running-1", &body).await })
    };
    // Wait until the first load is running, then load the same label: `Label Already Exists`
    // with `RUNNING`, which must be polled, not loaded again.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let running = {
            let catalog = bed.emulator.catalog();
            let catalog = catalog.lock().unwrap();
            catalog
                .databases
                .get(DB)
                .and_then(|d| d.labels.get("running-1"))
                .is_some()
        };
        if running {
            break;
        }
        assert!(Instant::now() < deadline, "the first load never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = client(&bed)
        .load(DB, TABLE, "running-1", &body)
        .await
        .unwrap();
    assert_eq!(second.status, "Label Already Exists");
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status, "Success");
    let statuses: Vec<String> = attempts_for(&bed, "running-1")
        .iter()
        .map(|a| a.status.clone())
        .collect();
    assert!(
        statuses.contains(&"Label Already Exists".to_string()),
        "{statuses:?}"
    );
    assert_eq!(stored_ids(&bed), vec![5]);
}

#[tokio::test]
async fn filtered_rows_are_a_definite_error_with_the_error_log() {
    let bed = bed().await;
    // NULL in the NOT NULL key column: the row is filtered, so the load fails (max_filter_ratio 0).
    let mut bad = row(2, "no key");
    bad.1[0] = Value::Null;
    let body = encode(&bed, &encoder(&[]), &[row(1, "fine"), bad]);
    let error = client(&bed)
        .load(DB, TABLE, "filtered-1", &body)
        .await
        .unwrap_err();
    assert!(!error.is_transient(), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("shop.orders") && text.contains("filtered-1"),
        "{text}"
    );
    assert!(text.contains("too many filtered rows"), "{text}");
    assert!(
        text.contains("Error"),
        "the error log text must be included: {text}"
    );
    assert!(stored(&bed).is_empty());
}

fn hostile_texts() -> Vec<String> {
    vec![
        "tab\there".into(),
        "new\nline and \r\n crlf".into(),
        "\\N".into(),
        "a\\Nb \\\\N".into(),
        "quote \" and \"\" doubled".into(),
        "\"starts with a quote".into(),
        "back\\slash\\".into(),
        "emoji 😀 and é".into(),
        String::new(),
        "null".into(),
        "nul \u{0} byte".into(),
        "\\x09 0x09".into(),
    ]
}

async fn load_and_read_notes(
    bed: &Bed,
    encoder: &Encoder,
    label: &str,
) -> (BodyFormat, Vec<Stored>) {
    let rows: Vec<(Op, Vec<Value>)> = hostile_texts()
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut row = row(i as i64, text);
            row.1[3] = Value::Json(serde_json::json!({ "text": text }).to_string().into());
            row
        })
        .collect();
    let body = encode(bed, encoder, &rows);
    client(bed).load(DB, TABLE, label, &body).await.unwrap();
    (
        body.format,
        stored(bed).into_iter().map(|r| r[1].clone()).collect(),
    )
}

#[tokio::test]
async fn delimiter_hostile_text_round_trips_in_csv_and_json() {
    for (index, props) in [
        vec![],
        vec![("format", "json")],
        vec![("column_separator", "|"), ("row_delimiter", "\\x1E")],
    ]
    .into_iter()
    .enumerate()
    {
        let bed = bed().await;
        let (_, notes) =
            load_and_read_notes(&bed, &encoder(&props), &format!("hostile-{index}")).await;
        let expected: Vec<Stored> = hostile_texts().into_iter().map(Stored::Text).collect();
        assert_eq!(notes, expected, "{props:?}");
    }
    // Without the exact `\N` text, a CSV batch stays CSV.
    let bed = bed().await;
    let rows = vec![row(1, "a\tb")];
    assert_eq!(encode(&bed, &encoder(&[]), &rows).format, BodyFormat::Csv);
}

/// StarRocks base64-decodes CSV fields of VARBINARY columns
/// (`be/src/formats/csv/varbinary_converter.cpp`, `read_string`) and refuses non-UTF-8 CSV rows
/// (`be/src/exec/csv_scanner.cpp`), so the encoder sends binary as base64. This fails until the
/// emulator decodes VARBINARY fields the same way (it stores the field bytes as they are).
#[tokio::test]
async fn binary_values_round_trip() {
    let bed = bed().await;
    let values: Vec<Vec<u8>> = vec![
        vec![0xff, 0x00, 0xfe, b'\t', b'\n', b'"', b'\\'],
        b"\\N".to_vec(),
        Vec::new(),
        "😀".as_bytes().to_vec(),
        (0u8..=63).collect(),
    ];
    let rows: Vec<(Op, Vec<Value>)> = values
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let mut row = row(i as i64, "b");
            row.1[2] = Value::Bytes(bytes.clone());
            row
        })
        .collect();
    let body = encode(&bed, &encoder(&[]), &rows);
    client(&bed)
        .load(DB, TABLE, "binary-1", &body)
        .await
        .unwrap();
    let stored: Vec<Stored> = stored(&bed).into_iter().map(|r| r[2].clone()).collect();
    let expected: Vec<Stored> = values.into_iter().map(Stored::Bytes).collect();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn compressed_bodies_load() {
    for (index, props) in [
        vec![("compression", "gzip")],
        vec![("compression", "zstd")],
        vec![("compression", "lz4")],
        vec![("format", "json"), ("compression", "gzip")],
        vec![("format", "json"), ("compression", "zstd")],
        vec![("format", "json"), ("compression", "lz4")],
    ]
    .into_iter()
    .enumerate()
    {
        let bed = bed().await;
        let rows: Vec<(Op, Vec<Value>)> = (0..50).map(|i| row(i, "compressed\ttext")).collect();
        let body = encode(&bed, &encoder(&props), &rows);
        assert!(body.bytes.len() < body.uncompressed_len, "{props:?}");
        let report = client(&bed)
            .load(DB, TABLE, &format!("compressed-{index}"), &body)
            .await
            .unwrap_or_else(|e| panic!("{props:?}: {e}"));
        assert_eq!(report.loaded_rows, 50, "{props:?}");
        assert_eq!(stored(&bed).len(), 50, "{props:?}");
    }
}
