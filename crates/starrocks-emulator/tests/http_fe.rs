//! FE HTTP port: authentication, the Expect check, the 307 redirect, get_load_state, 404.

mod http_support;

use std::time::Duration;

use http_support::*;

#[tokio::test]
async fn missing_auth_is_401_with_realm_and_lower_case_json() {
    let emu = emulator().await;
    let response = client()
        .put(format!("{}/api/db1/t/_stream_load", emu.fe_http_url()))
        .header("Expect", "100-continue")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response.headers()["www-authenticate"].to_str().unwrap(),
        "Basic realm=\"\""
    );
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], "FAILED");
    assert_eq!(body["message"], "Need auth information.");
    assert_eq!(body["msg"], "Need auth information.");
    assert!(body.get("code").is_some());
}

#[tokio::test]
async fn wrong_password_is_401_access_denied() {
    let emu = emulator().await;
    let response = client()
        .put(format!("{}/api/db1/t/_stream_load", emu.fe_http_url()))
        .header("Authorization", basic("root", "wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["message"], "Access denied for root@127.0.0.1");
}

#[tokio::test]
async fn auth_is_checked_before_expect() {
    // No auth and no Expect: the answer is the 401, not the Expect failure.
    let emu = emulator().await;
    let mut raw = Raw::connect(emu.fe_http_addr()).await;
    raw.send(b"PUT /api/db1/t/_stream_load HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .await;
    let text = raw.read_until("}").await;
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
}

#[tokio::test]
async fn http11_without_expect_fails_and_closes() {
    let emu = emulator().await;
    let mut raw = Raw::connect(emu.fe_http_addr()).await;
    let auth = root_auth();
    raw.send(
        format!(
            "PUT /api/db1/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: 3\r\n\r\n1\t2"
        )
        .as_bytes(),
    )
    .await;
    let (text, closed) = raw.read_to_close().await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    assert!(closed, "the FE closes the connection");
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    assert_eq!(
        body,
        "{\"Status\": \"FAILED\", \"Message\": \"class com.starrocks.common.DdlException: There is no 100-continue header\"}"
    );
    let attempts = emu.loads();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, "FAILED");
    assert_eq!(attempts[0].port, "fe");
}

#[tokio::test]
async fn http10_is_exempt_from_the_expect_check() {
    let emu = emulator().await;
    let mut raw = Raw::connect(emu.fe_http_addr()).await;
    let auth = root_auth();
    raw.send(
        format!(
            "PUT /api/db1/t/_stream_load?x=1 HTTP/1.0\r\nAuthorization: {auth}\r\nContent-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    let (text, _) = raw.read_to_close().await;
    assert!(text.starts_with("HTTP/1.0 307"), "{text}");
    let expected = format!(
        "location: http://127.0.0.1:{}/api/db1/t/_stream_load?x=1",
        emu.be_http_addr().port()
    );
    assert!(text.to_ascii_lowercase().contains(&expected), "{text}");
}

#[tokio::test]
async fn redirect_keeps_path_and_query_and_never_reads_the_body() {
    let emu = emulator().await;
    let mut raw = Raw::connect(emu.fe_http_addr()).await;
    let auth = root_auth();
    // Announce a 100000-byte body and send none of it.
    raw.send(
        format!(
            "PUT /api/db1/my%20t/_stream_load?a=1&b=x%2Fy HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nlabel: l1\r\nContent-Length: 100000\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    let (text, closed) = raw.read_to_close().await;
    assert!(
        text.starts_with("HTTP/1.1 307 Temporary Redirect\r\n"),
        "no 100 Continue first: {text}"
    );
    assert!(!text.contains("100 Continue"), "{text}");
    let location = text
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .expect("location");
    assert_eq!(
        location,
        format!(
            "http://127.0.0.1:{}/api/db1/my%20t/_stream_load?a=1&b=x%2Fy",
            emu.be_http_addr().port()
        )
    );
    assert!(!location.contains('@'), "no credentials in the URL");
    assert!(text.to_ascii_lowercase().contains("connection: close"));
    assert!(closed, "the FE closes the connection after the 307");
}

#[tokio::test]
async fn redirect_without_query_has_no_question_mark() {
    let emu = emulator().await;
    let response = client()
        .put(format!("{}/api/db1/t/_stream_load", emu.fe_http_url()))
        .header("Authorization", root_auth())
        .header("Expect", "100-continue")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 307);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("{}/api/db1/t/_stream_load", emu.be_http_url())
    );
}

#[tokio::test]
async fn get_load_state_reports_label_states_and_errors() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let state = load_state(&emu, "db1", "nope").await;
    assert_eq!(state["state"], "UNKNOWN");
    assert_eq!(state["status"], "OK");
    let answer = stream_load(&emu, "db1", "t", &[("label", "gl1")], "1\ta\t1\n").await;
    assert_eq!(status(&answer), "Success");
    let state = load_state(&emu, "db1", "gl1").await;
    assert_eq!(state["state"], "VISIBLE");
    assert_eq!(state["code"], "0");
    assert_eq!(state["msg"], "Success");
    assert_eq!(state["message"], "OK");
    // Labels are per database.
    assert_eq!(load_state(&emu, "db2", "gl1").await["state"], "UNKNOWN");

    let missing = client()
        .get(format!("{}/api/db1/get_load_state", emu.fe_http_url()))
        .header("Authorization", root_auth())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let missing: serde_json::Value = serde_json::from_str(&missing).unwrap();
    assert_eq!(missing["status"], "FAILED");
    assert_eq!(missing["code"], "1");
    assert_eq!(missing["message"], "No label selected.");
    let unknown = load_state(&emu, "nodb", "x").await;
    assert_eq!(unknown["status"], "FAILED");
    assert_eq!(unknown["message"], "unknown database, database=nodb");

    let unauthorized = client()
        .get(format!(
            "{}/api/db1/get_load_state?label=gl1",
            emu.fe_http_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status().as_u16(), 401);
}

#[tokio::test]
async fn aborted_label_state_has_a_reason() {
    let emu = emulator().await;
    create(&emu, "db1", pk_table("t"));
    let answer = stream_load(&emu, "db1", "t", &[("label", "ab1")], "x\ta\t1\n").await;
    assert_eq!(status(&answer), "Fail");
    let state = load_state(&emu, "db1", "ab1").await;
    assert_eq!(state["state"], "ABORTED");
    assert_eq!(state["reason"], "too many filtered rows");
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let emu = emulator().await;
    for url in [
        format!("{}/api/nothing", emu.fe_http_url()),
        format!("{}/api/db1/t/_stream_load", emu.be_http_url()).replace("_stream_load", "x"),
    ] {
        let response = client()
            .get(url)
            .header("Authorization", root_auth())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404);
    }
}

#[tokio::test]
async fn keep_alive_requests_after_get_load_state_still_work() {
    let emu = emulator().await;
    let c = client();
    for _ in 0..3 {
        let response = c
            .get(format!(
                "{}/api/db1/get_load_state?label=a",
                emu.fe_http_url()
            ))
            .header("Authorization", root_auth())
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
}
