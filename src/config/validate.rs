//! [`validate`]: [`RawConfig`] → [`Config`], reporting every problem with its field path.
//!
//! Pure: no environment, no network, no files (the one exception is the system time zone
//! database, read to check `target.timestamp_time_zone`). Problems are collected, not returned
//! at the first one, so an operator fixes a file in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::error::FieldProblem;
use super::raw::{RawConfig, RawSnapshotTable};
use super::table_filter::{parse_table_id, Routes, TableFilter, TablePattern};
use super::{
    AdminConfig, Compression, Config, DdlPolicy, ErrorStrategy, HostPort, LoadFormat, LogConfig,
    LogFormat, OtherDdlPolicy, Secret, Separator, SnapshotConfig, SnapshotMode,
    SnapshotTableOptions, SourceConfig, TargetConfig, TlsMode, TruncatePolicy,
};
use crate::schema::TableId;

/// Largest server-side Stream Load `timeout` StarRocks accepts (seconds).
const MAX_SERVER_LOAD_TIMEOUT_SECS: u64 = 259_200;

/// Load properties set by the daemon itself for every load.
const RESERVED_LOAD_PROPS: [&str; 2] = ["label", "columns"];

/// Checks every value of `raw` and builds the typed [`Config`]. Relative paths are joined to
/// `base_dir` (the configuration file's directory).
pub fn validate(raw: &RawConfig, base_dir: &Path) -> Result<Config, Vec<FieldProblem>> {
    let mut problems = Problems::default();

    // The table filter is checked first: routes and snapshot options are checked against it
    // even when other source fields are wrong.
    let filter = validate_filter(raw, &mut problems);
    let source = validate_source(raw, base_dir, filter.clone(), &mut problems);
    let target = validate_target(raw, base_dir, &mut problems);
    let routes = validate_routes(raw, filter.as_ref(), &mut problems);
    let on_truncate = problems.choice(
        "ddl.on_truncate",
        &raw.ddl.on_truncate,
        &[
            ("apply", TruncatePolicy::Apply),
            ("ignore", TruncatePolicy::Ignore),
        ],
    );
    let on_other = problems.choice(
        "ddl.on_other",
        &raw.ddl.on_other,
        &[
            ("ignore", OtherDdlPolicy::Ignore),
            ("fail", OtherDdlPolicy::Fail),
        ],
    );
    let snapshot = validate_snapshot(raw, filter.as_ref(), &mut problems);
    let state_dir = if raw.state_dir.as_os_str().is_empty() {
        problems.push("state_dir", "must not be empty");
        None
    } else {
        Some(base_dir.join(&raw.state_dir))
    };
    let admin = match raw.admin.listen.parse::<SocketAddr>() {
        Ok(listen) => Some(AdminConfig { listen }),
        Err(_) => {
            problems.push_hint(
                "admin.listen",
                format!("\"{}\" is not an IP address with a port", raw.admin.listen),
                "write e.g. 127.0.0.1:9501 or 0.0.0.0:9501",
            );
            None
        }
    };
    let log_format = problems.choice(
        "log.format",
        &raw.log.format,
        &[("text", LogFormat::Text), ("json", LogFormat::Json)],
    );
    if let Err(error) = tracing_subscriber::EnvFilter::try_new(&raw.log.level) {
        problems.push_hint(
            "log.level",
            format!(
                "\"{}\" is not a valid level or filter: {error}",
                raw.log.level
            ),
            "use error, warn, info, debug or trace",
        );
    }
    let shutdown_timeout = problems.positive_ms("shutdown_timeout_ms", raw.shutdown_timeout_ms);

    match (
        source,
        target,
        routes,
        on_truncate,
        on_other,
        snapshot,
        state_dir,
        admin,
        log_format,
        shutdown_timeout,
    ) {
        (
            Some(source),
            Some(target),
            Some(routes),
            Some(on_truncate),
            Some(on_other),
            Some(snapshot),
            Some(state_dir),
            Some(admin),
            Some(format),
            Some(shutdown_timeout),
        ) if problems.0.is_empty() => Ok(Config {
            source,
            target,
            routes,
            ddl: DdlPolicy {
                on_truncate,
                on_other,
            },
            snapshot,
            state_dir,
            admin,
            log: LogConfig {
                format,
                level: raw.log.level.clone(),
            },
            shutdown_timeout,
        }),
        _ => Err(problems.0),
    }
}

fn validate_filter(raw: &RawConfig, problems: &mut Problems) -> Option<TableFilter> {
    let before = problems.0.len();
    if raw.source.tables.is_empty() {
        problems.push_hint(
            "source.tables",
            "must list at least one pattern",
            "e.g. tables: [\"shop.*\"]",
        );
    }
    let include = patterns("source.tables", &raw.source.tables, problems);
    let exclude = patterns(
        "source.exclude_tables",
        &raw.source.exclude_tables,
        problems,
    );
    (problems.0.len() == before).then_some(TableFilter { include, exclude })
}

fn validate_source(
    raw: &RawConfig,
    base_dir: &Path,
    filter: Option<TableFilter>,
    problems: &mut Problems,
) -> Option<SourceConfig> {
    let s = &raw.source;
    let before = problems.0.len();
    if s.host.trim().is_empty() {
        problems.push("source.host", "must not be empty");
    }
    if s.port == 0 {
        problems.push("source.port", "must be 1..65535");
    }
    if s.user.is_empty() {
        problems.push("source.user", "must not be empty");
    }
    if s.server_id == 0 {
        problems.push_hint(
            "source.server_id",
            "must not be 0 (a server with id 0 refuses replicas)",
            "pick a number unique among the source's replicas, e.g. 5401",
        );
    }
    let tls = problems.choice(
        "source.tls",
        &s.tls,
        &[
            ("disable", TlsMode::Disable),
            ("prefer", TlsMode::Prefer),
            ("require", TlsMode::Require),
            ("verify_ca", TlsMode::VerifyCa),
            ("verify_identity", TlsMode::VerifyIdentity),
        ],
    );
    if s.tls_ca_file.is_some() && matches!(tls, Some(TlsMode::Disable)) {
        problems.push("source.tls_ca_file", "is set but source.tls is disable");
    }
    let heartbeat = problems.positive_ms("source.heartbeat_ms", s.heartbeat_ms);
    let read_timeout = problems.positive_ms("source.read_timeout_ms", s.read_timeout_ms);
    if let (Some(heartbeat), Some(read_timeout)) = (heartbeat, read_timeout) {
        if read_timeout <= heartbeat {
            problems.push_hint(
                "source.read_timeout_ms",
                format!(
                    "must be longer than source.heartbeat_ms ({} ms), else an idle but healthy \
                     connection is taken for dead",
                    heartbeat.as_millis()
                ),
                "use at least 3 × heartbeat_ms",
            );
        }
    }
    if problems.0.len() != before {
        return None;
    }
    Some(SourceConfig {
        host: s.host.clone(),
        port: s.port,
        user: s.user.clone(),
        password: Secret::new(s.password.clone().unwrap_or_default()),
        server_id: s.server_id,
        tls: tls?,
        tls_ca_file: s.tls_ca_file.as_ref().map(|file| base_dir.join(file)),
        tables: filter?,
        heartbeat: heartbeat?,
        read_timeout: read_timeout?,
    })
}

fn patterns(field: &str, texts: &[String], problems: &mut Problems) -> Vec<TablePattern> {
    let mut out = Vec::with_capacity(texts.len());
    for (index, text) in texts.iter().enumerate() {
        match TablePattern::parse(text) {
            Ok(pattern) => out.push(pattern),
            Err(problem) => problems.push_hint(
                format!("{field}[{index}]"),
                problem,
                "e.g. \"shop.orders\" or \"shop.*\"",
            ),
        }
    }
    out
}

fn validate_target(
    raw: &RawConfig,
    base_dir: &Path,
    problems: &mut Problems,
) -> Option<TargetConfig> {
    let t = &raw.target;
    let before = problems.0.len();
    if t.load_url.is_empty() {
        problems.push_hint(
            "target.load_url",
            "must list at least one FE HTTP address",
            "e.g. load_url: [\"127.0.0.1:8030\"]",
        );
    }
    let mut load_urls = Vec::with_capacity(t.load_url.len());
    for (index, text) in t.load_url.iter().enumerate() {
        match HostPort::parse(text) {
            Ok(address) => load_urls.push(address),
            Err(problem) => problems.push(format!("target.load_url[{index}]"), problem),
        }
    }
    let query_address = match HostPort::parse(&t.query_address) {
        Ok(address) => Some(address),
        Err(problem) => {
            problems.push_hint("target.query_address", problem, "e.g. 127.0.0.1:9030");
            None
        }
    };
    if t.user.is_empty() {
        problems.push("target.user", "must not be empty");
    }
    let max_batch_rows = problems.positive_count("target.max_batch_rows", t.max_batch_rows);
    let max_batch_size = problems.positive_count("target.max_batch_size", t.max_batch_size);
    let flush_interval = problems.positive_ms("target.flush_interval_ms", t.flush_interval_ms);
    let load_timeout = problems.positive_ms("target.load_timeout_ms", t.load_timeout_ms);
    let strategy_on_error = problems.choice(
        "target.strategy_on_error",
        &t.strategy_on_error,
        &[
            ("exit", ErrorStrategy::Exit),
            ("batch_dirty_data", ErrorStrategy::BatchDirtyData),
        ],
    );
    if t.dirty_data_dir.as_os_str().is_empty() {
        problems.push("target.dirty_data_dir", "must not be empty");
    }
    for (field, statements) in [
        ("target.pre_sql", &t.pre_sql),
        ("target.post_sql", &t.post_sql),
    ] {
        for (index, sql) in statements.iter().enumerate() {
            if sql.trim().is_empty() {
                problems.push(format!("{field}[{index}]"), "must not be empty");
            }
        }
    }
    let timestamp_time_zone = match parse_time_zone(&t.timestamp_time_zone) {
        Ok(zone) => Some(zone),
        Err(problem) => {
            problems.push_hint(
                "target.timestamp_time_zone",
                problem,
                "use UTC, an IANA name such as Asia/Shanghai, or an offset such as +08:00",
            );
            None
        }
    };
    let load_props = validate_load_props(&t.load_props, load_timeout, problems);
    if problems.0.len() != before {
        return None;
    }
    let load_props = load_props?;
    Some(TargetConfig {
        load_urls,
        query_address: query_address?,
        user: t.user.clone(),
        password: Secret::new(t.password.clone().unwrap_or_default()),
        load_props: load_props.passthrough,
        format: load_props.format,
        compression: load_props.compression,
        column_separator: load_props.column_separator,
        row_delimiter: load_props.row_delimiter,
        max_batch_rows: max_batch_rows?,
        max_batch_size: max_batch_size?,
        flush_interval: flush_interval?,
        strategy_on_error: strategy_on_error?,
        dirty_data_dir: base_dir.join(&t.dirty_data_dir),
        pre_sql: t.pre_sql.clone(),
        post_sql: t.post_sql.clone(),
        timestamp_time_zone: timestamp_time_zone?,
        auto_create: t.auto_create,
        load_timeout: load_timeout?,
        max_retries: t.max_retries,
    })
}

/// The loader-facing view of `load_props`.
struct LoadProps {
    passthrough: BTreeMap<String, String>,
    format: LoadFormat,
    compression: Option<Compression>,
    column_separator: Separator,
    row_delimiter: Separator,
}

fn validate_load_props(
    raw: &BTreeMap<String, serde_json::Value>,
    load_timeout: Option<Duration>,
    problems: &mut Problems,
) -> Option<LoadProps> {
    let before = problems.0.len();
    let mut props = BTreeMap::new();
    for (key, value) in raw {
        let field = format!("target.load_props.{key}");
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Bool(flag) => flag.to_string(),
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::Null
            | serde_json::Value::Array(_)
            | serde_json::Value::Object(_) => {
                problems.push(field, "must be a string, number or boolean");
                continue;
            }
        };
        let lower = key.to_ascii_lowercase();
        if RESERVED_LOAD_PROPS.contains(&lower.as_str()) {
            problems.push(field, "is set by mysql2starrocks for every load; remove it");
            continue;
        }
        if props.insert(lower, text).is_some() {
            problems.push(field, "is given twice (keys are case-insensitive)");
        }
    }

    let format = match props
        .remove("format")
        .map(|f| f.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("csv") => Some(LoadFormat::Csv),
        Some("json") => Some(LoadFormat::Json),
        Some(other) => {
            problems.push_hint(
                "target.load_props.format",
                format!("\"{other}\" is not supported"),
                "use csv or json; compress with load_props.compression",
            );
            None
        }
    };
    let compression = match props
        .remove("compression")
        .map(|c| c.to_ascii_lowercase())
        .as_deref()
    {
        None => Some(None),
        Some("gzip") => Some(Some(Compression::Gzip)),
        Some("zstd") => Some(Some(Compression::Zstd)),
        Some("lz4_frame") => Some(Some(Compression::Lz4Frame)),
        Some(other) => {
            problems.push_hint(
                "target.load_props.compression",
                format!("\"{other}\" is not supported"),
                "use gzip, zstd or lz4_frame",
            );
            None
        }
    };
    let mut separator = |key: &str, default: &str| {
        let text = props.remove(key);
        match Separator::parse(text.as_deref().unwrap_or(default)) {
            Ok(separator) => Some(separator),
            Err(problem) => {
                problems.push_hint(
                    format!("target.load_props.{key}"),
                    problem,
                    "write text such as \"|\" or a hex form such as \"\\x01\"",
                );
                None
            }
        }
    };
    let column_separator = separator("column_separator", "\t");
    let row_delimiter = separator("row_delimiter", "\n");
    if let (Some(column), Some(row)) = (&column_separator, &row_delimiter) {
        let (column, row) = (column.bytes(), row.bytes());
        if column.windows(row.len()).any(|w| w == row)
            || row.windows(column.len()).any(|w| w == column)
        {
            problems.push(
                "target.load_props.row_delimiter",
                "must differ from column_separator (neither may contain the other)",
            );
        }
    }
    if let Some(strict) = props.get("strict_mode") {
        if !matches!(strict.to_ascii_lowercase().as_str(), "true" | "false") {
            problems.push("target.load_props.strict_mode", "must be true or false");
        }
    }
    if let Some(ratio) = props.get("max_filter_ratio") {
        if ratio.parse::<f64>() != Ok(0.0) {
            problems.push_hint(
                "target.load_props.max_filter_ratio",
                "must be 0: a non-zero ratio lets StarRocks drop rows silently",
                "remove it; use target.strategy_on_error: batch_dirty_data to keep rejected batches",
            );
        }
    }
    // Invariant: the server gives up on a load before the client does, so a client timeout
    // never leaves a load running on the server while the client retries it.
    if let Some(load_timeout) = load_timeout {
        let client_secs = load_timeout.as_secs();
        match props.get("timeout") {
            Some(text) => match text.parse::<u64>() {
                Ok(secs) if (1..=MAX_SERVER_LOAD_TIMEOUT_SECS).contains(&secs) => {
                    if secs >= client_secs {
                        problems.push_hint(
                            "target.load_props.timeout",
                            format!(
                                "the server-side timeout ({secs} s) must be shorter than \
                                 target.load_timeout_ms ({} ms)",
                                load_timeout.as_millis()
                            ),
                            "raise target.load_timeout_ms or lower load_props.timeout",
                        );
                    }
                }
                _ => problems.push(
                    "target.load_props.timeout",
                    format!("must be whole seconds in 1..{MAX_SERVER_LOAD_TIMEOUT_SECS}"),
                ),
            },
            None => {
                let server_secs = (client_secs * 4 / 5).clamp(1, MAX_SERVER_LOAD_TIMEOUT_SECS);
                if server_secs >= client_secs {
                    problems.push_hint(
                        "target.load_timeout_ms",
                        "must be at least 2000 so that the server-side load timeout can be shorter",
                        "use e.g. 120000",
                    );
                } else {
                    props.insert("timeout".to_owned(), server_secs.to_string());
                }
            }
        }
    }
    if problems.0.len() != before {
        return None;
    }
    Some(LoadProps {
        passthrough: props,
        format: format?,
        compression: compression?,
        column_separator: column_separator?,
        row_delimiter: row_delimiter?,
    })
}

/// `UTC`, an IANA time zone name, or a fixed offset `+HH:MM` / `-HH:MM`.
fn parse_time_zone(text: &str) -> Result<jiff::tz::TimeZone, String> {
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Ok(jiff::tz::TimeZone::UTC);
    }
    if let Some(rest) = text.strip_prefix(['+', '-']) {
        let sign = if text.starts_with('-') { -1 } else { 1 };
        let parsed = rest
            .split_once(':')
            .and_then(|(h, m)| Some((h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)))
            .filter(|&(h, m)| rest.len() == 5 && (0..=14).contains(&h) && (0..60).contains(&m));
        let (hours, minutes) =
            parsed.ok_or_else(|| format!("\"{text}\" is not an offset of the form +HH:MM"))?;
        let offset = jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60))
            .map_err(|error| format!("\"{text}\": {error}"))?;
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    jiff::tz::TimeZone::get(text).map_err(|error| format!("unknown time zone \"{text}\": {error}"))
}

fn validate_routes(
    raw: &RawConfig,
    filter: Option<&TableFilter>,
    problems: &mut Problems,
) -> Option<Routes> {
    let before = problems.0.len();
    let mut renames = BTreeMap::new();
    let mut targets: BTreeMap<TableId, usize> = BTreeMap::new();
    for (index, route) in raw.routes.iter().enumerate() {
        let source = parse_table_id(&route.source)
            .map_err(|problem| problems.push(format!("routes[{index}].source"), problem))
            .ok();
        let target = parse_table_id(&route.target)
            .map_err(|problem| problems.push(format!("routes[{index}].target"), problem))
            .ok();
        let (Some(source), Some(target)) = (source, target) else {
            continue;
        };
        if let Some(filter) = filter {
            if !filter.matches(&source) {
                problems.push_hint(
                    format!("routes[{index}].source"),
                    format!("{source} is not selected by source.tables / source.exclude_tables"),
                    "add it to source.tables or remove the route",
                );
            }
        }
        if let Some(first) = targets.insert(target.clone(), index) {
            problems.push(
                format!("routes[{index}].target"),
                format!("{target} is already the target of routes[{first}]"),
            );
        }
        if renames.insert(source.clone(), target).is_some() {
            problems.push(
                format!("routes[{index}].source"),
                format!("{source} is routed twice"),
            );
        }
    }
    (problems.0.len() == before).then(|| Routes::new(renames))
}

fn validate_snapshot(
    raw: &RawConfig,
    filter: Option<&TableFilter>,
    problems: &mut Problems,
) -> Option<SnapshotConfig> {
    let s = &raw.snapshot;
    let before = problems.0.len();
    let mode = problems.choice(
        "snapshot.mode",
        &s.mode,
        &[
            ("initial", SnapshotMode::Initial),
            ("never", SnapshotMode::Never),
            ("only", SnapshotMode::Only),
        ],
    );
    let chunk_rows = problems.positive_count("snapshot.chunk_rows", s.chunk_rows);
    let parallelism = problems.positive_count("snapshot.parallelism", u64::from(s.parallelism));
    let mut tables = BTreeMap::new();
    for (key, options) in &s.tables {
        let field = format!("snapshot.tables.\"{key}\"");
        match parse_table_id(key) {
            Ok(table) => {
                if let Some(filter) = filter {
                    if !filter.matches(&table) {
                        problems.push(
                            field.clone(),
                            format!("{table} is not selected by source.tables / exclude_tables"),
                        );
                    }
                }
                if let Some(options) = snapshot_table(&field, options, problems) {
                    tables.insert(table, options);
                }
            }
            Err(problem) => problems.push(field, problem),
        }
    }
    if problems.0.len() != before {
        return None;
    }
    Some(SnapshotConfig {
        mode: mode?,
        chunk_rows: chunk_rows?,
        parallelism: parallelism?,
        tables,
    })
}

fn snapshot_table(
    field: &str,
    raw: &RawSnapshotTable,
    problems: &mut Problems,
) -> Option<SnapshotTableOptions> {
    let before = problems.0.len();
    if raw
        .where_clause
        .as_deref()
        .is_some_and(|w| w.trim().is_empty())
    {
        problems.push(format!("{field}.where"), "must not be empty when set");
    }
    if raw.split_pk.as_deref().is_some_and(|c| c.trim().is_empty()) {
        problems.push(format!("{field}.split_pk"), "must not be empty when set");
    }
    if let Some(columns) = &raw.columns {
        if columns.is_empty() {
            problems.push(
                format!("{field}.columns"),
                "must list at least one column when set",
            );
        }
        let mut seen = BTreeSet::new();
        for (index, column) in columns.iter().enumerate() {
            if column.trim().is_empty() {
                problems.push(format!("{field}.columns[{index}]"), "must not be empty");
            } else if !seen.insert(column.as_str()) {
                problems.push(
                    format!("{field}.columns[{index}]"),
                    format!("{column} is listed twice"),
                );
            }
        }
    }
    (problems.0.len() == before).then(|| SnapshotTableOptions {
        where_clause: raw.where_clause.clone(),
        split_pk: raw.split_pk.clone(),
        columns: raw.columns.clone(),
    })
}

/// The problems found so far.
#[derive(Default)]
struct Problems(Vec<FieldProblem>);

impl Problems {
    fn push(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.push(FieldProblem::new(field, problem));
    }

    fn push_hint(
        &mut self,
        field: impl Into<String>,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.0
            .push(FieldProblem::new(field, problem).with_hint(hint));
    }

    /// One of a fixed set of words (case-sensitive, as written in the docs).
    fn choice<T: Copy>(&mut self, field: &str, value: &str, choices: &[(&str, T)]) -> Option<T> {
        if let Some((_, choice)) = choices.iter().find(|(name, _)| *name == value) {
            return Some(*choice);
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        self.push(
            field,
            format!("\"{value}\" is not one of {}", names.join(" | ")),
        );
        None
    }

    fn positive_ms(&mut self, field: &str, millis: u64) -> Option<Duration> {
        if millis == 0 {
            self.push(field, "must be > 0");
            return None;
        }
        Some(Duration::from_millis(millis))
    }

    fn positive_count(&mut self, field: &str, count: u64) -> Option<usize> {
        match usize::try_from(count) {
            Ok(0) => {
                self.push(field, "must be > 0");
                None
            }
            Ok(count) => Some(count),
            Err(_) => {
                self.push(field, "is too large for this machine");
                None
            }
        }
    }
}
