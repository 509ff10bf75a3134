//! Fault injection: every fault, through the Rust handle and the `/_emulator` admin endpoints.

mod http_support;

use std::time::Duration;

use http_support::*;
use starrocks_emulator::faults::{FaultAction, FaultRule};

#[tokio::test]
async fn fail_next_loads_then_retry_with_the_same_label() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults().add(
        FaultRule::once(FaultAction::Fail {
            status: "Fail".into(),
            message: "timeout by txn manager".into(),
        })
        .times(2),
    );
    for _ in 0..2 {
        let answer = stream_load(&emu, "db1", "t", &[("label", "retry1")], "1\ta\t1\n").await;
        assert_eq!(status(&answer), "Fail");
        assert_eq!(message(&answer), "timeout by txn manager");
        assert!(rows(&emu, "db1", "t").is_empty());
        assert_eq!(load_state(&emu, "db1", "retry1").await["state"], "ABORTED");
    }
    let answer = stream_load(&emu, "db1", "t", &[("label", "retry1")], "1\ta\t1\n").await;
    assert_eq!(status(&answer), "Success");
    let attempts = emu.loads();
    assert_eq!(attempts.len(), 3);
    assert!(attempts
        .iter()
        .all(|a| a.label == "retry1" && a.table == "t"));
    assert!(attempts[0]
        .fault
        .as_deref()
        .unwrap()
        .contains("timeout by txn manager"));
    assert_eq!(attempts[2].status, "Success");
    assert_eq!(attempts[2].loaded_rows, 1);
    assert!(emu.faults().list().is_empty());
}

#[tokio::test]
async fn admin_endpoint_adds_lists_and_clears_targeted_faults() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    create(&emu, "db1", pk_table("u"));
    let url = format!("{}/_emulator/faults", emu.fe_http_url());
    let added = client()
        .post(&url)
        .body(r#"{"kind": "too_many_versions", "db": "db1", "table": "u", "times": 0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status().as_u16(), 200);
    let list: serde_json::Value = serde_json::from_str(
        &client()
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(list[0]["kind"], "too_many_versions");
    assert_eq!(list[0]["times"], 0);

    // Other tables are not hit; the target is hit every time until cleared.
    let ok = stream_load(&emu, "db1", "t", &[("label", "a1")], "1\ta\t1\n").await;
    assert_eq!(status(&ok), "Success");
    for label in ["b1", "b2"] {
        let hit = stream_load(&emu, "db1", "u", &[("label", label)], "1\ta\t1\n").await;
        assert_eq!(status(&hit), "Fail");
        assert_eq!(
            message(&hit),
            "Too many versions. tablet_id: 10086, version_count: 1001, limit: 1000"
        );
    }
    let cleared = client()
        .delete(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(cleared, "[]");
    let ok = stream_load(&emu, "db1", "u", &[("label", "b1")], "1\ta\t1\n").await;
    assert_eq!(status(&ok), "Success", "an aborted label is reusable");

    let bad = client()
        .post(&url)
        .body("{\"kind\": \"nope\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);

    let loads: serde_json::Value = serde_json::from_str(
        &client()
            .get(format!("{}/_emulator/loads", emu.fe_http_url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let labels: Vec<&str> = loads
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, vec!["a1", "b1", "b2", "b1"]);
    assert_eq!(loads[1]["status"], "Fail");
    assert_eq!(loads[0]["seq"], 1);
}

#[tokio::test]
async fn delayed_answer_past_the_client_timeout_then_label_already_exists() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults()
        .add(FaultRule::once(FaultAction::Delay { ms: 1500 }));
    let lost = client()
        .put(be_url(&emu, "db1", "t"))
        .header("Authorization", root_auth())
        .header("label", "slow1")
        .timeout(Duration::from_millis(300))
        .body("1\ta\t1\n")
        .send()
        .await;
    assert!(lost.is_err(), "the client times out");
    // The load itself went through.
    assert_eq!(rows(&emu, "db1", "t").len(), 1);
    let retry = stream_load(&emu, "db1", "t", &[("label", "slow1")], "1\ta\t1\n").await;
    assert_eq!(status(&retry), "Label Already Exists");
    assert_eq!(retry["ExistingJobStatus"], "FINISHED");
}

#[tokio::test]
async fn reset_mid_body_drops_the_connection_and_loads_nothing() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults()
        .add(FaultRule::once(FaultAction::ResetMidBody { after_bytes: 6 }).on_table("db1", "t"));
    let auth = root_auth();
    let mut raw = Raw::connect(emu.be_http_addr()).await;
    raw.send(
        format!(
            "PUT /api/db1/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nlabel: rs1\r\nContent-Length: 100\r\n\r\n1\ta\t1\n"
        )
        .as_bytes(),
    )
    .await;
    let (text, closed) = raw.read_to_close().await;
    assert!(closed, "the connection is closed");
    assert!(!text.contains("HTTP/1.1 200"), "no answer: {text}");
    assert!(rows(&emu, "db1", "t").is_empty());
    assert_eq!(load_state(&emu, "db1", "rs1").await["state"], "ABORTED");
    let attempts = emu.loads();
    assert_eq!(attempts[0].status, "connection reset");
    let retry = stream_load(&emu, "db1", "t", &[("label", "rs1")], "1\ta\t1\n").await;
    assert_eq!(status(&retry), "Success");
}

#[tokio::test]
async fn publish_timeout_is_committed_then_visible() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults()
        .add(FaultRule::once(FaultAction::PublishTimeout {
            visible_after_ms: 400,
        }));
    let answer = stream_load(&emu, "db1", "t", &[("label", "pt1")], "1\ta\t1\n").await;
    assert_eq!(status(&answer), "Publish Timeout");
    assert_eq!(answer["NumberLoadedRows"], 1);
    assert_eq!(rows(&emu, "db1", "t").len(), 1, "the data is committed");
    assert_eq!(load_state(&emu, "db1", "pt1").await["state"], "COMMITTED");
    let retry = stream_load(&emu, "db1", "t", &[("label", "pt1")], "1\ta\t1\n").await;
    assert_eq!(retry["ExistingJobStatus"], "FINISHED");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(load_state(&emu, "db1", "pt1").await["state"], "VISIBLE");
}

#[tokio::test]
async fn running_label_then_finished() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults()
        .add(FaultRule::once(FaultAction::KeepRunning { ms: 800 }));
    let url = be_url(&emu, "db1", "t");
    let first = tokio::spawn(async move { be_load(&url, &[("label", "run1")], "1\ta\t1\n").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(load_state(&emu, "db1", "run1").await["state"], "PREPARE");
    let retry = stream_load(&emu, "db1", "t", &[("label", "run1")], "1\ta\t1\n").await;
    assert_eq!(status(&retry), "Label Already Exists");
    assert_eq!(retry["ExistingJobStatus"], "RUNNING");
    assert!(
        rows(&emu, "db1", "t").is_empty(),
        "not visible while running"
    );
    let first = first.await.unwrap();
    assert_eq!(status(&first), "Success");
    assert_eq!(load_state(&emu, "db1", "run1").await["state"], "VISIBLE");
    let retry = stream_load(&emu, "db1", "t", &[("label", "run1")], "1\ta\t1\n").await;
    assert_eq!(retry["ExistingJobStatus"], "FINISHED");
}

#[tokio::test]
async fn begin_time_faults_answer_before_begin() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults()
        .add(FaultRule::once(FaultAction::TooManyRunningTxns));
    let answer = stream_load(&emu, "db1", "t", &[("label", "bt1")], "1\ta\t1\n").await;
    assert_eq!(status(&answer), "Fail");
    assert_eq!(answer["TxnId"], -1);
    assert!(
        message(&answer).starts_with("current running txns on db 1000"),
        "{answer}"
    );
    assert!(
        message(&answer).ends_with("is 1000, larger than limit 1000"),
        "{answer}"
    );
    assert_eq!(load_state(&emu, "db1", "bt1").await["state"], "UNKNOWN");

    emu.faults().add(FaultRule::once(FaultAction::ShuttingDown));
    let answer = stream_load(&emu, "db1", "t", &[("label", "bt1")], "1\ta\t1\n").await;
    assert_eq!(
        message(&answer),
        "Service is shutting down, please retry later!"
    );
    assert_eq!(answer["TxnId"], -1);

    let answer = stream_load(&emu, "db1", "t", &[("label", "bt1")], "1\ta\t1\n").await;
    assert_eq!(status(&answer), "Success");
}

#[tokio::test]
async fn no_backend_alive_on_the_fe() {
    let emu = emulator().await;
    emu.faults()
        .add(FaultRule::once(FaultAction::NoBackendAlive));
    let response = client()
        .put(format!("{}/api/db1/t/_stream_load", emu.fe_http_url()))
        .header("Authorization", root_auth())
        .header("Expect", "100-continue")
        .header("label", "nb1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(
        body["Message"],
        "class com.starrocks.common.DdlException: No backend alive."
    );
    let attempts = emu.loads();
    assert_eq!(attempts[0].port, "fe");
    assert_eq!(attempts[0].label, "nb1");
    // The next PUT is redirected again.
    let response = client()
        .put(format!("{}/api/db1/t/_stream_load", emu.fe_http_url()))
        .header("Authorization", root_auth())
        .header("Expect", "100-continue")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 307);
}

#[tokio::test]
async fn http_status_fault_answers_a_5xx() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults().add(FaultRule::once(FaultAction::HttpStatus {
        code: 503,
        body: "Service Unavailable".into(),
    }));
    let response = client()
        .put(be_url(&emu, "db1", "t"))
        .header("Authorization", root_auth())
        .body("1\ta\t1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.text().await.unwrap(), "Service Unavailable");
    assert_eq!(emu.loads()[0].status, "HTTP 503");
}

#[tokio::test]
async fn discard_answers_success_for_every_row_and_stores_nothing() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    emu.faults()
        .add(FaultRule::once(FaultAction::Discard).times(0));
    // Three rows, the last without its delimiter; not even valid for the table's types.
    let answer = stream_load(
        &emu,
        "db1",
        "t",
        &[("label", "d1")],
        "1\ta\t1\nnot-a-number\tb\t2\n3\tc\t3",
    )
    .await;
    assert_eq!(status(&answer), "Success");
    assert_eq!(answer["NumberLoadedRows"], 3);
    assert_eq!(answer["NumberTotalRows"], 3);
    assert!(rows(&emu, "db1", "t").is_empty());
    assert_eq!(load_state(&emu, "db1", "d1").await["state"], "VISIBLE");
    // Header checks still apply before the body is read.
    let refused = stream_load(&emu, "db1", "missing", &[("label", "d2")], "1\ta\t1\n").await;
    assert_ne!(status(&refused), "Success");
    emu.faults().clear();
    let stored = stream_load(&emu, "db1", "t", &[("label", "d3")], "1\ta\t1\n").await;
    assert_eq!(status(&stored), "Success");
    assert_eq!(rows(&emu, "db1", "t").len(), 1);
}
