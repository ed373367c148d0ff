//! Structured logs through `tracing`: human-readable by default, JSON lines with
//! `--log-format json`.

use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. Logs go to standard output.
pub fn init(config: &LogConfig) {
    // The level was validated when the configuration was loaded.
    let filter = EnvFilter::try_new(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(colour);
    let result = match config.format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    // A subscriber is already installed only when the node runs inside a test.
    if result.is_err() {
        tracing::debug!("a log subscriber was installed already; it is kept");
    }
}
