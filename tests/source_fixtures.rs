//! Binlog files written by real MySQL and MariaDB servers (`tests/fixtures/binlogs`, origin and
//! licence in its README), decoded by the same event state machine the replica connection uses.

// Scenarios are plain async functions called by the `#[tokio::test]`s: they unwrap like tests.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use mysql2starrocks::change::{RowChange, SourceEvent};
use mysql2starrocks::position::{GtidSet, GtidState, MariaGtidList, Position};
use mysql2starrocks::schema::TableId;
use mysql2starrocks::source::binlog_file::{decode_file, decode_file_from, BinlogFileEvents};
use mysql2starrocks::source::event_decoder::{EventDecoder, WatchedTables};
use mysql2starrocks::source::Flavor;
use mysql2starrocks::value::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/binlogs"
    ))
    .join(name)
}

fn all_tables() -> WatchedTables {
    Arc::new(|_: &TableId| true)
}

fn no_tables() -> WatchedTables {
    Arc::new(|_: &TableId| false)
}

fn rows(events: &[SourceEvent]) -> Vec<(TableId, RowChange)> {
    events
        .iter()
        .flat_map(|event| match event {
            SourceEvent::Rows { table, changes } => changes
                .iter()
                .map(|c| (table.id.clone(), c.clone()))
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn truncated_and_corrupt_files_are_errors_not_panics() {
    for name in [
        "binlog_truncated_event.000001",
        "binlog_truncated_prev_gtid_event.000001",
        "corrupt-relay-bin.000624",
    ] {
        let result = decode_file(&fixture(name), no_tables());
        let error = result.expect_err(name);
        assert!(!error.is_transient(), "{name}: {error}");
        assert!(
            error.message.starts_with("binlog ") || error.message.contains(name),
            "{name}: {error}"
        );
    }
}

#[test]
fn every_fixture_is_read_without_panic_and_non_row_events_are_skipped() {
    let dir = fixture("");
    let mut decoded = 0;
    let mut unexpected = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        // Watching nothing: every file written by a real server must be read to its end.
        let result = decode_file(&path, no_tables());
        let refused = name.contains("truncated")
            || name.contains("corrupt")
            // MySQL 5.1 statement-based LOAD DATA whose EXECUTE_LOAD_QUERY event mysql_common
            // cannot parse: its table is unknown, so it is refused rather than skipped.
            || name == "ver_5_1-wl2325_r.001"
            // An INCIDENT event: the server says changes may be missing; refusing is right.
            || name == "bug40482-bin.000001"
            // MySQL 5.1 pre-GA rows events (type 20-22): an unknown row format is refused.
            || name == "ver_5_1-wl2325_s.001";
        if result.is_err() != refused {
            unexpected.push(format!("{name}: {result:?}"));
        }
        // Watching everything: any outcome, but never a panic.
        let _ = decode_file(&path, all_tables());
        decoded += 1;
    }
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    assert!(decoded > 30);
}

#[test]
fn a_flipped_byte_is_a_checksum_error() {
    let mut bytes = std::fs::read(fixture("mysql-enum-string-set.000001")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    let events = BinlogFileEvents::from_bytes("flipped".into(), bytes).unwrap();
    let mut decoder =
        EventDecoder::new(&Position::file_pos("flipped", 4), None, no_tables(), false);
    let mut out = VecDeque::new();
    let mut error = None;
    for event in events {
        match event.and_then(|event| decoder.handle(&event, &mut out)) {
            Ok(()) => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let error = error.expect("a corrupted event must be detected");
    assert!(!error.is_transient());
    assert!(
        error.message.contains("checksum mismatch") || error.message.contains("flipped"),
        "{error}"
    );
}

#[test]
fn enum_set_and_strings_decode_to_labels() {
    let events = decode_file(&fixture("mysql-enum-string-set.000001"), all_tables()).unwrap();
    let changes = rows(&events);
    assert!(!changes.is_empty());
    let texts: Vec<String> = changes
        .iter()
        .flat_map(|(_, change)| match change {
            RowChange::Insert { after } => after.clone(),
            RowChange::Update { after, .. } => after.clone(),
            RowChange::Delete { before } => before.clone(),
        })
        .filter_map(|v| match v {
            Value::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    assert!(!texts.is_empty(), "{changes:?}");
    assert!(changes
        .iter()
        .any(|(_, c)| matches!(c, RowChange::Update { .. })));
    assert!(changes
        .iter()
        .any(|(_, c)| matches!(c, RowChange::Delete { .. })));
    // Commits publish positions inside the file, increasing.
    let positions: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            SourceEvent::Commit { position, .. } => Some(position.pos),
            _ => None,
        })
        .collect();
    assert!(
        !positions.is_empty() && positions.windows(2).all(|w| w[0] < w[1]),
        "{positions:?}"
    );
}

#[test]
fn json_partial_updates_are_applied_to_the_before_image() {
    // The file ends with rows written with binlog_row_image=MINIMAL, which the decoder refuses
    // (a partial image cannot be upserted): decode up to there.
    let file_events = BinlogFileEvents::open(&fixture("json.binlog.000001")).unwrap();
    let mut decoder = EventDecoder::new(&Position::file_pos("json", 4), None, all_tables(), false);
    let mut out = VecDeque::new();
    let mut refused = None;
    for event in file_events {
        let event = event.unwrap();
        if let Some(map) = decoder.schema_needed(&event).unwrap() {
            let schema = mysql2starrocks::source::table_map::schema_from_table_map(&map).unwrap();
            decoder.install_schema(map, Arc::new(schema));
        }
        if let Err(error) = decoder.handle(&event, &mut out) {
            refused = Some(error);
            break;
        }
    }
    let refused = refused.expect("the MINIMAL row image must be refused");
    assert!(refused.message.contains("row image holds"), "{refused}");
    let events: Vec<SourceEvent> = out.into();
    let changes = rows(&events);
    let updates: Vec<(Option<&Vec<Value>>, &Vec<Value>)> = changes
        .iter()
        .filter_map(|(_, c)| match c {
            RowChange::Update { before, after } => Some((before.as_ref(), after)),
            _ => None,
        })
        .collect();
    assert!(!updates.is_empty());
    for (before, after) in &updates {
        for value in before.iter().flat_map(|b| b.iter()).chain(after.iter()) {
            if let Value::Json(text) = value {
                serde_json::from_str::<serde_json::Value>(text).unwrap();
            }
        }
    }
    // Partial updates keep their before image (full updates that keep the key do not).
    assert!(updates.iter().any(|(b, a)| b.is_some_and(|b| b != *a)));
}

#[test]
fn compressed_transactions_are_decoded() {
    let events = decode_file(&fixture("transaction_compression.000001"), all_tables()).unwrap();
    assert!(!rows(&events).is_empty(), "{events:?}");
    assert!(events
        .iter()
        .any(|e| matches!(e, SourceEvent::Commit { .. })));
}

#[test]
fn tagged_mysql_gtids_are_tracked() {
    let start = GtidState::MySql(GtidSet::default());
    let events = decode_file_from(
        &fixture("binlog_transaction_with_GTID_TAG.000001"),
        Some(start),
        no_tables(),
    )
    .unwrap();
    let last = events
        .iter()
        .rev()
        .find_map(|e| match e {
            SourceEvent::Commit { position, .. } | SourceEvent::Ddl { position, .. } => {
                Some(position.clone())
            }
            _ => None,
        })
        .unwrap();
    let Some(GtidState::MySql(set)) = last.gtid else {
        panic!("no GTID state: {last:?}")
    };
    assert!(set.sids.keys().any(|(_, tag)| !tag.is_empty()), "{set}");
}

#[test]
fn mariadb_gtids_and_rows_v1_are_read() {
    let start = GtidState::MariaDb(MariaGtidList::default());
    let events =
        decode_file_from(&fixture("mariadb-bin.000001"), Some(start), all_tables()).unwrap();
    assert!(!rows(&events).is_empty(), "{events:?}");
    let last = events
        .iter()
        .rev()
        .find_map(|e| match e {
            SourceEvent::Commit { position, .. } | SourceEvent::Ddl { position, .. } => {
                Some(position.clone())
            }
            _ => None,
        })
        .unwrap();
    let Some(GtidState::MariaDb(list)) = last.gtid else {
        panic!("no GTID state: {last:?}")
    };
    assert!(!list.is_empty());
}

#[test]
fn the_fake_rotate_name_loses_its_checksum_bytes() {
    use mysql_async::binlog::events::{Event, FormatDescriptionEvent};
    use mysql_async::binlog::BinlogVersion;

    let name = b"binlog.000042";
    let size = (19 + 8 + name.len() + 4) as u32;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&0_u32.to_le_bytes()); // timestamp
    bytes.push(4); // ROTATE
    bytes.extend_from_slice(&1_u32.to_le_bytes()); // server id
    bytes.extend_from_slice(&size.to_le_bytes());
    bytes.extend_from_slice(&0_u32.to_le_bytes()); // log_pos 0: fake
    bytes.extend_from_slice(&0x20_u16.to_le_bytes()); // ARTIFICIAL
    bytes.extend_from_slice(&4_u64.to_le_bytes());
    bytes.extend_from_slice(name);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());

    let format = FormatDescriptionEvent::new(BinlogVersion::Version4);
    let event = Event::read(&format, &bytes[..]).unwrap();
    let mut decoder = EventDecoder::new(
        &Position::file_pos("", 4),
        Some(Flavor::MariaDb),
        no_tables(),
        true,
    );
    let mut out = VecDeque::new();
    decoder.handle(&event, &mut out).unwrap();
    assert_eq!(decoder.position().file, "binlog.000042");
    assert_eq!(decoder.position().pos, 4);

    // A wrong checksum is detected.
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let event = Event::read(&format, &bytes[..]).unwrap();
    let mut decoder = EventDecoder::new(
        &Position::file_pos("", 4),
        Some(Flavor::MariaDb),
        no_tables(),
        true,
    );
    assert!(decoder.handle(&event, &mut out).is_err());
}
