//! Walks the row images of a rows event (WRITE/UPDATE/DELETE, v1 and v2) cell by cell.
//!
//! `mysql_common`'s row iterator rebuilds the table's optional metadata and a named column
//! description for every row, which cost about a fifth of the daemon's CPU in the catch-up
//! benchmark. Here a [`CellReader`] is chosen once per column per event, from the column types
//! and metadata, and each cell is read by it, borrowing from the event. An UPDATE's before image
//! is first read for its key bytes only (the other cells are skipped, no row is built); it is
//! read whole only when the key moved, since only then does anything downstream use it (the
//! mapper's delete of the old key). About a quarter of the catch-up benchmark's events are
//! updates.
//!
//! Invariants: the wire format is the one `mysql_common` parses (per row: the before image if the
//! event has one, then the after image; each image is a null bitmap over its present columns,
//! then the non-NULL values in column order). Images must hold every column
//! (`binlog_row_image=FULL`). PARTIAL_UPDATE_ROWS events (JSON diffs over a shared image) are not
//! handled here: the caller gives them to `mysql_common`'s iterator.

use mysql_async::binlog::events::{RowsEventData, TableMapEvent};
use mysql_common::io::ParseBuf;
use smallvec::SmallVec;

use crate::change::{Row, RowChange};
use crate::error::Error;
use crate::mapper::{key_bytes, KeyBytes};
use crate::schema::{ColumnSchema, TableSchema};
use crate::source::cell_reader::CellReader;
use crate::value::Value;

/// The row changes of `rows_event` (not a PARTIAL_UPDATE_ROWS event), decoded against `schema`.
pub fn decode_rows(
    rows_event: &RowsEventData<'_>,
    tme: &TableMapEvent<'_>,
    schema: &TableSchema,
) -> Result<Vec<RowChange>, Error> {
    let bad = |reason: String| Error::definite(format!("{}: bad row image: {reason}", schema.id));
    let count =
        usize::try_from(rows_event.num_columns()).map_err(|_| bad("column count".into()))?;
    if count != schema.columns.len() {
        return Err(Error::definite(format!(
            "{}: a rows event has {count} columns, the table's schema {}",
            schema.id,
            schema.columns.len()
        )));
    }
    let mut readers: Vec<CellReader<'_>> = Vec::with_capacity(count);
    for (index, column) in schema.columns.iter().enumerate() {
        let ty = match tme.get_column_type(index) {
            Ok(Some(ty)) => ty,
            Ok(None) => return Err(bad(format!("no type for column {index}"))),
            Err(error) => return Err(bad(format!("column {index}: {error}"))),
        };
        let meta = tme.get_column_metadata(index).unwrap_or(&[]);
        readers.push(CellReader::for_column(ty, meta, column));
    }
    // Which images each row has; an image must hold every column (checked once per event).
    let full_image = |present: Option<usize>| match present {
        None => Ok(false),
        Some(present) if present == count => Ok(true),
        Some(present) => Err(Error::definite(format!(
            "{}: a row image holds {present} of the table's {count} columns",
            schema.id
        ))
        .with_hint("set binlog_row_image=FULL on the source (globally, and in every session)")),
    };
    let has_before = full_image(rows_event.columns_before_image().map(|b| b.count_ones()))?;
    let has_after = full_image(rows_event.columns_after_image().map(|b| b.count_ones()))?;
    let mut buf = ParseBuf(rows_event.rows_data());
    let mut changes = Vec::new();
    while !buf.is_empty() {
        let change = match (has_before, has_after) {
            (false, true) => RowChange::Insert {
                after: read_image(&mut buf, &readers, schema)?,
            },
            (true, false) => RowChange::Delete {
                before: read_image(&mut buf, &readers, schema)?,
            },
            (true, true) => {
                // Most updates keep the key, and then nothing downstream reads the before image
                // beyond its key: its other cells are skipped, and read only when the key moved.
                let before_image = ParseBuf(buf.0);
                let before_key = read_image_key(&mut buf, &readers, schema)?;
                let after = read_image(&mut buf, &readers, schema)?;
                let after_key = key_bytes(schema.key.iter().filter_map(|&i| after.get(i)));
                let before = if before_key == after_key {
                    None
                } else {
                    let mut image = before_image;
                    Some(read_image(&mut image, &readers, schema)?)
                };
                RowChange::Update { before, after }
            }
            (false, false) => return Err(bad("a row change without images".into())),
        };
        if changes.is_empty() {
            // Rows of one event are alike in size: the first one's bytes tell how many follow
            // (one allocation for the event's changes instead of growth by doubling). Bounded,
            // in case a tiny first row precedes large ones.
            let first_row_bytes = rows_event.rows_data().len() - buf.0.len();
            changes.reserve((1 + buf.0.len() / first_row_bytes.max(1)).min(4096));
        }
        changes.push(change);
    }
    Ok(changes)
}

/// One row image holding every column: the null bitmap, then the non-NULL values.
fn read_image<'a>(
    buf: &mut ParseBuf<'a>,
    readers: &[CellReader<'a>],
    schema: &TableSchema,
) -> Result<Row, Error> {
    let bitmap = read_null_bitmap(buf, readers.len(), schema)?;
    let mut row = Vec::with_capacity(readers.len());
    for (index, (reader, column)) in readers.iter().zip(&schema.columns).enumerate() {
        if is_null(bitmap, index) {
            row.push(Value::Null);
            continue;
        }
        row.push(
            reader
                .read(buf, column)
                .map_err(|reason| cell_error(schema, column, reason))?,
        );
    }
    Ok(row)
}

/// The key bytes ([`key_bytes`]) of one row image holding every column: its key cells are
/// decoded, the others skipped, and no row is built.
fn read_image_key<'a>(
    buf: &mut ParseBuf<'a>,
    readers: &[CellReader<'a>],
    schema: &TableSchema,
) -> Result<KeyBytes, Error> {
    let bitmap = read_null_bitmap(buf, readers.len(), schema)?;
    let mut key_cells: SmallVec<[(usize, Value); 2]> = SmallVec::new();
    for (index, (reader, column)) in readers.iter().zip(&schema.columns).enumerate() {
        let is_key = schema.key.contains(&index);
        if is_null(bitmap, index) {
            if is_key {
                key_cells.push((index, Value::Null));
            }
            continue;
        }
        if is_key {
            let value = reader
                .read(buf, column)
                .map_err(|reason| cell_error(schema, column, reason))?;
            key_cells.push((index, value));
        } else {
            reader
                .skip(buf)
                .map_err(|reason| cell_error(schema, column, reason))?;
        }
    }
    let cell = |i: usize| key_cells.iter().find(|(c, _)| *c == i).map(|(_, v)| v);
    Ok(key_bytes(schema.key.iter().filter_map(|&i| cell(i))))
}

fn read_null_bitmap<'a>(
    buf: &mut ParseBuf<'a>,
    columns: usize,
    schema: &TableSchema,
) -> Result<&'a [u8], Error> {
    buf.parse(columns.div_ceil(8))
        .map_err(|e| Error::definite(format!("{}: bad row image: {e}", schema.id)))
}

fn is_null(bitmap: &[u8], index: usize) -> bool {
    bitmap
        .get(index / 8)
        .is_some_and(|byte| (byte >> (index % 8)) & 1 == 1)
}

fn cell_error(schema: &TableSchema, column: &ColumnSchema, reason: String) -> Error {
    Error::definite(format!("{}.{}: {reason}", schema.id, column.name))
}
