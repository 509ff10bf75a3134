//! The systemd notify protocol, checked against a socket this test listens on as systemd would
//! (`NOTIFY_SOCKET`, `WATCHDOG_USEC`): `READY=1` once both sides are verified, `WATCHDOG=1` pings
//! while the pipeline is healthy, `STOPPING=1` on SIGTERM, then exit 0. Real MariaDB 10.11 and
//! the StarRocks emulator; ends with the full-table comparison.

// Why: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{assert_converges, Bed, Daemon};
use testbed::Flavor;
use tokio::net::UnixDatagram;

/// Receives notify messages until one contains `wanted`; returns every message seen.
async fn receive_until(socket: &UnixDatagram, wanted: &str, seen: &mut Vec<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut buf = vec![0u8; 4096];
    loop {
        let received = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await;
        let n = match received {
            Ok(Ok(n)) => n,
            other => panic!("no {wanted} from the daemon ({other:?}); seen {seen:?}"),
        };
        let message = String::from_utf8_lossy(&buf[..n]).to_string();
        seen.push(message.clone());
        if message.lines().any(|l| l == wanted) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_watchdog_and_stopping_reach_the_notify_socket() {
    let bed = Bed::start(Flavor::MariaDb).await;
    bed.source_exec(&[
        "CREATE DATABASE n",
        "CREATE TABLE n.t (id INT PRIMARY KEY, v VARCHAR(20))",
        "INSERT INTO n.t VALUES (1, 'before start')",
    ])
    .await;
    bed.target_exec(&[
        "CREATE DATABASE n",
        "CREATE TABLE n.t (id INT NOT NULL, v VARCHAR(80)) PRIMARY KEY(id) DISTRIBUTED BY HASH(id)",
    ])
    .await;
    let socket_path = bed.dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let config = bed.write_config_with_snapshot(&["n.*"], "", "  mode: initial", "");
    let socket_text = socket_path.display().to_string();
    let mut daemon = Daemon::spawn_with_env(
        &config,
        &[
            ("NOTIFY_SOCKET", socket_text.as_str()),
            ("WATCHDOG_USEC", "1000000"),
        ],
    );
    let mut seen = Vec::new();
    receive_until(&socket, "READY=1", &mut seen).await;
    daemon.wait_ready().await;
    // At least two pings at half the watchdog interval.
    receive_until(&socket, "WATCHDOG=1", &mut seen).await;
    receive_until(&socket, "WATCHDOG=1", &mut seen).await;
    bed.source_exec(&["INSERT INTO n.t VALUES (2, 'while running')"])
        .await;
    assert_converges(&bed, Some(&mut daemon), &[("n.t", "n.t")]).await;
    let stop = tokio::spawn(async move { daemon.terminate().await });
    receive_until(&socket, "STOPPING=1", &mut seen).await;
    assert_eq!(stop.await.unwrap(), Some(0));
    assert_eq!(
        seen.iter().filter(|m| m.trim() == "READY=1").count(),
        1,
        "READY=1 once: {seen:?}"
    );
}
