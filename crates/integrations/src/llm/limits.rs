//! Reading how long a provider wants us to wait from its response headers: `Retry-After`
//! (seconds or an HTTP date), OpenAI's `retry-after-ms` and `x-ratelimit-reset-*`
//! durations (`6m0s`, `20ms`), Anthropic's `anthropic-ratelimit-*-reset` timestamps
//! (RFC 3339).

use std::time::Duration;

use http::HeaderMap;

/// One request budget a provider reports: the header with what is left and the header with
/// when it refills.
pub(super) struct Budget {
    pub remaining: &'static str,
    pub reset: &'static str,
}

/// `Retry-After`, or OpenAI's finer `retry-after-ms` when present.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let milliseconds = header_text(headers, "retry-after-ms")
        .and_then(|text| text.parse::<f64>().ok())
        .filter(|value| value.is_finite() && *value >= 0.0)
        .map(|value| Duration::from_secs_f64(value / 1000.0));
    milliseconds.or_else(|| crate::clients::retry_after(headers))
}

/// The wait a 429 asks for: `Retry-After` if given; else the refill time of the budgets
/// that are spent (the longest, since all must refill); else the longest refill time
/// reported; else nothing.
pub(super) fn rate_limit_wait(
    headers: &HeaderMap,
    budgets: &[Budget],
    parse_reset: fn(&str) -> Option<Duration>,
) -> Option<Duration> {
    if let Some(wait) = retry_after(headers) {
        return Some(wait);
    }
    let reset = |budget: &Budget| header_text(headers, budget.reset).and_then(parse_reset);
    let spent = budgets
        .iter()
        .filter(|budget| {
            header_text(headers, budget.remaining)
                .and_then(|text| text.parse::<u64>().ok())
                .is_some_and(|remaining| remaining == 0)
        })
        .filter_map(reset)
        .max();
    spent.or_else(|| budgets.iter().filter_map(reset).max())
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    Some(headers.get(name)?.to_str().ok()?.trim()).filter(|text| !text.is_empty())
}

/// A Go-style duration as OpenAI writes its resets: `1s`, `6m0s`, `20ms`, `1h2m3.5s`.
pub(super) fn go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut seconds = 0.0_f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|character: char| !(character.is_ascii_digit() || character == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|character: char| character.is_ascii_digit() || character == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        rest = &rest[unit_end..];
        seconds += value * scale;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

/// An RFC 3339 time as Anthropic writes its resets, as the wait from now (zero if past).
pub(super) fn until_rfc3339(text: &str) -> Option<Duration> {
    let reset = chrono::DateTime::parse_from_rfc3339(text.trim()).ok()?;
    let wait = reset.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const OPENAI: [Budget; 2] = [
        Budget {
            remaining: "x-ratelimit-remaining-requests",
            reset: "x-ratelimit-reset-requests",
        },
        Budget {
            remaining: "x-ratelimit-remaining-tokens",
            reset: "x-ratelimit-reset-tokens",
        },
    ];

    #[test]
    fn go_durations_as_openai_writes_them() {
        let cases = [
            ("1s", Some(Duration::from_secs(1))),
            ("6m0s", Some(Duration::from_secs(360))),
            ("20ms", Some(Duration::from_millis(20))),
            ("1h2m3.5s", Some(Duration::from_millis(3_723_500))),
            ("0.5s", Some(Duration::from_millis(500))),
            ("", None),
            ("soon", None),
            ("5", None),
            ("5d", None),
        ];
        for (text, expected) in cases {
            assert_eq!(go_duration(text), expected, "{text:?}");
        }
    }

    #[test]
    fn the_spent_budget_decides_the_wait() {
        let tokens_spent = headers(&[
            ("x-ratelimit-remaining-requests", "499"),
            ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        assert_eq!(
            rate_limit_wait(&tokens_spent, &OPENAI, go_duration),
            Some(Duration::from_secs(360))
        );

        let requests_spent = headers(&[
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-remaining-tokens", "10"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        assert_eq!(
            rate_limit_wait(&requests_spent, &OPENAI, go_duration),
            Some(Duration::from_millis(120))
        );

        let neither_said = headers(&[
            ("x-ratelimit-reset-requests", "2s"),
            ("x-ratelimit-reset-tokens", "7s"),
        ]);
        assert_eq!(
            rate_limit_wait(&neither_said, &OPENAI, go_duration),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(&HeaderMap::new(), &OPENAI, go_duration),
            None
        );
    }

    #[test]
    fn retry_after_wins_and_milliseconds_are_finer() {
        let both = headers(&[
            ("retry-after", "3"),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ]);
        assert_eq!(
            rate_limit_wait(&both, &OPENAI, go_duration),
            Some(Duration::from_secs(3))
        );
        let milliseconds = headers(&[("retry-after", "1"), ("retry-after-ms", "250")]);
        assert_eq!(retry_after(&milliseconds), Some(Duration::from_millis(250)));
    }

    #[test]
    fn rfc3339_resets_count_from_now() {
        let in_a_minute = (chrono::Utc::now() + chrono::Duration::seconds(60)).to_rfc3339();
        let wait = until_rfc3339(&in_a_minute).unwrap();
        assert!(
            wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert_eq!(until_rfc3339("2020-01-01T00:00:00Z"), Some(Duration::ZERO));
        assert_eq!(until_rfc3339("tomorrow"), None);
    }
}
