//! Replication positions: binlog file:pos and GTID state (MySQL GTID sets, MariaDB GTID lists).
//!
//! A `Position` always names the point *just after* a committed transaction (or a heartbeat's
//! point). Resuming uses the GTID state when the source has GTIDs on, else file:pos.
//! Invariants: `GtidSet` intervals are sorted, non-overlapping and merged (adjacent intervals
//! join), so equal sets have equal text; `MariaGtidList` holds at most one GTID per domain.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A point in the source's binlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Binlog file name, e.g. `binlog.000003`.
    pub file: String,
    /// Byte offset in `file` of the next event.
    pub pos: u64,
    /// GTID state including every transaction up to this point, when the source uses GTIDs.
    pub gtid: Option<GtidState>,
}

/// GTID state in the flavour of the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GtidState {
    /// MySQL `gtid_executed`-style set, e.g. `3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5`.
    MySql(GtidSet),
    /// MariaDB `gtid_binlog_pos`-style list, e.g. `0-1-100,1-2-7`.
    MariaDb(MariaGtidList),
}

/// A MySQL GTID set: per source UUID (and optional tag, MySQL 8.3+), sorted half-open intervals
/// `[start, end)` of transaction numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GtidSet {
    /// Key: (lower-case UUID text, tag or empty string). Value: sorted, merged `[start, end)`.
    pub sids: BTreeMap<(String, String), Vec<(u64, u64)>>,
}

/// A MariaDB GTID list: for each replication domain, the last GTID `domain-server-seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MariaGtidList {
    /// Key: domain id. Value: (server id, sequence number).
    pub domains: BTreeMap<u32, (u32, u64)>,
}

impl Position {
    /// A file:pos position without GTID state.
    pub fn file_pos(file: impl Into<String>, pos: u64) -> Self {
        Position {
            file: file.into(),
            pos,
            gtid: None,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)?;
        match &self.gtid {
            Some(GtidState::MySql(set)) => write!(f, " (gtid {set})"),
            Some(GtidState::MariaDb(list)) => write!(f, " (gtid {list})"),
            None => Ok(()),
        }
    }
}

/// A GTID text that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GtidParseError {
    /// The offending text.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for GtidParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid GTID text {:?}: {}", self.text, self.reason)
    }
}

impl std::error::Error for GtidParseError {}

fn gtid_error(text: &str, reason: impl Into<String>) -> GtidParseError {
    GtidParseError {
        text: text.to_owned(),
        reason: reason.into(),
    }
}

/// Checks a UUID in its 8-4-4-4-12 hex form and returns it in lower case.
fn normalize_uuid(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let dashes_ok = [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-');
    let hex_ok = bytes
        .iter()
        .enumerate()
        .all(|(i, b)| [8, 13, 18, 23].contains(&i) || b.is_ascii_hexdigit());
    (dashes_ok && hex_ok).then(|| text.to_ascii_lowercase())
}

/// Checks a MySQL 8.3+ GTID tag (`[a-z_][a-z0-9_]{0,31}`, case-insensitive) and returns it in
/// lower case, the form MySQL prints.
fn normalize_tag(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut chars = lower.chars();
    let first = chars.next()?;
    let valid = lower.len() <= 32
        && (first == '_' || first.is_ascii_lowercase())
        && chars.all(|c| c == '_' || c.is_ascii_lowercase() || c.is_ascii_digit());
    valid.then_some(lower)
}

/// Inserts `[start, end)` into sorted, merged intervals, keeping them sorted and merged.
fn insert_interval(intervals: &mut Vec<(u64, u64)>, start: u64, end: u64) {
    if start >= end {
        return;
    }
    let mut merged = Vec::with_capacity(intervals.len() + 1);
    let (mut new_start, mut new_end) = (start, end);
    let mut placed = false;
    for &(s, e) in intervals.iter() {
        if e < new_start {
            merged.push((s, e));
        } else if s > new_end {
            if !placed {
                merged.push((new_start, new_end));
                placed = true;
            }
            merged.push((s, e));
        } else {
            new_start = new_start.min(s);
            new_end = new_end.max(e);
        }
    }
    if !placed {
        merged.push((new_start, new_end));
    }
    merged.sort_unstable();
    *intervals = merged;
}

impl GtidSet {
    /// Adds one transaction `uuid[:tag]:gno`. `tag` is empty for untagged GTIDs.
    pub fn add(&mut self, uuid: &str, tag: &str, gno: u64) {
        let key = (uuid.to_ascii_lowercase(), tag.to_ascii_lowercase());
        let intervals = self.sids.entry(key).or_default();
        // Fast path: the next transaction of the last interval.
        if let Some(last) = intervals.last_mut() {
            if last.1 == gno {
                last.1 = gno.saturating_add(1);
                return;
            }
        }
        insert_interval(intervals, gno, gno.saturating_add(1));
    }

    /// Whether transaction `uuid[:tag]:gno` is in the set.
    pub fn contains(&self, uuid: &str, tag: &str, gno: u64) -> bool {
        let key = (uuid.to_ascii_lowercase(), tag.to_ascii_lowercase());
        self.sids
            .get(&key)
            .is_some_and(|intervals| intervals.iter().any(|&(s, e)| s <= gno && gno < e))
    }

    /// Adds every transaction of `other` (set union).
    pub fn merge(&mut self, other: &GtidSet) {
        for (key, other_intervals) in &other.sids {
            let intervals = self.sids.entry(key.clone()).or_default();
            for &(s, e) in other_intervals {
                insert_interval(intervals, s, e);
            }
        }
    }

    /// Whether every transaction of `self` is also in `other`.
    pub fn is_subset_of(&self, other: &GtidSet) -> bool {
        self.sids.iter().all(|(key, intervals)| {
            intervals.iter().all(|&(s, e)| {
                s >= e
                    || other
                        .sids
                        .get(key)
                        .is_some_and(|theirs| theirs.iter().any(|&(ts, te)| ts <= s && e <= te))
            })
        })
    }

    /// The transactions of `self` that are not in `other`, as text (for error messages).
    pub fn missing_from(&self, other: &GtidSet) -> GtidSet {
        let mut missing = GtidSet::default();
        for ((uuid, tag), intervals) in &self.sids {
            for &(s, e) in intervals {
                // Walk [s, e) and subtract the other side's intervals.
                let mut cursor = s;
                let theirs = other.sids.get(&(uuid.clone(), tag.clone()));
                for &(ts, te) in theirs.map(Vec::as_slice).unwrap_or_default() {
                    if te <= cursor || ts >= e {
                        continue;
                    }
                    if ts > cursor {
                        let key = (uuid.clone(), tag.clone());
                        insert_interval(missing.sids.entry(key).or_default(), cursor, ts);
                    }
                    cursor = cursor.max(te);
                }
                if cursor < e {
                    let key = (uuid.clone(), tag.clone());
                    insert_interval(missing.sids.entry(key).or_default(), cursor, e);
                }
            }
        }
        missing
    }

    /// Whether the set holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.sids.values().all(|intervals| intervals.is_empty())
    }
}

impl FromStr for GtidSet {
    type Err = GtidParseError;

    /// Parses MySQL's text form: `uuid:1-5:7,uuid2:tag:1-3:othertag:4` (whitespace and newlines
    /// around the commas, as `@@gtid_executed` prints them, are allowed; an empty text is the
    /// empty set).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut set = GtidSet::default();
        for block in text.split(',') {
            let block = block.trim();
            if block.is_empty() {
                continue;
            }
            let mut parts = block.split(':');
            let uuid_text = parts.next().unwrap_or_default().trim();
            let uuid = normalize_uuid(uuid_text)
                .ok_or_else(|| gtid_error(text, format!("bad UUID {uuid_text:?}")))?;
            let mut tag = String::new();
            let mut saw_interval = false;
            for part in parts {
                let part = part.trim();
                if part.starts_with(|c: char| c.is_ascii_digit()) {
                    let (start, end) = match part.split_once('-') {
                        Some((a, b)) => (a.parse::<u64>(), b.parse::<u64>()),
                        None => (part.parse::<u64>(), part.parse::<u64>()),
                    };
                    let (Ok(start), Ok(end)) = (start, end) else {
                        return Err(gtid_error(text, format!("bad interval {part:?}")));
                    };
                    if start == 0 || end < start {
                        return Err(gtid_error(text, format!("bad interval {part:?}")));
                    }
                    let intervals = set.sids.entry((uuid.clone(), tag.clone())).or_default();
                    insert_interval(intervals, start, end.saturating_add(1));
                    saw_interval = true;
                } else {
                    tag = normalize_tag(part)
                        .ok_or_else(|| gtid_error(text, format!("bad tag {part:?}")))?;
                    saw_interval = false;
                }
            }
            if !saw_interval {
                return Err(gtid_error(text, format!("{block:?} has no interval")));
            }
        }
        Ok(set)
    }
}

impl fmt::Display for GtidSet {
    /// MySQL's text form: one block per UUID, untagged intervals first, then each tag with its
    /// intervals; closed intervals `a-b` (or `a` when single).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut current_uuid: Option<&str> = None;
        for ((uuid, tag), intervals) in &self.sids {
            if intervals.is_empty() {
                continue;
            }
            if current_uuid != Some(uuid.as_str()) {
                if current_uuid.is_some() {
                    f.write_str(",")?;
                }
                f.write_str(uuid)?;
                current_uuid = Some(uuid);
            }
            if !tag.is_empty() {
                write!(f, ":{tag}")?;
            }
            for &(start, end) in intervals {
                if end == start + 1 {
                    write!(f, ":{start}")?;
                } else {
                    write!(f, ":{start}-{}", end - 1)?;
                }
            }
        }
        Ok(())
    }
}

impl MariaGtidList {
    /// Records GTID `domain-server-seq` as the last one of its domain.
    pub fn update(&mut self, domain: u32, server_id: u32, seq: u64) {
        self.domains.insert(domain, (server_id, seq));
    }

    /// Whether the list holds no GTID.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

impl FromStr for MariaGtidList {
    type Err = GtidParseError;

    /// Parses MariaDB's text form `0-1-100,1-2-7` (an empty text is the empty list). Two GTIDs
    /// of one domain are an error, as in MariaDB.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut list = MariaGtidList::default();
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let mut parts = item.splitn(3, '-');
            let (Some(domain), Some(server), Some(seq)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(gtid_error(
                    text,
                    format!("{item:?} is not domain-server-seq"),
                ));
            };
            let (Ok(domain), Ok(server), Ok(seq)) = (
                domain.parse::<u32>(),
                server.parse::<u32>(),
                seq.parse::<u64>(),
            ) else {
                return Err(gtid_error(
                    text,
                    format!("{item:?} is not domain-server-seq"),
                ));
            };
            if list.domains.insert(domain, (server, seq)).is_some() {
                return Err(gtid_error(text, format!("domain {domain} appears twice")));
            }
        }
        Ok(list)
    }
}

impl fmt::Display for MariaGtidList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (domain, (server, seq))) in self.domains.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{domain}-{server}-{seq}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U1: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const U2: &str = "4f11fa47-71ca-11e1-9e33-c80aa9429562";

    #[test]
    fn gtid_set_round_trips_and_merges_adjacent_intervals() {
        let text = format!("{}:1-5:6-7:9,\n{U2}:3", U1.to_uppercase());
        let set: GtidSet = text.parse().unwrap();
        assert_eq!(set.to_string(), format!("{U1}:1-7:9,{U2}:3"));
        assert_eq!(set.to_string().parse::<GtidSet>().unwrap(), set);
    }

    #[test]
    fn gtid_set_parses_tagged_gtids() {
        let set: GtidSet = format!("{U1}:1-3:Blue:1-2:5:red_1:7").parse().unwrap();
        assert!(set.contains(U1, "", 3));
        assert!(set.contains(U1, "blue", 5));
        assert!(!set.contains(U1, "blue", 3));
        assert!(set.contains(U1, "red_1", 7));
        assert_eq!(set.to_string(), format!("{U1}:1-3:blue:1-2:5:red_1:7"));
    }

    #[test]
    fn gtid_set_rejects_bad_text() {
        for bad in [
            "xyz:1",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562",
            &format!("{U1}:0"),
            &format!("{U1}:5-3"),
            &format!("{U1}:9tag:1"),
            &format!("{U1}:tag"),
        ] {
            assert!(bad.parse::<GtidSet>().is_err(), "{bad} must not parse");
        }
        assert!("".parse::<GtidSet>().unwrap().is_empty());
    }

    #[test]
    fn gtid_set_add_contains_merge_subset() {
        let mut set = GtidSet::default();
        for gno in [1, 2, 3, 5, 4, 10] {
            set.add(U1, "", gno);
        }
        set.add(U1, "t", 1);
        assert_eq!(set.to_string(), format!("{U1}:1-5:10:t:1"));
        assert!(set.contains(U1, "", 4) && !set.contains(U1, "", 6));
        let other: GtidSet = format!("{U1}:6-9,{U2}:1").parse().unwrap();
        let mut union = set.clone();
        union.merge(&other);
        assert_eq!(union.to_string(), format!("{U1}:1-10:t:1,{U2}:1"));
        assert!(set.is_subset_of(&union));
        assert!(!union.is_subset_of(&set));
        assert_eq!(
            union.missing_from(&set).to_string(),
            format!("{U1}:6-9,{U2}:1")
        );
    }

    #[test]
    fn maria_gtid_list_round_trips_and_updates() {
        let mut list: MariaGtidList = " 0-1-100, 1-2-7".parse().unwrap();
        assert_eq!(list.to_string(), "0-1-100,1-2-7");
        list.update(0, 3, 101);
        list.update(5, 1, 1);
        assert_eq!(list.to_string(), "0-3-101,1-2-7,5-1-1");
        assert!("0-1-1,0-2-2".parse::<MariaGtidList>().is_err());
        assert!("0-1".parse::<MariaGtidList>().is_err());
        assert!("".parse::<MariaGtidList>().unwrap().is_empty());
    }
}
