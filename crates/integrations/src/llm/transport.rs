//! The HTTP transport rig sends through: rig's `HttpClientExt` over the reqwest client
//! [`crate::http::client`] builds (rustls on aws-lc-rs, our timeout), so rig brings no
//! HTTP stack or TLS of its own.
//!
//! Every reply is read in full and handed back with its status and headers; rig turns a
//! non-success status into a `ProviderError` that keeps all three, which is where the
//! rate-limit headers are read. A request that got no reply fails with [`SendFailure`],
//! which says whether the connection was never made or the request timed out.
//! Credential headers are marked sensitive before they are sent.

use std::fmt;
use std::future::Future;

use bytes::Bytes;
use rig_core::http_client::{
    Error, HttpClientExt, LazyBody, MultipartForm, Request, Response, Result, StreamingResponse,
};

/// The reqwest client rig sends every request through.
#[derive(Clone, Debug)]
pub(super) struct Transport {
    http: reqwest::Client,
}

impl Transport {
    pub(super) fn new(http: reqwest::Client) -> Self {
        Self { http }
    }
}

/// Why a request got no reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FailureKind {
    /// The connection was never made: the provider cannot have seen the request.
    Connect,
    /// No complete reply within the configured timeout. The provider may have done the
    /// work (and billed for it).
    Timeout,
    /// The connection broke some other way, possibly after the request arrived.
    Other,
}

/// A request that produced no HTTP reply, carried inside rig's `Error::Instance`.
#[derive(Debug)]
pub(super) struct SendFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl SendFailure {
    fn from_reqwest(error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            FailureKind::Timeout
        } else if error.is_connect() {
            FailureKind::Connect
        } else {
            FailureKind::Other
        };
        Self {
            kind,
            message: crate::clients::error_chain(error),
        }
    }

    fn unsupported(what: &str) -> Self {
        Self {
            kind: FailureKind::Other,
            message: format!("{what} requests are not used by companyos"),
        }
    }
}

impl fmt::Display for SendFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for SendFailure {}

/// Headers that carry a credential, hidden from reqwest's and http's `Debug` output.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "x-api-key", "api-key"];

impl HttpClientExt for Transport {
    fn send<T, U>(
        &self,
        request: Request<T>,
    ) -> impl Future<Output = Result<Response<LazyBody<U>>>> + Send + 'static
    where
        T: Into<Bytes> + Send,
        U: From<Bytes> + Send + 'static,
    {
        let (mut parts, body) = request.into_parts();
        let body: Bytes = body.into();
        for name in CREDENTIAL_HEADERS {
            if let Some(value) = parts.headers.get_mut(name) {
                value.set_sensitive(true);
            }
        }
        let request = self
            .http
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body);
        async move {
            let failure =
                |error: reqwest::Error| Error::instance(SendFailure::from_reqwest(&error));
            let response = request.send().await.map_err(failure)?;
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.map_err(failure)?;
            let body: LazyBody<U> = Box::pin(std::future::ready(Ok(U::from(bytes))));
            let mut reply = Response::builder()
                .status(status)
                .body(body)
                .map_err(Error::Protocol)?;
            *reply.headers_mut() = headers;
            Ok(reply)
        }
    }

    fn send_multipart<U>(
        &self,
        _request: Request<MultipartForm>,
    ) -> impl Future<Output = Result<Response<LazyBody<U>>>> + Send + 'static
    where
        U: From<Bytes> + Send + 'static,
    {
        std::future::ready(Err(Error::instance(SendFailure::unsupported("multipart"))))
    }

    fn send_streaming<T>(
        &self,
        _request: Request<T>,
    ) -> impl Future<Output = Result<StreamingResponse>> + Send
    where
        T: Into<Bytes> + Send,
    {
        std::future::ready(Err(Error::instance(SendFailure::unsupported("streaming"))))
    }
}
