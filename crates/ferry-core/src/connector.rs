//! The contract between the engine and every connector: [`Source`] pages records out of a system,
//! [`Sink`] writes target models into one. Pure trait definitions and plain data; no IO here.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

/// How a failure should be treated. Every connector classifies its own errors into these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Network trouble, 5xx, throttling, a lost session: retry with backoff.
    Transient,
    /// Credentials or signature refused: retrying cannot help; stop the run.
    Auth,
    /// The call budget (daily quota) is used up: stop cleanly, resume from the checkpoint later.
    Quota,
    /// The target refused this record (validation, missing base data): fail the record, keep its message.
    Business,
    /// The request may or may not have taken effect (timeout after sending, dropped connection
    /// mid-response). Writes in this state are *in doubt* and must be reconciled before a resend.
    Unknown,
    /// A mistake in the configuration (bad params, unknown api). Not retried.
    Config,
}

impl ErrorClass {
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Transient)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Auth => "auth",
            ErrorClass::Quota => "quota",
            ErrorClass::Business => "business",
            ErrorClass::Unknown => "unknown",
            ErrorClass::Config => "config",
        }
    }
}

/// An error from a connector, already classified. `message` never contains a secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectorError {
    pub class: ErrorClass,
    /// The system's own message (e.g. Kingdee's or Jackyun's text), kept verbatim where there is one.
    pub message: String,
    /// The system's own code (Jackyun `subCode`, Kingdee `MsgCode`), when it gave one.
    pub code: Option<String>,
    /// How long the system asked us to wait before retrying, when it said.
    pub retry_after: Option<Duration>,
}

impl ConnectorError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        ConnectorError { class, message: message.into(), code: None, retry_after: None }
    }
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Transient, message)
    }
    pub fn business(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Business, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Config, message)
    }
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }
}

/// One page of source records plus the checkpoint that resumes *after* it.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub records: Vec<Value>,
    /// Opaque to the engine; handed back to the connector as `resume` on the next run.
    pub checkpoint: Value,
    /// Non-fatal remarks for the run log (e.g. "the same page came back twice; stopped").
    pub warnings: Vec<String>,
}

/// A paging reader over one source API.
#[async_trait::async_trait]
pub trait Source: Send {
    /// The next page, or `None` when the source is exhausted for this run.
    async fn next_page(&mut self) -> Result<Option<Page>, ConnectorError>;
}

/// One target model to write, with the identities the ledger needs.
#[derive(Debug, Clone)]
pub struct OutModel {
    /// The source record's key (ledger identity).
    pub key: String,
    /// The idempotency key the target itself stores (for Kingdee: `FBillNo`), if the target has one.
    pub idem: Option<String>,
    /// The mapped target payload.
    pub payload: Value,
    /// Set when this model is a new version of a record the target already holds (the scheme's
    /// `on_change: update`): the sink updates that document instead of creating one.
    pub replaces: Option<TargetRef>,
}

/// What became of one model in a write call.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// Written; the target's internal id and document number when it returned them.
    Written { target_id: Option<String>, number: Option<String> },
    /// Refused. `class` is Business for validation errors; Unknown when the target said the
    /// idempotency key already exists (the engine reconciles it instead of failing it).
    Failed { error: ConnectorError, duplicate: bool },
}

/// Where a reconciled idempotency key was found in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRef {
    pub target_id: Option<String>,
    pub number: Option<String>,
}

/// A writer into one target API.
#[async_trait::async_trait]
pub trait Sink: Send + Sync {
    /// Most models one write call may carry (the scheme's `batch` is capped to this).
    fn max_batch(&self) -> usize;

    /// Write a batch. `Ok` carries exactly one outcome per model, in order. `Err` means the
    /// whole call failed: `Transient` (nothing happened, safe to retry) or `Unknown` (in doubt).
    async fn write(&self, batch: &[OutModel]) -> Result<Vec<WriteOutcome>, ConnectorError>;

    /// Which of these idempotency keys does the target already hold? Used to reconcile in-doubt
    /// writes before anything is resent. `Err` with class `Config` means this target cannot be
    /// asked (no idempotency key support): in-doubt records then stay in doubt for a person.
    async fn lookup(&self, idem_keys: &[String]) -> Result<HashMap<String, TargetRef>, ConnectorError>;
}

/// Counts billed calls per method per day and refuses the call that would exceed a quota.
/// Implemented by the engine over the store; connectors call it before every billed request.
#[async_trait::async_trait]
pub trait CallBudget: Send + Sync {
    /// Record one call of `method` on `connection`. Errors with class `Quota` when the configured
    /// daily quota is already used up (the call must then not be made).
    async fn acquire(&self, connection: &str, method: &str) -> Result<(), ConnectorError>;
}

/// A budget that counts nothing and never refuses (tests, previews of file sources).
pub struct Unmetered;

#[async_trait::async_trait]
impl CallBudget for Unmetered {
    async fn acquire(&self, _connection: &str, _method: &str) -> Result<(), ConnectorError> {
        Ok(())
    }
}
