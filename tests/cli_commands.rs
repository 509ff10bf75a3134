//! The `mysql2starrocks` binary: exit codes and output of `--version`, a bad config, `status`
//! and `reset`.

#![allow(clippy::unwrap_used)] // Tests may unwrap (see clippy.toml); helpers here are test code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use mysql2starrocks::admin::{serve, AdminState};
use mysql2starrocks::checkpoint::{CheckpointStore, CheckpointUpdate, SnapshotState};
use mysql2starrocks::metrics::Metrics;
use mysql2starrocks::position::Position;
use mysql2starrocks::schema::TableId;
use mysql2starrocks::status::{Phase, PipelineStatus};

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mysql2starrocks"));
    command.stdin(Stdio::null()).env_remove("RUST_LOG");
    command
}

fn run(args: &[&str]) -> Output {
    binary().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes a valid config in `dir` whose admin endpoint is `admin` and state dir `dir/state`.
fn write_config(dir: &Path, admin: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    std::fs::write(
        &path,
        format!(
            "source:\n  user: repl\n  password: secret-pw\n  tables: [\"shop.*\"]\n\
             admin:\n  listen: {admin}\n"
        ),
    )
    .unwrap();
    path
}

/// An address nothing listens on.
fn dead_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

#[test]
fn version_prints_the_package_version() {
    let output = run(&["--version"]);
    assert!(output.status.success());
    assert_eq!(
        text(&output.stdout).trim(),
        format!("mysql2starrocks {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_config_names_the_field_and_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "source:\n  user: repl\n  password: hunter2\n  tables: [\"shop.*\"]\ntarget:\n  max_batch_rows: 0\n",
    )
    .unwrap();
    for command in ["run", "check", "status", "reset"] {
        let output = run(&[command, "--config", path.to_str().unwrap()]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(78), "{command}: {stderr}");
        assert!(
            stderr.contains("target.max_batch_rows: must be > 0"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("bad.yaml"), "{command}: {stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "{command} printed the password: {stderr}"
        );
    }

    let output = run(&[
        "check",
        "--config",
        dir.path().join("missing.yaml").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(78));
    assert!(text(&output.stderr).contains("missing.yaml"));
}

#[test]
fn usage_errors_exit_64() {
    let output = run(&["run"]);
    assert_eq!(output.status.code(), Some(64), "{}", text(&output.stderr));
    let output = run(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(64));
}

#[test]
fn status_without_a_state_dir_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &dead_address());
    let output = run(&["status", "--config", config.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("checkpoint: none"), "{stdout}");
    assert!(stdout.contains("daemon: not answering"), "{stdout}");
    assert!(
        !dir.path().join("state").exists(),
        "status must not create the state dir"
    );

    let output = run(&["status", "--config", config.to_str().unwrap(), "--json"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["checkpoint"], serde_json::Value::Null);
    assert_eq!(json["daemon"], serde_json::Value::Null);
}

#[test]
fn status_reads_the_store_while_it_is_held_and_asks_the_live_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let live = Arc::new(PipelineStatus::new(None));
    live.set_phase(Phase::Streaming);
    live.set_ready(true);
    let state = AdminState {
        status: live.clone(),
        metrics: Metrics::new(),
    };
    let (address, server) = runtime
        .block_on(serve("127.0.0.1:0".parse().unwrap(), state))
        .unwrap();
    let config = write_config(dir.path(), &address.to_string());

    // The "daemon" (this process) holds the store with a position and a table state.
    let store = CheckpointStore::open(&dir.path().join("state")).unwrap();
    store
        .save(&CheckpointUpdate {
            position: Some(Position {
                file: "binlog.000009".into(),
                pos: 4242,
                gtid: None,
            }),
            snapshot_states: vec![(
                TableId::new("shop", "orders"),
                SnapshotState::Done { rows_copied: 12 },
            )],
            ..Default::default()
        })
        .unwrap();

    let output = run(&["status", "--config", config.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains("checkpoint: binlog.000009:4242"),
        "{stdout}"
    );
    assert!(
        stdout.contains("snapshot shop.orders: done (12 rows copied)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("daemon: streaming (ready, healthy)"),
        "{stdout}"
    );

    let output = run(&["status", "--config", config.to_str().unwrap(), "--json"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["checkpoint"]["position"]["pos"], 4242);
    assert_eq!(
        json["checkpoint"]["snapshot"]["shop.orders"]["state"],
        "done"
    );
    assert_eq!(json["daemon"]["phase"], "streaming");

    // While the store is held, reset refuses with a definite error.
    let output = run(&["reset", "--config", config.to_str().unwrap(), "--yes"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("is in use by another mysql2starrocks process"));
    server.abort();
}

#[test]
fn reset_clears_one_table_or_everything() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &dead_address());
    let config = config.to_str().unwrap();
    let state_dir = dir.path().join("state");
    let (a, b) = (TableId::new("shop", "a"), TableId::new("shop", "b"));
    {
        let store = CheckpointStore::open(&state_dir).unwrap();
        store
            .save(&CheckpointUpdate {
                position: Some(Position {
                    file: "binlog.000001".into(),
                    pos: 4,
                    gtid: None,
                }),
                snapshot_states: vec![
                    (a.clone(), SnapshotState::Done { rows_copied: 1 }),
                    (b.clone(), SnapshotState::Done { rows_copied: 2 }),
                ],
                ..Default::default()
            })
            .unwrap();
    }

    // Without --yes and without a terminal, nothing happens.
    let output = run(&["reset", "--config", config]);
    assert_eq!(output.status.code(), Some(64), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("--yes"));

    let output = run(&["reset", "--config", config, "--table", "shop.a", "--yes"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    {
        let store = CheckpointStore::open(&state_dir).unwrap();
        assert_eq!(store.snapshot_state(&a).unwrap(), SnapshotState::Pending);
        assert_eq!(
            store.snapshot_state(&b).unwrap(),
            SnapshotState::Done { rows_copied: 2 }
        );
        assert!(store.load_position().unwrap().is_some());
    }

    let output = run(&["reset", "--config", config, "--table", "shop", "--yes"]);
    assert_eq!(output.status.code(), Some(64));

    let output = run(&["reset", "--config", config, "--yes"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let store = CheckpointStore::open(&state_dir).unwrap();
    assert!(store.load_position().unwrap().is_none());
    assert!(store.snapshot_states().unwrap().is_empty());
}

#[test]
fn reset_without_a_store_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &dead_address());
    let output = run(&["reset", "--config", config.to_str().unwrap(), "--yes"]);
    assert!(output.status.success());
    assert!(text(&output.stdout).contains("nothing to reset"));
    assert!(!dir.path().join("state").exists());
}
