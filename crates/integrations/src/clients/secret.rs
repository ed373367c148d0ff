//! `Secret`: a credential that never shows itself in `Debug` output, errors or logs.

use std::fmt;
use std::sync::Arc;

/// An API token or other credential. `Debug` prints `[redacted]` and there is no
/// `Display`, so a token cannot end up in a log line or an error by accident.
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// Whether there is no credential at all (a local model server needs none).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// The credential itself, for building the request that carries it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the credential replaced by `[redacted]`, for
    /// passing a vendor's error message on.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&*self.0, "[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_and_scrub_removes_it() {
        let secret = Secret::new("ghp_supersecret");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(
            secret.scrub("bad token ghp_supersecret given"),
            "bad token [redacted] given"
        );
        assert_eq!(secret.expose(), "ghp_supersecret");
    }
}
