//! Dates as the server shows them: `yyyy-MM-ddTHH:mm:ss`, in China time (UTC+8).

/// Now, as `yyyy-MM-ddTHH:mm:ss` in UTC+8.
pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .datetime()
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Today at midnight, as `yyyy-MM-ddT00:00:00` in UTC+8.
pub(crate) fn today() -> String {
    format!("{}T00:00:00", &now()[..10])
}

/// A date or date-time in a form clients send (`2024-05-01`, `2024-05-01 00:00:00`,
/// `2024-05-01T00:00:00`, `2024/05/01`, with optional fractions) as `yyyy-MM-ddTHH:mm:ss`.
pub(crate) fn normalize_date(s: &str) -> Option<String> {
    let s = s.trim().replace('/', "-");
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .map(|d| d.strftime("%Y-%m-%dT%H:%M:%S").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_date_forms_normalize() {
        for s in [
            "2024-05-01",
            "2024-05-01 00:00:00",
            "2024-05-01T00:00:00",
            "2024/05/01",
            " 2024-05-01 00:00:00.000 ",
        ] {
            assert_eq!(
                normalize_date(s).as_deref(),
                Some("2024-05-01T00:00:00"),
                "{s}"
            );
        }
        assert_eq!(normalize_date("yesterday"), None);
        assert_eq!(now().len(), 19);
        assert!(today().ends_with("T00:00:00"));
    }
}
