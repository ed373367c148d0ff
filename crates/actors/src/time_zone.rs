//! An organization's time zone: `settings.time_zone`, an IANA name such as
//! `Europe/Berlin`, UTC when unset. Schedules run in it (a standup "weekdays at nine"
//! means nine where the team is) and the standup's "last working day" is counted in it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
pub use chrono_tz::Tz;
use serde_json::Value;

/// The settings key.
pub const SETTING: &str = "time_zone";

/// Why a time zone is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IANA time zone name, such as Europe/Berlin, America/New_York or UTC")]
pub struct UnknownTimeZone(pub String);

/// A time zone by its IANA name.
pub fn parse(name: &str) -> Result<Tz, UnknownTimeZone> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| UnknownTimeZone(name.to_owned()))
}

/// The time zone organization settings name: `Ok(None)` when they name none, an error
/// when `time_zone` is there but not a time zone.
pub fn of_settings(settings: &Value) -> Result<Option<Tz>, UnknownTimeZone> {
    match settings.get(SETTING) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) => parse(name).map(Some),
        Some(other) => Err(UnknownTimeZone(other.to_string())),
    }
}

/// The organization's time zone from its settings; UTC when unset or unreadable (the
/// API refuses an unreadable one, so only rows written around it have one).
pub fn of_organization(settings: &Value) -> Tz {
    of_settings(settings).ok().flatten().unwrap_or(Tz::UTC)
}

/// The working day before the one `at` falls on in `zone` (Friday for a Monday, a
/// Saturday or a Sunday).
pub fn last_working_day(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    let today = at.with_timezone(&zone).date_naive();
    let back = match today.weekday() {
        Weekday::Mon => 3,
        Weekday::Sun => 2,
        _ => 1,
    };
    today - Duration::days(back)
}

/// A day in `zone` as the instants it spans: `[midnight, next midnight)`, in UTC. A
/// midnight that does not exist (a clock change at midnight) is the first instant after.
pub fn day_span(day: NaiveDate, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |day: NaiveDate| {
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        zone.from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(midnight + Duration::hours(1)))
                    .earliest()
            })
            .map_or_else(|| midnight.and_utc(), |at| at.with_timezone(&Utc))
    };
    (start(day), start(day + Duration::days(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_name_a_time_zone_or_none() {
        assert_eq!(of_settings(&json!({})), Ok(None));
        assert_eq!(
            of_settings(&json!({"time_zone": "Europe/Berlin"})),
            Ok(Some(Tz::Europe__Berlin))
        );
        assert!(of_settings(&json!({"time_zone": "Mars/Olympus"})).is_err());
        assert!(of_settings(&json!({"time_zone": 2})).is_err());
        assert_eq!(of_organization(&json!({"time_zone": "nowhere"})), Tz::UTC);
    }

    #[test]
    fn the_last_working_day_skips_the_weekend_where_the_team_is() {
        // Monday 2026-12-07 01:00 UTC is still Sunday evening in New York.
        let at = Utc
            .with_ymd_and_hms(2026, 12, 7, 1, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            last_working_day(at, Tz::UTC),
            NaiveDate::from_ymd_opt(2026, 12, 4).expect("friday")
        );
        assert_eq!(
            last_working_day(at, Tz::America__New_York),
            NaiveDate::from_ymd_opt(2026, 12, 4).expect("friday")
        );
        let wednesday = Utc
            .with_ymd_and_hms(2026, 12, 9, 8, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            last_working_day(wednesday, Tz::Europe__Berlin),
            NaiveDate::from_ymd_opt(2026, 12, 8).expect("tuesday")
        );
        let (from, to) = day_span(
            NaiveDate::from_ymd_opt(2026, 12, 8).expect("day"),
            Tz::Europe__Berlin,
        );
        assert_eq!(from.to_rfc3339(), "2026-12-07T23:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-08T23:00:00+00:00");
    }
}
