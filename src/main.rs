//! Command-line entry point of the `mysql2starrocks` daemon.
//!
//! Boots in two phases: the configuration and logging are set up synchronously, then the Tokio
//! runtime is built for the command. Every command returns an exit code:
//! 0 success, 1 transient error that outlived its retries, 2 definite error,
//! 64 command-line usage error, 78 configuration error (see `error::EXIT_*`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mysql2starrocks::checkpoint::{CheckpointStore, CheckpointSummary, PositionJson};
use mysql2starrocks::config::{parse_table_id, Config, ConfigError};
use mysql2starrocks::error::{Error, EXIT_CONFIG, EXIT_TRANSIENT, EXIT_USAGE};
use mysql2starrocks::status::StatusReport;
use mysql2starrocks::{logging, pipeline};
use serde::Serialize;

/// mimalloc instead of glibc malloc: see the note on the dependency in Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Replicates MySQL and MariaDB tables into StarRocks primary-key tables in real time.
#[derive(Debug, Parser)]
#[command(name = "mysql2starrocks", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replicate in the foreground until SIGTERM or SIGINT.
    Run {
        /// Configuration file (YAML).
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Validate the configuration, connect to both sides, run the preflight checks and verify
    /// the target tables.
    Check {
        /// Configuration file (YAML).
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Show the saved checkpoint and, if the daemon runs, its live status.
    Status {
        /// Configuration file (YAML).
        #[arg(long, short)]
        config: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Forget the checkpoint (start over), or one table's snapshot state (copy it again).
    Reset {
        /// Configuration file (YAML).
        #[arg(long, short)]
        config: PathBuf,
        /// Only this source table (`db.table`): its snapshot is redone on the next start.
        #[arg(long)]
        table: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are "errors" that print to stdout and succeed.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Stream Load and TLS to the source use rustls with the ring provider; install it once for
    // the whole process (an error only means one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();

    match cli.command {
        Command::Run { config } => run(&config),
        Command::Check { config } => check(&config),
        Command::Status { config, json } => status(&config, json),
        Command::Reset { config, table, yes } => reset(&config, table.as_deref(), yes),
    }
}

/// Loads the configuration, or prints why not.
fn load_config(path: &Path) -> Result<Config, ExitCode> {
    Config::load(path).map_err(|error: ConfigError| {
        eprintln!("error: {error}");
        ExitCode::from(error.exit_code())
    })
}

fn report_error(error: &Error) -> ExitCode {
    tracing::error!(message = "Stopped.", error = %error.message, hint = error.hint.as_deref(), class = %error.class);
    eprintln!("error ({}): {error}", error.class);
    ExitCode::from(error.class.exit_code())
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::from(EXIT_TRANSIENT)
        })
}

fn run(path: &Path) -> ExitCode {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    if let Err(error) = logging::init(&config.log) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    tracing::info!(
        message = "Starting.",
        version = env!("CARGO_PKG_VERSION"),
        config = %path.display(),
        state_dir = %config.state_dir.display(),
    );
    let shutdown_timeout = config.shutdown_timeout;
    let result = runtime.block_on(async move {
        let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(watch_signals(shutdown_tx, shutdown_timeout));
        pipeline::run(config, shutdown_rx).await
    });
    // Why: a task stuck in blocking I/O must not keep the process alive after the pipeline
    // returned.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => {
            tracing::info!(message = "Stopped.");
            ExitCode::SUCCESS
        }
        Err(error) => report_error(&error),
    }
}

/// Turns the first SIGTERM/SIGINT into the shutdown signal. A second signal, or a shutdown
/// longer than `shutdown_timeout` (plus a grace period), exits at once: nothing is lost, the
/// next start replays from the last checkpoint.
async fn watch_signals(shutdown: tokio::sync::watch::Sender<bool>, shutdown_timeout: Duration) {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::error!(message = "Cannot listen for SIGTERM.", %error);
                return;
            }
        };
    let signal_name = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    };
    tracing::info!(
        message = "Shutting down.",
        signal = signal_name,
        timeout_ms = shutdown_timeout.as_millis() as u64
    );
    let _ = shutdown.send(true);
    if let Err(error) = sd_notify::notify(&[sd_notify::NotifyState::Stopping]) {
        tracing::warn!(message = "Cannot notify systemd.", %error);
    }
    let grace = shutdown_timeout + Duration::from_secs(5);
    tokio::select! {
        _ = terminate.recv() => tracing::warn!(message = "Second signal: exiting now."),
        _ = tokio::signal::ctrl_c() => tracing::warn!(message = "Second signal: exiting now."),
        () = tokio::time::sleep(grace) => tracing::error!(
            message = "Shutdown took too long: exiting without a final checkpoint.",
            timeout_ms = grace.as_millis() as u64,
        ),
    }
    std::process::exit(i32::from(EXIT_TRANSIENT));
}

fn check(path: &Path) -> ExitCode {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    if let Err(error) = logging::init(&config.log) {
        eprintln!("error: {error}");
        return ExitCode::from(EXIT_CONFIG);
    }
    println!("configuration {}: valid", path.display());
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(pipeline::check(&config)) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => report_error(&error),
    }
}

/// `status --json` output.
#[derive(Serialize)]
struct StatusOutput {
    state_dir: String,
    checkpoint: Option<CheckpointOutput>,
    daemon: Option<StatusReport>,
}

#[derive(Serialize)]
struct CheckpointOutput {
    position: Option<PositionJson>,
    gtid: Option<String>,
    saved_at_unix_ms: Option<u64>,
    source_server_uuid: Option<String>,
    source_flavor: Option<String>,
    first_start_done: bool,
    next_epoch: u64,
    snapshot: std::collections::BTreeMap<String, serde_json::Value>,
}

fn checkpoint_output(summary: &CheckpointSummary) -> CheckpointOutput {
    let position = summary
        .position
        .as_ref()
        .map(|saved| PositionJson::from_position(&saved.position));
    CheckpointOutput {
        gtid: position.as_ref().and_then(PositionJson::gtid_text),
        position,
        saved_at_unix_ms: summary.position.as_ref().and_then(|saved| {
            let since_epoch = saved.saved_at.duration_since(std::time::UNIX_EPOCH).ok()?;
            u64::try_from(since_epoch.as_millis()).ok()
        }),
        source_server_uuid: summary
            .source_identity
            .as_ref()
            .map(|id| id.server_uuid.clone()),
        source_flavor: summary
            .source_identity
            .as_ref()
            .map(|id| serde_name(&id.flavor)),
        first_start_done: summary.first_start_done,
        next_epoch: summary.next_epoch,
        snapshot: summary
            .snapshot_states
            .iter()
            .map(|(table, state)| {
                (
                    table.to_string(),
                    serde_json::to_value(state).unwrap_or(serde_json::Value::Null),
                )
            })
            .collect(),
    }
}

fn status(path: &Path, json: bool) -> ExitCode {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let summary = match CheckpointStore::open_read_only(&config.state_dir) {
        Ok(None) => None,
        Ok(Some(store)) => match store.summary() {
            Ok(summary) => Some(summary),
            Err(error) => return report_error(&error),
        },
        Err(error) => return report_error(&error),
    };
    let daemon = fetch_live_status(config.admin.listen);
    let output = StatusOutput {
        state_dir: config.state_dir.display().to_string(),
        checkpoint: summary.as_ref().map(checkpoint_output),
        daemon,
    };
    if json {
        match serde_json::to_string_pretty(&output) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("error: cannot encode the status: {error}");
                return ExitCode::from(EXIT_TRANSIENT);
            }
        }
    } else {
        print_status_text(&output);
    }
    ExitCode::SUCCESS
}

fn print_status_text(output: &StatusOutput) {
    println!("state dir: {}", output.state_dir);
    match &output.checkpoint {
        None => println!("checkpoint: none (nothing replicated yet from this state dir)"),
        Some(checkpoint) => {
            match &checkpoint.position {
                Some(position) => println!("checkpoint: {}:{}", position.file, position.pos),
                None => println!("checkpoint: no position saved yet"),
            }
            if let Some(gtid) = &checkpoint.gtid {
                println!("gtid: {gtid}");
            }
            if let (Some(uuid), Some(flavor)) =
                (&checkpoint.source_server_uuid, &checkpoint.source_flavor)
            {
                println!("source: {flavor} {uuid}");
            }
            let saved_at = checkpoint
                .saved_at_unix_ms
                .and_then(|ms| i64::try_from(ms).ok())
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok());
            if let Some(saved_at) = saved_at {
                println!("saved at: {saved_at}");
            }
            for (table, state) in &checkpoint.snapshot {
                let name = state.get("state").and_then(|s| s.as_str()).unwrap_or("?");
                let rows = state.get("rows_copied").and_then(|r| r.as_u64());
                match rows {
                    Some(rows) => println!("snapshot {table}: {name} ({rows} rows copied)"),
                    None => println!("snapshot {table}: {name}"),
                }
            }
        }
    }
    match &output.daemon {
        None => println!("daemon: not answering on its admin address"),
        Some(report) => {
            println!(
                "daemon: {} ({}, {})",
                serde_name(&report.phase),
                if report.ready { "ready" } else { "not ready" },
                if report.healthy {
                    "healthy"
                } else {
                    "unhealthy"
                },
            );
            if let Some(reason) = &report.unhealthy_reason {
                println!("unhealthy: {reason}");
            }
            if let Some(lag) = report.lag_seconds {
                println!("lag: {lag:.1} s");
            }
            for (table, stats) in &report.tables {
                println!(
                    "table {table} -> {}: {}, {} rows read, {} loaded, {} copied",
                    stats.target,
                    serde_name(&stats.phase),
                    stats.rows_read,
                    stats.rows_loaded,
                    stats.rows_copied
                );
            }
        }
    }
}

/// The serde name of a unit enum variant (`streaming`, `mariadb`).
fn serde_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Asks the daemon's admin endpoint for `/status`; `None` if nothing answers in time.
fn fetch_live_status(listen: std::net::SocketAddr) -> Option<StatusReport> {
    let mut address = listen;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .ok()?;
        let response = client
            .get(format!("http://{address}/status"))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let body = response.text().await.ok()?;
        serde_json::from_str(&body).ok()
    })
}

fn reset(path: &Path, table: Option<&str>, yes: bool) -> ExitCode {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let table = match table.map(parse_table_id).transpose() {
        Ok(table) => table,
        Err(problem) => {
            eprintln!("error: --table: {problem}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let dir = &config.state_dir;
    let what = match &table {
        Some(table) => format!("the snapshot state of {table} (it will be copied again)"),
        None => "the whole checkpoint (replication starts over)".to_owned(),
    };
    if !dir.join("CURRENT").exists() {
        println!("nothing to reset: no checkpoint store in {}", dir.display());
        return ExitCode::SUCCESS;
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("error: refusing to reset without --yes when stdin is not a terminal");
            return ExitCode::from(EXIT_USAGE);
        }
        print!(
            "Reset {what} in {}? Type \"yes\" to confirm: ",
            dir.display()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() || answer.trim() != "yes" {
            println!("not reset");
            return ExitCode::from(EXIT_TRANSIENT);
        }
    }
    let store = match CheckpointStore::open(dir) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("error ({}): {error}", error.class);
            return ExitCode::from(error.class.exit_code());
        }
    };
    let result = match &table {
        Some(table) => store.clear_table(table),
        None => store.clear_all(),
    };
    match result {
        Ok(()) => {
            println!("reset {what} in {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error ({}): {error}", error.class);
            ExitCode::from(error.class.exit_code())
        }
    }
}
