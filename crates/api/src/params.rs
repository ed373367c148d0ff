//! Query parameters of list routes, read strictly into the structs that also document
//! them: a route names its filter struct (`Deserialize` + `IntoParams`) in its
//! extractor and in its `#[utoipa::path(params(..))]`, so the document lists exactly
//! the parameters that are read. Each value is parsed into its type (a bad value is a
//! 422 naming the parameter), an empty value counts as absent, a parameter given twice
//! is refused, and so is one the route does not know — a misspelt filter would
//! otherwise return everything. Paging is `limit` (1–200, default 50) and `cursor` (the
//! `next_cursor` of the previous page), read by [`Paged`].

use std::collections::BTreeSet;
use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use companyos_store::{Cursor, MAX_PAGE_SIZE, PageRequest};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use utoipa::IntoParams;

use crate::error::ApiError;

/// A route's query parameters, read into `T`; any parameter `T` does not declare is
/// refused.
#[derive(Debug)]
pub struct Query<T>(pub T);

/// A list route's filters `T` and its page (`limit`, `cursor`).
#[derive(Debug)]
pub struct Paged<T> {
    pub filter: T,
    pub page: PageRequest,
}

/// A route that takes no query parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoParams {}

/// The page of a list: documented and read as the route's other parameters are.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Rows per page, 1–200 (50 when absent).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl Paging {
    fn request(self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit {
            None => PageRequest::default().limit,
            Some(limit) if (1..=MAX_PAGE_SIZE).contains(&limit) => limit,
            Some(limit) => {
                return Err(ApiError::invalid(
                    "limit",
                    format!("{limit}: must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                ));
            }
        };
        let after = self.cursor.map(|raw| Cursor::decode(&raw)).transpose()?;
        Ok(PageRequest { limit, after })
    }
}

/// The names a parameters struct declares, as its documentation lists them.
fn names<T: IntoParams>() -> Vec<String> {
    T::into_params(|| None)
        .into_iter()
        .map(|parameter| parameter.name)
        .collect()
}

/// The query string as pairs: each name at most once, empty values dropped.
fn pairs(parts: &Parts) -> Result<Vec<(String, String)>, ApiError> {
    let query = parts.uri.query().unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed query string",
            format!("the query string cannot be read: {error}"),
        )
    })?;
    let mut seen = BTreeSet::new();
    for (name, _) in &pairs {
        if !seen.insert(name.as_str()) {
            return Err(ApiError::invalid(
                name,
                "given more than once; give it once",
            ));
        }
    }
    Ok(pairs
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect())
}

/// Refuses the first pair whose name is not in `known`.
fn refuse_unknown(pairs: &[(String, String)], known: &[String]) -> Result<(), ApiError> {
    match pairs.iter().find(|(name, _)| !known.contains(name)) {
        None => Ok(()),
        Some((unknown, _)) => {
            let accepted = if known.is_empty() {
                "this route takes no query parameters".to_owned()
            } else {
                format!("this route accepts: {}", known.join(", "))
            };
            Err(ApiError::invalid(
                unknown,
                format!("unknown query parameter; {accepted}"),
            ))
        }
    }
}

/// The query's pairs, each a parameter `T` declares or one of `also`.
fn known_pairs<T: IntoParams>(
    parts: &Parts,
    also: &[String],
) -> Result<Vec<(String, String)>, ApiError> {
    let pairs = pairs(parts)?;
    let mut known = names::<T>();
    known.extend_from_slice(also);
    refuse_unknown(&pairs, &known)?;
    Ok(pairs)
}

/// `T` from pairs, a failure naming the parameter that did not read.
fn read<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, ApiError> {
    let encoded = serde_urlencoded::to_string(pairs).map_err(|_| ApiError::internal())?;
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let detail = error.inner().to_string();
        match pairs.iter().find(|(name, _)| *name == field) {
            Some((_, raw)) => ApiError::invalid(&field, format!("{raw:?}: {detail}")),
            None => ApiError::invalid(&field, detail),
        }
    })
}

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned + IntoParams,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        read(&known_pairs::<T>(parts, &[])?).map(Query)
    }
}

impl<S, T> FromRequestParts<S> for Paged<T>
where
    S: Send + Sync,
    T: DeserializeOwned + IntoParams,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let paging = names::<Paging>();
        let pairs = known_pairs::<T>(parts, &paging)?;
        let (page, filter): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(name, _)| paging.contains(name));
        Ok(Paged {
            filter: read(&filter)?,
            page: read::<Paging>(&page)?.request()?,
        })
    }
}

/// A text parameter of at most `MAX` characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<const MAX: usize>(pub String);

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.chars().count() > MAX {
            return Err(D::Error::custom(format!("at most {MAX} characters")));
        }
        Ok(Text(text))
    }
}

impl<const MAX: usize> From<Text<MAX>> for String {
    fn from(text: Text<MAX>) -> String {
        text.0
    }
}

/// An RFC 3339 time, e.g. `2026-01-31T00:00:00Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Rfc3339;
        impl serde::de::Visitor<'_> for Rfc3339 {
            type Value = Time;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an RFC 3339 time such as 2026-01-31T00:00:00Z")
            }
            fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Time, E> {
                DateTime::parse_from_rfc3339(raw)
                    .map(|time| Time(time.with_timezone(&Utc)))
                    .map_err(|_| E::custom("not an RFC 3339 time such as 2026-01-31T00:00:00Z"))
            }
        }
        deserializer.deserialize_str(Rfc3339)
    }
}

/// The time of an optional [`Time`].
pub fn time(value: Option<Time>) -> Option<DateTime<Utc>> {
    value.map(|time| time.0)
}

/// The text of an optional [`Text`].
pub fn text<const MAX: usize>(value: Option<Text<MAX>>) -> Option<String> {
    value.map(String::from)
}
