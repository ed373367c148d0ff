//! The HTTP clients every outbound call uses: rustls with the aws-lc-rs provider given
//! explicitly and the Mozilla roots. reqwest is built without a crypto provider of its
//! own (its rustls features would compile in ring), so a client from
//! `reqwest::Client::new()` panics unless a process default is installed: build clients
//! here, and [`install_default_provider`] at start-up for libraries that build their own.

use std::sync::Arc;
use std::time::Duration;

/// Why an outbound HTTP client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("TLS cannot be set up: {0}")]
    Tls(#[from] rustls::Error),
    #[error("the HTTP client cannot be built: {0}")]
    Build(#[from] reqwest::Error),
}

/// rustls with aws-lc-rs named explicitly and the Mozilla roots: for every outbound
/// client (reqwest here, octocrab's connector in `clients::github`).
pub(crate) fn tls() -> Result<rustls::ClientConfig, HttpSetupError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A client builder with TLS configured, to add to (timeouts, redirect policy).
pub fn builder() -> Result<reqwest::ClientBuilder, HttpSetupError> {
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls()?)
        .user_agent(concat!("CompanyOS/", env!("CARGO_PKG_VERSION"))))
}

/// A client for calling services; `timeout` bounds each whole request.
pub fn client(timeout: Duration) -> Result<reqwest::Client, HttpSetupError> {
    Ok(builder()?
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout)
        .build()?)
}

/// Makes aws-lc-rs the process's rustls provider (idempotent; a provider installed
/// first is kept).
pub fn install_default_provider() {
    // The only failure is that a provider is installed already, which is kept.
    if rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .is_err()
    {
        tracing::trace!("a rustls provider was installed already");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_builds_without_a_process_wide_provider() {
        assert!(super::client(std::time::Duration::from_secs(5)).is_ok());
    }
}
