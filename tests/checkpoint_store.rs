//! The RocksDB checkpoint store: round trips, durability across kill -9, the one-writer lock,
//! and read-only access while a writer holds the directory.
//!
//! Tests that need a second process re-run this test binary as a child (`--exact <test name>`)
//! with `M2S_CHILD_STATE_DIR` set; the child does its part, prints a marker line and waits on
//! stdin until the parent is done with it (or kills it).

#![allow(clippy::unwrap_used)] // Tests may unwrap (see clippy.toml); helpers here are test code.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use mysql2starrocks::checkpoint::{
    CheckpointStore, CheckpointUpdate, SnapshotState, SourceFlavor, SourceIdentity, SplitProgress,
};
use mysql2starrocks::error::ErrorClass;
use mysql2starrocks::position::{GtidSet, GtidState, MariaGtidList, Position};
use mysql2starrocks::schema::TableId;

const CHILD_ENV: &str = "M2S_CHILD_STATE_DIR";

fn mysql_position(pos: u64) -> Position {
    let mut set = GtidSet::default();
    set.sids.insert(
        ("8a94f357-aab4-11df-86ab-c80aa9429562".into(), String::new()),
        vec![(1, pos)],
    );
    Position {
        file: "binlog.000007".into(),
        pos,
        gtid: Some(GtidState::MySql(set)),
    }
}

fn maria_position(seq: u64) -> Position {
    let mut list = MariaGtidList::default();
    list.domains.insert(0, (1, seq));
    Position {
        file: "mariadb-bin.000002".into(),
        pos: 1000 + seq,
        gtid: Some(GtidState::MariaDb(list)),
    }
}

/// A child process that is killed and reaped when dropped (also when a test fails).
struct ChildProcess(Child);

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns this test binary running only `test_name`, as the child side, and waits for `marker`.
/// Returns the child and the rest of its stdout (keep it open: the child still writes to it).
fn spawn_child(
    test_name: &str,
    dir: &Path,
    marker: &str,
) -> (ChildProcess, BufReader<ChildStdout>) {
    let mut child = ChildProcess(
        Command::new(std::env::current_exe().unwrap())
            .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        let read = stdout.read_line(&mut line).unwrap_or(0);
        if read == 0 {
            let status = child.0.wait().unwrap();
            panic!("child exited ({status}) before printing {marker:?}");
        }
        // Why ends_with: libtest prints "test <name> ... " without a newline before the test
        // body runs, so the first line the child prints shares its line.
        if line.trim_end().ends_with(marker) {
            return (child, stdout);
        }
    }
}

/// The child side: blocks until the parent closes stdin or kills the process.
fn wait_for_parent() {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

#[test]
fn round_trip_of_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = CheckpointStore::open(dir.path()).unwrap();
    assert_eq!(store.load_position().unwrap(), None);
    assert_eq!(store.source_identity().unwrap(), None);
    assert!(!store.first_start_done().unwrap());
    let orders = TableId::new("shop", "orders");
    let dotted = TableId::new("shop.v2", "items/x");
    assert_eq!(
        store.snapshot_state(&orders).unwrap(),
        SnapshotState::Pending
    );

    let identity = SourceIdentity {
        server_uuid: "8a94f357-aab4-11df-86ab-c80aa9429562".into(),
        flavor: SourceFlavor::MySql,
    };
    let copying = SnapshotState::Copying {
        splits: vec![
            SplitProgress {
                from: None,
                to: Some("1000".into()),
                after_key: Some(vec!["3137".into(), "6bf09f9880".into()]),
                done: false,
                rows_copied: 17,
            },
            SplitProgress {
                from: Some("1000".into()),
                to: None,
                after_key: None,
                done: true,
                rows_copied: 0,
            },
        ],
        rows_copied: 17,
    };
    store
        .save(&CheckpointUpdate {
            position: Some(mysql_position(42)),
            source_identity: Some(identity.clone()),
            snapshot_states: vec![
                (orders.clone(), copying.clone()),
                (dotted.clone(), SnapshotState::Done { rows_copied: 3 }),
            ],
            first_start_done: true,
            snapshot_start: Some(mysql_position(40)),
        })
        .unwrap();
    assert_eq!(store.load_position().unwrap(), Some(mysql_position(42)));
    assert_eq!(store.snapshot_start().unwrap(), Some(mysql_position(40)));
    assert_eq!(store.source_identity().unwrap(), Some(identity.clone()));
    assert!(store.first_start_done().unwrap());
    assert_eq!(store.snapshot_state(&orders).unwrap(), copying);
    let states = store.snapshot_states().unwrap();
    assert_eq!(states.len(), 2);
    assert_eq!(states[&dotted], SnapshotState::Done { rows_copied: 3 });

    // A later save of only the position leaves the other keys alone.
    store
        .save(&CheckpointUpdate {
            position: Some(maria_position(9)),
            ..Default::default()
        })
        .unwrap();
    drop(store);

    let store = CheckpointStore::open(dir.path()).unwrap();
    assert_eq!(store.load_position().unwrap(), Some(maria_position(9)));
    assert_eq!(store.source_identity().unwrap(), Some(identity));
    let summary = store.summary().unwrap();
    assert!(summary.first_start_done);
    assert_eq!(summary.snapshot_states.len(), 2);
    assert!(summary.position.unwrap().saved_at <= std::time::SystemTime::now());
}

#[test]
fn epochs_never_repeat_across_reopens_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let store = CheckpointStore::open(dir.path()).unwrap();
        for _ in 0..5 {
            assert!(
                seen.insert(store.next_epoch().unwrap()),
                "epoch handed out twice"
            );
        }
        store.clear_all().unwrap();
    }
    let store = CheckpointStore::open(dir.path()).unwrap();
    let next = store.next_epoch().unwrap();
    assert!(next > *seen.iter().max().unwrap());
}

#[test]
fn clear_all_and_clear_table() {
    let dir = tempfile::tempdir().unwrap();
    let store = CheckpointStore::open(dir.path()).unwrap();
    let a = TableId::new("shop", "a");
    let b = TableId::new("shop", "b");
    store
        .save(&CheckpointUpdate {
            position: Some(mysql_position(5)),
            snapshot_states: vec![
                (a.clone(), SnapshotState::Done { rows_copied: 1 }),
                (b.clone(), SnapshotState::Done { rows_copied: 2 }),
            ],
            first_start_done: true,
            snapshot_start: Some(mysql_position(3)),
            ..Default::default()
        })
        .unwrap();
    store.clear_table(&a).unwrap();
    assert_eq!(store.snapshot_state(&a).unwrap(), SnapshotState::Pending);
    assert_eq!(
        store.snapshot_state(&b).unwrap(),
        SnapshotState::Done { rows_copied: 2 }
    );
    assert_eq!(store.load_position().unwrap(), Some(mysql_position(5)));

    store.clear_all().unwrap();
    assert_eq!(store.load_position().unwrap(), None);
    assert_eq!(store.snapshot_start().unwrap(), None);
    assert!(store.snapshot_states().unwrap().is_empty());
    assert!(!store.first_start_done().unwrap());
}

#[test]
fn a_second_writer_in_the_same_process_gets_a_definite_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = CheckpointStore::open(dir.path()).unwrap();
    let error = CheckpointStore::open(dir.path()).unwrap_err();
    assert_eq!(error.class, ErrorClass::Definite);
    assert_eq!(
        error.message,
        format!(
            "state dir {} is in use by another mysql2starrocks process",
            dir.path().display()
        )
    );
    assert!(error.hint.is_some());
}

#[test]
fn read_only_open_of_a_missing_store_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert!(CheckpointStore::open_read_only(dir.path())
        .unwrap()
        .is_none());
    assert!(CheckpointStore::open_read_only(&dir.path().join("nope"))
        .unwrap()
        .is_none());
    assert!(
        !dir.path().join("nope").exists(),
        "a read-only open must not create the dir"
    );
}

#[test]
fn kill_9_right_after_save_keeps_the_checkpoint() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        // Child: save, say so, and wait to be killed.
        let store = CheckpointStore::open(Path::new(&dir)).unwrap();
        store
            .save(&CheckpointUpdate {
                position: Some(mysql_position(77)),
                snapshot_states: vec![(
                    TableId::new("shop", "orders"),
                    SnapshotState::Copying {
                        splits: vec![SplitProgress {
                            after_key: Some(vec!["35".into()]),
                            rows_copied: 5,
                            ..SplitProgress::default()
                        }],
                        rows_copied: 5,
                    },
                )],
                ..Default::default()
            })
            .unwrap();
        let epoch = store.next_epoch().unwrap();
        println!("epoch {epoch}");
        println!("child-saved");
        std::io::stdout().flush().unwrap();
        wait_for_parent();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _stdout) = spawn_child(
        "kill_9_right_after_save_keeps_the_checkpoint",
        dir.path(),
        "child-saved",
    );
    child.0.kill().unwrap(); // SIGKILL: no destructor, no RocksDB close.
    child.0.wait().unwrap();

    let store = CheckpointStore::open(dir.path()).unwrap();
    assert_eq!(store.load_position().unwrap(), Some(mysql_position(77)));
    assert_eq!(
        store
            .snapshot_state(&TableId::new("shop", "orders"))
            .unwrap(),
        SnapshotState::Copying {
            splits: vec![SplitProgress {
                after_key: Some(vec!["35".into()]),
                rows_copied: 5,
                ..SplitProgress::default()
            }],
            rows_copied: 5
        }
    );
    // The killed process handed out epoch 1; a new one never repeats it.
    assert!(store.next_epoch().unwrap() > 1);
}

#[test]
fn another_process_holding_the_store_blocks_writers_but_not_readers() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        let store = CheckpointStore::open(Path::new(&dir)).unwrap();
        store
            .save(&CheckpointUpdate {
                position: Some(maria_position(3)),
                ..Default::default()
            })
            .unwrap();
        println!("child-holding");
        std::io::stdout().flush().unwrap();
        wait_for_parent();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut child, mut stdout) = spawn_child(
        "another_process_holding_the_store_blocks_writers_but_not_readers",
        dir.path(),
        "child-holding",
    );

    let error = CheckpointStore::open(dir.path()).unwrap_err();
    assert_eq!(error.class, ErrorClass::Definite);
    assert!(
        error
            .message
            .contains("is in use by another mysql2starrocks process"),
        "{error}"
    );

    // `status` reads while the daemon runs.
    let reader = CheckpointStore::open_read_only(dir.path())
        .unwrap()
        .expect("store exists");
    assert_eq!(reader.load_position().unwrap(), Some(maria_position(3)));
    assert!(
        reader.save(&CheckpointUpdate::default()).is_err(),
        "read-only handle must not write"
    );
    drop(reader);

    drop(child.0.stdin.take()); // let the child finish
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.0.wait().unwrap().success(), "child failed:\n{rest}");
    // Once the holder is gone the directory is free again.
    let store = CheckpointStore::open(dir.path()).unwrap();
    assert_eq!(store.load_position().unwrap(), Some(maria_position(3)));
}
