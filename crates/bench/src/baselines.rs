//! The baselines, run on the same machine in the same invocation:
//! - `mariadb-binlog` / `mysqlbinlog -v --base64-output=decode-rows` decoding the same binlog
//!   files to /dev/null (a C decoder doing less work: no shipping, no checkpoints);
//! - the Python `mysql-replication` package (PyPI) reading the same events as a replica and
//!   touching every row's values (a typical peer), installed into a venv in the cache by the
//!   bench itself;
//! - `mariadb-dump` / `mysqldump --single-transaction --quick` of the snapshot table to a byte
//!   counter (each flavour's own client).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use testbed::Flavor;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::bed::BenchBed;

/// The binlog decoder of the source's flavour.
fn binlog_tool(flavor: Flavor) -> PathBuf {
    match flavor {
        Flavor::MariaDb => PathBuf::from("mariadb-binlog"),
        Flavor::MySql => testbed::cache_dir().join("mysql-9.7/bin/mysqlbinlog"),
    }
}

/// Time for the C decoder to decode the binlog from `file:pos` to the end, to /dev/null.
pub async fn binlog_decode(bed: &BenchBed, file: &str, pos: u64) -> Result<Duration, String> {
    let data_dir = bed.source.data_dir();
    let prefix = file.rsplit_once('.').map_or(file, |(p, _)| p).to_string();
    let mut files: Vec<String> = std::fs::read_dir(&data_dir)
        .map_err(|e| format!("{}: {e}", data_dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|name| {
            name.starts_with(&format!("{prefix}."))
                && name
                    .rsplit_once('.')
                    .is_some_and(|(_, n)| n.chars().all(|c| c.is_ascii_digit()))
                && name.as_str() >= file
        })
        .collect();
    files.sort();
    let started = Instant::now();
    let status = Command::new(binlog_tool(bed.source.flavor()))
        .arg("--base64-output=decode-rows")
        .arg("-v")
        .arg(format!("--start-position={pos}"))
        .args(files.iter().map(|f| data_dir.join(f)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .status()
        .await
        .map_err(|e| format!("running the binlog decoder: {e}"))?;
    if !status.success() {
        return Err(format!("the binlog decoder failed: {status}"));
    }
    Ok(started.elapsed())
}

/// The Python reader, as a script: prints the rows read and the seconds from the first event to
/// the last row.
const PYTHON_READER: &str = r#"
import sys, time
from pymysqlreplication import BinLogStreamReader
from pymysqlreplication.row_event import WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent
host, port, user, password, log_file, log_pos, expected, mariadb = sys.argv[1:9]
stream = BinLogStreamReader(
    connection_settings={"host": host, "port": int(port), "user": user, "passwd": password},
    server_id=6001, log_file=log_file, log_pos=int(log_pos), resume_stream=True, blocking=True,
    only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent], is_mariadb=(mariadb == "1"))
rows = 0
started = None
for event in stream:
    if started is None:
        started = time.monotonic()
    for row in event.rows:
        values = row.get("values") or row.get("after_values")
        rows += 1
    if rows >= int(expected):
        break
print(rows, time.monotonic() - started)
stream.close()
"#;

/// A venv with `mysql-replication` in the cache, created on first use.
async fn python_venv() -> Result<PathBuf, String> {
    let venv = testbed::cache_dir().join("bench-venv");
    let python = venv.join("bin/python3");
    let marker = venv.join("mysql-replication-1.0.9");
    if marker.is_file() {
        return Ok(python);
    }
    eprintln!(
        "installing the Python baseline (mysql-replication 1.0.9) into {}",
        venv.display()
    );
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .await
        .map_err(|e| format!("python3 -m venv: {e}"))?;
    if !created.success() {
        return Err("python3 -m venv failed (install python3-venv)".into());
    }
    let installed = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "mysql-replication==1.0.9",
            "cryptography",
        ])
        .status()
        .await
        .map_err(|e| format!("pip install: {e}"))?;
    if !installed.success() {
        return Err("pip install mysql-replication failed".into());
    }
    std::fs::write(&marker, b"").map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(python)
}

/// Time for the Python package to read `expected` row events from `file:pos`.
pub async fn python_replication(
    bed: &BenchBed,
    file: &str,
    pos: u64,
    expected: u64,
) -> Result<Duration, String> {
    let python = python_venv().await?;
    let mut child = Command::new(python)
        .arg("-c")
        .arg(PYTHON_READER)
        .arg("127.0.0.1")
        .arg(bed.source.port().to_string())
        .arg(testbed::REPL_USER)
        .arg(testbed::REPL_PASSWORD)
        .arg(file)
        .arg(pos.to_string())
        .arg(expected.to_string())
        .arg(if bed.source.flavor() == Flavor::MariaDb {
            "1"
        } else {
            "0"
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("running the Python reader: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let wait = async {
        let mut out = String::new();
        let mut err = String::new();
        let _ = stdout.read_to_string(&mut out).await;
        let _ = stderr.read_to_string(&mut err).await;
        let status = child.wait().await;
        (out, err, status)
    };
    let (out, err, status) = tokio::time::timeout(Duration::from_secs(1800), wait)
        .await
        .map_err(|_| "the Python reader took more than 30 minutes".to_string())?;
    let status = status.map_err(|e| format!("the Python reader: {e}"))?;
    if !status.success() {
        return Err(format!(
            "the Python reader failed ({status}): {}",
            err.trim()
        ));
    }
    let mut parts = out.split_whitespace();
    let rows: u64 = parts.next().and_then(|r| r.parse().ok()).unwrap_or(0);
    let seconds: f64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    if rows < expected {
        return Err(format!("the Python reader saw {rows} of {expected} rows"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The dump client of the source's flavour, and its name.
pub fn dump_tool(flavor: Flavor) -> (PathBuf, &'static str) {
    match flavor {
        Flavor::MariaDb => (PathBuf::from("mariadb-dump"), "mariadb-dump"),
        Flavor::MySql => (
            testbed::cache_dir().join("mysql-9.7/bin/mysqldump"),
            "mysqldump",
        ),
    }
}

/// Time and output bytes of `mariadb-dump`/`mysqldump --single-transaction --quick` of one
/// table.
pub async fn dump(bed: &BenchBed, db: &str, table: &str) -> Result<(Duration, u64), String> {
    let (tool, name) = dump_tool(bed.source.flavor());
    let started = Instant::now();
    let mut child = Command::new(tool)
        .args(["--single-transaction", "--quick", "-h127.0.0.1"])
        .arg(format!("-P{}", bed.source.port()))
        .arg(format!("-u{}", testbed::ADMIN_USER))
        .arg(format!("-p{}", testbed::ADMIN_PASSWORD))
        .args([db, table])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("running {name}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = stdout
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading {name}: {e}"))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
    }
    let status = child.wait().await.map_err(|e| format!("{name}: {e}"))?;
    if !status.success() {
        return Err(format!("{name} failed: {status}"));
    }
    Ok((started.elapsed(), bytes))
}
