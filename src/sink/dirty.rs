//! `strategy_on_error: batch_dirty_data`: a batch StarRocks rejected for its data is written to
//! `dirty_data_dir` with the server's error, and replication goes on. Nothing is dropped silently:
//! every such batch is a file, a warning in the log and a count in `dirty_batches_total`.
//!
//! Only data rejections qualify (the batch itself is bad); connection, auth or schema problems
//! stay errors, since writing every later batch aside would hide an outage.
//!
//! Invariant: the files are synced (and their directory) before the load counts as done, so the
//! checkpoint never moves past a batch whose copy could still be lost.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::schema::TableId;
use crate::sink::encode::EncodedBody;

/// StarRocks messages that mean "this batch's rows were refused".
const DATA_REJECTIONS: &[&str] = &["too many filtered rows", "primary key size exceed"];

/// Whether `error` is a rejection of the batch's data (not of the connection or the table).
pub fn is_data_rejection(error: &Error) -> bool {
    !error.is_transient() && DATA_REJECTIONS.iter().any(|m| error.message.contains(m))
}

/// Writes the body and the error to `dir` as `<db>.<table>.<label>.{data,error.txt}` and returns
/// the data file's path. The body is written as sent (possibly compressed).
pub fn write_dirty_batch(
    dir: &Path,
    table: &TableId,
    label: &str,
    body: &EncodedBody,
    error: &Error,
) -> Result<PathBuf> {
    let io_error = |what: &str, e: std::io::Error| {
        Error::definite(format!(
            "target.dirty_data_dir {}: cannot {what}: {e}",
            dir.display()
        ))
        .with_hint("make the directory writable, or use strategy_on_error: exit")
    };
    std::fs::create_dir_all(dir).map_err(|e| io_error("create it", e))?;
    let stem = format!("{}.{}.{label}", table.db, table.table);
    let data_path = dir.join(format!("{stem}.data"));
    write_synced(&data_path, &body.bytes).map_err(|e| io_error("write a batch", e))?;
    let headers: Vec<String> = body
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let report = format!(
        "table: {table}\nlabel: {label}\nrows: {}\nerror: {error}\nheaders:\n  {}\n",
        body.row_count,
        headers.join("\n  ")
    );
    write_synced(&dir.join(format!("{stem}.error.txt")), report.as_bytes())
        .map_err(|e| io_error("write an error report", e))?;
    // Why: the checkpoint moves past this batch once this returns; the files (and their names in
    // the directory) must survive a power loss as the checkpoint does.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("sync the directory", e))?;
    Ok(data_path)
}

/// Writes `bytes` to `path` and syncs the file to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
