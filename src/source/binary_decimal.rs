//! DECIMAL cells of row images (MySQL's binary NEWDECIMAL format) read straight into canonical
//! text.
//!
//! `mysql_common` reads such a cell into its `Decimal` and prints it with the formatter, a tenth
//! of the daemon's decoding time in the catch-up benchmark. The format (`decimal2bin` in MySQL's
//! `strings/decimal.cc`): the integer digits, then the fraction digits, each side cut into groups
//! of nine digits stored as 4-byte big-endian numbers; the integer side's leftover digits form a
//! shorter group in front, the fraction side's behind (1 to 4 bytes by digit count). The first
//! byte's high bit is flipped, and a negative value has all its bits inverted.
//!
//! Invariant: the text is canonical, as [`crate::source::decode::decimal_text`] makes it: `-`
//! only before a non-zero value, integer digits without leading zeros (at least one), and
//! exactly `scale` fraction digits after a `.` (no `.` when the scale is 0).

use compact_str::CompactString;

/// Bytes holding a group of 0..=9 digits.
const BYTES_FOR_DIGITS: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
const DIGITS_PER_GROUP: usize = 9;
const POWERS_OF_TEN: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// Bytes of one DECIMAL(`precision`, `scale`) cell.
pub fn cell_size(precision: u8, scale: u8) -> usize {
    let (int_digits, frac_digits) = digit_counts(precision, scale);
    side_size(int_digits) + side_size(frac_digits)
}

fn digit_counts(precision: u8, scale: u8) -> (usize, usize) {
    let scale = usize::from(scale);
    (usize::from(precision).saturating_sub(scale), scale)
}

fn side_size(digits: usize) -> usize {
    digits / DIGITS_PER_GROUP * 4 + BYTES_FOR_DIGITS[digits % DIGITS_PER_GROUP]
}

/// The canonical text of the cell in `bytes` (exactly [`cell_size`] bytes long).
pub fn decimal_text(bytes: &[u8], precision: u8, scale: u8) -> Result<CompactString, String> {
    if bytes.len() != cell_size(precision, scale) || bytes.is_empty() {
        return Err(format!(
            "a DECIMAL({precision},{scale}) cell of {} bytes",
            bytes.len()
        ));
    }
    let negative = bytes[0] & 0x80 == 0;
    let mask = if negative { 0xff } else { 0 };
    let mut reader = Groups {
        bytes,
        pos: 0,
        mask,
    };
    let (int_digits, frac_digits) = digit_counts(precision, scale);
    let mut out = CompactString::with_capacity(usize::from(precision) + 3);
    // Integer side: the short group first, then whole groups; leading zeros are skipped.
    let mut int_started = false;
    let leading = int_digits % DIGITS_PER_GROUP;
    let int_groups = std::iter::once(leading)
        .filter(|d| *d > 0)
        .chain(std::iter::repeat_n(
            DIGITS_PER_GROUP,
            int_digits / DIGITS_PER_GROUP,
        ));
    for digits in int_groups {
        let value = reader.group(digits)?;
        if int_started {
            push_padded(&mut out, value, digits);
        } else if value != 0 {
            push_padded(&mut out, value, 0);
            int_started = true;
        }
    }
    if !int_started {
        out.push('0');
    }
    let mut non_zero = int_started;
    if frac_digits > 0 {
        out.push('.');
        let trailing = frac_digits % DIGITS_PER_GROUP;
        let frac_groups = std::iter::repeat_n(DIGITS_PER_GROUP, frac_digits / DIGITS_PER_GROUP)
            .chain(std::iter::once(trailing).filter(|d| *d > 0));
        for digits in frac_groups {
            let value = reader.group(digits)?;
            non_zero |= value != 0;
            push_padded(&mut out, value, digits);
        }
    }
    if negative && non_zero {
        out.insert(0, '-');
    }
    Ok(out)
}

/// Reads the groups of a cell in order, undoing the sign flip and the inversion.
struct Groups<'a> {
    bytes: &'a [u8],
    pos: usize,
    mask: u8,
}

impl Groups<'_> {
    /// The next group of `digits` digits.
    fn group(&mut self, digits: usize) -> Result<u32, String> {
        let size = BYTES_FOR_DIGITS[digits];
        let mut value = 0u32;
        for _ in 0..size {
            let mut byte = self.bytes[self.pos] ^ self.mask;
            if self.pos == 0 {
                byte ^= 0x80;
            }
            value = (value << 8) | u32::from(byte);
            self.pos += 1;
        }
        if value >= POWERS_OF_TEN[digits] {
            return Err(format!("a DECIMAL digit group of {value} is out of range"));
        }
        Ok(value)
    }
}

/// Appends `value`, zero-padded to `width` digits.
fn push_padded(out: &mut CompactString, value: u32, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let text = buffer.format(value);
    for _ in text.len()..width {
        out.push('0');
    }
    out.push_str(text);
}

#[cfg(test)]
mod tests {
    use mysql_common::binlog::decimal::Decimal;

    use super::*;

    /// What the generic path makes of a cell: `mysql_common`'s reader and formatter, then
    /// [`crate::source::decode::decimal_text`].
    fn generic(bytes: &[u8], precision: u8, scale: u8) -> CompactString {
        let decimal =
            Decimal::read_bin(bytes, usize::from(precision), usize::from(scale), false).unwrap();
        crate::source::decode::decimal_text(&decimal.to_string(), scale).unwrap()
    }

    /// `text` (at most `precision - scale` integer and `scale` fraction digits) as a
    /// DECIMAL(`precision`, `scale`) cell, written the way `decimal2bin` writes it.
    fn cell(text: &str, precision: u8, scale: u8) -> Vec<u8> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let int_part = int_part.trim_start_matches('0');
        let (int_digits, frac_digits) = digit_counts(precision, scale);
        let int_text = format!("{int_part:0>int_digits$}");
        let frac_text = format!("{frac_part:0<frac_digits$}");
        // The integer side's short group in front, then whole groups on both sides (the
        // fraction's short group is its last chunk).
        let leading = int_digits % DIGITS_PER_GROUP;
        let mut groups = vec![&int_text[..leading]];
        for side in [&int_text[leading..], frac_text.as_str()] {
            groups.extend(
                side.as_bytes()
                    .chunks(DIGITS_PER_GROUP)
                    .map(|c| std::str::from_utf8(c).unwrap()),
            );
        }
        let mut bytes = Vec::new();
        for group in groups {
            let size = BYTES_FOR_DIGITS[group.len()];
            let value: u32 = if group.is_empty() {
                0
            } else {
                group.parse().unwrap()
            };
            bytes.extend_from_slice(&value.to_be_bytes()[4 - size..]);
        }
        if negative {
            bytes.iter_mut().for_each(|b| *b = !*b);
        }
        bytes[0] ^= 0x80;
        assert_eq!(bytes.len(), cell_size(precision, scale), "{text}");
        bytes
    }

    /// Both readers agree, and with the text's own canonical form.
    fn check(text: &str, precision: u8, scale: u8) {
        let bytes = cell(text, precision, scale);
        let ours = decimal_text(&bytes, precision, scale).unwrap();
        assert_eq!(
            ours,
            generic(&bytes, precision, scale),
            "{text} as DECIMAL({precision},{scale})"
        );
        assert_eq!(
            ours,
            crate::source::decode::decimal_text(text, scale).unwrap(),
            "{text} as DECIMAL({precision},{scale})"
        );
    }

    #[test]
    fn agrees_with_the_generic_reader() {
        let cases: &[(&str, u8, u8)] = &[
            ("0", 1, 0),
            ("7", 1, 0),
            ("-7", 1, 0),
            ("0.00", 5, 2),
            ("123.45", 5, 2),
            ("-123.45", 5, 2),
            ("-0.01", 5, 2),
            ("999.99", 5, 2),
            ("1.5000", 18, 4),
            ("-33333.3333", 18, 4),
            ("12345678901234.5678", 18, 4),
            ("0.123456789012345678901234567890", 65, 30),
            (
                "-99999999999999999999999999999999999.999999999999999999999999999999",
                65,
                30,
            ),
            ("12345678901234567890", 20, 0),
            ("100000000", 10, 0),
            ("1000000000", 10, 0),
            ("-0.000000001", 10, 9),
            ("0.5", 1, 1),
            ("42.1", 12, 2),
        ];
        for &(text, precision, scale) in cases {
            check(text, precision, scale);
        }
    }

    #[test]
    fn agrees_on_pseudo_random_values_of_every_shape() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for precision in 1..=65u8 {
            for scale in 0..=precision.min(30) {
                for _ in 0..20 {
                    let int_len = usize::from(precision - scale);
                    let mut text = String::new();
                    if next() % 2 == 0 {
                        text.push('-');
                    }
                    let used = (next() as usize) % (int_len + 1);
                    if used == 0 {
                        text.push('0');
                    }
                    for i in 0..used {
                        let digit = (next() % 10) as u8;
                        text.push(char::from(b'0' + if i == 0 { digit.max(1) } else { digit }));
                    }
                    if scale > 0 {
                        text.push('.');
                        for _ in 0..scale {
                            text.push(char::from(b'0' + (next() % 10) as u8));
                        }
                    }
                    check(&text, precision, scale);
                }
            }
        }
    }

    #[test]
    fn bad_cells_are_errors() {
        assert!(decimal_text(&[0x80], 5, 2).is_err());
        // A whole group of 0xffffffff is more than nine digits.
        assert!(decimal_text(&[0xff, 0xff, 0xff, 0xff], 9, 0).is_err());
    }
}
