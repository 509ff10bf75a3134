//! The `starrocks-emulator` binary: documented flags, the ready line, SIGTERM.

mod http_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use http_support::*;

#[tokio::test]
async fn binary_prints_the_ready_line_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_starrocks-emulator"))
        .args([
            "--fe-http-port",
            "0",
            "--be-http-port",
            "0",
            "--query-port",
            "0",
            "--host",
            "127.0.0.1",
            "--user",
            "root",
            "--password",
            "",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(30), line)
        .await
        .expect("ready line within 30 s")
        .unwrap()
        .unwrap();
    let rest = line
        .trim_end()
        .strip_prefix("starrocks-emulator ready: ")
        .unwrap_or_else(|| panic!("ready line: {line:?}"));
    let addr = |key: &str| -> String {
        rest.split(' ')
            .find_map(|part| part.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in {rest:?}"))
            .to_string()
    };
    let (fe, be, query) = (addr("fe_http"), addr("be_http"), addr("query"));
    assert!(!fe.ends_with(":0") && !be.ends_with(":0") && !query.ends_with(":0"));

    let redirect = client()
        .put(format!("http://{fe}/api/db/t/_stream_load?x=1"))
        .header("Authorization", root_auth())
        .header("Expect", "100-continue")
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status().as_u16(), 307);
    assert_eq!(
        redirect.headers()["location"].to_str().unwrap(),
        format!("http://{be}/api/db/t/_stream_load?x=1")
    );
    let answer = be_load(&format!("http://{be}/api/db/t/_stream_load"), &[], "1\n").await;
    assert_eq!(message(&answer), "unknown database, database=db");
    tokio::net::TcpStream::connect(&query)
        .await
        .expect("the query port accepts connections");

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exits 0 on SIGTERM: {status:?}");
}
