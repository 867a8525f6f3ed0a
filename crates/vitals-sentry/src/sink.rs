//! The sink: which parts of an [`ErrorEvent`] go where in a Sentry event.

use sentry::protocol::{Context, Event, Level, Map, Value};
use sentry::{Hub, Scope};
use vitals_instrument::sink::{ErrorEvent, ErrorRef, ErrorSink};

use crate::event;

/// The name of the context block (and of the exception mechanism, and the event's logger).
const CONTEXT: &str = "vitals";

/// An [`ErrorSink`] that captures each error as a Sentry event on the current [`Hub`].
///
/// What an event carries, with the defaults of [`SentrySink::new`]:
///
/// | from the vitals event | in the Sentry event |
/// | --- | --- |
/// | [`ErrorRef::Error`] | exceptions, one per error of the `source()` chain (oldest first, as Sentry wants them); the outermost carries the mechanism `vitals`, handled |
/// | [`ErrorRef::Message`] | the message |
/// | each label `name="value"` | tag `vitals.name` = `value` ([`with_tag_prefix`](Self::with_tag_prefix), [`with_labels`](Self::with_labels), [`without_labels`](Self::without_labels)) |
/// | the source | tag `vitals.source`; the fingerprint `{{ default }}`, source ([`with_group_by_source`](Self::with_group_by_source)); optionally the transaction ([`with_source_as_transaction`](Self::with_source_as_transaction)) |
/// | source and labels | context `vitals`: `{"source": .., "labels": {..}}` |
/// | — | level `error` ([`with_level`](Self::with_level)), logger `vitals`, your static tags ([`with_tag`](Self::with_tag)) |
///
/// Tags, context and level are set in a scope pushed for the one event
/// ([`Hub::with_scope`]): the event gets your scope's tags, user, transaction and breadcrumbs
/// too, and your scope is the same afterwards. Prefixed tag names keep the labels (`status`,
/// `method`, `component`) from overwriting tags you set yourself, or Sentry's own.
///
/// Sampling and filtering are Sentry's: `ClientOptions::sample_rate` and `before_send` apply to
/// these events like to any other (`event.logger == Some("vitals")` picks them out), and the
/// client drops events when Sentry rate-limits it.
///
/// ```
/// use sentry::Level;
/// use vitals_sentry::SentrySink;
///
/// let sink = SentrySink::new()
///     .with_tag_prefix("")
///     .without_labels(["user_id"])
///     .with_tag("service", "billing")
///     .with_level(Level::Warning);
/// vitals_instrument::sink::set_error_sink(sink);
/// # vitals_instrument::sink::clear_error_sink();
/// ```
#[derive(Debug, Clone)]
pub struct SentrySink {
    tag_prefix: String,
    only_labels: Option<Vec<String>>,
    except_labels: Vec<String>,
    static_tags: Vec<(String, String)>,
    level: Level,
    group_by_source: bool,
    source_as_transaction: bool,
}

impl Default for SentrySink {
    fn default() -> Self {
        Self::new()
    }
}

impl SentrySink {
    /// A sink with the defaults: tags prefixed `vitals.`, every label sent, no static tags,
    /// level `error`, events grouped by source, the transaction left alone.
    pub fn new() -> Self {
        Self {
            tag_prefix: String::from("vitals."),
            only_labels: None,
            except_labels: Vec::new(),
            static_tags: Vec::new(),
            level: Level::Error,
            group_by_source: true,
            source_as_transaction: false,
        }
    }

    /// The prefix of the tag names made from labels and the source. Default `"vitals."`
    /// (`vitals.function`, `vitals.source`); `""` gives the plain label names, which then
    /// override tags of the same name in your scope.
    pub fn with_tag_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.tag_prefix = prefix.into();
        self
    }

    /// Sends only these labels (as tags and in the context). Default: every label.
    pub fn with_labels<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only_labels = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Never sends these labels (as tags or in the context), for values that must not leave
    /// the process or would only clutter Sentry's tag index. Adds to earlier calls. Default:
    /// none.
    pub fn without_labels<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.except_labels.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds a tag to every event, named as given (no prefix). Adds to earlier calls; a label
    /// tag of the same name wins. Default: none.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.static_tags.push((key.into(), value.into()));
        self
    }

    /// The level of every event. Default [`Level::Error`].
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Whether the fingerprint is `["{{ default }}", source]`, so that the same error seen by
    /// two functions makes two Sentry issues (a timeout in `create_issue` is not one in
    /// `fetch_user`). Default `true`; `false` leaves grouping to Sentry.
    pub fn with_group_by_source(mut self, group_by_source: bool) -> Self {
        self.group_by_source = group_by_source;
        self
    }

    /// Whether the event's transaction is the source, in place of your scope's transaction
    /// (for programs with no other transaction name, such as batch jobs). Only the event is
    /// changed: a running performance transaction keeps its name. Default `false`.
    pub fn with_source_as_transaction(mut self, source_as_transaction: bool) -> Self {
        self.source_as_transaction = source_as_transaction;
        self
    }

    fn sends_label(&self, name: &str) -> bool {
        self.only_labels
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| n == name))
            && !self.except_labels.iter().any(|n| n == name)
    }

    fn tag_name(&self, name: &str) -> String {
        let mut tag = String::with_capacity(self.tag_prefix.len() + name.len());
        tag.push_str(&self.tag_prefix);
        tag.push_str(name);
        tag
    }

    /// The event without what the scope adds.
    fn event(&self, vitals_event: &ErrorEvent<'_>) -> Event<'static> {
        let source = vitals_event.source();
        let mut event = match vitals_event.error() {
            ErrorRef::Error(error) => event::from_error(error, CONTEXT),
            ErrorRef::Message(message) => event::from_message(message),
            // A kind added later: its text is what can always be said of it.
            other => event::from_message(&other),
        };
        event.logger = Some(String::from(CONTEXT));
        if self.group_by_source {
            event.fingerprint = vec!["{{ default }}".into(), source.to_owned().into()].into();
        }
        if self.source_as_transaction {
            // On the event, not the scope: Scope::set_transaction would also rename the
            // user's running performance transaction.
            event.transaction = Some(source.to_owned());
        }
        event
    }

    fn configure(&self, scope: &mut Scope, vitals_event: &ErrorEvent<'_>) {
        scope.set_level(Some(self.level));
        for (key, value) in &self.static_tags {
            scope.set_tag(key, value);
        }
        let mut labels = sentry::protocol::value::Map::new();
        for &(name, value) in vitals_event.labels() {
            if self.sends_label(name) {
                scope.set_tag(&self.tag_name(name), value);
                labels.insert(name.to_owned(), Value::from(value));
            }
        }
        // After the labels: a label named `source` does not hide what saw the error.
        scope.set_tag(&self.tag_name("source"), vitals_event.source());

        let mut context = Map::new();
        context.insert(String::from("source"), Value::from(vitals_event.source()));
        context.insert(String::from("labels"), Value::Object(labels));
        scope.set_context(CONTEXT, Context::Other(context));
    }
}

impl ErrorSink for SentrySink {
    fn report(&self, vitals_event: &ErrorEvent<'_>) {
        // Nothing is built unless a client is bound (and not already inside this hub's
        // client, which a sink reached from `before_send` would be).
        Hub::with_active(|hub| {
            let event = self.event(vitals_event);
            hub.with_scope(
                |scope| self.configure(scope, vitals_event),
                || hub.capture_event(event),
            );
        });
    }
}
