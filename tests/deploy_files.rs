//! The deployment files agree with the binary: the systemd unit verifies with
//! `systemd-analyze verify` and uses the daemon's exit codes, paths and timeouts; the example
//! configurations of the unit, the container and the Kubernetes ConfigMap load with the daemon's
//! own loader; the Dockerfile and the StatefulSet run `run --config` on the file they mount and
//! probe the admin port that file sets; the Grafana dashboard only uses metrics the daemon has.

// Why: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mysql2starrocks::config::Config;
use mysql2starrocks::error::{EXIT_CONFIG, EXIT_DEFINITE, EXIT_USAGE};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `Key=value` lines of a unit file (all values of repeated keys).
fn unit_values(unit: &str, key: &str) -> Vec<String> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::to_string)
        .collect()
}

fn load(text: &str, path: &str, env: &dyn Fn(&str) -> Option<String>) -> Config {
    Config::from_yaml(text, Path::new(path), env).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn systemd_unit_verifies_and_matches_the_daemon() {
    let unit = read("deploy/systemd/mysql2starrocks.service");
    let exec = unit_values(&unit, "ExecStart");
    assert_eq!(
        exec,
        vec!["/usr/local/bin/mysql2starrocks run --config /etc/mysql2starrocks/config.yaml"]
    );
    assert_eq!(unit_values(&unit, "Type"), vec!["notify"]);
    assert_eq!(unit_values(&unit, "WatchdogSec").len(), 1);
    let prevent: BTreeSet<u8> = unit_values(&unit, "RestartPreventExitStatus")
        .join(" ")
        .split_whitespace()
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!(
        prevent,
        BTreeSet::from([EXIT_DEFINITE, EXIT_USAGE, EXIT_CONFIG])
    );
    assert_eq!(unit_values(&unit, "Restart"), vec!["on-failure"]);
    assert_eq!(
        unit_values(&unit, "StateDirectory"),
        vec!["mysql2starrocks"]
    );

    // The example configuration of the unit: state in the StateDirectory, passwords from the
    // credentials the unit loads, a stop timeout above the shutdown timeout.
    let credentials = tempfile::tempdir().unwrap();
    for name in ["source-password", "target-password"] {
        std::fs::write(credentials.path().join(name), "secret").unwrap();
        assert!(unit
            .lines()
            .any(|l| l.starts_with(&format!("LoadCredential={name}:"))));
    }
    let dir = credentials.path().display().to_string();
    let config = load(
        &read("deploy/systemd/config.yaml"),
        "/etc/mysql2starrocks/config.yaml",
        &|name| (name == "CREDENTIALS_DIRECTORY").then(|| dir.clone()),
    );
    assert!(config.state_dir.starts_with("/var/lib/mysql2starrocks"));
    let stop = unit_values(&unit, "TimeoutStopSec")[0]
        .trim_end_matches('s')
        .parse::<u64>()
        .unwrap();
    assert!(Duration::from_secs(stop) > config.shutdown_timeout + Duration::from_secs(5));

    // systemd-analyze verify on a copy whose ExecStart names a binary that exists here.
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path().join("mysql2starrocks.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/mysql2starrocks", "/bin/true"),
    )
    .unwrap();
    let output = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .expect("systemd-analyze is installed by scripts/install-build-deps.sh");
    let messages = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{messages}");
    assert!(
        !messages.contains("mysql2starrocks.service"),
        "warnings about the unit: {messages}"
    );
}

#[test]
fn container_image_runs_the_daemon_on_its_config() {
    let dockerfile = read("deploy/Dockerfile");
    assert!(dockerfile.contains(r#"ENTRYPOINT ["/usr/local/bin/mysql2starrocks"]"#));
    assert!(dockerfile.contains(r#"CMD ["run", "--config", "/etc/mysql2starrocks/config.yaml"]"#));
    assert!(dockerfile.contains("COPY deploy/docker/config.yaml /etc/mysql2starrocks/config.yaml"));
    assert!(dockerfile.contains("USER 10001"));
    assert!(dockerfile.contains(r#"VOLUME ["/var/lib/mysql2starrocks"]"#));
    let env = |name: &str| match name {
        "M2S_TABLES" => Some("shop.*".to_string()),
        _ => name.starts_with("M2S_").then(|| "127.0.0.1:1".to_string()),
    };
    let config = load(
        &read("deploy/docker/config.yaml"),
        "/etc/mysql2starrocks/config.yaml",
        &env,
    );
    let port = config.admin.listen.port();
    assert!(
        config.admin.listen.ip().is_unspecified(),
        "reachable from outside"
    );
    assert!(
        dockerfile.contains(&format!("http://127.0.0.1:{port}/healthz")),
        "HEALTHCHECK on the admin port {port}"
    );
    assert!(dockerfile.contains(&format!("EXPOSE {port}")));
    assert!(config.state_dir.starts_with("/var/lib/mysql2starrocks"));
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target/"));
}

#[test]
fn kubernetes_manifests_match_the_config() {
    let configmap: serde_json::Value =
        serde_saphyr::from_str(&read("deploy/kubernetes/configmap.yaml")).unwrap();
    let text = configmap["data"]["config.yaml"].as_str().unwrap();
    let secrets = tempfile::tempdir().unwrap();
    for name in ["source-password", "target-password"] {
        std::fs::write(secrets.path().join(name), "secret").unwrap();
    }
    let text = text.replace(
        "/etc/mysql2starrocks/secrets",
        &secrets.path().display().to_string(),
    );
    let config = load(&text, "/etc/mysql2starrocks/config.yaml", &|_| None);
    let port = config.admin.listen.port();

    let statefulset: serde_json::Value =
        serde_saphyr::from_str(&read("deploy/kubernetes/statefulset.yaml")).unwrap();
    let spec = &statefulset["spec"];
    assert_eq!(spec["replicas"], 1, "one daemon per source");
    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(
        container["args"],
        serde_json::json!(["run", "--config", "/etc/mysql2starrocks/config.yaml"])
    );
    assert_eq!(container["ports"][0]["containerPort"], port);
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    let annotations = &spec["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/port"], port.to_string());
    let mounts = container["volumeMounts"].as_array().unwrap();
    let mount_of = |name: &str| {
        mounts
            .iter()
            .find(|m| m["name"] == name)
            .and_then(|m| m["mountPath"].as_str())
            .unwrap()
            .to_string()
    };
    assert_eq!(mount_of("config"), "/etc/mysql2starrocks/config.yaml");
    assert!(config.state_dir.starts_with(mount_of("state")));
    assert!(text.contains("password_file"));
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(Duration::from_secs(grace) > config.shutdown_timeout);
}

/// The exposition of a registry where every metric family has a sample (empty families are not
/// printed at all).
fn every_metric_exposition() -> String {
    use mysql2starrocks::metrics::{LoadOp, LoadOutcomeLabel, Metrics, SourceOp};
    use mysql2starrocks::position::Position;
    use mysql2starrocks::schema::TableId;
    use mysql2starrocks::status::{PipelineStatus, TablePhase};
    let metrics = Metrics::new();
    let table = TableId::new("shop", "orders");
    metrics.source_events(&table, SourceOp::Insert, 1);
    metrics.rows_loaded(&table, LoadOp::Upsert, 1);
    metrics.load_finished(&table, LoadOutcomeLabel::Success, Duration::from_millis(5));
    metrics.load_retry(&table);
    metrics.batch(1, 10);
    metrics.dirty_batch(&table);
    metrics.ignored_columns(&table, 1);
    metrics.source_reconnect();
    metrics.checkpoint_committed();
    metrics.retention_headroom(1.0);
    let status = PipelineStatus::new(None);
    status.update_table(&table, |t| {
        t.phase = TablePhase::Snapshot;
        t.rows_copied = 1;
        t.rows_estimated = Some(2);
    });
    status.set_checkpoint(Position {
        file: "binlog.000001".into(),
        pos: 4,
        gtid: None,
    });
    status.set_lag(Duration::from_secs(1));
    metrics.refresh_from_status(&status);
    metrics.encode()
}

#[test]
fn grafana_dashboard_uses_existing_metrics() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/mysql2starrocks.json")).unwrap();
    let text = dashboard.to_string();
    let exposition = every_metric_exposition();
    // Every sample name the daemon exposes (counters end in `_total`, histograms in
    // `_bucket`/`_sum`/`_count`).
    let known: BTreeSet<String> = exposition
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect();
    let mut used = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = text[i..].find("mysql2starrocks_") {
        let start = i + found;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        used.insert(text[start..end].to_string());
        i = end;
    }
    assert!(used.len() >= 10, "{used:?}");
    let unknown: Vec<&String> = used.iter().filter(|m| !known.contains(*m)).collect();
    assert!(
        unknown.is_empty(),
        "unknown metrics {unknown:?}; known {known:?}"
    );
}
