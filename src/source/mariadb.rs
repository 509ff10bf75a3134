//! MariaDB-specific binlog events that `mysql_common` leaves as raw bytes: GTID (162) and
//! GTID_LIST (163). Compressed events (165-171, `log_bin_compress=ON`) are recognised so the
//! reader can refuse them instead of dropping them.
//!
//! Layouts (MariaDB `log_event.h`): GTID = seq_no u64, domain_id u32, flags2 u8, then optional
//! fields; the server id is the event header's. GTID_LIST = count u32 (low 28 bits), then count
//! × (domain_id u32, server_id u32, seq_no u64). All little-endian.
//! Invariant: a short or inconsistent event is an error, never a panic.

use crate::position::MariaGtidList;

/// MariaDB GTID event type.
pub const GTID_EVENT: u8 = 162;
/// MariaDB GTID_LIST event type.
pub const GTID_LIST_EVENT: u8 = 163;
/// MariaDB ANNOTATE_ROWS event type (the statement text of the following rows events).
pub const ANNOTATE_ROWS_EVENT: u8 = 160;
/// MariaDB BINLOG_CHECKPOINT event type.
pub const BINLOG_CHECKPOINT_EVENT: u8 = 161;
/// MariaDB START_ENCRYPTION event type (the server decrypts before sending to replicas).
pub const START_ENCRYPTION_EVENT: u8 = 164;

/// Whether `event_type` is one of MariaDB's compressed events (`log_bin_compress=ON`).
pub fn is_compressed_event(event_type: u8) -> bool {
    (165..=171).contains(&event_type)
}

/// `FL_STANDALONE`: the GTID's group is one statement without BEGIN/COMMIT (DDL).
const FL_STANDALONE: u8 = 0x01;

/// A MariaDB GTID event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MariaGtid {
    pub domain: u32,
    pub server_id: u32,
    pub seq: u64,
    /// No BEGIN/XID follows: the next statement is the whole transaction.
    pub standalone: bool,
}

/// Parses a GTID event's data (after the 19-byte header, without the checksum).
pub fn parse_gtid(data: &[u8], server_id: u32) -> Result<MariaGtid, String> {
    if data.len() < 13 {
        return Err(format!(
            "MariaDB GTID event too short ({} bytes)",
            data.len()
        ));
    }
    let seq = u64::from_le_bytes(data[0..8].try_into().map_err(|_| "bad GTID seq_no")?);
    let domain = u32::from_le_bytes(data[8..12].try_into().map_err(|_| "bad GTID domain")?);
    let flags = data[12];
    Ok(MariaGtid {
        domain,
        server_id,
        seq,
        standalone: flags & FL_STANDALONE != 0,
    })
}

/// Parses a GTID_LIST event's data.
pub fn parse_gtid_list(data: &[u8]) -> Result<MariaGtidList, String> {
    let header: [u8; 4] = data
        .get(0..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("MariaDB GTID_LIST event too short ({} bytes)", data.len()))?;
    let count = (u32::from_le_bytes(header) & 0x0fff_ffff) as usize;
    let body = &data[4..];
    if body.len() < count.saturating_mul(16) {
        return Err(format!(
            "MariaDB GTID_LIST event announces {count} GTIDs but has {} bytes",
            body.len()
        ));
    }
    let mut list = MariaGtidList::default();
    for entry in body.chunks_exact(16).take(count) {
        let domain = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
        let server = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
        let mut seq_bytes = [0_u8; 8];
        seq_bytes.copy_from_slice(&entry[8..16]);
        // A list may hold several GTIDs of one domain (one per server): keep the highest seq.
        let seq = u64::from_le_bytes(seq_bytes);
        let keep = list
            .domains
            .get(&domain)
            .is_none_or(|&(_, known)| seq >= known);
        if keep {
            list.update(domain, server, seq);
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtid_event_parses() {
        let mut data = 42_u64.to_le_bytes().to_vec();
        data.extend_from_slice(&7_u32.to_le_bytes());
        data.push(FL_STANDALONE);
        data.extend_from_slice(&[0; 6]);
        let gtid = parse_gtid(&data, 3).unwrap();
        assert_eq!(
            gtid,
            MariaGtid {
                domain: 7,
                server_id: 3,
                seq: 42,
                standalone: true
            }
        );
        assert!(parse_gtid(&data[..10], 3).is_err());
    }

    #[test]
    fn gtid_list_parses_and_rejects_truncation() {
        let mut data = 2_u32.to_le_bytes().to_vec();
        for (domain, server, seq) in [(0_u32, 1_u32, 100_u64), (1, 2, 7)] {
            data.extend_from_slice(&domain.to_le_bytes());
            data.extend_from_slice(&server.to_le_bytes());
            data.extend_from_slice(&seq.to_le_bytes());
        }
        assert_eq!(parse_gtid_list(&data).unwrap().to_string(), "0-1-100,1-2-7");
        assert!(parse_gtid_list(&data[..20]).is_err());
        assert!(parse_gtid_list(&[1]).is_err());
    }
}
