//! The README's first command, `scripts/quickstart.sh`, run end to end on free ports: it starts a
//! real source with sample rows and live writes, the emulator and the daemon; after a while the
//! live writes stop, the script itself checks that StarRocks equals the source row by row, and
//! everything stops cleanly (exit 0, no process left behind).

// Why: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// The repository root, from the manifest directory the test runs with.
fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Where the suite's own build put both binaries (this package's binary, and the emulator's
/// beside it: one workspace, one target directory).
fn bin_dir() -> PathBuf {
    let daemon = PathBuf::from(env!("CARGO_BIN_EXE_mysql2starrocks"));
    let dir = daemon.parent().map(PathBuf::from).unwrap_or_default();
    assert!(
        dir.join("starrocks-emulator").is_file(),
        "starrocks-emulator is not built beside {}",
        daemon.display()
    );
    dir
}

fn run_quickstart(flavor_args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("quickstart");
    let output = Command::new("bash")
        .arg(repo().join("scripts/quickstart.sh"))
        .args(flavor_args)
        .env("QUICKSTART_DIR", &work)
        .env("QUICKSTART_RUN_SECONDS", "12")
        .env("QUICKSTART_BIN_DIR", bin_dir())
        .env("QUICKSTART_SOURCE_PORT", free_port().to_string())
        .env("QUICKSTART_FE_PORT", free_port().to_string())
        .env("QUICKSTART_BE_PORT", free_port().to_string())
        .env("QUICKSTART_QUERY_PORT", free_port().to_string())
        .env("QUICKSTART_ADMIN_PORT", free_port().to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "quickstart failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("StarRocks equals the source, row by row"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("rows  source (customers, orders)"),
        "{stdout}"
    );
    assert!(stdout.contains("stopped; files are in"), "{stdout}");
    // Nothing keeps running from this work directory.
    let left = Command::new("pgrep")
        .args(["-f", &work.display().to_string()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "processes left behind: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[test]
fn quickstart_with_mariadb() {
    run_quickstart(&[]);
}

#[test]
fn quickstart_with_mysql() {
    run_quickstart(&["--mysql"]);
}
