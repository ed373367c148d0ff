//! Structured logs through `tracing` — human-readable by default, JSON lines with
//! `--log-format json` — and, when `telemetry.otlp_endpoint` is set, traces: the same
//! spans exported over OTLP/HTTP (protobuf) to an OpenTelemetry collector, in batches
//! from a thread of their own.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{Config, LogFormat};

/// How long an export may take before it is given up.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// What [`init`] installed; [`Telemetry::shutdown`] sends the spans still held.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still held, waiting for it (a few seconds at most). Call it
    /// off the async runtime's threads.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            eprintln!("traces not all exported at exit: {error}");
        }
    }
}

/// Installs the global subscriber: logs to standard output, and traces to the
/// collector when one is configured. A collector that cannot be set up is reported
/// and the node runs without traces.
pub fn init(config: &Config) -> Telemetry {
    // The level was validated when the configuration was loaded.
    let filter =
        || EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_ansi(colour);
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![match config.log.format {
        LogFormat::Human => fmt.with_filter(filter()).boxed(),
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(filter())
            .boxed(),
    }];
    let (provider, problem) = match tracer_provider(config) {
        Ok(provider) => (provider, None),
        Err(problem) => (None, Some(problem)),
    };
    if let Some(provider) = &provider {
        let tracer = provider.tracer("companyos");
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(filter())
                .boxed(),
        );
    }
    // A subscriber is already installed only when the node runs inside a test.
    if tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_err()
    {
        tracing::debug!("a log subscriber was installed already; it is kept");
    }
    match problem {
        Some(problem) => tracing::error!(
            endpoint = %config.telemetry.otlp_endpoint,
            %problem,
            "traces are not exported"
        ),
        None if provider.is_some() => tracing::info!(
            endpoint = %config.telemetry.otlp_endpoint,
            "traces are exported over OTLP/HTTP"
        ),
        None => {}
    }
    Telemetry { provider }
}

/// The tracer provider for `telemetry.otlp_endpoint`, or `None` when it is empty.
fn tracer_provider(
    config: &Config,
) -> Result<Option<SdkTracerProvider>, opentelemetry_otlp::ExporterBuildError> {
    let endpoint = config.telemetry.otlp_endpoint.trim_end_matches('/');
    if endpoint.is_empty() {
        return Ok(None);
    }
    // The collector's base address, as its OTLP/HTTP receiver is usually given
    // (http://collector:4318), or the traces path itself.
    let endpoint = if endpoint.ends_with("/v1/traces") {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/v1/traces")
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(EXPORT_TIMEOUT)
        .build()?;
    // The batch's delay and size are OTel's defaults, or OTEL_BSP_* when set.
    let processor = BatchSpanProcessor::builder(exporter).build();
    let mut resource = Resource::builder().with_service_name(config.telemetry.service_name.clone());
    if config.cluster.enabled && !config.cluster.node.is_empty() {
        resource = resource.with_attribute(opentelemetry::KeyValue::new(
            "service.instance.id",
            config.cluster.node.clone(),
        ));
    }
    Ok(Some(
        SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource.build())
            .build(),
    ))
}
