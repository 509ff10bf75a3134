//! Configuration loading: the example file, defaults, `${ENV}`, secrets, and refused files.

#![allow(clippy::unwrap_used)] // Tests may unwrap (see clippy.toml); helpers here are test code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mysql2starrocks::config::raw::{self, RawConfig};
use mysql2starrocks::config::{
    parse_yaml, Config, ConfigError, ErrorStrategy, LoadFormat, LogFormat, OtherDdlPolicy,
    SnapshotMode, TlsMode, TruncatePolicy,
};
use mysql2starrocks::schema::TableId;

const MINIMAL: &str = "source:\n  user: repl\n  tables: [\"shop.*\"]\n";

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.yaml.example")
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn load_str(text: &str) -> Result<Config, ConfigError> {
    Config::from_yaml(text, Path::new("/etc/m2s/config.yaml"), &no_env)
}

fn problems(text: &str) -> Vec<String> {
    match load_str(text) {
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected field problems, got {other:?}"),
    }
}

fn assert_problem(problems: &[String], expected: &str) {
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "no problem containing {expected:?} in {problems:#?}"
    );
}

#[test]
fn example_file_parses_and_states_the_defaults() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let env = |name: &str| (name == "MYSQL_REPL_PASSWORD").then(|| "from-env".to_owned());
    let config = Config::from_yaml(&text, &example_path(), &env).unwrap();
    assert_eq!(config.source.password.expose(), "from-env");

    // Every value the example writes is the default: the example equals a minimal file once
    // the required keys and the password are copied over.
    let mut example = parse_yaml(&text, &example_path()).unwrap();
    let minimal = parse_yaml(MINIMAL, Path::new("minimal.yaml")).unwrap();
    example.source.password = None;
    // `password: ""` spells out the default (no password).
    assert_eq!(example.target.password.as_deref(), Some(""));
    example.target.password = None;
    assert_eq!(
        example, minimal,
        "config.yaml.example and the defaults disagree"
    );
}

/// Every key path of `value` (object keys joined with '.').
fn key_names(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    if let serde_json::Value::Object(map) = value {
        for (key, child) in map {
            out.insert(key.clone());
            key_names(child, out);
        }
    }
}

#[test]
fn example_file_documents_every_key() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let mut raw: RawConfig = parse_yaml(MINIMAL, Path::new("m.yaml")).unwrap();
    // Give optional keys a value so that they show up in the serialized tree.
    raw.source.password = Some(String::new());
    raw.source.password_file = Some(PathBuf::from("f"));
    raw.source.tls_ca_file = Some(PathBuf::from("f"));
    raw.target.password = Some(String::new());
    raw.target.password_file = Some(PathBuf::from("f"));
    raw.routes.push(raw::RawRoute {
        source: "a.b".into(),
        target: "c.d".into(),
    });
    raw.snapshot.tables.insert(
        "a.b".into(),
        raw::RawSnapshotTable {
            where_clause: Some("x".into()),
            split_pk: Some("x".into()),
            columns: Some(vec!["x".into()]),
        },
    );
    let tree = serde_json::to_value(&raw).unwrap();
    let mut keys = BTreeSet::new();
    key_names(&tree, &mut keys);
    keys.remove("a.b");
    for key in keys {
        assert!(
            text.contains(&format!("{key}:")),
            "config.yaml.example does not document the key {key:?}"
        );
    }
}

#[test]
fn minimal_file_gets_the_documented_defaults() {
    let config = load_str(MINIMAL).unwrap();
    let s = &config.source;
    assert_eq!(
        (s.host.as_str(), s.port, s.server_id),
        ("127.0.0.1", 3306, 5401)
    );
    assert_eq!(s.tls, TlsMode::Prefer);
    assert!(s.password.is_empty());
    assert_eq!(s.heartbeat, Duration::from_millis(5_000));
    assert_eq!(s.read_timeout, Duration::from_millis(30_000));
    assert!(s.tables.matches(&TableId::new("shop", "orders")));
    assert!(!s.tables.matches(&TableId::new("other", "orders")));

    let t = &config.target;
    assert_eq!(t.load_urls.len(), 1);
    assert_eq!(t.load_urls[0].to_string(), "127.0.0.1:8030");
    assert_eq!(t.query_address.to_string(), "127.0.0.1:9030");
    assert_eq!(t.user, "root");
    assert!(t.password.is_empty());
    assert_eq!(t.max_batch_rows, 500_000);
    assert_eq!(t.max_batch_size, 5_242_880);
    assert_eq!(t.flush_interval, Duration::from_millis(1_000));
    assert_eq!(t.strategy_on_error, ErrorStrategy::Exit);
    assert_eq!(t.dirty_data_dir, Path::new("/etc/m2s/./dirty"));
    assert_eq!(t.format, LoadFormat::Csv);
    assert_eq!(t.compression, None);
    assert_eq!(t.timestamp_time_zone, jiff::tz::TimeZone::UTC);
    assert!(!t.auto_create);
    assert_eq!(t.load_timeout, Duration::from_millis(120_000));
    assert_eq!(t.max_retries, 5);
    // The server-side timeout is set below the client's.
    assert_eq!(
        t.load_props,
        BTreeMap::from([("timeout".to_owned(), "96".to_owned())])
    );

    assert_eq!(config.ddl.on_truncate, TruncatePolicy::Apply);
    assert_eq!(config.ddl.on_other, OtherDdlPolicy::Ignore);
    assert_eq!(config.snapshot.mode, SnapshotMode::Initial);
    assert_eq!(config.snapshot.chunk_rows, 20_000);
    assert_eq!(config.snapshot.parallelism, 4);
    assert!(config.snapshot.tables.is_empty());
    assert_eq!(config.state_dir, Path::new("/etc/m2s/./state"));
    assert_eq!(config.admin.listen.to_string(), "127.0.0.1:9501");
    assert_eq!(config.log.format, LogFormat::Text);
    assert_eq!(config.log.level, "info");
    assert_eq!(config.shutdown_timeout, Duration::from_millis(30_000));
    assert_eq!(
        config.routes.target_for(&TableId::new("shop", "orders")),
        TableId::new("shop", "orders")
    );
}

#[test]
fn full_file_is_typed() {
    let text = r#"
source:
  host: db1
  user: repl
  password: pw
  tls: verify_identity
  tls_ca_file: ca.pem
  tables: ["shop.*", "crm.customers"]
  exclude_tables: ["shop.tmp_*"]
target:
  load_url: ["fe1:8030", "http://fe2:8030"]
  load_props:
    format: JSON
    compression: zstd
    strict_mode: true
    timeout: 60
    Column_Separator: "\x01"
  strategy_on_error: batch_dirty_data
  timestamp_time_zone: "+08:00"
routes:
  - source: shop.orders
    target: ods.orders
ddl: { on_truncate: ignore, on_other: fail }
snapshot:
  mode: only
  tables:
    "shop.orders": { where: "id > 10", split_pk: id, columns: [id, total] }
log: { format: json, level: "info,mysql2starrocks=debug" }
"#;
    let config = load_str(text).unwrap();
    assert_eq!(config.source.tls, TlsMode::VerifyIdentity);
    assert_eq!(
        config.source.tls_ca_file.as_deref(),
        Some(Path::new("/etc/m2s/ca.pem"))
    );
    assert!(!config.source.tables.matches(&TableId::new("shop", "tmp_1")));
    assert!(config
        .source
        .tables
        .matches(&TableId::new("crm", "customers")));
    assert_eq!(config.target.load_urls[1].http_base(), "http://fe2:8030");
    assert_eq!(config.target.format, LoadFormat::Json);
    assert_eq!(config.target.load_props["strict_mode"], "true");
    assert_eq!(config.target.load_props["timeout"], "60");
    assert_eq!(config.target.column_separator.bytes(), b"\x01");
    assert_eq!(config.target.row_delimiter.header_value(), "\\x0A");
    assert!(!config.target.load_props.contains_key("column_separator"));
    assert!(!config.target.load_props.contains_key("format"));
    assert_eq!(
        config.target.strategy_on_error,
        ErrorStrategy::BatchDirtyData
    );
    let offset = config.target.timestamp_time_zone.to_fixed_offset().unwrap();
    assert_eq!(offset.seconds(), 8 * 3600);
    assert_eq!(
        config.routes.target_for(&TableId::new("shop", "orders")),
        TableId::new("ods", "orders")
    );
    assert_eq!(config.ddl.on_other, OtherDdlPolicy::Fail);
    assert_eq!(config.snapshot.mode, SnapshotMode::Only);
    let options = &config.snapshot.tables[&TableId::new("shop", "orders")];
    assert_eq!(options.where_clause.as_deref(), Some("id > 10"));
    assert_eq!(options.columns.as_ref().unwrap().len(), 2);
    assert_eq!(config.log.format, LogFormat::Json);
}

#[test]
fn every_problem_is_reported_with_its_field_path() {
    let text = r#"
source:
  user: ""
  server_id: 0
  tls: maybe
  tables: ["shop.*"]
  heartbeat_ms: 5000
  read_timeout_ms: 5000
target:
  load_url: []
  query_address: "fe"
  max_batch_rows: 0
  flush_interval_ms: 0
  strategy_on_error: skip
  timestamp_time_zone: Mars/Olympus
  load_props: { format: parquet, label: x, timeout: 500, max_filter_ratio: 0.5, row_delimiter: "\t" }
routes:
  - { source: shop.orders, target: ods.orders }
  - { source: crm.users, target: ods.orders }
  - { source: "shop.*", target: ods.x }
ddl: { on_truncate: later }
snapshot: { mode: sometimes, chunk_rows: 0, tables: { "crm.x": {} , "shop.y": { columns: [] } } }
admin: { listen: "localhost:9501" }
log: { format: xml, level: "=" }
shutdown_timeout_ms: 0
"#;
    let problems = problems(text);
    for expected in [
        "source.user: must not be empty",
        "source.server_id: must not be 0",
        "source.tls: \"maybe\" is not one of disable | prefer | require | verify_ca | verify_identity",
        "source.read_timeout_ms: must be longer than source.heartbeat_ms",
        "target.load_url: must list at least one FE HTTP address",
        "target.query_address: expected \"host:port\"",
        "target.max_batch_rows: must be > 0",
        "target.flush_interval_ms: must be > 0",
        "target.strategy_on_error: \"skip\" is not one of exit | batch_dirty_data",
        "target.timestamp_time_zone: unknown time zone \"Mars/Olympus\"",
        "target.load_props.format: \"parquet\" is not supported",
        "target.load_props.label: is set by mysql2starrocks",
        "target.load_props.timeout: the server-side timeout (500 s) must be shorter",
        "target.load_props.max_filter_ratio: must be 0",
        "target.load_props.row_delimiter: must differ from column_separator",
        "routes[1].target: ods.orders is already the target of routes[0]",
        "routes[1].source: crm.users is not selected",
        "routes[2].source: \"shop.*\" must name one table",
        "ddl.on_truncate: \"later\" is not one of apply | ignore",
        "snapshot.mode: \"sometimes\" is not one of initial | never | only",
        "snapshot.chunk_rows: must be > 0",
        "snapshot.tables.\"crm.x\": crm.x is not selected",
        "snapshot.tables.\"shop.y\".columns: must list at least one column",
        "admin.listen: \"localhost:9501\" is not an IP address with a port",
        "log.format: \"xml\" is not one of text | json",
        "log.level: \"=\" is not a valid level or filter",
        "shutdown_timeout_ms: must be > 0",
    ] {
        assert_problem(&problems, expected);
    }
    let bad_patterns = problems_of_patterns();
    assert_problem(
        &bad_patterns,
        "source.tables[1]: pattern must be \"db.table\", got \"noDot\"",
    );
    assert_problem(
        &bad_patterns,
        "source.exclude_tables[0]: pattern must be \"db.table\"",
    );
    // The message names the file too.
    let message = load_str(text).unwrap_err().to_string();
    assert!(
        message.starts_with("configuration file /etc/m2s/config.yaml: "),
        "{message}"
    );
    assert!(message.contains("problems:\n  - "), "{message}");
}

fn problems_of_patterns() -> Vec<String> {
    problems(
        "source:\n  user: r\n  tables: [\"shop.*\", \"noDot\"]\n  exclude_tables: [\"a.b.c\"]\n",
    )
}

#[test]
fn unknown_keys_and_wrong_types_are_parse_errors_naming_the_key() {
    let error = load_str("source:\n  user: repl\n  tables: [\"a.b\"]\n  prot: 3306\n").unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, ConfigError::Parse { .. }), "{message}");
    assert!(message.contains("prot"), "{message}");
    assert!(message.contains("config.yaml"), "{message}");

    let message = load_str("source:\n  user: repl\n  tables: [\"a.b\"]\n  port: many\n")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("port") || message.contains("line 4"),
        "{message}"
    );

    let message = load_str("target: {}\n").unwrap_err().to_string();
    assert!(message.contains("source"), "{message}");
}

#[test]
fn env_references_are_expanded_in_every_string_and_unset_ones_refused() {
    let env = |name: &str| match name {
        "DB_HOST" => Some("db.internal".to_owned()),
        "REPL_PW" => Some("pw from env".to_owned()),
        "FE" => Some("fe9".to_owned()),
        _ => None,
    };
    let text = "source:\n  host: ${DB_HOST}\n  user: repl\n  password: \"${REPL_PW}\"\n  \
                tables: [\"shop.*\"]\ntarget:\n  load_url: [\"${FE}:8030\"]\n  \
                load_props: { column_separator: \"$${literal}\" }\n";
    let config = Config::from_yaml(text, Path::new("c.yaml"), &env).unwrap();
    assert_eq!(config.source.host, "db.internal");
    assert_eq!(config.source.password.expose(), "pw from env");
    assert_eq!(config.target.load_urls[0].host, "fe9");
    assert_eq!(config.target.column_separator.bytes(), b"${literal}");

    let text = "source:\n  user: repl\n  tables: [\"shop.*\", \"${TABLE_PATTERN}\"]\n";
    let problems = problems(text);
    assert_eq!(
        problems,
        vec!["source.tables[1]: environment variable TABLE_PATTERN is not set".to_owned()]
    );
}

#[test]
fn password_file_is_read_trimmed_and_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
    let config_path = dir.path().join("config.yaml");
    std::fs::write(
        &config_path,
        "source:\n  user: repl\n  password_file: pw\n  tables: [\"shop.*\"]\n",
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    assert_eq!(config.source.password.expose(), "s3cret");
    assert_eq!(config.state_dir, dir.path().join("./state"));

    // Secrets never show in Debug output.
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("password: ***"), "{debug}");

    std::fs::write(
        &config_path,
        "source:\n  user: repl\n  password: x\n  password_file: pw\n  tables: [\"shop.*\"]\n\
         target:\n  password_file: missing\n",
    )
    .unwrap();
    let error = Config::load(&config_path).unwrap_err();
    let problems: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_problem(
        &problems,
        "source.password_file: password and password_file are both set",
    );
    assert_problem(&problems, "target.password_file: cannot read");
}

#[test]
fn a_missing_file_is_a_read_error() {
    let error = Config::load(Path::new("/nonexistent/m2s.yaml")).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }));
    assert!(error.to_string().contains("/nonexistent/m2s.yaml"));
    assert_eq!(error.exit_code(), 78);
}
