//! whisper.cpp's log lines in the worker's log, less the one Castmill causes on purpose.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata};
use tracing_subscriber::layer::{Context, Filter};

/// What whisper.cpp logs, as an error, when the encoder-begin callback declines a pass —
/// which the worker does on purpose (see `transcribe::encoder_may_run`), so it is not one.
const DECLINED_PASS: &str = "encoder_begin_callback returned false";

/// Drops whisper's "declined pass" line; lets every other event through.
pub struct DeclinedPassesUnlogged;

impl<S> Filter<S> for DeclinedPassesUnlogged {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.target().starts_with("whisper_rs") {
            // Decided per event, from its text.
            Interest::sometimes()
        } else {
            Interest::always()
        }
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        if !event.metadata().target().starts_with("whisper_rs") {
            return true;
        }
        let mut message = MessageText(String::new());
        event.record(&mut message);
        !message.0.contains(DECLINED_PASS)
    }
}

struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
