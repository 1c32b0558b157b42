//! Civil (wall-clock) date-time arithmetic in Beijing time (UTC+8, no DST since 1991).
//!
//! Internally the simulator represents a date-time as **civil seconds**: the number of seconds
//! from `1970-01-01 00:00:00` to the wall-clock reading, without a zone. A Beijing civil reading
//! `t` corresponds to the Unix instant `t - 8 h`.

use serde_json::Value;

/// Offset of Beijing time from UTC, in seconds.
pub(crate) const BEIJING_OFFSET_SECS: i64 = 8 * 3600;
/// Seconds per day.
pub(crate) const DAY: i64 = 86_400;

/// Days from 1970-01-01 to the civil date `y-m-d` (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0')))
}

fn parse_date_part(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = i64::from(digits(&b[0..4])?);
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Parses exactly `yyyy-MM-dd HH:mm:ss` into civil seconds.
pub(crate) fn parse_datetime_strict(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let days = parse_date_part(&b[0..10])?;
    let h = i64::from(digits(&b[11..13])?);
    let mi = i64::from(digits(&b[14..16])?);
    let sec = i64::from(digits(&b[17..19])?);
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some(days * DAY + h * 3600 + mi * 60 + sec)
}

/// Parses a request date-time: `yyyy-MM-dd HH:mm:ss`, or a bare `yyyy-MM-dd` (midnight, as a
/// database compares a date literal with a datetime column).
pub(crate) fn parse_datetime_lenient(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return parse_date_part(s.as_bytes()).map(|d| d * DAY);
    }
    parse_datetime_strict(s)
}

/// Formats civil seconds as `yyyy-MM-dd HH:mm:ss`.
pub(crate) fn format_datetime(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    let t = secs.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        t / 3600,
        (t % 3600) / 60,
        t % 60
    )
}

/// Formats the day of civil seconds as `yyyyMMdd`.
pub(crate) fn format_compact_date(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    format!("{y:04}{m:02}{d:02}")
}

/// Converts Beijing civil seconds to Unix milliseconds.
pub(crate) fn civil_to_epoch_ms(secs: i64) -> i64 {
    (secs - BEIJING_OFFSET_SECS) * 1000
}

/// Converts Unix milliseconds to Beijing civil seconds.
pub(crate) fn epoch_ms_to_civil(ms: i64) -> i64 {
    ms.div_euclid(1000) + BEIJING_OFFSET_SECS
}

/// The current Unix time in seconds.
pub(crate) fn now_unix() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The current Beijing civil time in seconds.
pub(crate) fn now_beijing() -> i64 {
    now_unix() + BEIJING_OFFSET_SECS
}

/// Civil seconds of a date held in a record: a `yyyy-MM-dd HH:mm:ss` (or `yyyy-MM-dd`) string,
/// or an epoch number / all-digit string (milliseconds when above 1e10, else seconds), as the
/// real gateway's date fields mix both forms.
pub(crate) fn value_civil_secs(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
                t.parse::<i64>().ok().map(epoch_to_civil)
            } else {
                parse_datetime_lenient(t)
            }
        }
        Value::Number(n) => n.as_i64().map(epoch_to_civil),
        _ => None,
    }
}

fn epoch_to_civil(n: i64) -> i64 {
    if n > 10_000_000_000 {
        epoch_ms_to_civil(n)
    } else {
        n + BEIJING_OFFSET_SECS
    }
}

/// Day number of a civil date given as `jiff::civil::Date`.
pub(crate) fn days_of(date: jiff::civil::Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    )
}

/// Today's date in Beijing.
pub(crate) fn today_beijing() -> jiff::civil::Date {
    let (y, m, d) = civil_from_days(now_beijing().div_euclid(DAY));
    jiff::civil::Date::new(y as i16, m as i8, d as i8).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for z in [-1000, 0, 59, 60, 11_016, 19_844, 40_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn strict_parse_accepts_only_the_gateway_format() {
        let s = parse_datetime_strict("2024-05-02 10:00:00").unwrap();
        assert_eq!(format_datetime(s), "2024-05-02 10:00:00");
        for bad in [
            "2024-05-02T10:00:00",
            "2024-5-02 10:00:00",
            "2024-05-02 24:00:00",
            "2024-02-30 10:00:00",
            "2024-05-02 10:00",
            "2024-05-02",
            "",
        ] {
            assert_eq!(parse_datetime_strict(bad), None, "{bad}");
        }
        assert!(parse_datetime_strict("2024-02-29 00:00:00").is_some());
        assert!(parse_datetime_strict("2023-02-29 00:00:00").is_none());
    }

    #[test]
    fn lenient_parse_takes_a_bare_date_as_midnight() {
        assert_eq!(
            parse_datetime_lenient("2024-05-01"),
            parse_datetime_strict("2024-05-01 00:00:00")
        );
    }

    #[test]
    fn epoch_values_are_read_in_beijing_time() {
        // 2021-09-07 21:22:59 Beijing = 1631020979 Unix seconds.
        let civil = parse_datetime_strict("2021-09-07 21:22:59").unwrap();
        assert_eq!(civil_to_epoch_ms(civil), 1_631_020_979_000);
        assert_eq!(
            value_civil_secs(&Value::from(1_631_020_979_000i64)),
            Some(civil)
        );
        assert_eq!(value_civil_secs(&Value::from("1631020979000")), Some(civil));
        assert_eq!(
            value_civil_secs(&Value::from(1_631_020_979i64)),
            Some(civil)
        );
        assert_eq!(
            value_civil_secs(&Value::from("2021-09-07 21:22:59")),
            Some(civil)
        );
        assert_eq!(value_civil_secs(&Value::from("soon")), None);
    }

    #[test]
    fn compact_date_formats_the_day() {
        let s = parse_datetime_strict("2024-01-09 23:59:59").unwrap();
        assert_eq!(format_compact_date(s), "20240109");
    }
}
