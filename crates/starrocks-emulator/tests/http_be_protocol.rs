//! BE HTTP port, protocol side: auth, header-phase answers before the body, `100 Continue`, the
//! answer's key order, labels.

mod http_support;

use std::time::Duration;

use http_support::*;

const KEY_ORDER: [&str; 15] = [
    "TxnId",
    "Label",
    "Status",
    "Message",
    "NumberTotalRows",
    "NumberLoadedRows",
    "NumberFilteredRows",
    "NumberUnselectedRows",
    "LoadBytes",
    "LoadTimeMs",
    "BeginTxnTimeMs",
    "StreamLoadPlanTimeMs",
    "ReadDataTimeMs",
    "WriteDataTimeMs",
    "CommitAndPublishTimeMs",
];

/// The keys of a JSON object text in the order they appear.
fn keys_in_order(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.split_once("\":").map(|(k, _)| k.to_string()))
        .collect()
}

#[tokio::test]
async fn be_without_basic_auth_answers_200_fail() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let response = client()
        .put(be_url(&emu, "db1", "t"))
        .header("label", "noauth")
        .body("1\ta\t1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(status(&answer), "Fail");
    assert_eq!(message(&answer), "no valid Basic authorization");
    assert_eq!(answer["TxnId"], -1);
    assert!(rows(&emu, "db1", "t").is_empty());
}

#[tokio::test]
async fn success_answer_has_starrocks_key_order_and_consistent_counters() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let response = client()
        .put(be_url(&emu, "db1", "t"))
        .header("Authorization", root_auth())
        .header("label", "order1")
        .body("1\ta\t1\n2\tb\t2\n")
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert_eq!(keys_in_order(&text), KEY_ORDER.to_vec(), "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status(&answer), "Success");
    assert_eq!(message(&answer), "OK");
    assert!(answer["TxnId"].as_i64().unwrap() > 0);
    assert_eq!(answer["Label"], "order1");
    assert_eq!(answer["NumberTotalRows"], 2);
    assert_eq!(answer["NumberLoadedRows"], 2);
    assert_eq!(answer["NumberFilteredRows"], 0);
    assert_eq!(answer["NumberUnselectedRows"], 0);
    assert_eq!(answer["LoadBytes"], 12);
}

#[tokio::test]
async fn label_already_exists_has_existing_job_status_in_order() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let first = stream_load(&emu, "db1", "t", &[("label", "dup1")], "1\ta\t1\n").await;
    assert_eq!(status(&first), "Success");
    let response = client()
        .put(be_url(&emu, "db1", "t"))
        .header("Authorization", root_auth())
        .header("label", "dup1")
        .body("2\tb\t2\n")
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    let mut expected: Vec<&str> = KEY_ORDER.to_vec();
    expected.insert(3, "ExistingJobStatus");
    assert_eq!(keys_in_order(&text), expected, "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status(&answer), "Label Already Exists");
    assert_eq!(answer["ExistingJobStatus"], "FINISHED");
    assert_eq!(answer["TxnId"], -1);
    assert_eq!(
        message(&answer),
        format!(
            "Label [dup1] has already been used, relate to txn [{}]",
            first["TxnId"]
        )
    );
    // Nothing of the second body was loaded.
    assert_eq!(rows(&emu, "db1", "t").len(), 1);
}

#[tokio::test]
async fn labels_are_unique_per_database_only() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    create(&emu, "db2", pk_table("t"));
    create(&emu, "db1", pk_table("u"));
    let a = stream_load(&emu, "db1", "t", &[("label", "same")], "1\ta\t1\n").await;
    let b = stream_load(&emu, "db2", "t", &[("label", "same")], "1\ta\t1\n").await;
    let c = stream_load(&emu, "db1", "u", &[("label", "same")], "1\ta\t1\n").await;
    assert_eq!(status(&a), "Success");
    assert_eq!(
        status(&b),
        "Success",
        "another database may reuse the label"
    );
    assert_eq!(
        status(&c),
        "Label Already Exists",
        "another table in the same db may not"
    );
}

#[tokio::test]
async fn aborted_labels_may_be_reused() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let failed = stream_load(&emu, "db1", "t", &[("label", "re1")], "bad\ta\t1\n").await;
    assert_eq!(status(&failed), "Fail");
    assert!(failed["TxnId"].as_i64().unwrap() > 0, "failed after begin");
    let retried = stream_load(&emu, "db1", "t", &[("label", "re1")], "1\ta\t1\n").await;
    assert_eq!(status(&retried), "Success");
    assert_ne!(retried["TxnId"], failed["TxnId"]);
    let attempts = emu.loads();
    assert_eq!(attempts.len(), 2);
    assert!(attempts.iter().all(|a| a.label == "re1"));
}

#[tokio::test]
async fn header_errors_before_begin_have_txn_id_minus_one() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("nodb", "t", vec![], "unknown database, database=nodb"),
        ("db1", "nope", vec![], "unknown table \"db1.nope\""),
        (
            "db1",
            "t",
            vec![("format", "parquet")],
            "unknown data format, format=parquet",
        ),
        (
            "db1",
            "t",
            vec![("timeout", "ten")],
            "Invalid timeout format",
        ),
        (
            "db1",
            "t",
            vec![("label", "bad.label")],
            "Label format error. regex: ^[-\\w]{1,128}$, label: bad.label",
        ),
    ];
    for (db, table, headers, expected) in cases {
        let answer = be_load(
            &format!("{}/api/{db}/{table}/_stream_load", emu.be_http_url()),
            &headers,
            "1\ta\t1\n",
        )
        .await;
        assert_eq!(status(&answer), "Fail", "{expected}");
        assert_eq!(message(&answer), expected);
        assert_eq!(answer["TxnId"], -1, "{expected}");
    }
    let long = "x".repeat(129);
    let answer = be_load(
        &be_url(&emu, "db1", "t"),
        &[("label", long.as_str())],
        "1\ta\t1\n",
    )
    .await;
    assert!(message(&answer).starts_with("Label format error."));
    let wrong = client()
        .put(be_url(&emu, "db1", "t"))
        .header("Authorization", basic("root", "bad"))
        .body("1\ta\t1\n")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let wrong: serde_json::Value = serde_json::from_str(&wrong).unwrap();
    assert_eq!(message(&wrong), "Access denied for root@127.0.0.1");
}

#[tokio::test]
async fn planning_errors_abort_the_begun_transaction() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("strict_mode", "yes")],
            "Invalid strict mode format. Must be bool type",
        ),
        (vec![("columns", "id, id")], "Duplicate column: id"),
        (
            vec![("columns", "name, score")],
            "Column has no default value. column: id",
        ),
        (
            vec![("columns", "id, name, x = name")],
            "Mapping column is not in table. column: x",
        ),
        (
            vec![("compression", "gzip"), ("Content-Encoding", "gzip")],
            "Only one of http header content-encoding and compression can be set",
        ),
        (
            vec![("column_separator", "\\x0")],
            "Invalid delimiter '\\x0': hex length must be a even number",
        ),
        (
            vec![("columns", "id, name, score, __op = 'merge'")],
            "load op type string not supported: merge",
        ),
    ];
    for (i, (headers, expected)) in cases.into_iter().enumerate() {
        let label = format!("plan{i}");
        let mut headers = headers;
        headers.push(("label", label.as_str()));
        let answer = be_load(&be_url(&emu, "db1", "t"), &headers, "1\ta\t1\n").await;
        assert_eq!(status(&answer), "Fail");
        assert_eq!(message(&answer), expected);
        assert!(answer["TxnId"].as_i64().unwrap() > 0, "{expected}");
        assert_eq!(load_state(&emu, "db1", &label).await["state"], "ABORTED");
    }
}

#[tokio::test]
async fn missing_label_gets_a_generated_one() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = be_load(&be_url(&emu, "db1", "t"), &[], "1\ta\t1\n").await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(answer["Label"].as_str().unwrap().len(), 36);
}

#[tokio::test]
async fn continue_is_sent_only_after_the_header_phase_succeeds() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let auth = root_auth();
    let body = "1\ta\t1\n";
    let head = |label: &str| {
        format!(
            "PUT /api/db1/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nlabel: {label}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
    };

    // Success: 100 Continue first, then (after the body) the answer.
    let mut raw = Raw::connect(emu.be_http_addr()).await;
    raw.send(head("c1").as_bytes()).await;
    let interim = raw.read_until("\r\n\r\n").await;
    assert_eq!(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    raw.send(body.as_bytes()).await;
    let text = raw.read_until("\n}").await;
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    assert_eq!(status(&raw_json(&text)), "Success");

    // Label conflict: the answer comes at once, with no 100 Continue and no body sent.
    let mut raw = Raw::connect(emu.be_http_addr()).await;
    raw.send(head("c1").as_bytes()).await;
    let text = raw.read_until("\n}").await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(!text.contains("100 Continue"), "{text}");
    assert_eq!(status(&raw_json(&text)), "Label Already Exists");

    // Auth failure likewise.
    let mut raw = Raw::connect(emu.be_http_addr()).await;
    raw.send(
        format!(
            "PUT /api/db1/t/_stream_load HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await;
    let text = raw.read_until("\n}").await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert_eq!(message(&raw_json(&text)), "no valid Basic authorization");
    assert_eq!(rows(&emu, "db1", "t").len(), 1);
}

#[tokio::test]
async fn chunked_bodies_are_accepted() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let auth = root_auth();
    let mut raw = Raw::connect(emu.be_http_addr()).await;
    raw.send(
        format!(
            "PUT /api/db1/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n1\ta\t1\n\r\n6\r\n2\tb\t2\n\r\n0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    let text = raw.read_until("\n}").await;
    assert_eq!(raw_json(&text)["NumberLoadedRows"], 2, "{text}");
}

#[tokio::test]
async fn error_log_of_unknown_file_is_404() {
    let emu = emulator().await;
    let response = client()
        .get(format!(
            "{}/api/_load_error_log?file=error_log_x",
            emu.be_http_url()
        ))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}
