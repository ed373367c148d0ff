//! A stand-in mail server: it speaks enough SMTP (RFC 5321, no TLS, no AUTH) for the
//! node to deliver to it, and keeps every message so that a test can follow the link a
//! person would receive.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One message the node sent.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    /// The decoded text of the message (headers and body).
    pub text: String,
}

pub struct MailCatcher {
    /// `smtp://127.0.0.1:<port>`: plain SMTP, for `mail.smtp_url`.
    pub url: String,
    messages: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

impl MailCatcher {
    pub async fn start() -> MailCatcher {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("address"));
        let messages: Arc<Mutex<Vec<Received>>> = Arc::default();
        let arrived = Arc::new(Notify::new());
        let (kept, notify) = (messages.clone(), arrived.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (kept, notify) = (kept.clone(), notify.clone());
                tokio::spawn(async move {
                    if let Some(message) = session(stream).await {
                        kept.lock().expect("mailbox").push(message);
                        notify.notify_waiters();
                    }
                });
            }
        });
        MailCatcher {
            url,
            messages,
            arrived,
        }
    }

    /// Every message sent to `address` so far.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.messages
            .lock()
            .expect("mailbox")
            .iter()
            .filter(|message| message.to.iter().any(|to| to.eq_ignore_ascii_case(address)))
            .cloned()
            .collect()
    }

    /// The newest link to the console page `page` mailed to `address`, waiting for it to
    /// arrive (a mail is sent while a request is answered, or just after).
    pub async fn link(&self, address: &str, page: &str) -> String {
        for _ in 0..100 {
            let waiting = self.arrived.notified();
            if let Some(link) = self
                .to(address)
                .iter()
                .rev()
                .find_map(|message| link_in(&message.text, page))
            {
                return link;
            }
            // Woken by the next message, or looks again after a moment.
            let _ = tokio::time::timeout(Duration::from_millis(100), waiting).await;
        }
        panic!("no mail to {address} with a /{page} link arrived")
    }

    /// The token of the newest `/page?token=…` link mailed to `address`.
    pub async fn token(&self, address: &str, page: &str) -> String {
        let link = self.link(address, page).await;
        link.split_once("token=")
            .map(|(_, token)| token.to_owned())
            .unwrap_or_else(|| panic!("no token in {link}"))
    }
}

fn link_in(text: &str, page: &str) -> Option<String> {
    text.split_whitespace()
        .find(|word| word.contains(&format!("/{page}?token=")))
        .map(str::to_owned)
}

/// One SMTP session: greeting, EHLO, MAIL, RCPT…, DATA, QUIT.
async fn session(stream: tokio::net::TcpStream) -> Option<Received> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 catcher ESMTP\r\n").await.ok()?;
    let mut to = Vec::new();
    let mut received = None;
    while let Some(line) = lines.next_line().await.ok()? {
        let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250-catcher\r\n250 8BITMIME\r\n",
            "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
            "RCPT" => {
                let address = line
                    .split_once('<')
                    .and_then(|(_, rest)| rest.split_once('>'))
                    .map(|(address, _)| address.to_owned())
                    .unwrap_or_default();
                to.push(address);
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await.ok()?;
                let mut data = String::new();
                while let Some(line) = lines.next_line().await.ok()? {
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push('\n');
                }
                received = Some(Received {
                    to: std::mem::take(&mut to),
                    text: decode(&data),
                });
                b"250 queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await.ok()?;
                break;
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await.ok()?;
    }
    received
}

/// The message with quoted-printable soft breaks and escapes undone (a long link may be
/// folded that way).
fn decode(data: &str) -> String {
    if !data.to_ascii_lowercase().contains("quoted-printable") {
        return data.to_owned();
    }
    let joined = data.replace("=\n", "");
    let mut out = String::new();
    let mut chars = joined.chars().peekable();
    while let Some(character) = chars.next() {
        if character == '=' {
            let hex: String = chars.clone().take(2).collect();
            if let Ok(byte) = u8::from_str_radix(&hex, 16) {
                out.push(char::from(byte));
                chars.next();
                chars.next();
                continue;
            }
        }
        out.push(character);
    }
    out
}
