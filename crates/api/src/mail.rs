//! Mail to people: the links that prove an e-mail address (verification, password
//! reset, invitations). With an SMTP server configured (`mail.smtp_url`) each mail is
//! sent through it; without one — the embedded default on a laptop — the mail is not
//! sent and its link is written to the node's log at `info` (`link=<url>`), so the
//! person running the node can follow it.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// One mail: a short text around one link.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    /// The text, which contains `link`.
    pub text: String,
    pub link: String,
}

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0:?} is not an address mail can be sent to")]
    Address(String),
    #[error("the mail could not be built: {0}")]
    Build(String),
    #[error("the mail server did not take the mail: {0}")]
    Smtp(String),
}

/// How this node sends mail.
pub enum Mailer {
    /// Through an SMTP server.
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// Nowhere: the link is logged instead.
    Log,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
            Mailer::Log => write!(f, "Mailer::Log"),
        }
    }
}

/// The sender used when `mail.from` is not set.
pub const DEFAULT_FROM: &str = "CompanyOS <companyos@localhost>";

impl Mailer {
    /// A mailer for `smtp_url` (`smtp://host:port` plain, `smtp://…?tls=required` with
    /// STARTTLS, `smtps://host:465` with TLS; credentials as `user:password@`), sending
    /// as `from`. An empty URL logs links instead of sending mail.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, MailError> {
        if smtp_url.trim().is_empty() {
            return Ok(Mailer::Log);
        }
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailError::Address(from.to_owned()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|error| MailError::Smtp(error.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer::Smtp {
            transport: Box::new(transport),
            from,
        })
    }

    /// Sends the mail (or logs its link).
    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        match self {
            Mailer::Log => {
                tracing::info!(
                    to = %mail.to,
                    subject = %mail.subject,
                    link = %mail.link,
                    "no mail server is configured (mail.smtp_url): follow this link instead of a mail"
                );
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = mail
                    .to
                    .parse()
                    .map_err(|_| MailError::Address(mail.to.clone()))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text)
                    .map_err(|error| MailError::Build(error.to_string()))?;
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|error| MailError::Smtp(error.to_string()))
            }
        }
    }
}
