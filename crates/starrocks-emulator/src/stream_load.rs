//! Stream Load as the BE runs it, in StarRocks' order:
//!
//! 1. **Header phase** (`on_header`), before any body byte is read: Basic auth, `format`,
//!    `timeout`, then *begin* (user check, label format, database, table, label uniqueness per
//!    database) which assigns a `TxnId` and records the label as PREPARE, then *planning*
//!    (remaining headers, `columns`). A failure before begin answers `TxnId: -1`; a failure after
//!    begin aborts the label (ABORTED labels may be reused).
//! 2. **Body phase** (`compute` then `finish`): decompress, split into rows, convert each field
//!    by its column's type, filter bad rows (counting them and writing the error log), check
//!    `max_filter_ratio`, then apply every accepted row at once under the catalog lock and mark the
//!    label VISIBLE. A failed load changes no row.
//!
//! Primary-key tables: `__op` 1 deletes by key, 0 upserts; rows apply in file order, so the last
//! op per key wins. `merge_condition` keeps a stored row whose condition column is greater.
//!
//! The answer ([`LoadResult::to_json`]) is StarRocks' JSON with its key order and pretty layout.

use std::net::IpAddr;
use std::time::Instant;

use base64::Engine as _;
use hyper::HeaderMap;

use crate::catalog::{
    Column, ColumnType, KeysModel, LabelRecord, LabelState, RowKey, Rows, Table, Value,
};
use crate::columns::{self, LoadPlan, OpSource, TargetSource, OP_COLUMN};
use crate::compression::{self, Compression};
use crate::convert::{self, ConvertError, Field};
use crate::csv::{self, CsvOptions, CsvRow};
use crate::faults::FaultAction;
use crate::json_rows::{self, JsonRow};
use crate::load_log::LoadAttempt;
use crate::state::EmulatorState;

/// Body size limit of a JSON load unless `ignore_json_size: true` (StarRocks:
/// `streaming_load_max_batch_size_mb` = 100).
const JSON_MAX_BODY_BYTES: u64 = 100 * 1024 * 1024;
/// Encoded primary key limit in bytes.
const PRIMARY_KEY_MAX_BYTES: usize = 128;
/// Longest valid label.
const LABEL_MAX_CHARS: usize = 128;

/// `Status` values of a plain Stream Load answer.
pub const STATUS_SUCCESS: &str = "Success";
/// Committed but not yet visible.
pub const STATUS_PUBLISH_TIMEOUT: &str = "Publish Timeout";
/// The label is taken by a transaction that is not aborted.
pub const STATUS_LABEL_ALREADY_EXISTS: &str = "Label Already Exists";
/// Any failure.
pub const STATUS_FAIL: &str = "Fail";

/// The answer to one Stream Load (StarRocks' `StreamLoadContext::to_json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadResult {
    pub txn_id: i64,
    pub label: String,
    pub status: String,
    pub existing_job_status: Option<String>,
    pub message: String,
    pub total_rows: u64,
    pub loaded_rows: u64,
    pub filtered_rows: u64,
    pub unselected_rows: u64,
    pub load_bytes: u64,
    pub load_time_ms: u64,
    pub begin_txn_time_ms: u64,
    pub plan_time_ms: u64,
    pub read_data_time_ms: u64,
    pub write_data_time_ms: u64,
    pub commit_and_publish_time_ms: u64,
    pub error_url: Option<String>,
}

impl LoadResult {
    fn new(label: &str) -> Self {
        Self {
            txn_id: -1,
            label: label.to_string(),
            status: STATUS_SUCCESS.to_string(),
            existing_job_status: None,
            message: "OK".to_string(),
            total_rows: 0,
            loaded_rows: 0,
            filtered_rows: 0,
            unselected_rows: 0,
            load_bytes: 0,
            load_time_ms: 0,
            begin_txn_time_ms: 0,
            plan_time_ms: 0,
            read_data_time_ms: 0,
            write_data_time_ms: 0,
            commit_and_publish_time_ms: 0,
            error_url: None,
        }
    }

    fn fail(mut self, message: impl Into<String>) -> Self {
        self.status = STATUS_FAIL.to_string();
        self.message = message.into();
        self
    }

    /// The JSON body, keys in StarRocks' order, laid out like its rapidjson `PrettyWriter`.
    pub fn to_json(&self) -> String {
        let mut fields: Vec<(&str, String)> = vec![
            ("TxnId", self.txn_id.to_string()),
            ("Label", json_string(&self.label)),
            ("Status", json_string(&self.status)),
        ];
        if let Some(existing) = &self.existing_job_status {
            fields.push(("ExistingJobStatus", json_string(existing)));
        }
        fields.extend([
            ("Message", json_string(&self.message)),
            ("NumberTotalRows", self.total_rows.to_string()),
            ("NumberLoadedRows", self.loaded_rows.to_string()),
            ("NumberFilteredRows", self.filtered_rows.to_string()),
            ("NumberUnselectedRows", self.unselected_rows.to_string()),
            ("LoadBytes", self.load_bytes.to_string()),
            ("LoadTimeMs", self.load_time_ms.to_string()),
            ("BeginTxnTimeMs", self.begin_txn_time_ms.to_string()),
            ("StreamLoadPlanTimeMs", self.plan_time_ms.to_string()),
            ("ReadDataTimeMs", self.read_data_time_ms.to_string()),
            ("WriteDataTimeMs", self.write_data_time_ms.to_string()),
            (
                "CommitAndPublishTimeMs",
                self.commit_and_publish_time_ms.to_string(),
            ),
        ]);
        if let Some(url) = &self.error_url {
            fields.push(("ErrorURL", json_string(url)));
        }
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("    \"{k}\": {v}"))
            .collect();
        format!("{{\n{}\n}}", body.join(",\n"))
    }

    /// The attempt-log entry for this answer.
    pub(crate) fn attempt(
        &self,
        db: &str,
        table: &str,
        fault: Option<&FaultAction>,
    ) -> LoadAttempt {
        LoadAttempt {
            seq: 0,
            port: "be".to_string(),
            db: db.to_string(),
            table: table.to_string(),
            label: self.label.clone(),
            txn_id: self.txn_id,
            status: self.status.clone(),
            existing_job_status: self.existing_job_status.clone(),
            message: self.message.clone(),
            total_rows: self.total_rows,
            loaded_rows: self.loaded_rows,
            filtered_rows: self.filtered_rows,
            unselected_rows: self.unselected_rows,
            fault: fault.and_then(|f| serde_json::to_string(f).ok()),
        }
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The request line and headers of a Stream Load.
#[derive(Debug, Clone)]
pub(crate) struct LoadHead {
    pub db: String,
    pub table: String,
    pub headers: HeaderMap,
    pub peer_ip: IpAddr,
}

impl LoadHead {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    }
}

/// Data format of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

/// Options read from the headers during planning.
#[derive(Debug, Clone)]
struct LoadOptions {
    format: Format,
    compression: Option<Compression>,
    csv: CsvOptions,
    strip_outer_array: bool,
    strict_mode: bool,
    max_filter_ratio: f64,
    merge_condition: Option<usize>,
}

/// A load that passed the header phase: its transaction is begun and its plan is ready.
#[derive(Debug)]
pub(crate) struct PreparedLoad {
    pub db: String,
    pub table: String,
    pub result: LoadResult,
    started: Instant,
    options: LoadOptions,
    plan: LoadPlan,
    /// The table's schema (no rows) when the load was planned.
    schema: Table,
}

/// Outcome of the header phase.
#[derive(Debug)]
pub(crate) enum HeaderOutcome {
    /// Answer now, without reading the body.
    Reply(Box<LoadResult>),
    /// Read the body, then [`compute`].
    Proceed(Box<PreparedLoad>),
}

/// Parses `Authorization: Basic base64(user:password)`.
pub(crate) fn parse_basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split_whitespace();
    let scheme = parts.next()?;
    let encoded = parts.next()?;
    if !scheme.eq_ignore_ascii_case("basic") || parts.next().is_some() {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Whether `label` matches `^[-\w]{1,128}$`.
fn label_is_valid(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= LABEL_MAX_CHARS
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The header phase. `fault` is the BE fault taken for this load, if any.
pub(crate) fn on_header(
    state: &EmulatorState,
    head: &LoadHead,
    fault: Option<&FaultAction>,
) -> HeaderOutcome {
    let started = Instant::now();
    let label = head
        .header("label")
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let result = LoadResult::new(&label);
    let reply = |r: LoadResult| {
        let mut r = r;
        r.load_time_ms = elapsed_ms(started);
        HeaderOutcome::Reply(Box::new(r))
    };

    let Some((user, password)) = parse_basic_auth(&head.headers) else {
        return reply(result.fail("no valid Basic authorization"));
    };
    let format = match head.header("format") {
        None => Format::Csv,
        Some(f) => match f.to_ascii_lowercase().as_str() {
            "csv" | "gzip" | "bzip2" | "lz4" | "deflate" | "zstd" => Format::Csv,
            "json" => Format::Json,
            _ => return reply(result.fail(format!("unknown data format, format={f}"))),
        },
    };
    let format_compression = match head
        .header("format")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("gzip") => Some(Compression::Gzip),
        Some("bzip2") => Some(Compression::Bzip2),
        Some("lz4") => Some(Compression::Lz4Frame),
        Some("deflate") => Some(Compression::Deflate),
        Some("zstd") => Some(Compression::Zstd),
        _ => None,
    };
    if format == Format::Json {
        let ignore = head
            .header("ignore_json_size")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let length = head
            .header("content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if !ignore && length > JSON_MAX_BODY_BYTES {
            return reply(result.fail(format!(
                "The size of this batch exceed the max size [{JSON_MAX_BODY_BYTES}]  of json type data  data [ {length} ]. Set ignore_json_size to skip the check, although it may lead huge memory consuming."
            )));
        }
    }
    if let Some(timeout) = head.header("timeout") {
        if timeout.parse::<u32>().is_err() {
            return reply(result.fail("Invalid timeout format"));
        }
    }
    if matches!(fault, Some(FaultAction::ShuttingDown)) {
        return reply(result.fail("Service is shutting down, please retry later!"));
    }

    // Begin the transaction (FE `loadTxnBegin`).
    let begin_started = Instant::now();
    let mut result = result;
    let schema = {
        let mut catalog = state.catalog();
        if !state.credentials.accepts(&user, &password) {
            return reply(result.fail(format!("Access denied for {user}@{}", head.peer_ip)));
        }
        if !label_is_valid(&label) {
            return reply(result.fail(format!(
                "Label format error. regex: ^[-\\w]{{1,128}}$, label: {label}"
            )));
        }
        let db_index = catalog.databases.keys().position(|k| *k == head.db);
        let Some(database) = catalog.databases.get(&head.db) else {
            return reply(result.fail(format!("unknown database, database={}", head.db)));
        };
        let Some(table) = database.tables.get(&head.table) else {
            return reply(result.fail(format!("unknown table \"{}.{}\"", head.db, head.table)));
        };
        if let Some(existing) = database.labels.get(&label) {
            if existing.state != LabelState::Aborted {
                let mut r = result.fail(format!(
                    "Label [{label}] has already been used, relate to txn [{}]",
                    existing.txn_id
                ));
                r.status = STATUS_LABEL_ALREADY_EXISTS.to_string();
                r.existing_job_status = Some(existing.state.existing_job_status().to_string());
                return reply(r);
            }
        }
        if matches!(fault, Some(FaultAction::TooManyRunningTxns)) {
            let db_id = 10_001 + db_index.unwrap_or(0);
            return reply(result.fail(format!(
                "current running txns on db {db_id} is 1000, larger than limit 1000"
            )));
        }
        let schema = Table::new(
            table.name.clone(),
            table.columns.clone(),
            table.model,
            table.key_columns.clone(),
        );
        let txn_id = catalog.allocate_txn_id();
        if let Some(database) = catalog.databases.get_mut(&head.db) {
            database.labels.insert(
                label.clone(),
                LabelRecord {
                    txn_id,
                    state: LabelState::Prepare,
                    reason: None,
                },
            );
        }
        result.txn_id = txn_id;
        schema
    };
    result.begin_txn_time_ms = elapsed_ms(begin_started);

    // Plan (FE `streamLoadPut`); failures from here on abort the transaction.
    let plan_started = Instant::now();
    let planned = plan_load(head, &schema, format, format_compression);
    result.plan_time_ms = elapsed_ms(plan_started);
    match planned {
        Err(message) => {
            abort_label(state, &head.db, &label, result.txn_id, &message);
            reply(result.fail(message))
        }
        Ok((options, plan)) => HeaderOutcome::Proceed(Box::new(PreparedLoad {
            db: head.db.clone(),
            table: head.table.clone(),
            result,
            started,
            options,
            plan,
            schema,
        })),
    }
}

fn parse_bool_header(head: &LoadHead, name: &str, error: &str) -> Result<bool, String> {
    match head.header(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(error.to_string()),
    }
}

fn plan_load(
    head: &LoadHead,
    schema: &Table,
    format: Format,
    format_compression: Option<Compression>,
) -> Result<(LoadOptions, LoadPlan), String> {
    let mut csv = CsvOptions::default();
    if let Some(sep) = head.header("column_separator") {
        csv.column_separator = csv::parse_separator(sep)?;
    }
    if let Some(delim) = head.header("row_delimiter") {
        csv.row_delimiter = csv::parse_separator(delim)?;
    }
    if let Some(skip) = head.header("skip_header") {
        let skip: i64 = skip
            .trim()
            .parse()
            .map_err(|_| "Invalid csv load skip_header format".to_string())?;
        csv.skip_header = usize::try_from(skip)
            .map_err(|_| "skip_header must be equal or greater than 0".to_string())?;
    }
    csv.trim_space = parse_bool_header(
        head,
        "trim_space",
        "Invalid trim space format. Must be bool type",
    )?;
    csv.enclose = head.header("enclose").map(|v| v.as_bytes()[0]);
    csv.escape = head.header("escape").map(|v| v.as_bytes()[0]);
    let strict_mode = parse_bool_header(
        head,
        "strict_mode",
        "Invalid strict mode format. Must be bool type",
    )?;
    let partial_update = parse_bool_header(
        head,
        "partial_update",
        "Invalid partial update flag format. Must be bool type",
    )?;
    let strip_outer_array = head
        .header("strip_outer_array")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    // Why: StarRocks reads it with strtod, so unparsable text is 0.
    let max_filter_ratio = head
        .header("max_filter_ratio")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    let content_encoding = head.header("content-encoding");
    let compression_header = head.header("compression");
    if content_encoding.is_some() && compression_header.is_some() {
        return Err(
            "Only one of http header content-encoding and compression can be set".to_string(),
        );
    }
    let compression = match content_encoding.or(compression_header) {
        Some(value) => Some(
            Compression::from_header(value)
                .ok_or_else(|| format!("Unsupported compression type: {value}"))?,
        ),
        None => format_compression,
    };
    let is_pk = schema.model == KeysModel::PrimaryKeys;
    if partial_update {
        if !is_pk {
            return Err("Only primary key table support partial update".to_string());
        }
        return Err("The StarRocks emulator does not support partial_update".to_string());
    }
    for unsupported in [
        "where",
        "jsonpaths",
        "json_root",
        "partitions",
        "temporary_partitions",
    ] {
        if head.header(unsupported).is_some() {
            return Err(format!(
                "The StarRocks emulator does not support the '{unsupported}' header"
            ));
        }
    }
    let merge_condition = match head.header("merge_condition") {
        None => None,
        Some(name) => {
            if !is_pk {
                return Err(format!(
                    "Conditional update only support primary key table {}",
                    schema.name
                ));
            }
            let index = schema.column_index(name).ok_or_else(|| {
                format!(
                    "Merge condition column {name} should be a column of the table {}",
                    schema.name
                )
            })?;
            if schema
                .key_columns
                .iter()
                .any(|k| k.eq_ignore_ascii_case(name))
            {
                return Err(format!(
                    "Merge condition column {name} should not be primary key!"
                ));
            }
            Some(index)
        }
    };
    let items = match head.header("columns") {
        Some(text) => columns::parse_columns_header(text)?,
        None => Vec::new(),
    };
    let plan = columns::plan(schema, &items, format == Format::Json)?;
    Ok((
        LoadOptions {
            format,
            compression,
            csv,
            strip_outer_array,
            strict_mode,
            max_filter_ratio,
            merge_condition,
        },
        plan,
    ))
}

/// Marks `label` ABORTED if it still belongs to `txn_id`.
pub(crate) fn abort_label(state: &EmulatorState, db: &str, label: &str, txn_id: i64, reason: &str) {
    set_label_state(state, db, label, txn_id, LabelState::Aborted, Some(reason));
}

/// Sets `label`'s state if it still belongs to `txn_id`.
pub(crate) fn set_label_state(
    state: &EmulatorState,
    db: &str,
    label: &str,
    txn_id: i64,
    new_state: LabelState,
    reason: Option<&str>,
) {
    let mut catalog = state.catalog();
    if let Some(record) = catalog
        .databases
        .get_mut(db)
        .and_then(|d| d.labels.get_mut(label))
    {
        if record.txn_id == txn_id {
            record.state = new_state;
            record.reason = reason.map(str::to_string);
        }
    }
}

/// Whether a row upserts or deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Upsert,
    Delete,
}

/// The body phase's result before it is applied.
#[derive(Debug)]
pub(crate) struct ComputedLoad {
    prepared: Box<PreparedLoad>,
    rows: Vec<(Op, Vec<Value>)>,
    error_lines: Vec<String>,
    /// A failure of the whole load (decompression, key size, too many filtered rows).
    failure: Option<String>,
}

/// One source row.
enum SourceRow<'a> {
    Csv(&'a CsvRow<'a>),
    Json(&'a serde_json::Map<String, serde_json::Value>),
}

impl<'a> SourceRow<'a> {
    /// The field at `index` (CSV) / named `name` (JSON); `None` is NULL.
    fn get(&self, index: usize, name: &str) -> Option<Field<'a>> {
        match self {
            SourceRow::Csv(row) => row.fields.get(index)?.as_deref().map(Field::Text),
            SourceRow::Json(map) => match map.get(name) {
                None | Some(serde_json::Value::Null) => None,
                Some(value) => Some(Field::Json(value)),
            },
        }
    }

    fn display(&self) -> String {
        match self {
            SourceRow::Csv(row) => String::from_utf8_lossy(row.raw).into_owned(),
            SourceRow::Json(map) => serde_json::Value::Object((*map).clone()).to_string(),
        }
    }
}

fn field_display(field: Field<'_>) -> String {
    match field {
        Field::Text(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Field::Json(serde_json::Value::String(s)) => s.clone(),
        Field::Json(value) => value.to_string(),
    }
}

fn separator_display(bytes: &[u8]) -> String {
    let mut out = String::new();
    for b in bytes {
        match b {
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(char::from(*b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// The [`crate::faults::FaultAction::Discard`] answer: `Success` for the rows of `body`
/// (counted by the row delimiter, or by lines for JSON; compressed bodies count as one row),
/// nothing parsed or stored, the label VISIBLE.
pub(crate) fn discard(
    state: &EmulatorState,
    prepared: Box<PreparedLoad>,
    body: &[u8],
    read_ms: u64,
) -> LoadResult {
    let PreparedLoad {
        db,
        mut result,
        started,
        options,
        ..
    } = *prepared;
    let delimiter: &[u8] = match (options.compression, options.format) {
        (Some(_), _) => b"",
        (None, Format::Csv) => &options.csv.row_delimiter,
        (None, Format::Json) => b"\n",
    };
    let rows = if delimiter.is_empty() {
        u64::from(!body.is_empty())
    } else {
        let ends = memchr::memmem::find_iter(body, delimiter).count();
        (ends + usize::from(!body.is_empty() && !body.ends_with(delimiter))) as u64
    };
    result.load_bytes = body.len() as u64;
    result.read_data_time_ms = read_ms;
    result.total_rows = rows;
    result.loaded_rows = rows;
    set_label_state(
        state,
        &db,
        &result.label,
        result.txn_id,
        LabelState::Visible,
        None,
    );
    result.load_time_ms = elapsed_ms(started);
    result
}

/// Decompresses, parses and converts the body. Does not touch the catalog.
pub(crate) fn compute(prepared: Box<PreparedLoad>, body: Vec<u8>, read_ms: u64) -> ComputedLoad {
    let mut prepared = prepared;
    prepared.result.load_bytes = body.len() as u64;
    prepared.result.read_data_time_ms = read_ms;
    let write_started = Instant::now();
    let mut computed = ComputedLoad {
        prepared,
        rows: Vec::new(),
        error_lines: Vec::new(),
        failure: None,
    };
    let mut data = match computed.prepared.options.compression {
        None => body,
        Some(c) => match compression::decompress(&body, c) {
            Ok(data) => data,
            Err(message) => {
                computed.failure = Some(message);
                return computed;
            }
        },
    };
    let options = computed.prepared.options.clone();
    let mut total = 0u64;
    match options.format {
        Format::Csv => {
            let expected = computed.prepared.plan.source_fields.len();
            for row in csv::parse(&mut data, &options.csv) {
                total += 1;
                if row.fields.len() != expected {
                    computed.error_lines.push(format!(
                        "Error: Target column count: {expected} doesn't match source value column count: {}. Column separator: '{}', Row delimiter: '{}'. Row: {}",
                        row.fields.len(),
                        separator_display(&options.csv.column_separator),
                        separator_display(&options.csv.row_delimiter),
                        String::from_utf8_lossy(row.raw)
                    ));
                    continue;
                }
                // Why: StarRocks' CSV scanner filters a row that is not valid UTF-8 (after the
                // column count check), whatever the column types.
                if !row.valid_utf8 {
                    computed.error_lines.push(format!(
                        "Error: Invalid UTF-8 row. Row: {}",
                        String::from_utf8_lossy(row.raw)
                    ));
                    continue;
                }
                accept(&mut computed, &SourceRow::Csv(&row));
            }
        }
        Format::Json => {
            for row in json_rows::parse(&data, options.strip_outer_array) {
                total += 1;
                match &row {
                    JsonRow::Bad { raw, error } => computed
                        .error_lines
                        .push(format!("Error: {error}. Row: {raw}")),
                    JsonRow::Object(map) => accept(&mut computed, &SourceRow::Json(map)),
                }
            }
        }
    }
    let result = &mut computed.prepared.result;
    result.total_rows = total;
    result.filtered_rows = computed.error_lines.len() as u64;
    result.loaded_rows = computed.rows.len() as u64;
    if computed.failure.is_none() {
        if let Some(message) = check_key_size(&computed.prepared.schema, &computed.rows) {
            computed.failure = Some(message);
        }
    }
    let result = &mut computed.prepared.result;
    if computed.failure.is_none()
        && result.filtered_rows > 0
        && result.filtered_rows as f64 / result.total_rows as f64 > options.max_filter_ratio
    {
        computed.failure = Some("too many filtered rows".to_string());
    }
    result.write_data_time_ms = elapsed_ms(write_started);
    computed
}

/// Converts one source row and adds it to the accepted rows or the error log.
fn accept(computed: &mut ComputedLoad, row: &SourceRow<'_>) {
    match convert_row(&computed.prepared, row) {
        Ok(converted) => computed.rows.push(converted),
        Err(reason) => computed
            .error_lines
            .push(format!("Error: {reason}. Row: {}", row.display())),
    }
}

fn conversion_failure(
    strict: bool,
    error: &ConvertError,
    shown: &str,
    column: &Column,
) -> Result<Value, String> {
    if !strict {
        // Why: outside strict mode a value that does not convert (or is too long) becomes NULL.
        return Ok(Value::Null);
    }
    match error {
        ConvertError::Invalid => Err(format!(
            "Value '{shown}' is out of range. The type of '{}' is {}",
            column.name,
            convert::type_name(&column.ty)
        )),
        ConvertError::TooLong { len, max } => Err(format!(
            "String '{shown}'(length={len}) is too long. The max length of '{}' is {max}",
            column.name
        )),
    }
}

fn convert_row(prepared: &PreparedLoad, row: &SourceRow<'_>) -> Result<(Op, Vec<Value>), String> {
    let strict = prepared.options.strict_mode;
    let plan = &prepared.plan;
    let mut values = Vec::with_capacity(prepared.schema.columns.len());
    for (column, source) in prepared.schema.columns.iter().zip(&plan.targets) {
        let value = match source {
            TargetSource::Constant(v) => v.clone(),
            TargetSource::BadConstant(text) => {
                conversion_failure(strict, &ConvertError::Invalid, text, column)?
            }
            TargetSource::Field(i) => match row.get(*i, &plan.source_fields[*i]) {
                None => Value::Null,
                Some(field) => match convert::convert(field, &column.ty) {
                    Ok(v) => v,
                    Err(e) => conversion_failure(strict, &e, &field_display(field), column)?,
                },
            },
        };
        if value == Value::Null && !column.nullable {
            return Err(format!(
                "NULL value in non-nullable column '{}'",
                column.name
            ));
        }
        values.push(value);
    }
    let op_field = match plan.op {
        OpSource::Upsert => return Ok((Op::Upsert, values)),
        OpSource::Delete => return Ok((Op::Delete, values)),
        OpSource::Field(i) => row.get(i, &plan.source_fields[i]),
        OpSource::JsonKey => match row {
            SourceRow::Json(map) if !map.contains_key(OP_COLUMN) => {
                return Ok((Op::Upsert, values))
            }
            _ => row.get(usize::MAX, OP_COLUMN),
        },
    };
    let op_column = Column::new(OP_COLUMN, ColumnType::TinyInt, false);
    let op_value = match op_field {
        None => Value::Null,
        Some(field) => match convert::convert(field, &ColumnType::TinyInt) {
            Ok(v) => v,
            Err(e) => conversion_failure(strict, &e, &field_display(field), &op_column)?,
        },
    };
    match op_value {
        Value::Int(1) => Ok((Op::Delete, values)),
        Value::Int(_) => Ok((Op::Upsert, values)),
        _ => Err(format!("NULL value in non-nullable column '{OP_COLUMN}'")),
    }
}

/// Positions of the key columns in a row, looked up once per load (not once per row).
fn key_indexes(schema: &Table) -> Vec<usize> {
    schema
        .key_columns
        .iter()
        .filter_map(|k| schema.column_index(k))
        .collect()
}

fn key_of(key_indexes: &[usize], row: &[Value]) -> RowKey {
    RowKey(key_indexes.iter().map(|&i| row[i].clone()).collect())
}

/// StarRocks' encoded primary key limit: fixed-width types by width, strings by length (plus
/// separators when the key has several columns).
fn check_key_size(schema: &Table, rows: &[(Op, Vec<Value>)]) -> Option<String> {
    if schema.model != KeysModel::PrimaryKeys {
        return None;
    }
    let indexes = key_indexes(schema);
    let multi = indexes.len() > 1;
    for (_, row) in rows {
        let size: usize = indexes
            .iter()
            .map(|&i| match (&schema.columns[i].ty, &row[i]) {
                (_, Value::Text(s)) => s.len() + if multi { 2 } else { 0 },
                (ColumnType::Boolean | ColumnType::TinyInt, _) => 1,
                (ColumnType::SmallInt, _) => 2,
                (ColumnType::Int | ColumnType::Date, _) => 4,
                (ColumnType::LargeInt, _) => 16,
                _ => 8,
            })
            .sum();
        if size > PRIMARY_KEY_MAX_BYTES {
            return Some(format!(
                "primary key size exceed the limit. key size: {size}, limit: {PRIMARY_KEY_MAX_BYTES}"
            ));
        }
    }
    None
}

/// How [`finish`] ends a load that has no failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Commit {
    /// Visible at once: `Success`.
    Visible,
    /// Committed, visible later: `Publish Timeout`.
    PublishTimeout,
}

/// Applies a computed load (or records its failure) and returns the answer.
///
/// `forced_failure` fails the load with that message instead of applying it (fault injection).
pub(crate) fn finish(
    state: &EmulatorState,
    computed: ComputedLoad,
    forced_failure: Option<String>,
    commit: Commit,
) -> LoadResult {
    let ComputedLoad {
        prepared,
        rows,
        error_lines,
        failure,
    } = computed;
    let PreparedLoad {
        db,
        table,
        mut result,
        started,
        options,
        schema,
        ..
    } = *prepared;
    if !error_lines.is_empty() {
        let name = state.error_logs.store(&error_lines);
        result.error_url = Some(format!(
            "{}/api/_load_error_log?file={name}",
            state.be_base_url()
        ));
    }
    let commit_started = Instant::now();
    let failure = forced_failure.or(failure);
    let failure = match failure {
        Some(message) => Some(message),
        None => apply(
            state,
            &db,
            &table,
            &schema,
            rows,
            options.merge_condition,
            &result.label,
            result.txn_id,
            commit,
        )
        .err(),
    };
    match failure {
        Some(message) => {
            abort_label(state, &db, &result.label, result.txn_id, &message);
            result = result.fail(message);
        }
        None => {
            if commit == Commit::PublishTimeout {
                result.status = STATUS_PUBLISH_TIMEOUT.to_string();
                result.message =
                    "transaction commit successfully, BUT data will be visible later".to_string();
            }
        }
    }
    result.commit_and_publish_time_ms = elapsed_ms(commit_started);
    result.load_time_ms = elapsed_ms(started);
    result
}

/// Applies `rows` to the table and marks the label, all under one catalog lock.
#[allow(clippy::too_many_arguments)]
fn apply(
    state: &EmulatorState,
    db: &str,
    table_name: &str,
    schema: &Table,
    rows: Vec<(Op, Vec<Value>)>,
    merge_condition: Option<usize>,
    label: &str,
    txn_id: i64,
    commit: Commit,
) -> Result<(), String> {
    let mut catalog = state.catalog();
    let database = catalog
        .databases
        .get_mut(db)
        .ok_or_else(|| format!("unknown database, database={db}"))?;
    let table = database
        .tables
        .get_mut(table_name)
        .ok_or_else(|| format!("unknown table \"{db}.{table_name}\""))?;
    if table.columns != schema.columns || table.model != schema.model {
        return Err(format!(
            "The schema of table {table_name} changed while the load was running"
        ));
    }
    let model = table.model;
    let key_indexes = key_indexes(schema);
    match &mut table.rows {
        Rows::Keyed(map) => {
            for (op, row) in rows {
                let key = key_of(&key_indexes, &row);
                match op {
                    Op::Delete => {
                        map.remove(&key);
                    }
                    Op::Upsert => {
                        if let (Some(i), Some(old)) = (merge_condition, map.get(&key)) {
                            if row[i] < old[i] {
                                continue;
                            }
                        }
                        map.insert(key, row);
                    }
                }
            }
        }
        Rows::Appended(stored) => {
            for (_, row) in rows {
                let replace = match model {
                    KeysModel::UniqueKeys | KeysModel::AggregateKeys => {
                        let key = key_of(&key_indexes, &row);
                        stored.iter().position(|r| key_of(&key_indexes, r) == key)
                    }
                    KeysModel::PrimaryKeys | KeysModel::DuplicateKeys => None,
                };
                match replace {
                    Some(i) => stored[i] = row,
                    None => stored.push(row),
                }
            }
        }
    }
    let state_after = match commit {
        Commit::Visible => LabelState::Visible,
        Commit::PublishTimeout => LabelState::Committed,
    };
    if let Some(record) = database.labels.get_mut(label) {
        if record.txn_id == txn_id {
            record.state = state_after;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_layout_and_order() {
        let mut r = LoadResult::new("l1");
        r.existing_job_status = Some("FINISHED".into());
        let text = r.to_json();
        assert!(text.starts_with("{\n    \"TxnId\": -1,\n    \"Label\": \"l1\",\n    \"Status\": \"Success\",\n    \"ExistingJobStatus\": \"FINISHED\",\n    \"Message\": \"OK\",\n"));
        assert!(text.ends_with("\"CommitAndPublishTimeMs\": 0\n}"));
    }

    #[test]
    fn labels() {
        assert!(label_is_valid("a-b_C9"));
        assert!(!label_is_valid(""));
        assert!(!label_is_valid("a.b"));
        assert!(!label_is_valid(&"x".repeat(129)));
        assert!(label_is_valid(&"x".repeat(128)));
    }
}
