//! `integrations` will own everything CompanyOS knows about the services it connects —
//! GitHub, Vercel, Figma, Slack, X/Twitter and LinkedIn: webhook signature schemes,
//! payload normalisation into domain events, API clients, and credential encryption.
//! The adapters and routes come with the integrations work; today the crate holds the
//! service catalogue and the error type the rest of the workspace is built against.
//!
//! Credentials are sealed with AES-256-GCM by [`crypto::MasterKey`]. Language models
//! (OpenAI-compatible and Anthropic) are reached through [`llm::LlmClient`].
//!
//! **Must never import:** ractor, axum, or any other workspace crate. `integrations`
//! is a leaf of plain functions and HTTP clients.

pub mod clients;
pub mod crypto;
mod error;
pub mod http;
pub mod llm;
pub mod normalise;
pub mod probe;
pub mod webhooks;

pub use error::IntegrationError;

/// The services CompanyOS connects to, as they appear in URLs and the database.
pub const SERVICES: [&str; 6] = ["github", "vercel", "figma", "slack", "twitter", "linkedin"];

/// Checks that `name` is a service CompanyOS knows.
pub fn parse_service(name: &str) -> Result<&'static str, IntegrationError> {
    SERVICES
        .iter()
        .copied()
        .find(|service| *service == name)
        .ok_or_else(|| IntegrationError::UnknownService(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_services_parse_and_others_do_not() {
        assert_eq!(parse_service("github").ok(), Some("github"));
        assert!(
            matches!(parse_service("GitHub"), Err(IntegrationError::UnknownService(name)) if name == "GitHub")
        );
    }
}
