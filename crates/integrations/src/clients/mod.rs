//! Outbound API clients, one per connected service: GitHub (through octocrab), Vercel,
//! Figma, Slack, X and LinkedIn (through reqwest).
//!
//! Every client shares the same call policy ([`RetryPolicy`]):
//! * **Rate limits.** The vendor's rate-limit headers and `Retry-After` are read on every
//!   response. A wait no longer than [`RetryPolicy::max_wait`] is slept in place and the
//!   call retried; a longer one returns [`IntegrationError::RateLimited`] so the caller
//!   re-queues the task instead of failing it. Each client remembers "blocked until T"
//!   (also after a success that reports zero requests remaining), so later calls wait or
//!   refuse before sending anything.
//! * **Transient failures** (connect errors, timeouts, 500/502/503/504) are retried with
//!   exponential backoff and jitter, up to [`RetryPolicy::max_attempts`] in all. Calls that
//!   create something (a review, a comment, a message, a post) are retried only when the
//!   request surely never reached the service (connect errors) or the service refused it
//!   for rate limiting, so a retry can never publish twice.
//! * **Errors** map into the one [`IntegrationError`]; credentials live in [`Secret`],
//!   whose `Debug` prints `[redacted]`, and are scrubbed from any vendor message.
//!
//! reqwest clients come from [`crate::http::client`]. The GitHub client hands octocrab a
//! connector built here with aws-lc-rs given explicitly, so neither needs a process-wide
//! rustls provider; the binary still installs aws-lc-rs at start-up
//! ([`crate::http::install_default_provider`]) for libraries that build their own.
//!
//! [`IntegrationError`]: crate::IntegrationError
//! [`IntegrationError::RateLimited`]: crate::IntegrationError::RateLimited

mod call;
pub mod figma;
pub mod github;
pub mod linkedin;
mod secret;
pub mod slack;
pub mod twitter;
pub mod vercel;

pub use call::RetryPolicy;
pub(crate) use call::{error_chain, retry_after, vendor_message};
pub use figma::{FigmaClient, FigmaConfig};
pub use github::{GitHubClient, GitHubConfig};
pub use linkedin::{LinkedInClient, LinkedInConfig};
pub use secret::Secret;
pub use slack::{SlackClient, SlackConfig};
pub use twitter::{TwitterClient, TwitterConfig};
pub use vercel::{VercelClient, VercelConfig};
