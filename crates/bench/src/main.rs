//! `bench`: measures mysql2starrocks against baselines run in the same invocation on the same
//! machine, and prints one line per figure with the baseline and the ratio.
//!
//! ```text
//! bench <catch-up|snapshot|lag|big-transaction|all> [--flavor mariadb|mysql] [--scale F]
//!       [--write-results] [--hold]
//! ```
//!
//! Every scenario starts its own source server (real MariaDB 10.11 or MySQL 9.7, via the test
//! bed) and an in-process StarRocks emulator, generates its data, runs the release build of the
//! daemon (`mysql2starrocks` beside this binary) as a child process, and samples the child's CPU
//! time and peak RSS from `/proc`. `--scale` multiplies the data sizes (1.0 = the sizes the
//! README quotes). `--write-results` also writes `bench/results/<date>-<host>.md`. `--hold` (for
//! profiling by hand) makes catch-up stop after writing its binlog: it prints how to replay it
//! with the daemon and keeps the servers up until a line arrives on stdin.

mod baselines;
mod bed;
mod daemon;
mod report;
mod scenarios;

use std::process::ExitCode;

use report::Figure;

/// mimalloc: the in-process emulator allocates per value; see the note in Cargo.toml.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: bench <catch-up|snapshot|lag|big-transaction|all> \
                     [--flavor mariadb|mysql] [--scale F] [--write-results] [--hold]";

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub scenarios: Vec<String>,
    pub flavor: testbed::Flavor,
    pub scale: f64,
    pub write_results: bool,
    pub hold: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut scenarios = Vec::new();
    let mut flavor = testbed::Flavor::MariaDb;
    let mut scale = 1.0;
    let mut write_results = false;
    let mut hold = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--flavor" => {
                flavor = match args.next().as_deref() {
                    Some("mariadb") => testbed::Flavor::MariaDb,
                    Some("mysql") => testbed::Flavor::MySql,
                    other => {
                        return Err(format!(
                            "--flavor: expected mariadb or mysql, got {other:?}"
                        ))
                    }
                }
            }
            "--scale" => {
                scale = args
                    .next()
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|s| *s > 0.0)
                    .ok_or("--scale: expected a positive number")?;
            }
            "--write-results" => write_results = true,
            "--hold" => hold = true,
            "all" => scenarios
                .extend(["catch-up", "snapshot", "lag", "big-transaction"].map(String::from)),
            "catch-up" | "snapshot" | "lag" | "big-transaction" => scenarios.push(arg),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if scenarios.is_empty() {
        return Err(USAGE.to_string());
    }
    Ok(Options {
        scenarios,
        flavor,
        scale,
        write_results,
        hold,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(64);
        }
    };
    // Ctrl-C or SIGTERM drops the running scenario, which stops its daemon and servers.
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                eprintln!("cannot listen for SIGTERM: {error}");
                return ExitCode::from(1);
            }
        };
    tokio::select! {
        code = run(&options) => code,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted");
            ExitCode::from(130)
        }
        _ = terminate.recv() => {
            eprintln!("terminated");
            ExitCode::from(143)
        }
    }
}

async fn run(options: &Options) -> ExitCode {
    let mut figures: Vec<Figure> = Vec::new();
    for scenario in &options.scenarios {
        eprintln!(
            "== {scenario} ({}, scale {})",
            options.flavor, options.scale
        );
        let result = match scenario.as_str() {
            "catch-up" => scenarios::catch_up(options).await,
            "snapshot" => scenarios::snapshot(options).await,
            "lag" => scenarios::lag(options).await,
            "big-transaction" => scenarios::big_transaction(options).await,
            _ => Err(format!("unknown scenario {scenario}")),
        };
        match result {
            Ok(mut found) => {
                for figure in &found {
                    println!("{}", figure.line());
                }
                figures.append(&mut found);
            }
            Err(error) => {
                eprintln!("bench {scenario} failed: {error}");
                return ExitCode::from(1);
            }
        }
    }
    if options.write_results {
        match report::write_results(options, &figures) {
            Ok(path) => eprintln!("results written to {}", path.display()),
            Err(error) => {
                eprintln!("cannot write the results: {error}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
