//! `starrocks-emulator` binary: starts the emulator on the given ports, prints one ready line
//! (`starrocks-emulator ready: fe_http=<addr> be_http=<addr> query=<addr>`, with the real ports when
//! 0 was asked for), and runs until SIGTERM or SIGINT.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use starrocks_emulator::credentials::Credentials;
use starrocks_emulator::{start, EmulatorConfig};

/// mimalloc instead of glibc malloc: the load path allocates per value.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An in-memory StarRocks stand-in: Stream Load (FE redirect + BE) and the MySQL query port.
#[derive(Debug, Parser)]
#[command(name = "starrocks-emulator", version)]
struct Args {
    /// FE HTTP port (Stream Load entry, get_load_state, /_emulator admin); 0 picks a free port.
    #[arg(long, default_value_t = 8030)]
    fe_http_port: u16,
    /// BE HTTP port (Stream Load execution, error logs); 0 picks a free port.
    #[arg(long, default_value_t = 8040)]
    be_http_port: u16,
    /// FE query port (MySQL protocol); 0 picks a free port.
    #[arg(long, default_value_t = 9030)]
    query_port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The accepted user.
    #[arg(long, default_value = "root")]
    user: String,
    /// The accepted user's password.
    #[arg(long, default_value = "")]
    password: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("starrocks-emulator: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let config = EmulatorConfig {
        host: args.host,
        fe_http_port: args.fe_http_port,
        be_http_port: args.be_http_port,
        query_port: args.query_port,
        credentials: Credentials {
            user: args.user,
            password: args.password,
        },
    };
    let emulator = match start(config).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("starrocks-emulator: cannot bind: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    // Why: the ready line is how scripts and tests know the ports; a closed stdout is not fatal.
    let _ = writeln!(
        stdout,
        "starrocks-emulator ready: fe_http={} be_http={} query={}",
        emulator.fe_http_addr(),
        emulator.be_http_addr(),
        emulator.query_addr()
    );
    let _ = stdout.flush();
    wait_for_signal().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Waits for SIGINT or (on Unix) SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
