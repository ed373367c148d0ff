//! Embeddings: OpenAI's `POST {base}/embeddings`, spoken by api.openai.com and by the
//! servers that copy it (vLLM, Ollama's `/v1`, LiteLLM, llama.cpp's server, Text
//! Embeddings Inference). The request is `{"model", "input": [texts], "encoding_format":
//! "float"}` (and `dimensions` when set); the answer lists one `{"index", "embedding"}`
//! per input, which are put back in the inputs' order. Search uses it to find documents
//! by meaning; nothing calls it unless `search.embeddings_url` is set.
//!
//! Failures map into [`LlmError`] as completions do: 401/403 refused key, 429 rate limit
//! (with `Retry-After` when sent), 5xx unavailable, any other 4xx a bad request. Nothing
//! is retried here: the indexer tries a batch again on its next round, and a search whose
//! query cannot be embedded is answered by full-text alone.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::LlmError;
use crate::clients::Secret;

/// The most texts one request carries (OpenAI accepts 2,048; servers that copy it often
/// fewer).
pub const MAX_BATCH: usize = 64;
/// Each text is cut to this many characters: about 2,000 tokens, inside every common
/// embedding model's window.
pub const MAX_TEXT_CHARS: usize = 8_000;

/// Where embeddings come from.
#[derive(Clone, Debug)]
pub struct EmbeddingsConfig {
    /// The API root (`https://api.openai.com/v1`); `/embeddings` is appended.
    pub base_url: String,
    /// The model id (`text-embedding-3-small`, `nomic-embed-text`).
    pub model: String,
    /// Empty for a local server that needs none.
    pub api_key: Secret,
    /// Asks for vectors of this length, for models that can shorten theirs.
    pub dimensions: Option<u32>,
    pub timeout: Duration,
}

impl EmbeddingsConfig {
    /// `model` at `base_url`, with a thirty-second timeout.
    pub fn new(
        base_url: impl Into<String>,
        model: impl Into<String>,
        api_key: impl Into<Secret>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: api_key.into(),
            dimensions: None,
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    input: Vec<&'a str>,
    encoding_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Datum>,
}

#[derive(Deserialize)]
struct Datum {
    index: usize,
    embedding: Vec<f32>,
}

/// A client of one embeddings endpoint.
#[derive(Clone)]
pub struct Embedder {
    http: reqwest::Client,
    url: reqwest::Url,
    config: EmbeddingsConfig,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Embedder")
            .field("url", &self.url.as_str())
            .field("model", &self.config.model)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Fails only on a configuration that cannot work: a base url that is not http(s), no
    /// model, a key no header can carry.
    pub fn new(config: EmbeddingsConfig) -> Result<Self, LlmError> {
        let base = reqwest::Url::parse(config.base_url.trim_end_matches('/')).map_err(|error| {
            LlmError::InvalidConfig(format!(
                "embeddings url {:?} is not a url: {error}",
                config.base_url
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(LlmError::InvalidConfig(format!(
                "embeddings url {:?} must start with https:// (or http:// for a local server)",
                config.base_url
            )));
        }
        if config.model.trim().is_empty() {
            return Err(LlmError::InvalidConfig(
                "no embeddings model is set; name one the server serves".to_owned(),
            ));
        }
        if http::HeaderValue::from_str(&format!("Bearer {}", config.api_key.expose())).is_err() {
            return Err(LlmError::InvalidConfig(
                "the embeddings api key holds characters a header cannot carry".to_owned(),
            ));
        }
        let url = reqwest::Url::parse(&format!(
            "{}/embeddings",
            base.as_str().trim_end_matches('/')
        ))
        .map_err(|error| LlmError::InvalidConfig(error.to_string()))?;
        let http = crate::http::client(config.timeout)
            .map_err(|error| LlmError::InvalidConfig(error.to_string()))?;
        Ok(Self { http, url, config })
    }

    /// The model's name, as configured: vectors of different models are never compared.
    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// One vector per text, in the texts' order (at most [`MAX_BATCH`] texts; each cut to
    /// [`MAX_TEXT_CHARS`]). Every vector has the same length.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, LlmError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        if texts.len() > MAX_BATCH {
            return Err(LlmError::InvalidConfig(format!(
                "{} texts in one embeddings request; at most {MAX_BATCH}",
                texts.len()
            )));
        }
        let input: Vec<&str> = texts.iter().map(|text| cut(text)).collect();
        let body = Request {
            model: &self.config.model,
            input,
            encoding_format: "float",
            dimensions: self.config.dimensions,
        };
        let mut request = self.http.post(self.url.clone()).json(&body);
        if !self.config.api_key.is_empty() {
            request = request.bearer_auth(self.config.api_key.expose());
        }
        let response = request.send().await.map_err(|error| {
            LlmError::Unavailable(format!(
                "embeddings request failed: {}",
                error.without_url()
            ))
        })?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = response.text().await.unwrap_or_default();
            let text = self.scrub(&text);
            return Err(match status.as_u16() {
                401 | 403 => LlmError::Unauthorized,
                429 => LlmError::RateLimited { retry_after },
                503 => LlmError::Overloaded { retry_after },
                code if code >= 500 => {
                    LlmError::Unavailable(format!("embeddings server answered {status}: {text}"))
                }
                _ => LlmError::BadRequest(format!("{status}: {text}")),
            });
        }
        let bytes = response.bytes().await.map_err(|error| {
            LlmError::Unavailable(format!(
                "embeddings answer cut off: {}",
                error.without_url()
            ))
        })?;
        let answer: Answer = serde_json::from_slice(&bytes)
            .map_err(|error| LlmError::Malformed(format!("embeddings answer: {error}")))?;
        in_order(answer.data, texts.len())
    }

    /// A provider's message, cut short and without the key.
    fn scrub(&self, text: &str) -> String {
        let mut text: String = text.chars().take(300).collect();
        if !self.config.api_key.is_empty() {
            text = text.replace(self.config.api_key.expose(), "[redacted]");
        }
        text
    }
}

/// At most [`MAX_TEXT_CHARS`] characters of `text`, cut at a character boundary.
fn cut(text: &str) -> &str {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The vectors in the inputs' order: one for each of `count` inputs, all of one
/// non-zero length.
fn in_order(mut data: Vec<Datum>, count: usize) -> Result<Vec<Vec<f32>>, LlmError> {
    data.sort_by_key(|datum| datum.index);
    let indexes: Vec<usize> = data.iter().map(|datum| datum.index).collect();
    if indexes != (0..count).collect::<Vec<_>>() {
        return Err(LlmError::Malformed(format!(
            "embeddings answer has {} vectors for {count} inputs",
            data.len()
        )));
    }
    let length = data.first().map_or(0, |datum| datum.embedding.len());
    if length == 0
        || data.iter().any(|datum| {
            datum.embedding.len() != length || datum.embedding.iter().any(|x| !x.is_finite())
        })
    {
        return Err(LlmError::Malformed(
            "embeddings answer has vectors that are empty, of different lengths or not finite"
                .to_owned(),
        ));
    }
    Ok(data.into_iter().map(|datum| datum.embedding).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_come_back_in_the_inputs_order_or_not_at_all() {
        let datum = |index, embedding: Vec<f32>| Datum { index, embedding };
        let vectors = in_order(vec![datum(1, vec![0.0, 1.0]), datum(0, vec![1.0, 0.0])], 2)
            .expect("in order");
        assert_eq!(vectors, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
        assert!(in_order(vec![datum(0, vec![1.0])], 2).is_err());
        assert!(in_order(vec![datum(0, vec![1.0]), datum(1, vec![1.0, 2.0])], 2).is_err());
        assert!(in_order(vec![datum(0, vec![f32::NAN])], 1).is_err());
        assert!(in_order(vec![datum(0, vec![])], 1).is_err());
    }

    #[test]
    fn long_texts_are_cut_at_a_character() {
        let text = "é".repeat(MAX_TEXT_CHARS + 5);
        assert_eq!(cut(&text).chars().count(), MAX_TEXT_CHARS);
        assert_eq!(cut("short"), "short");
    }
}
