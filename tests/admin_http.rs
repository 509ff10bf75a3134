//! The admin endpoint over real HTTP: /metrics, /healthz, /readyz, /status.

#![allow(clippy::unwrap_used)] // Tests may unwrap (see clippy.toml); helpers here are test code.

use std::sync::Arc;
use std::time::Duration;

use mysql2starrocks::admin::{serve, AdminState};
use mysql2starrocks::metrics::{LoadOp, Metrics, SourceOp};
use mysql2starrocks::position::Position;
use mysql2starrocks::schema::TableId;
use mysql2starrocks::status::{Phase, PipelineStatus, StatusReport, TablePhase};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn get(client: &reqwest::Client, url: String) -> (u16, String, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn endpoints_follow_the_pipeline_status() {
    let status = Arc::new(PipelineStatus::new(None));
    let metrics = Metrics::new();
    let state = AdminState {
        status: status.clone(),
        metrics: metrics.clone(),
    };
    let (address, server) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let base = format!("http://{address}");
    let client = client();

    // Starting: alive, not ready.
    assert_eq!(get(&client, format!("{base}/healthz")).await.0, 200);
    let (code, _, body) = get(&client, format!("{base}/readyz")).await;
    assert_eq!((code, body.as_str()), (503, "not ready: starting\n"));

    // Streaming with progress.
    let orders = TableId::new("shop", "orders");
    status.set_phase(Phase::Streaming);
    status.set_ready(true);
    status.set_lag(Duration::from_millis(250));
    status.set_checkpoint(Position {
        file: "binlog.000004".into(),
        pos: 1234,
        gtid: None,
    });
    status.update_table(&orders, |t| {
        t.phase = TablePhase::Streaming;
        t.target = "ods.orders".into();
        t.rows_loaded = 10;
    });
    metrics.source_events(&orders, SourceOp::Update, 4);
    metrics.rows_loaded(&orders, LoadOp::Upsert, 10);

    assert_eq!(get(&client, format!("{base}/readyz")).await.0, 200);
    let (code, content_type, text) = get(&client, format!("{base}/metrics")).await;
    assert_eq!(code, 200);
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    for expected in [
        "mysql2starrocks_up 1",
        "mysql2starrocks_source_events_total{table=\"shop.orders\",op=\"update\"} 4",
        "mysql2starrocks_rows_loaded_total{table=\"shop.orders\",op=\"upsert\"} 10",
        "mysql2starrocks_replication_lag_seconds 0.25",
        "mysql2starrocks_checkpoint_position{file=\"binlog.000004\"} 1234",
        "mysql2starrocks_pipeline_phase{phase=\"streaming\"} 1",
        "# TYPE mysql2starrocks_batch_bytes histogram",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }

    let (code, content_type, body) = get(&client, format!("{base}/status")).await;
    assert_eq!(code, 200);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let report: StatusReport = serde_json::from_str(&body).unwrap();
    assert_eq!(report.phase, Phase::Streaming);
    assert!(report.ready && report.healthy);
    assert_eq!(report.lag_seconds, Some(0.25));
    assert_eq!(report.position.as_ref().unwrap().pos, 1234);
    let table = &report.tables["shop.orders"];
    assert_eq!(
        (table.phase, table.rows_loaded, table.target.as_str()),
        (TablePhase::Streaming, 10, "ods.orders")
    );

    // Stalled: liveness fails with the reason.
    status.set_stalled(Some("loader of shop.orders stuck for 600 s".into()));
    let (code, _, body) = get(&client, format!("{base}/healthz")).await;
    assert_eq!(code, 503);
    assert!(body.contains("loader of shop.orders stuck"), "{body}");
    status.set_stalled(None);
    assert_eq!(get(&client, format!("{base}/healthz")).await.0, 200);

    assert_eq!(get(&client, format!("{base}/nope")).await.0, 404);
    server.abort();
}

#[tokio::test]
async fn a_busy_listen_address_is_a_definite_error_naming_the_key() {
    let holder = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let busy = holder.local_addr().unwrap();
    let state = AdminState {
        status: Arc::new(PipelineStatus::new(None)),
        metrics: Metrics::new(),
    };
    let error = serve(busy, state).await.unwrap_err();
    assert!(!error.is_transient());
    assert!(
        error.message.contains(&format!("admin.listen {busy}")),
        "{error}"
    );
}
