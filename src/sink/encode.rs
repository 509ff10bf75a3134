//! Rows → a Stream Load body and its data headers (CSV or JSON, optionally compressed).
//!
//! This is the only place that renders a [`Value`] as StarRocks load text (ARCHITECTURE §2).
//!
//! # Wire format (read from StarRocks' BE source, `be/src/formats/csv/*`, `be/src/exec/csv_scanner.cpp`,
//! `be/src/exec/json_scanner.cpp`, `be/src/http/action/stream_load.cpp`)
//! - **CSV** is sent with `enclose: "` and `escape: \` (StarRocks ≥ 3.0, the "v2" CSV parser).
//!   Every field is enclosed; inside, `"` and `\` are written as `\"` and `\\`. Inside an
//!   enclosed field the column separator and row delimiter are plain data, so no value can
//!   break a row. (`""` doubling is not used: StarRocks' parser mis-reads a field *starting*
//!   with `""`.)
//! - **NULL** in CSV is the field whose text, after enclose/escape removal, is exactly `\N`
//!   (`nullable_converter.cpp`). It is written unenclosed as `\\N` (escape, backslash, `N`),
//!   which reads as `\N` whether or not a reader applies the escape to an unenclosed field. The
//!   parser compares that text whatever the quoting, so a *text* value that is exactly `\N`
//!   cannot be sent as CSV: such a batch is sent as JSON instead. For the same reason the
//!   separators may not begin with `N`.
//! - StarRocks filters any CSV row that is not valid UTF-8 (`Invalid UTF-8 row`). Binary values
//!   for **VARBINARY** columns are therefore sent as standard base64 with padding: the CSV
//!   VARBINARY converter base64-decodes its field (and would keep the raw text only when
//!   decoding fails — which is why text bound for a VARBINARY column is base64-encoded too).
//! - **JSON** is a JSON array (`strip_outer_array: true`) of objects keyed by column name, with
//!   `__op`. VARBINARY columns are read from a JSON *string* and cast byte-for-byte, so only
//!   binary values that are valid UTF-8 can travel as JSON: a batch holding other binary values
//!   goes as CSV. JSON columns get the JSON value embedded, also when it arrives as text
//!   (MariaDB's JSON is LONGTEXT): text bound for a JSON column must parse as JSON in either
//!   format, else the batch is refused naming the column. NULL is `null`.
//! - If a batch can be carried by neither format (text `\N` *and* non-UTF-8 binary in the same
//!   batch, or non-UTF-8 bytes bound for a non-binary column), encoding fails with a definite
//!   error naming the table and column — a broken row is never sent.
//! - `__op` is the last field (`0` upsert, `1` delete) and is named in `columns`, with every
//!   column name back-ticked.
//! - Separators are sent in hex form (`\x09`). Compression: for CSV the `format` header names
//!   it (`gzip`, `zstd`, `lz4` = LZ4 frame); for JSON the `compression` header does (`gzip`,
//!   `zstd`, `lz4_frame`).
//!
//! # Value rendering
//! Integers and LARGEINT as decimal text; DECIMAL as its exact text; FLOAT/DOUBLE with Rust's
//! shortest round-trip text (no exponent); DATE `YYYY-MM-DD`; DATETIME
//! `YYYY-MM-DD HH:MM:SS[.ffffff]`; TIMESTAMP as its instant in [`RenderOptions::timestamp_tz`];
//! TIME `[-]HH:MM:SS[.ffffff]` (hours may exceed 24); YEAR as a number; BOOL/BIT(1) `1`/`0`;
//! BIT(n) bytes bound for an integer column as their big-endian unsigned value. Zero dates
//! (month or day 0, and the zero TIMESTAMP, stored as epoch 0) follow [`ZeroDatePolicy`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use jiff::tz::TimeZone;

use crate::error::Error;
use crate::schema::TableId;
use crate::sink::clock_text::ClockText;
use crate::target::TargetColumn;
use crate::value::Value;

/// The row operation sent in `__op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Insert or replace the row with this key (`__op = 0`).
    Upsert,
    /// Delete the row with this key (`__op = 1`).
    Delete,
}

impl Op {
    /// The `__op` value.
    pub fn code(self) -> u8 {
        match self {
            Op::Upsert => 0,
            Op::Delete => 1,
        }
    }
}

/// The body format of one load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Csv,
    Json,
}

/// Body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    /// LZ4 frame format.
    Lz4Frame,
}

/// What to send for MySQL zero dates (`0000-00-00`, a zero month or day, the zero TIMESTAMP),
/// which StarRocks cannot store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroDatePolicy {
    /// Send NULL (the default; a NOT NULL target column then rejects the row).
    #[default]
    Null,
    /// Refuse the batch with a definite error naming the column.
    Reject,
}

/// How values are rendered as text.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The zone TIMESTAMP instants are shown in (UTC by default).
    pub timestamp_tz: TimeZone,
    pub zero_date: ZeroDatePolicy,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            timestamp_tz: TimeZone::UTC,
            zero_date: ZeroDatePolicy::Null,
        }
    }
}

/// Stream Load data settings, validated from `target.load_props`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFormat {
    /// The preferred format; a batch only the other format can carry switches for that batch.
    pub format: BodyFormat,
    /// CSV column separator bytes.
    pub column_separator: Vec<u8>,
    /// CSV row delimiter bytes.
    pub row_delimiter: Vec<u8>,
    pub compression: Compression,
    /// Other Stream Load headers passed through unchanged (`timeout`, ...); `strict_mode` is
    /// `true` unless `target.load_props` says otherwise.
    pub extra_headers: Vec<(String, String)>,
}

impl Default for LoadFormat {
    fn default() -> Self {
        LoadFormat {
            format: BodyFormat::Csv,
            column_separator: b"\t".to_vec(),
            row_delimiter: b"\n".to_vec(),
            compression: Compression::None,
            // Why: outside strict mode StarRocks stores NULL for a value it cannot convert or
            // that is too long for its column, without a word (ARCHITECTURE §2: nothing silent).
            extra_headers: vec![("strict_mode".to_string(), "true".to_string())],
        }
    }
}

const ENCLOSE: u8 = b'"';
const ESCAPE: u8 = b'\\';
const MAX_SEPARATOR_LEN: usize = 50;

/// Properties the encoder or the loader own, or that break full-row replication.
const MANAGED_PROPS: &[(&str, &str)] = &[
    (
        "columns",
        "the column list is built from the replicated columns",
    ),
    ("label", "labels are made per table and epoch"),
    ("jsonpaths", "the JSON layout is managed by mysql2starrocks"),
    ("json_root", "the JSON layout is managed by mysql2starrocks"),
    ("where", "a filter would drop replicated rows"),
    ("partial_update", "rows are replicated as full images"),
    ("partial_update_mode", "rows are replicated as full images"),
    ("merge_condition", "rows are applied in binlog order"),
    ("skip_header", "bodies have no header line"),
    ("trim_space", "it would change text values"),
    ("negative", "only for aggregate tables"),
    ("partitions", "rows go to every partition"),
    ("temporary_partitions", "rows go to every partition"),
    (
        "enable_merge_commit",
        "labels would be ignored, breaking exactly-once retries",
    ),
    ("content-encoding", "use `compression`"),
    ("__op", "the operation column is managed by mysql2starrocks"),
];

impl LoadFormat {
    /// Validates `target.load_props`. Each problem is a definite error naming the key
    /// (`target.load_props.<key>: ...`).
    pub fn from_load_props(props: &BTreeMap<String, String>) -> Result<Self, Error> {
        let mut settings = LoadFormat::default();
        let props: BTreeMap<String, &str> = props
            .iter()
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.as_str()))
            .collect();
        if let Some(format) = props.get("format") {
            settings.format = match format.trim().to_ascii_lowercase().as_str() {
                "csv" => BodyFormat::Csv,
                "json" => BodyFormat::Json,
                _ => {
                    return Err(prop_error(
                        "format",
                        "must be csv or json (compression is set by `compression`)",
                    ))
                }
            };
        }
        for (key, value) in &props {
            let value = *value;
            match key.as_str() {
                "format" => {}
                "column_separator" | "row_delimiter" => {
                    let bytes = parse_separator(value).map_err(|c| prop_error(key, &c))?;
                    if key == "column_separator" {
                        settings.column_separator = bytes;
                    } else {
                        settings.row_delimiter = bytes;
                    }
                }
                "enclose" if value == "\"" => {}
                "enclose" => return Err(prop_error(key, "must be `\"` (set by mysql2starrocks)")),
                "escape" if value == "\\" => {}
                "escape" => return Err(prop_error(key, "must be `\\` (set by mysql2starrocks)")),
                "strip_outer_array" if value.eq_ignore_ascii_case("true") => {}
                "strip_outer_array" => {
                    return Err(prop_error(key, "must be true (JSON bodies are arrays)"))
                }
                "compression" => {
                    settings.compression = match value.trim().to_ascii_lowercase().as_str() {
                        "" | "none" => Compression::None,
                        "gzip" => Compression::Gzip,
                        "zstd" => Compression::Zstd,
                        "lz4" | "lz4_frame" => Compression::Lz4Frame,
                        _ => return Err(prop_error(key, "must be none, gzip, zstd or lz4")),
                    };
                }
                "strict_mode" | "ignore_json_size" => {
                    let flag = parse_bool(value)
                        .ok_or_else(|| prop_error(key, "must be true or false"))?;
                    settings.extra_headers.retain(|(k, _)| k != key);
                    settings.extra_headers.push((key.clone(), flag.to_string()));
                }
                "max_filter_ratio" => match value.trim().parse::<f64>() {
                    Ok(ratio) if (0.0..=1.0).contains(&ratio) => settings
                        .extra_headers
                        .push((key.clone(), value.trim().to_string())),
                    _ => return Err(prop_error(key, "must be a number from 0 to 1")),
                },
                "timeout" => match value.trim().parse::<u32>() {
                    Ok(secs) if (1..=259_200).contains(&secs) => {
                        settings.extra_headers.push((key.clone(), secs.to_string()))
                    }
                    _ => return Err(prop_error(key, "must be whole seconds from 1 to 259200")),
                },
                "log_rejected_record_num" => match value.trim().parse::<i64>() {
                    Ok(n) if n >= -1 => settings.extra_headers.push((key.clone(), n.to_string())),
                    _ => return Err(prop_error(key, "must be an integer >= -1")),
                },
                "load_mem_limit" | "exec_mem_limit" => match value.trim().parse::<u64>() {
                    Ok(n) if n > 0 => settings.extra_headers.push((key.clone(), n.to_string())),
                    _ => return Err(prop_error(key, "must be a positive number of bytes")),
                },
                "timezone" | "warehouse" if !value.trim().is_empty() && is_header_safe(value) => {
                    settings
                        .extra_headers
                        .push((key.clone(), value.trim().to_string()))
                }
                "timezone" | "warehouse" => {
                    return Err(prop_error(
                        key,
                        "must be a non-empty printable ASCII string",
                    ))
                }
                other => {
                    if let Some((_, why)) = MANAGED_PROPS.iter().find(|(k, _)| *k == other) {
                        return Err(prop_error(key, &format!("cannot be set: {why}")));
                    }
                    return Err(prop_error(key, "unknown Stream Load property").with_hint(
                        "supported: format, column_separator, row_delimiter, compression, \
                         strict_mode, max_filter_ratio, timeout, timezone, log_rejected_record_num, \
                         load_mem_limit, exec_mem_limit, ignore_json_size, warehouse",
                    ));
                }
            }
        }
        if settings.format == BodyFormat::Json {
            for key in ["column_separator", "row_delimiter"] {
                if props.contains_key(key) {
                    return Err(prop_error(key, "only applies to format csv"));
                }
            }
        }
        let (col, row) = (&settings.column_separator, &settings.row_delimiter);
        // Why: StarRocks tests for the row delimiter first, so a column separator beginning with
        // the row delimiter would never be seen.
        if col.starts_with(row) {
            return Err(prop_error(
                "column_separator",
                "must differ from row_delimiter and must not begin with it",
            ));
        }
        Ok(settings)
    }
}

fn prop_error(key: &str, constraint: &str) -> Error {
    Error::definite(format!("target.load_props.{key}: {constraint}"))
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn is_header_safe(value: &str) -> bool {
    value.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Parses a separator: hex (`\x01`, `\x0D0A`, `0x01`) or the literal text.
fn parse_separator(value: &str) -> Result<Vec<u8>, String> {
    let hex = value
        .strip_prefix("\\x")
        .or_else(|| value.strip_prefix("0x"));
    let bytes = match hex {
        Some(digits) => {
            if digits.is_empty() || digits.len() % 2 != 0 {
                return Err("hex form needs an even number of hex digits".into());
            }
            (0..digits.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&digits[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| "hex form holds a non-hex digit".to_string())?
        }
        None => value.as_bytes().to_vec(),
    };
    if bytes.is_empty() || bytes.len() > MAX_SEPARATOR_LEN {
        return Err(format!("must be 1 to {MAX_SEPARATOR_LEN} bytes"));
    }
    if std::str::from_utf8(&bytes).is_err() {
        return Err("must be valid UTF-8 (StarRocks refuses rows that are not)".into());
    }
    if bytes.contains(&ENCLOSE) || bytes.contains(&ESCAPE) {
        return Err("must not contain `\"` or `\\` (the enclose and escape characters)".into());
    }
    // Why: NULL is the unenclosed `\\N`; a separator starting with `N` would split it.
    if bytes.starts_with(b"N") {
        return Err("must not begin with `N` (part of the NULL marker)".into());
    }
    Ok(bytes)
}

/// A ready-to-send body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    /// The body, compressed if configured. Shared, not copied, by each attempt and redirect hop
    /// (a copy per attempt was about 4% of the catch-up CPU, in fresh pages).
    pub bytes: bytes::Bytes,
    /// Data headers: `format`, `columns` (with `__op`), separators, `enclose`/`escape` or
    /// `strip_outer_array`, compression, pass-through properties.
    pub headers: Vec<(String, String)>,
    pub row_count: usize,
    /// The format actually used for this batch.
    pub format: BodyFormat,
    /// The body size before compression.
    pub uncompressed_len: usize,
}

/// How a target column's type affects the rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    Binary,
    Json,
    Integer,
    Boolean,
    Other,
}

fn column_kind(data_type: &str) -> ColumnKind {
    let base = data_type
        .trim()
        .split(['(', ' '])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match base.as_str() {
        "varbinary" | "binary" => ColumnKind::Binary,
        "json" => ColumnKind::Json,
        "tinyint" | "smallint" | "int" | "integer" | "bigint" | "largeint" => ColumnKind::Integer,
        "boolean" | "bool" => ColumnKind::Boolean,
        _ => ColumnKind::Other,
    }
}

/// Encodes batches for one table's loads.
#[derive(Debug, Clone)]
pub struct Encoder {
    format: LoadFormat,
    render: RenderOptions,
}

impl Encoder {
    /// An encoder with validated settings.
    pub fn new(format: LoadFormat, render: RenderOptions) -> Self {
        Encoder { format, render }
    }

    /// The validated load settings.
    pub fn load_format(&self) -> &LoadFormat {
        &self.format
    }

    /// Encodes `rows` (each aligned with `columns`, the target columns in send order) for
    /// `table`. Each row is checked, while it is in the cache, for a value the configured format
    /// cannot carry; only a batch that holds one is scanned whole to pick the format
    /// ([`Encoder::choose_format`]) and written again.
    pub fn encode<'a, I>(
        &self,
        table: &TableId,
        columns: &[TargetColumn],
        rows: I,
    ) -> Result<EncodedBody, Error>
    where
        I: IntoIterator<Item = (Op, &'a [Value])> + Clone,
    {
        let kinds: Vec<ColumnKind> = columns.iter().map(|c| column_kind(&c.data_type)).collect();
        let configured = self.format.format;
        if let Some(body) = self.write_body(table, columns, &kinds, configured, rows.clone())? {
            return Ok(body);
        }
        // `choose_format` picks a format no row blocks (or fails), so this write completes.
        let format = self.choose_format(table, columns, &kinds, rows.clone())?;
        self.write_body(table, columns, &kinds, format, rows)?
            .ok_or_else(|| {
                Error::definite(format!("{table}: no load format can carry the batch"))
                    .with_hint("this is a bug in mysql2starrocks; please report it")
            })
    }

    /// Writes the body in `format`; `None` at the first row holding a value `format` cannot
    /// carry.
    fn write_body<'a, I>(
        &self,
        table: &TableId,
        columns: &[TargetColumn],
        kinds: &[ColumnKind],
        format: BodyFormat,
        rows: I,
    ) -> Result<Option<EncodedBody>, Error>
    where
        I: IntoIterator<Item = (Op, &'a [Value])>,
    {
        let mut body = Vec::new();
        let mut row_count = 0usize;
        if format == BodyFormat::Json {
            body.push(b'[');
        }
        let mut rows = rows.into_iter();
        while let Some((op, values)) = rows.next() {
            if values.len() != columns.len() {
                return Err(Error::definite(format!(
                    "{table}: row has {} values for {} columns",
                    values.len(),
                    columns.len()
                ))
                .with_hint("this is a bug in mysql2starrocks; please report it"));
            }
            if blocks(format, values, kinds) {
                return Ok(None);
            }
            match format {
                BodyFormat::Csv => {
                    self.write_csv_row(&mut body, table, columns, kinds, op, values)?
                }
                BodyFormat::Json => {
                    if row_count > 0 {
                        body.push(b',');
                    }
                    self.write_json_row(&mut body, table, columns, kinds, op, values)?;
                }
            }
            row_count += 1;
            if row_count == SIZE_SAMPLE_ROWS {
                // Why: growing a multi-megabyte body by doubling copies it and faults in fresh
                // pages each time (about a tenth of the catch-up CPU in perf); the first rows
                // tell the size of the rest closely enough.
                let per_row = body.len() / row_count + 1;
                let remaining = rows.size_hint().0;
                body.reserve(per_row * (remaining + remaining / 8));
            }
        }
        if format == BodyFormat::Json {
            body.push(b']');
        }
        let uncompressed_len = body.len();
        let bytes = compress(body, self.format.compression)
            .map_err(|e| Error::definite(format!("{table}: compressing the load body: {e}")))?;
        Ok(Some(EncodedBody {
            bytes: bytes.into(),
            headers: self.headers(columns, format),
            row_count,
            format,
            uncompressed_len,
        }))
    }

    /// Picks the configured format unless the batch holds a value only the other can carry.
    fn choose_format<'a, I>(
        &self,
        table: &TableId,
        columns: &[TargetColumn],
        kinds: &[ColumnKind],
        rows: I,
    ) -> Result<BodyFormat, Error>
    where
        I: IntoIterator<Item = (Op, &'a [Value])>,
    {
        let mut csv_blocker: Option<usize> = None;
        let mut json_blocker: Option<usize> = None;
        for (_, values) in rows {
            for (index, (value, kind)) in values.iter().zip(kinds).enumerate() {
                if csv_blocker.is_none() && renders_as_null_marker(value, *kind) {
                    csv_blocker = Some(index);
                }
                if json_blocker.is_none() && is_non_utf8_binary(value, *kind) {
                    json_blocker = Some(index);
                }
            }
            if csv_blocker.is_some() && json_blocker.is_some() {
                break;
            }
        }
        let name = |index: usize| {
            columns
                .get(index)
                .map_or("?", |c| c.name.as_str())
                .to_string()
        };
        match (self.format.format, csv_blocker, json_blocker) {
            (BodyFormat::Csv, None, _) => Ok(BodyFormat::Csv),
            (BodyFormat::Json, _, None) => Ok(BodyFormat::Json),
            (BodyFormat::Csv, Some(index), None) => {
                tracing::debug!(
                    message = "Batch sent as JSON: a text value is exactly \\N, which CSV reads as NULL.",
                    table = %table,
                    column = name(index),
                );
                Ok(BodyFormat::Json)
            }
            (BodyFormat::Json, None, Some(index)) => {
                tracing::debug!(
                    message = "Batch sent as CSV: a binary value is not valid UTF-8, which JSON cannot carry.",
                    table = %table,
                    column = name(index),
                );
                Ok(BodyFormat::Csv)
            }
            (_, Some(text), Some(binary)) => Err(Error::definite(format!(
                "{table}: one batch holds a text value that is exactly \\N (column {}) and a binary \
                 value that is not valid UTF-8 (column {}); CSV cannot carry the first, JSON the second",
                name(text),
                name(binary)
            ))
            .with_hint("lower target.max_batch_rows so these rows load in separate batches")),
        }
    }

    fn headers(&self, columns: &[TargetColumn], format: BodyFormat) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        let mut column_list = String::new();
        for column in columns {
            let _ = write!(column_list, "`{}`,", column.name.replace('`', "``"));
        }
        column_list.push_str("`__op`");
        match format {
            BodyFormat::Csv => {
                let name = match self.format.compression {
                    Compression::None => "csv",
                    Compression::Gzip => "gzip",
                    Compression::Zstd => "zstd",
                    Compression::Lz4Frame => "lz4",
                };
                headers.push(("format".into(), name.into()));
                headers.push(("columns".into(), column_list));
                headers.push((
                    "column_separator".into(),
                    hex_form(&self.format.column_separator),
                ));
                headers.push(("row_delimiter".into(), hex_form(&self.format.row_delimiter)));
                headers.push(("enclose".into(), "\"".into()));
                headers.push(("escape".into(), "\\".into()));
            }
            BodyFormat::Json => {
                headers.push(("format".into(), "json".into()));
                headers.push(("columns".into(), column_list));
                headers.push(("strip_outer_array".into(), "true".into()));
                let compression = match self.format.compression {
                    Compression::None => None,
                    Compression::Gzip => Some("gzip"),
                    Compression::Zstd => Some("zstd"),
                    Compression::Lz4Frame => Some("lz4_frame"),
                };
                if let Some(name) = compression {
                    headers.push(("compression".into(), name.into()));
                }
            }
        }
        for (key, value) in &self.format.extra_headers {
            if format == BodyFormat::Csv && key == "ignore_json_size" {
                continue;
            }
            headers.push((key.clone(), value.clone()));
        }
        headers
    }

    fn write_csv_row(
        &self,
        out: &mut Vec<u8>,
        table: &TableId,
        columns: &[TargetColumn],
        kinds: &[ColumnKind],
        op: Op,
        values: &[Value],
    ) -> Result<(), Error> {
        for ((value, kind), column) in values.iter().zip(kinds).zip(columns) {
            let cell = self
                .render(value, *kind)
                .map_err(|e| cell_error(table, column, e))?;
            if let Cell::Null = cell {
                out.extend_from_slice(b"\\\\N");
                out.extend_from_slice(&self.format.column_separator);
                continue;
            }
            out.push(ENCLOSE);
            match cell {
                Cell::Null => {}
                Cell::Int(v) => push_integer(out, v),
                Cell::UInt(v) => push_integer(out, v),
                Cell::Float(v) => push_float(out, v),
                Cell::Double(v) => push_float(out, v),
                Cell::Number(text) => out.extend_from_slice(text.as_bytes()),
                // Digits and separators only: nothing to escape.
                Cell::Clock(text) => out.extend_from_slice(text.as_str().as_bytes()),
                Cell::Text(text) => push_csv_escaped(out, text.as_bytes()),
                Cell::Json(text) => push_csv_escaped(out, text.as_bytes()),
                Cell::Binary(bytes) => push_base64(out, bytes),
            }
            out.push(ENCLOSE);
            out.extend_from_slice(&self.format.column_separator);
        }
        out.push(ENCLOSE);
        out.push(b'0' + op.code());
        out.push(ENCLOSE);
        out.extend_from_slice(&self.format.row_delimiter);
        Ok(())
    }

    fn write_json_row(
        &self,
        out: &mut Vec<u8>,
        table: &TableId,
        columns: &[TargetColumn],
        kinds: &[ColumnKind],
        op: Op,
        values: &[Value],
    ) -> Result<(), Error> {
        out.push(b'{');
        for ((value, kind), column) in values.iter().zip(kinds).zip(columns) {
            push_json_string(out, &column.name);
            out.push(b':');
            let cell = self
                .render(value, *kind)
                .map_err(|e| cell_error(table, column, e))?;
            match cell {
                Cell::Null => out.extend_from_slice(b"null"),
                Cell::Int(v) => push_integer(out, v),
                Cell::UInt(v) => push_integer(out, v),
                Cell::Float(v) => push_float(out, v),
                Cell::Double(v) => push_float(out, v),
                Cell::Number(text) => out.extend_from_slice(text.as_bytes()),
                Cell::Clock(text) => {
                    out.push(b'"');
                    out.extend_from_slice(text.as_str().as_bytes());
                    out.push(b'"');
                }
                Cell::Text(text) => push_json_string(out, &text),
                Cell::Json(text) => {
                    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
                        return Err(cell_error(
                            table,
                            column,
                            "JSON value does not parse".into(),
                        ));
                    }
                    out.extend_from_slice(text.trim().as_bytes());
                }
                Cell::Binary(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => push_json_string(out, text),
                    Err(_) => {
                        return Err(cell_error(
                            table,
                            column,
                            "binary value is not UTF-8".into(),
                        ))
                    }
                },
            }
            out.push(b',');
        }
        out.extend_from_slice(b"\"__op\":");
        out.push(b'0' + op.code());
        out.push(b'}');
        Ok(())
    }

    /// Renders one value for a column of kind `kind`. `Err` says why it cannot be sent.
    fn render<'v>(&self, value: &'v Value, kind: ColumnKind) -> Result<Cell<'v>, String> {
        Ok(match value {
            Value::Null => Cell::Null,
            Value::Int(v) => Cell::Int(*v),
            Value::UInt(v) => Cell::UInt(*v),
            Value::Float(v) if v.is_finite() => Cell::Float(*v),
            Value::Double(v) if v.is_finite() => Cell::Double(*v),
            Value::Float(_) | Value::Double(_) => {
                return Err("NaN or infinite floating-point value".into())
            }
            Value::Decimal(text) if is_json_number(text) => Cell::Number(text.as_str().into()),
            Value::Decimal(text) => return Err(format!("malformed DECIMAL text {text:?}")),
            Value::Text(text) if kind == ColumnKind::Binary => Cell::Binary(text.as_bytes()),
            // Why: MariaDB's JSON is LONGTEXT, and a user may map a text column to JSON. Its text
            // is the JSON document; quoting it would store a JSON string instead.
            Value::Text(text) if kind == ColumnKind::Json => json_text_cell(text)?,
            Value::Text(text) => Cell::Text(text.as_str().into()),
            Value::Bytes(bytes) => match kind {
                ColumnKind::Binary => Cell::Binary(bytes),
                ColumnKind::Json => match std::str::from_utf8(bytes) {
                    Ok(text) => json_text_cell(text)?,
                    Err(_) => return Err("JSON text is not valid UTF-8".into()),
                },
                ColumnKind::Integer | ColumnKind::Boolean if bytes.len() <= 8 => {
                    let number = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
                    if kind == ColumnKind::Boolean {
                        Cell::UInt(u64::from(number != 0))
                    } else {
                        Cell::UInt(number)
                    }
                }
                _ => match std::str::from_utf8(bytes) {
                    Ok(text) => Cell::Text(text.into()),
                    Err(_) => {
                        return Err(
                            "binary value is not valid UTF-8 and the target column is not \
                                    VARBINARY"
                                .into(),
                        )
                    }
                },
            },
            Value::Date { year, month, day } => {
                if *month == 0 || *day == 0 {
                    return self.zero_date();
                }
                Cell::Clock(ClockText::date(*year, *month, *day))
            }
            Value::DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                micro,
            } => {
                if *month == 0 || *day == 0 {
                    return self.zero_date();
                }
                Cell::Clock(ClockText::datetime(
                    *year, *month, *day, *hour, *minute, *second, *micro,
                ))
            }
            Value::Timestamp { micros_since_epoch } => {
                // Why: MySQL stores the zero TIMESTAMP as 0 (its range starts one second later).
                if *micros_since_epoch == 0 {
                    return self.zero_date();
                }
                let instant = jiff::Timestamp::from_microsecond(*micros_since_epoch)
                    .map_err(|e| format!("TIMESTAMP out of range: {e}"))?;
                let local = self.render.timestamp_tz.to_datetime(instant);
                // Invariant: jiff's civil fields are in range (year 1..=9999 here, since the
                // instant came from a MySQL TIMESTAMP), so the narrowing casts are exact.
                Cell::Clock(ClockText::datetime(
                    local.year() as u16,
                    local.month() as u8,
                    local.day() as u8,
                    local.hour() as u8,
                    local.minute() as u8,
                    local.second() as u8,
                    (local.subsec_nanosecond() / 1000) as u32,
                ))
            }
            Value::Time {
                negative,
                hours,
                minutes,
                seconds,
                micro,
            } => Cell::Clock(ClockText::time(
                *negative, *hours, *minutes, *seconds, *micro,
            )),
            Value::Year(year) => Cell::UInt(u64::from(*year)),
            Value::Bool(flag) => Cell::UInt(u64::from(*flag)),
            Value::Json(text) if kind == ColumnKind::Json => Cell::Json(text.as_str().into()),
            Value::Json(text) => Cell::Text(text.as_str().into()),
        })
    }

    fn zero_date<'v>(&self) -> Result<Cell<'v>, String> {
        match self.render.zero_date {
            ZeroDatePolicy::Null => Ok(Cell::Null),
            ZeroDatePolicy::Reject => {
                Err("zero date (0000-00-00) refused by the zero-date policy".into())
            }
        }
    }
}

/// Text bound for a JSON column: sent as the JSON document it holds. Text that is not a JSON
/// document is refused (StarRocks would fail the row in CSV and the whole body in JSON).
fn json_text_cell(text: &str) -> Result<Cell<'_>, String> {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        let shown: String = text.chars().take(40).collect();
        return Err(format!(
            "text {shown:?} is not a JSON document and the target column is JSON"
        ));
    }
    Ok(Cell::Json(text.into()))
}

/// Rows written before the body's final size is estimated and reserved.
const SIZE_SAMPLE_ROWS: usize = 64;

/// One rendered value.
enum Cell<'v> {
    Null,
    /// Integers, written without an intermediate string.
    Int(i64),
    UInt(u64),
    /// Finite floating-point numbers, written in Rust's shortest round-trip form.
    Float(f32),
    Double(f64),
    /// A bare number token (digits, sign, point).
    Number(Cow<'v, str>),
    /// A date or time, rendered on the stack.
    Clock(ClockText),
    /// Text, borrowed from the value when it needs no rendering.
    Text(Cow<'v, str>),
    /// JSON text, embedded as a value in JSON bodies.
    Json(Cow<'v, str>),
    /// Bytes for a VARBINARY column.
    Binary(&'v [u8]),
}

/// Appends the decimal digits of `value` (no allocation, no formatter).
fn push_integer(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Appends a finite float in Rust's shortest round-trip text, which never uses an exponent.
fn push_float(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    // Why: writing into a Vec cannot fail.
    let _ = write!(out, "{value}");
}

fn cell_error(table: &TableId, column: &TargetColumn, reason: String) -> Error {
    Error::definite(format!(
        "{table}.{}: cannot send value: {reason}",
        column.name
    ))
    .with_hint("check the target column type and the value contract in the README")
}

/// Whether `values` hold a value `format` cannot carry.
fn blocks(format: BodyFormat, values: &[Value], kinds: &[ColumnKind]) -> bool {
    let mut cells = values.iter().zip(kinds);
    match format {
        BodyFormat::Csv => cells.any(|(value, kind)| renders_as_null_marker(value, *kind)),
        BodyFormat::Json => cells.any(|(value, kind)| is_non_utf8_binary(value, *kind)),
    }
}

/// Whether the value would be the text `\N` in CSV, which StarRocks reads as NULL.
fn renders_as_null_marker(value: &Value, kind: ColumnKind) -> bool {
    if kind == ColumnKind::Binary {
        return false; // base64 text is never `\N`
    }
    match value {
        Value::Text(text) | Value::Json(text) => text == "\\N",
        Value::Bytes(bytes) => {
            bytes.as_slice() == b"\\N" && matches!(kind, ColumnKind::Other | ColumnKind::Json)
        }
        _ => false,
    }
}

/// Whether the value is binary that JSON cannot carry.
fn is_non_utf8_binary(value: &Value, kind: ColumnKind) -> bool {
    matches!(value, Value::Bytes(bytes) if kind == ColumnKind::Binary && std::str::from_utf8(bytes).is_err())
}

fn is_json_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (digits, None),
    };
    let int_ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok
}

fn push_csv_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    // Runs without a quote or an escape are copied whole (most text has none).
    let mut rest = bytes;
    while let Some(at) = memchr::memchr2(ENCLOSE, ESCAPE, rest) {
        out.extend_from_slice(&rest[..at]);
        out.push(ESCAPE);
        out.push(rest[at]);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

fn push_json_string(out: &mut Vec<u8>, text: &str) {
    // Invariant: serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` as standard base64 with padding (also used for HTTP Basic credentials).
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    push_base64(&mut out, bytes);
    // Invariant: the base64 alphabet is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Standard base64 with padding, as StarRocks' `base64_decode2` reads it.
fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let sextet = |n: u32, shift: u32| BASE64_ALPHABET[((n >> shift) & 63) as usize];
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        out.push(sextet(n, 18));
        out.push(sextet(n, 12));
        out.push(if chunk.len() > 1 { sextet(n, 6) } else { b'=' });
        out.push(if chunk.len() > 2 { sextet(n, 0) } else { b'=' });
    }
}

fn hex_form(bytes: &[u8]) -> String {
    let mut text = String::from("\\x");
    for b in bytes {
        let _ = write!(text, "{b:02X}");
    }
    text
}

fn compress(body: Vec<u8>, compression: Compression) -> std::io::Result<Vec<u8>> {
    match compression {
        Compression::None => Ok(body),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(&body)?;
            encoder.finish()
        }
        Compression::Zstd => zstd::encode_all(body.as_slice(), 3),
        Compression::Lz4Frame => {
            let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
            encoder.write_all(&body)?;
            encoder.finish().map_err(std::io::Error::other)
        }
    }
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
