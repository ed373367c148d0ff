//! Query parameters of list routes, read strictly: each filter is parsed into its type
//! (a bad value is a 422 naming the parameter), paging is `limit` (1–200, default 50)
//! and `cursor` (the `next_cursor` of the previous page), and a parameter the route does
//! not know is refused rather than silently ignored — a misspelt filter would otherwise
//! return everything.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use companyos_store::{Cursor, MAX_PAGE_SIZE, Page, PageRequest};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::ApiError;

/// The query string of a request, consumed parameter by parameter.
#[derive(Debug, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
    known: Vec<&'static str>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Malformed query string",
                format!("the query string cannot be read: {error}"),
            )
        })?;
        let mut values = BTreeMap::new();
        for (name, value) in pairs {
            if values.contains_key(&name) {
                return Err(ApiError::invalid(
                    &name,
                    "given more than once; give it once",
                ));
            }
            values.insert(name, value);
        }
        Ok(Params {
            values,
            known: Vec::new(),
        })
    }
}

impl Params {
    fn take(&mut self, name: &'static str) -> Option<String> {
        self.known.push(name);
        self.values.remove(name).filter(|value| !value.is_empty())
    }

    /// A parameter parsed with `FromStr`; absent or empty is `None`.
    pub fn parse<T>(&mut self, name: &'static str) -> Result<Option<T>, ApiError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.take(name)
            .map(|raw| {
                raw.parse::<T>()
                    .map_err(|error| ApiError::invalid(name, format!("{raw:?}: {error}")))
            })
            .transpose()
    }

    /// One of a fixed set of values (an enum of the store).
    pub fn one_of<T: FromStr + Copy>(
        &mut self,
        name: &'static str,
        all: &[T],
        text: fn(T) -> &'static str,
    ) -> Result<Option<T>, ApiError> {
        self.take(name)
            .map(|raw| {
                raw.parse::<T>().map_err(|_| {
                    let allowed: Vec<&str> = all.iter().map(|value| text(*value)).collect();
                    ApiError::invalid(
                        name,
                        format!("{raw:?} is not one of {}", allowed.join(", ")),
                    )
                })
            })
            .transpose()
    }

    /// A string parameter, at most `max` characters.
    pub fn text(&mut self, name: &'static str, max: usize) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            Some(value) if value.chars().count() > max => {
                Err(ApiError::invalid(name, format!("at most {max} characters")))
            }
            other => Ok(other),
        }
    }

    /// An RFC 3339 time, e.g. `2026-01-31T00:00:00Z`.
    pub fn time(&mut self, name: &'static str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.take(name)
            .map(|raw| {
                DateTime::parse_from_rfc3339(&raw)
                    .map(|time| time.with_timezone(&Utc))
                    .map_err(|_| {
                        ApiError::invalid(
                            name,
                            format!("{raw:?} is not an RFC 3339 time such as 2026-01-31T00:00:00Z"),
                        )
                    })
            })
            .transpose()
    }

    /// `limit` and `cursor`.
    pub fn page(&mut self) -> Result<PageRequest, ApiError> {
        let limit = match self.take("limit") {
            None => PageRequest::default().limit,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "limit",
                        format!("{raw:?}: must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                    )
                })?,
        };
        let after = self
            .take("cursor")
            .map(|raw| Cursor::decode(&raw))
            .transpose()?;
        Ok(PageRequest { limit, after })
    }

    /// Refuses any parameter no `take` asked for.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(unknown) => {
                let accepted = if self.known.is_empty() {
                    "this route takes no query parameters".to_owned()
                } else {
                    format!("this route accepts: {}", self.known.join(", "))
                };
                Err(ApiError::invalid(
                    unknown,
                    format!("unknown query parameter; {accepted}"),
                ))
            }
        }
    }
}

/// A page as the client sees it: `{"items": [...], "next_cursor": "…" | null}`.
pub fn page_json<T: Serialize>(page: Page<T>) -> Value {
    json!({
        "items": page.items,
        "next_cursor": page.next.map(|cursor| cursor.encode()),
    })
}

/// A whole (short) collection in the same shape as a page.
pub fn all_json<T: Serialize>(items: Vec<T>) -> Value {
    json!({ "items": items, "next_cursor": null })
}
