//! The daemon under measurement: the release binary beside `bench`, run as a child process, with
//! its CPU time and peak RSS read from `/proc/<pid>`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

/// A running daemon.
pub struct DaemonProcess {
    child: Child,
    pid: u32,
    admin: String,
    pub started: Instant,
    log: PathBuf,
}

/// Resource use of the daemon process so far.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// User + system CPU seconds.
    pub cpu_seconds: f64,
    /// Peak resident set size (VmHWM), MiB.
    pub peak_rss_mib: f64,
}

/// The release daemon binary: `mysql2starrocks` in this binary's directory.
pub fn daemon_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let path = exe
        .parent()
        .map(|dir| dir.join("mysql2starrocks"))
        .ok_or("no directory for the bench binary")?;
    if !path.is_file() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release --workspace` (scripts/bench.sh does)",
            path.display()
        ));
    }
    Ok(path)
}

impl DaemonProcess {
    pub fn spawn(config: &Path, admin: &str) -> Result<DaemonProcess, String> {
        let log = config.with_file_name("daemon.log");
        let file = std::fs::File::create(&log).map_err(|e| format!("daemon log: {e}"))?;
        let err = file.try_clone().map_err(|e| format!("daemon log: {e}"))?;
        let child = Command::new(daemon_binary()?)
            .arg("run")
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawning the daemon: {e}"))?;
        let pid = child.id().ok_or("the daemon exited at once")?;
        Ok(DaemonProcess {
            child,
            pid,
            admin: admin.to_string(),
            started: Instant::now(),
            log,
        })
    }

    /// The daemon's log so far (for error messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// CPU time and peak RSS so far.
    pub fn usage(&self) -> Result<Usage, String> {
        let cpu_seconds = process_cpu_seconds(self.pid)?;
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| format!("/proc/{}/status: {e}", self.pid))?;
        let peak_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        Ok(Usage {
            cpu_seconds,
            peak_rss_mib: peak_kib / 1024.0,
        })
    }

    /// The `/status` document, if the admin endpoint answers.
    pub async fn status(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.admin_get("/status").await?).ok()
    }

    /// Seconds spent in Stream Load requests so far, all tables together (the sum of
    /// `load_duration_seconds`): how long the target kept the daemon's loads waiting.
    pub async fn load_seconds(&self) -> Option<f64> {
        let metrics = self.admin_get("/metrics").await?;
        Some(
            metrics
                .lines()
                .filter(|l| l.starts_with("mysql2starrocks_load_duration_seconds_sum"))
                .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
                .sum(),
        )
    }

    /// The body of a GET of `path` on the admin endpoint.
    async fn admin_get(&self, path: &str) -> Option<String> {
        let mut stream = tokio::net::TcpStream::connect(&self.admin).await.ok()?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.admin
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut body = Vec::new();
        stream.read_to_end(&mut body).await.ok()?;
        let text = String::from_utf8_lossy(&body);
        Some(text.split_once("\r\n\r\n")?.1.to_string())
    }

    /// Polls `/status` every 50 ms until `reached` holds for it; fails if the daemon exits or
    /// `timeout` passes (naming `what`).
    async fn wait_status(
        &mut self,
        what: &str,
        timeout: Duration,
        reached: impl Fn(&serde_json::Value) -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the daemon exited with {status}:\n{}",
                    self.log_tail()
                ));
            }
            if let Some(status) = self.status().await {
                if reached(&status) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("{what}: not reached in time:\n{}", self.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the checkpoint reaches `file:pos` (every change up to there is loaded);
    /// returns the time since the daemon started.
    pub async fn wait_checkpoint(
        &mut self,
        file: &str,
        pos: u64,
        timeout: Duration,
    ) -> Result<Duration, String> {
        self.wait_status("the checkpoint", timeout, |status| {
            let at = &status["position"];
            (
                at["file"].as_str().unwrap_or_default(),
                at["pos"].as_u64().unwrap_or(0),
            ) >= (file, pos)
        })
        .await?;
        Ok(self.started.elapsed())
    }

    /// Waits until the daemon is ready (both sides verified).
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        self.wait_status("readiness", timeout, |status| status["ready"] == true)
            .await
    }

    /// Waits for the daemon to exit by itself (successfully); returns the time since it started
    /// and its resource use as last sampled (every 50 ms) before it exited.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Result<(Duration, Usage), String> {
        let deadline = Instant::now() + timeout;
        let mut last = Usage {
            cpu_seconds: 0.0,
            peak_rss_mib: 0.0,
        };
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok((self.started.elapsed(), last)),
                Ok(Some(status)) => {
                    return Err(format!(
                        "the daemon exited with {status}:\n{}",
                        self.log_tail()
                    ))
                }
                Ok(None) => {}
                Err(e) => return Err(format!("waiting for the daemon: {e}")),
            }
            if let Ok(usage) = self.usage() {
                last = usage;
            }
            if Instant::now() > deadline {
                return Err(format!("the daemon did not finish:\n{}", self.log_tail()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then waits for the exit.
    pub async fn stop(mut self) -> Result<(), String> {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        match tokio::time::timeout(Duration::from_secs(60), self.child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err("the daemon did not stop".into()),
        }
    }
}

/// User + system CPU seconds of process `pid`, from `/proc/<pid>/stat`.
pub fn process_cpu_seconds(pid: u32) -> Result<f64, String> {
    let fields = process_stat(pid)?;
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the name.
    Ok((stat_field(&fields, 11) + stat_field(&fields, 12)) / clock_ticks_per_second())
}

/// Minor page faults of `pid` so far: each is a page the kernel had to zero and map, so their
/// count shows how much fresh memory a run touched (deterministic, unlike time on a shared VM).
pub fn process_minor_faults(pid: u32) -> Result<f64, String> {
    // minflt is field 10 (1-based), i.e. 7 after the name.
    Ok(stat_field(&process_stat(pid)?, 7))
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces), so that
/// field 3 (1-based) is at index 0.
fn process_stat(pid: u32) -> Result<Vec<String>, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    Ok(rest.split_whitespace().map(str::to_string).collect())
}

fn stat_field(fields: &[String], index: usize) -> f64 {
    fields
        .get(index)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// `getconf CLK_TCK`, asked once (usage is sampled every 50 ms).
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0)
    })
}
