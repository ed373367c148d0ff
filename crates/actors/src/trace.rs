//! Traces across mailboxes, database rows and nodes: a span's W3C `traceparent`
//! (`00-<trace id>-<span id>-<flags>`) is written where work is handed on — a webhook
//! delivery's row, a task's row, an event's message to the router — and the span of the
//! work that picks it up takes it as its parent, on whichever node that is.
//!
//! Without an OpenTelemetry layer (no `telemetry.otlp_endpoint`) spans carry no trace:
//! [`traceparent_of`] is `None` and [`continue_trace`] does nothing.

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The `traceparent` of the current span, when it is traced.
pub fn traceparent() -> Option<String> {
    traceparent_of(&tracing::Span::current())
}

/// The `traceparent` of `span`, when it is traced.
pub fn traceparent_of(span: &tracing::Span) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    let context = span.context();
    let span_ref = context.span();
    let span_context = span_ref.span_context();
    span_context.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        )
    })
}

/// Makes `span` — not yet entered — a child of the span `traceparent` names. Nothing
/// happens without one, for a malformed one, or when spans are not traced.
pub fn continue_trace(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(parent) = traceparent.and_then(parse) else {
        return;
    };
    let context = opentelemetry::Context::new().with_remote_span_context(parent);
    if let Err(error) = span.set_parent(context) {
        tracing::trace!(?error, "the span is not traced");
    }
}

/// A W3C `traceparent` (version 00) as a remote span context.
pub fn parse(traceparent: &str) -> Option<SpanContext> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version != "00"
        || parts.next().is_some()
        || trace.len() != 32
        || span.len() != 16
        || flags.len() != 2
    {
        return None;
    }
    let trace_id = TraceId::from_hex(trace).ok()?;
    let span_id = SpanId::from_hex(span).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let context = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags),
        true,
        TraceState::default(),
    );
    context.is_valid().then_some(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_is_read_as_the_w3c_recommendation_writes_it() {
        let parsed =
            parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").expect("valid");
        assert_eq!(
            parsed.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(parsed.span_id().to_string(), "00f067aa0ba902b7");
        assert!(parsed.is_sampled());
        assert!(parsed.is_remote());
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
        ] {
            assert!(parse(bad).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn without_a_tracing_layer_there_is_no_traceparent() {
        let span = tracing::info_span!("untraced");
        continue_trace(
            &span,
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        assert_eq!(traceparent_of(&span), None);
    }
}
