//! Stream Load labels: validation of the caller's deterministic labels.
//!
//! A label names one load transaction in a StarRocks database. The daemon makes labels
//! deterministically from the target table and the epoch (the batcher does), and reuses the same
//! label on every retry of that load, so a load whose response was lost can never commit twice:
//! StarRocks answers `Label Already Exists` instead. This module only checks that a label obeys
//! StarRocks' rule `^[-\w]{1,128}$` (ASCII letters, digits, `_`, `-`); it does not invent labels.

use crate::error::Error;

/// The longest label StarRocks accepts.
pub const MAX_LABEL_LEN: usize = 128;

/// Checks `label` against StarRocks' label rule `^[-\w]{1,128}$`.
///
/// A bad label is a definite error: it would be refused on every retry.
pub fn validate_label(label: &str) -> Result<(), Error> {
    let well_formed = !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if well_formed {
        Ok(())
    } else {
        Err(Error::definite(format!(
            "Stream Load label {label:?} does not match ^[-\\w]{{1,{MAX_LABEL_LEN}}}$"
        ))
        .with_hint("labels are made from the target table and epoch; report this as a bug"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_starrocks_labels() {
        for label in ["a", "m2s-shop_orders-42", &"x".repeat(128), "ABC_123-z"] {
            assert!(validate_label(label).is_ok(), "{label}");
        }
    }

    #[test]
    fn refuses_bad_labels() {
        for label in ["", &"x".repeat(129), "a.b", "a b", "é", "a/b", "a:b"] {
            let error = validate_label(label).unwrap_err();
            assert!(!error.is_transient(), "{label}");
        }
    }
}
