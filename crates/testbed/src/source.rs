//! [`SourceServer`]: one real MariaDB 10.11 or MySQL 9.7 server owned by a test.
//!
//! A server is started by `scripts/source-server.sh` from a copy of the provisioned template in
//! a fresh temporary directory, on a free port of 127.0.0.1 (another port is tried when the
//! chosen one is taken before the server binds it), with a server id unique within the process
//! (and very likely across processes). Invariants:
//! * While a `SourceServer` exists its directory exists; dropping it SIGKILLs the server if it
//!   still runs (the data is discarded anyway, so there is no point in a clean shutdown) and
//!   removes the directory, unless `M2S_KEEP_SOURCE_DIRS=1` (then the path is printed).
//! * The script also runs a watcher that SIGKILLs the server and removes its directory when this
//!   process exits without dropping it (a killed or timed-out test process), so no server
//!   outlives its test process.
//! * Client options never use the Unix socket (`prefer_socket` is off), so tests exercise TCP
//!   and, for MySQL, TLS exactly like the daemon does.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, SslOpts};

use crate::provision::{cache_dir, ensure_provisioned, scripts_dir};
use crate::{Flavor, TestbedError};

/// The user tests write data with: `ALL PRIVILEGES ON *.* WITH GRANT OPTION`, host `%`.
pub const ADMIN_USER: &str = "admin";
/// The password of [`ADMIN_USER`].
pub const ADMIN_PASSWORD: &str = "admin-pw";
/// The user the daemon replicates with: `REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD,
/// SHOW DATABASES ON *.*`, host `%`.
pub const REPL_USER: &str = "repl";
/// The password of [`REPL_USER`].
pub const REPL_PASSWORD: &str = "repl-pw";

/// How many free ports are tried when the server cannot bind the chosen one.
const PORT_ATTEMPTS: usize = 5;

static NEXT_SERVER_SEQ: AtomicU32 = AtomicU32::new(1);

/// A running (or stopped, restartable) real MySQL-family server owned by one test.
#[derive(Debug)]
#[must_use = "dropping a SourceServer stops the server"]
pub struct SourceServer {
    flavor: Flavor,
    port: u16,
    server_id: u32,
    path: PathBuf,
    tempdir: Option<tempfile::TempDir>,
    extra_args: Vec<String>,
    running: bool,
}

impl SourceServer {
    /// Starts a fresh server of `flavor` (provisioning the cache first if its marker is missing)
    /// and returns once `admin` can log in over TCP. Fails with the script's output and the
    /// server's error-log tail if it cannot start.
    pub async fn start(flavor: Flavor) -> Result<SourceServer, TestbedError> {
        Self::start_with_args(flavor, &[]).await
    }

    /// Like [`SourceServer::start`], with extra server command-line arguments appended after the
    /// defaults (they win), e.g. `["--binlog-row-image=MINIMAL"]`. They are kept for
    /// [`SourceServer::start_again`].
    pub async fn start_with_args(
        flavor: Flavor,
        extra_args: &[&str],
    ) -> Result<SourceServer, TestbedError> {
        ensure_provisioned().await?;
        let tempdir = tempfile::Builder::new()
            .prefix(&format!("m2s-{}-", flavor.script_name()))
            .tempdir()
            .map_err(|e| TestbedError::io("creating a temporary directory for a server", e))?;
        let seq = NEXT_SERVER_SEQ.fetch_add(1, Ordering::Relaxed);
        let server_id = (((std::process::id() & 0xF_FFFF) << 10) | (seq & 0x3FF)).max(1);
        let mut server = SourceServer {
            flavor,
            port: 0,
            server_id,
            path: tempdir.path().to_path_buf(),
            tempdir: Some(tempdir),
            extra_args: extra_args.iter().map(|s| (*s).to_owned()).collect(),
            running: false,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            server.port = free_port()?;
            match server.run_start().await {
                Ok(()) => return Ok(server),
                Err(TestbedError::Script { output, .. })
                    if attempt < PORT_ATTEMPTS && output.contains("Address already in use") =>
                {
                    continue
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn run_start(&mut self) -> Result<(), TestbedError> {
        let mut args: Vec<OsString> = vec![
            "start".into(),
            "--flavor".into(),
            self.flavor.script_name().into(),
            "--port".into(),
            self.port.to_string().into(),
            "--dir".into(),
            self.path.clone().into(),
            "--server-id".into(),
            self.server_id.to_string().into(),
            "--watch-pid".into(),
            std::process::id().to_string().into(),
        ];
        if !keep_dirs() {
            args.push("--remove-dir-on-owner-exit".into());
        }
        args.push("--".into());
        args.extend(self.extra_args.iter().map(OsString::from));
        let what = format!(
            "starting {} on 127.0.0.1:{} in {}",
            self.flavor,
            self.port,
            self.path.display()
        );
        run_script(&what, args).await?;
        self.running = true;
        Ok(())
    }

    /// The flavor this server runs.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The TCP port on 127.0.0.1 the server listens on (kept across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's `server_id`.
    pub fn server_id(&self) -> u32 {
        self.server_id
    }

    /// The server's own directory (holding `data/`, `error.log`, the socket and pid file).
    pub fn dir(&self) -> &Path {
        &self.path
    }

    /// The data directory (binlogs live here too).
    pub fn data_dir(&self) -> PathBuf {
        self.path.join("data")
    }

    /// The Unix socket (for command-line clients; the options of this type use TCP).
    pub fn socket_path(&self) -> PathBuf {
        self.path.join("mysqld.sock")
    }

    /// The server's error log.
    pub fn error_log_path(&self) -> PathBuf {
        self.path.join("error.log")
    }

    /// The last `lines` lines of the server's error log (empty if it cannot be read).
    pub fn error_log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.error_log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Whether this handle believes the server runs (it was started and not stopped or killed
    /// through this handle).
    pub fn is_running(&self) -> bool {
        self.running
    }

    fn opts(&self, user: &str, password: &str, tls: bool) -> OptsBuilder {
        let builder = OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(self.port)
            .user(Some(user))
            .pass(Some(password))
            .prefer_socket(false);
        if tls {
            builder.ssl_opts(Some(
                SslOpts::default()
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true),
            ))
        } else {
            builder
        }
    }

    /// Options for the `admin` user over TCP, as users reach the server: MySQL 9.7 over TLS
    /// (accepting its self-signed certificate), MariaDB over plain TCP.
    pub fn admin_opts(&self) -> Opts {
        self.opts(ADMIN_USER, ADMIN_PASSWORD, self.flavor == Flavor::MySql)
            .into()
    }

    /// Options for the `repl` user over TCP: MySQL 9.7 over TLS (`caching_sha2_password`
    /// with the self-signed certificate accepted), MariaDB over plain TCP.
    pub fn repl_opts(&self) -> Opts {
        self.opts(REPL_USER, REPL_PASSWORD, self.flavor == Flavor::MySql)
            .into()
    }

    /// Options for the `repl` user over plain TCP without TLS; with MySQL 9.7 a full
    /// `caching_sha2_password` authentication then goes through the RSA public-key exchange.
    pub fn plain_repl_opts(&self) -> Opts {
        self.opts(REPL_USER, REPL_PASSWORD, false).into()
    }

    /// A new connection as `admin` (see [`SourceServer::admin_opts`]).
    pub async fn admin_conn(&self) -> Result<Conn, TestbedError> {
        Conn::new(self.admin_opts()).await.map_err(|e| {
            TestbedError::mysql(
                format!(
                    "connecting as admin to {} on port {}",
                    self.flavor, self.port
                ),
                e,
            )
        })
    }

    /// Creates database `name` (letters, digits and `_` only, at most 64 characters; it must
    /// not exist yet) and returns the `admin` options with it selected.
    pub async fn create_database(&self, name: &str) -> Result<Opts, TestbedError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(TestbedError::Invalid(format!(
                "database name {name:?} (use 1-64 ASCII letters, digits or '_')"
            )));
        }
        let mut conn = self.admin_conn().await?;
        let created = conn
            .query_drop(format!("CREATE DATABASE `{name}`"))
            .await
            .map_err(|e| TestbedError::mysql(format!("CREATE DATABASE {name}"), e));
        let _ = conn.disconnect().await;
        created?;
        Ok(OptsBuilder::from_opts(self.admin_opts())
            .db_name(Some(name))
            .into())
    }

    /// Stops the server cleanly (SIGTERM, waiting for it to exit; SIGKILL after 60 s). The data
    /// directory stays; [`SourceServer::start_again`] restarts it.
    pub async fn stop(&mut self) -> Result<(), TestbedError> {
        let what = format!("stopping {} on port {}", self.flavor, self.port);
        run_script(&what, self.dir_command("stop")).await?;
        self.running = false;
        Ok(())
    }

    /// Kills the server with SIGKILL (a crash: no clean shutdown) and waits until it is gone.
    /// The data directory stays; [`SourceServer::start_again`] restarts it (with crash recovery).
    pub async fn kill(&mut self) -> Result<(), TestbedError> {
        let what = format!("killing {} on port {}", self.flavor, self.port);
        run_script(&what, self.dir_command("kill")).await?;
        self.running = false;
        Ok(())
    }

    /// Starts the server again on the same data directory, port and server id (after
    /// [`SourceServer::stop`] or [`SourceServer::kill`]); data, binlogs and GTID state are kept.
    /// Fails if it is still running or the port has been taken meanwhile.
    pub async fn start_again(&mut self) -> Result<(), TestbedError> {
        if self.running {
            return Err(TestbedError::Invalid(format!(
                "start_again: {} on port {} is still running",
                self.flavor, self.port
            )));
        }
        self.run_start().await
    }

    /// The flavor's command-line client: MariaDB's `/usr/bin/mariadb`, or MySQL 9.7's `mysql`
    /// wrapper under the cache directory (the same binaries `scripts/source-server.sh` uses).
    pub fn client_path(&self) -> PathBuf {
        match self.flavor {
            Flavor::MariaDb => PathBuf::from("/usr/bin/mariadb"),
            Flavor::MySql => cache_dir().join("mysql-9.7/bin/mysql"),
        }
    }

    /// Runs the SQL script `path` through the flavor's command-line client (its standard input
    /// is the file) as `admin` over the Unix socket, so that what only the client understands
    /// works: `DELIMITER ;;` around triggers and routines, `USE`, comments. The client stops at
    /// the first failing statement; that fails here with its output.
    pub async fn run_sql_file(&self, path: &Path) -> Result<(), TestbedError> {
        let what = format!(
            "running {} on {} (port {})",
            path.display(),
            self.flavor,
            self.port
        );
        let script = std::fs::File::open(path)
            .map_err(|e| TestbedError::io(format!("{what}: opening the file"), e))?;
        let output = tokio::process::Command::new(self.client_path())
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket_path().display()))
            .arg(format!("--user={ADMIN_USER}"))
            .arg(format!("--password={ADMIN_PASSWORD}"))
            .arg("--default-character-set=utf8mb4")
            .arg("--batch")
            .stdin(Stdio::from(script))
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| TestbedError::io(format!("{what}: running the client"), e))?;
        if output.status.success() {
            return Ok(());
        }
        Err(TestbedError::Script {
            what,
            output: format!(
                "{} exited with {}\n{}{}",
                self.client_path().display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }

    fn dir_command(&self, command: &str) -> Vec<OsString> {
        vec![command.into(), "--dir".into(), self.path.clone().into()]
    }
}

impl Drop for SourceServer {
    fn drop(&mut self) {
        if self.running {
            let result = std::process::Command::new("bash")
                .arg(scripts_dir().join("source-server.sh"))
                .args(self.dir_command("kill"))
                .stdin(Stdio::null())
                .output();
            match result {
                Ok(out) if out.status.success() => {}
                Ok(out) => eprintln!(
                    "testbed: killing {} on port {} failed: {}{}",
                    self.flavor,
                    self.port,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(e) => eprintln!("testbed: cannot run source-server.sh kill: {e}"),
            }
        }
        if let Some(tempdir) = self.tempdir.take() {
            if keep_dirs() {
                let path = tempdir.keep();
                eprintln!("testbed: kept {} directory {}", self.flavor, path.display());
            }
        }
    }
}

fn keep_dirs() -> bool {
    std::env::var_os("M2S_KEEP_SOURCE_DIRS").is_some_and(|v| v == "1")
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, TestbedError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| TestbedError::io("binding 127.0.0.1:0 to find a free port", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| TestbedError::io("reading the address of 127.0.0.1:0", e))?
        .port();
    Ok(port)
}

/// Runs `scripts/source-server.sh ARGS`; on failure returns [`TestbedError::Script`] with its
/// output. Returns its stdout on success.
async fn run_script(what: &str, args: Vec<OsString>) -> Result<String, TestbedError> {
    let script = scripts_dir().join("source-server.sh");
    let output = tokio::process::Command::new("bash")
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| TestbedError::io(format!("{what}: running {}", script.display()), e))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    Err(TestbedError::Script {
        what: what.to_owned(),
        output: format!(
            "{} exited with {}\n{}{}",
            script.display(),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}
