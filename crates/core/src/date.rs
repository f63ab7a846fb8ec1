//! Calendar dates of waivers and governance (`expires`, `enforce-from`).

/// A calendar date (no time zone: waivers expire at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, a day that exists in the Gregorian calendar.
    pub fn parse(s: &str) -> Option<Date> {
        let text = s.trim();
        // exactly the form the schemas ask for: jiff also reads other ISO 8601 forms
        if text.len() != 10
            || text.as_bytes().get(4) != Some(&b'-')
            || text.as_bytes().get(7) != Some(&b'-')
        {
            return None;
        }
        let d: jiff::civil::Date = text.parse().ok()?;
        Some(Date::from_civil(d))
    }

    fn from_civil(d: jiff::civil::Date) -> Date {
        Date {
            year: i32::from(d.year()),
            month: u32::try_from(d.month()).unwrap_or(1),
            day: u32::try_from(d.day()).unwrap_or(1),
        }
    }

    /// Today in UTC.
    pub fn today() -> Date {
        Date::from_civil(
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date(),
        )
    }

    /// The date `days` after 1970-01-01 (1970-01-01 itself when out of range).
    pub fn from_days(days: i64) -> Date {
        let epoch = jiff::civil::date(1970, 1, 1);
        let d = jiff::Span::new()
            .try_days(days)
            .ok()
            .and_then(|span| epoch.checked_add(span).ok())
            .unwrap_or(epoch);
        Date::from_civil(d)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_compare_and_come_from_days() {
        assert!(Date::parse("2026-01-31").unwrap() < Date::parse("2026-02-01").unwrap());
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_417).to_string(), "2025-11-25");
    }
}
