//! Result lines and the results file.
//!
//! A figure is one measured value of mysql2starrocks, the same quantity measured for a baseline
//! in the same run, and their ratio oriented so that > 1 means mysql2starrocks is better.

use std::path::PathBuf;

use crate::Options;

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Figure {
    pub scenario: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub ours: f64,
    pub baseline_name: String,
    /// `None` when the baseline could not run (the reason is in `baseline_name`).
    pub baseline: Option<f64>,
    /// Whether a larger value is better (rates) or worse (time, memory).
    pub higher_is_better: bool,
}

impl Figure {
    /// How many times better mysql2starrocks is than the baseline (> 1: better).
    pub fn advantage(&self) -> Option<f64> {
        let baseline = self.baseline?;
        if baseline <= 0.0 || self.ours <= 0.0 {
            return None;
        }
        Some(if self.higher_is_better {
            self.ours / baseline
        } else {
            baseline / self.ours
        })
    }

    /// `scenario  name  mysql2starrocks=V unit  baseline=V unit  advantage=R×`.
    pub fn line(&self) -> String {
        let baseline = match self.baseline {
            Some(v) => format!("{}={} {}", self.baseline_name, number(v), self.unit),
            None => format!("{}=n/a", self.baseline_name),
        };
        let advantage = self
            .advantage()
            .map_or_else(|| "n/a".to_string(), |r| format!("{r:.2}x"));
        format!(
            "{:<16} {:<28} mysql2starrocks={} {}  {}  advantage={}",
            self.scenario,
            self.name,
            number(self.ours),
            self.unit,
            baseline,
            advantage
        )
    }
}

fn number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// Writes `bench/results/<date>-<host>.md` in the repository and returns its path.
pub fn write_results(options: &Options, figures: &[Figure]) -> std::io::Result<PathBuf> {
    let date = command_output("date", &["+%Y-%m-%d"]).unwrap_or_else(|| "unknown-date".into());
    let host = command_output("hostname", &[]).unwrap_or_else(|| "unknown-host".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(str::to_string))
        .unwrap_or_default();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{date}-{host}.md"));
    let mut text = format!(
        "# Benchmark results {date} on {host}\n\nMachine: {cpu}, {cores} cores, {memory}.\n\
         Source: {}. Scale: {}. Command: `scripts/bench.sh {}`.\n\n\
         | scenario | figure | mysql2starrocks | baseline | advantage |\n|---|---|---|---|---|\n",
        options.flavor,
        options.scale,
        options.scenarios.join(" ")
    );
    for f in figures {
        text.push_str(&format!(
            "| {} | {} | {} {} | {} {} | {} |\n",
            f.scenario,
            f.name,
            number(f.ours),
            f.unit,
            f.baseline_name,
            f.baseline.map_or_else(
                || "n/a".to_string(),
                |b| format!("{} {}", number(b), f.unit)
            ),
            f.advantage()
                .map_or_else(|| "n/a".to_string(), |r| format!("{r:.2}x"))
        ));
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
