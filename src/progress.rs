//! Snapshot progress bars, one per table, when stderr is a terminal and logs are text.
//!
//! The bars are drawn on stderr by one `MultiProgress`; log lines go through [`LogWriter`], which
//! hides the bars while a line is written, so bars and logs never tear each other. Without a
//! terminal (systemd, containers, tests) there are no bars: progress is in the log, `/status` and
//! `/metrics`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::schema::TableId;

/// The bars of this process, once a snapshot on a terminal created them.
static BARS: OnceLock<MultiProgress> = OnceLock::new();
/// Whether bars may be drawn (set by the logger: text logs on a terminal).
static ENABLED: OnceLock<bool> = OnceLock::new();

/// Allows bars when stderr is a terminal and `text_logs` (JSON logs are for machines).
pub fn enable_if_terminal(text_logs: bool) {
    let _ = ENABLED.set(text_logs && std::io::stderr().is_terminal());
}

/// One bar per table being copied; `None` when bars are not allowed.
pub struct SnapshotBars {
    multi: MultiProgress,
    bars: BTreeMap<TableId, ProgressBar>,
}

impl SnapshotBars {
    /// Bars for a snapshot, if stderr is a terminal.
    pub fn new() -> Option<Self> {
        if !ENABLED.get().copied().unwrap_or(false) {
            return None;
        }
        let multi = BARS
            .get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
            .clone();
        Some(SnapshotBars {
            multi,
            bars: BTreeMap::new(),
        })
    }

    /// Shows `copied` of `estimated` rows for `table` (a spinner-like count when unknown).
    pub fn update(&mut self, table: &TableId, copied: u64, estimated: Option<u64>) {
        let multi = &self.multi;
        let bar = self.bars.entry(table.clone()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(0));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>24} [{bar:30}] {human_pos}/{human_len} rows {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix(table.to_string());
            bar
        });
        bar.set_length(estimated.unwrap_or(copied).max(copied));
        bar.set_position(copied);
    }

    /// Marks `table` copied.
    pub fn finish(&mut self, table: &TableId, copied: u64) {
        if let Some(bar) = self.bars.get(table) {
            bar.set_length(copied);
            bar.finish_with_message("done");
        }
    }
}

impl Drop for SnapshotBars {
    fn drop(&mut self) {
        for bar in self.bars.values() {
            bar.finish();
        }
        let _ = self.multi.clear();
    }
}

/// The log writer: stderr, with the bars hidden while a line is written.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match BARS.get() {
            Some(multi) => multi.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
