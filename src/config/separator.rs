//! [`Separator`]: a CSV column separator or row delimiter for Stream Load.
//!
//! Written in the configuration as text (`"\t"`, `"|"`, `"||"`) or in StarRocks' hex forms
//! (`"\x01"`, `"0x01"`, `"\x0D0A"`). StarRocks limits separators to 50 bytes, and raw control
//! bytes are not valid in HTTP header values, so the header always carries the hex form.

use std::fmt;

/// Longest separator StarRocks accepts, in bytes.
pub const MAX_SEPARATOR_BYTES: usize = 50;

/// A separator: its bytes in the body, its hex form in the header.
#[derive(Clone, PartialEq, Eq)]
pub struct Separator {
    bytes: Vec<u8>,
}

impl Separator {
    /// Parses the configuration text. The error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hex = text
            .strip_prefix("\\x")
            .or_else(|| text.strip_prefix("\\X"))
            .or_else(|| text.strip_prefix("0x"))
            .or_else(|| text.strip_prefix("0X"));
        let bytes = match hex {
            Some(digits) => {
                if digits.is_empty() || digits.len() % 2 != 0 {
                    return Err(format!(
                        "\"{text}\": hex form needs an even number of hex digits"
                    ));
                }
                (0..digits.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&digits[i..i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| format!("\"{text}\": not a hex number"))?
            }
            None => text.as_bytes().to_vec(),
        };
        if bytes.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if bytes.len() > MAX_SEPARATOR_BYTES {
            return Err(format!(
                "is {} bytes; StarRocks allows at most {MAX_SEPARATOR_BYTES}",
                bytes.len()
            ));
        }
        Ok(Separator { bytes })
    }

    /// The bytes written into the body.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The header value: `\x` followed by upper-case hex digits (`\x09` for a tab).
    pub fn header_value(&self) -> String {
        let mut out = String::with_capacity(2 + 2 * self.bytes.len());
        out.push_str("\\x");
        for byte in &self.bytes {
            out.push_str(&format!("{byte:02X}"));
        }
        out
    }
}

impl fmt::Debug for Separator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Separator({})", self.header_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_hex_forms() {
        let cases: [(&str, &[u8], &str); 5] = [
            ("\t", b"\t", "\\x09"),
            ("||", b"||", "\\x7C7C"),
            ("\\x01", b"\x01", "\\x01"),
            ("0x0D0A", b"\r\n", "\\x0D0A"),
            ("\u{1}", b"\x01", "\\x01"),
        ];
        for (text, bytes, header) in cases {
            let separator = Separator::parse(text).unwrap();
            assert_eq!(separator.bytes(), bytes, "{text:?}");
            assert_eq!(separator.header_value(), header, "{text:?}");
        }
        for bad in ["", "\\x", "0x1", "\\xZZ", &"a".repeat(51)] {
            assert!(Separator::parse(bad).is_err(), "{bad:?}");
        }
    }
}
