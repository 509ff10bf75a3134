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
        if year <= 9999 && month <= 99 && day <= 99 {
            // The usual shape, written as one block (no per-digit division loop).
            let [y0, y1] = two_digits((year / 100) as u8);
            let [y2, y3] = two_digits((year % 100) as u8);
            let [m0, m1] = two_digits(month);
            let [d0, d1] = two_digits(day);
            self.push_all(&[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1]);
            return;
        }
        self.push_digits(u64::from(year), 4);
        self.push(b'-');
        self.push_digits(u64::from(month), 2);
        self.push(b'-');
        self.push_digits(u64::from(day), 2);
    }

    fn push_time_of_day(&mut self, hours: u64, minutes: u8, seconds: u8, micro: u32) {
        match u8::try_from(hours) {
            Ok(hours) if hours <= 99 && minutes <= 99 && seconds <= 99 => {
                let [h0, h1] = two_digits(hours);
                let [m0, m1] = two_digits(minutes);
                let [s0, s1] = two_digits(seconds);
                self.push_all(&[h0, h1, b':', m0, m1, b':', s0, s1]);
            }
            _ => {
                self.push_digits(hours, 2);
                self.push(b':');
                self.push_digits(u64::from(minutes), 2);
                self.push(b':');
                self.push_digits(u64::from(seconds), 2);
            }
        }
        if micro != 0 {
            if micro <= 999_999 {
                let [a0, a1] = two_digits((micro / 10_000) as u8);
                let [b0, b1] = two_digits((micro / 100 % 100) as u8);
                let [c0, c1] = two_digits((micro % 100) as u8);
                self.push_all(&[b'.', a0, a1, b0, b1, c0, c1]);
            } else {
                self.push(b'.');
                self.push_digits(u64::from(micro), 6);
            }
        }
    }

    /// Appends `bytes` whole, or nothing if they would pass the capacity.
    fn push_all(&mut self, bytes: &[u8]) {
        if let Some(room) = self.bytes.get_mut(self.len..self.len + bytes.len()) {
            room.copy_from_slice(bytes);
            self.len += bytes.len();
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

/// `value` (below 100) as two ASCII digits.
fn two_digits(value: u8) -> [u8; 2] {
    [b'0' + value / 10 % 10, b'0' + value % 10]
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

    #[test]
    fn every_field_value_matches_the_formatted_text() {
        for year in (0..=9999).step_by(7).chain([9999]) {
            let (month, day) = ((year % 13) as u8, (year % 32) as u8);
            assert_eq!(
                ClockText::date(year, month, day).as_str(),
                format!("{year:04}-{month:02}-{day:02}")
            );
        }
        for hour in 0..=99u8 {
            for minute in (0..=59u8).step_by(7) {
                let second = (hour + minute) % 60;
                let micro = u32::from(hour) * 10_101 + u32::from(minute) * 7;
                let expected = if micro == 0 {
                    format!("2024-12-31 {hour:02}:{minute:02}:{second:02}")
                } else {
                    format!("2024-12-31 {hour:02}:{minute:02}:{second:02}.{micro:06}")
                };
                assert_eq!(
                    ClockText::datetime(2024, 12, 31, hour, minute, second, micro).as_str(),
                    expected
                );
            }
        }
        for micro in [1, 9, 10, 99_999, 100_000, 999_999] {
            assert_eq!(
                ClockText::time(false, 100, 0, 0, micro).as_str(),
                format!("100:00:00.{micro:06}")
            );
        }
    }
}
