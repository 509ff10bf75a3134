//! Dates and times rendered as load text on the stack (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.ffffff]`,
//! `[-]HH:MM:SS[.ffffff]`), so that encoding a temporal cell allocates nothing.
//!
//! Invariant: the longest text written is a TIME of `u32::MAX` hours with microseconds
//! (24 bytes), well inside [`CAPACITY`]; a push past the capacity is dropped rather than
//! panicking, and the unit tests pin every shape against `format!`.

/// Bytes held; more than the longest date or time text.
const CAPACITY: usize = 40;

/// A short ASCII text built digit by digit.
pub struct ClockText {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl ClockText {
    /// `YYYY-MM-DD`.
    pub fn date(year: u16, month: u8, day: u8) -> Self {
        let mut text = ClockText::empty();
        text.push_date(year, month, day);
        text
    }

    /// `YYYY-MM-DD HH:MM:SS`, then `.ffffff` when `micro` is not 0.
    #[allow(clippy::too_many_arguments)]
    pub fn datetime(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        micro: u32,
    ) -> Self {
        let mut text = ClockText::empty();
        text.push_date(year, month, day);
        text.push(b' ');
        text.push_time_of_day(u64::from(hour), minute, second, micro);
        text
    }

    /// `[-]HH:MM:SS[.ffffff]`; hours may have more than two digits.
    pub fn time(negative: bool, hours: u32, minutes: u8, seconds: u8, micro: u32) -> Self {
        let mut text = ClockText::empty();
        if negative {
            text.push(b'-');
        }
        text.push_time_of_day(u64::from(hours), minutes, seconds, micro);
        text
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Invariant: only ASCII digits, '-', ':', '.' and ' ' are ever pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    fn empty() -> Self {
        ClockText {
            bytes: [0; CAPACITY],
            len: 0,
        }
    }

    fn push_date(&mut self, year: u16, month: u8, day: u8) {
        self.push_digits(u64::from(year), 4);
        self.push(b'-');
        self.push_digits(u64::from(month), 2);
        self.push(b'-');
        self.push_digits(u64::from(day), 2);
    }

    fn push_time_of_day(&mut self, hours: u64, minutes: u8, seconds: u8, micro: u32) {
        self.push_digits(hours, 2);
        self.push(b':');
        self.push_digits(u64::from(minutes), 2);
        self.push(b':');
        self.push_digits(u64::from(seconds), 2);
        if micro != 0 {
            self.push(b'.');
            self.push_digits(u64::from(micro), 6);
        }
    }

    /// `value` in decimal, left-padded with zeros to at least `width` digits.
    fn push_digits(&mut self, mut value: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut count = 0;
        while value > 0 || count == 0 {
            digits[19 - count] = b'0' + (value % 10) as u8;
            value /= 10;
            count += 1;
        }
        for _ in count..width {
            self.push(b'0');
        }
        for &digit in &digits[20 - count..] {
            self.push(digit);
        }
    }

    fn push(&mut self, byte: u8) {
        if self.len < CAPACITY {
            self.bytes[self.len] = byte;
            self.len += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ClockText;

    #[test]
    fn matches_the_formatted_text() {
        for (y, mo, d) in [(1, 1, 1), (2024, 2, 29), (9999, 12, 31), (0, 1, 1)] {
            assert_eq!(
                ClockText::date(y, mo, d).as_str(),
                format!("{y:04}-{mo:02}-{d:02}")
            );
        }
        assert_eq!(
            ClockText::datetime(2024, 1, 2, 3, 4, 5, 0).as_str(),
            "2024-01-02 03:04:05"
        );
        assert_eq!(
            ClockText::datetime(2024, 1, 2, 23, 59, 59, 120).as_str(),
            "2024-01-02 23:59:59.000120"
        );
        assert_eq!(ClockText::time(false, 0, 0, 0, 0).as_str(), "00:00:00");
        assert_eq!(
            ClockText::time(true, 838, 59, 59, 999_999).as_str(),
            "-838:59:59.999999"
        );
        assert_eq!(
            ClockText::time(true, u32::MAX, 59, 59, 1).as_str(),
            format!("-{}:59:59.000001", u32::MAX)
        );
    }
}
