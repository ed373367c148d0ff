//! An OTLP/HTTP receiver for the tests that check the traces `companyos` exports:
//! every span posted to `/v1/traces` (protobuf), decoded and kept.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;

/// One span as the receiver got it.
#[derive(Clone, Debug)]
pub struct Span {
    pub name: String,
    pub trace: String,
    pub id: String,
    pub parent: Option<String>,
    pub service: String,
    /// `service.instance.id`: the node, in cluster mode (empty otherwise).
    #[allow(
        dead_code,
        reason = "read by the cluster test, not by every test binary"
    )]
    pub node: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An OTLP/HTTP receiver: every span posted to `/v1/traces` (protobuf), kept.
pub async fn otlp_receiver() -> (String, Arc<Mutex<Vec<Span>>>) {
    let spans: Arc<Mutex<Vec<Span>>> = Arc::default();
    let kept = spans.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body.as_ref())
                    .expect("an OTLP protobuf export");
                let mut kept = kept.lock().expect("spans");
                for resource in request.resource_spans {
                    let attribute = |key: &str| {
                        resource
                            .resource
                            .iter()
                            .flat_map(|resource| &resource.attributes)
                            .find(|attribute| attribute.key == key)
                            .and_then(|attribute| attribute.value.as_ref())
                            .and_then(|value| match &value.value {
                                Some(Value::StringValue(text)) => Some(text.clone()),
                                _ => None,
                            })
                            .unwrap_or_default()
                    };
                    let (service, node) =
                        (attribute("service.name"), attribute("service.instance.id"));
                    for scope in resource.scope_spans {
                        for span in scope.spans {
                            kept.push(Span {
                                name: span.name,
                                trace: hex(&span.trace_id),
                                id: hex(&span.span_id),
                                parent: (!span.parent_span_id.is_empty())
                                    .then(|| hex(&span.parent_span_id)),
                                service: service.clone(),
                                node: node.clone(),
                            });
                        }
                    }
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the receiver");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("receiver");
    });
    (format!("http://{address}"), spans)
}
