//! One run of a scheme: the pipeline and the ledger protocol.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use ferry_connectors::{SinkContext, SourceContext};
use ferry_core::connector::{ConnectorError, ErrorClass, OutModel, Page, Sink, TargetRef, WriteOutcome};
use ferry_core::hash::content_hash;
use ferry_core::mapping::expr::{json_key_text, text_of};
use ferry_core::mapping::{Mapped, Scope, Tables};
use ferry_core::scheme::{Scheme, TargetSpec};
use ferry_store::{LedgerEntry, LedgerFilter, LedgerState, RunCounts, RunKind, RunStatus};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::budget::StoreBudget;
use crate::decide::{Decision, SkipReason, decide};
use crate::{Engine, EngineError, Job, Progress, RunReport};

/// How many failures a report lists.
const REPORT_FAILURES: usize = 20;
/// How many warnings a report keeps.
const REPORT_WARNINGS: usize = 50;
/// Records a retry checks against the ledger at a time (a "page" of the ledger).
const RETRY_CHUNK: usize = 200;

/// Which ledger records [`Engine::retry`] writes again.
#[derive(Debug, Clone)]
pub struct RetrySelector {
    /// Only this record key (for every target where it is in one of `states`).
    pub key: Option<String>,
    /// The states to write again: `failed` and `dead` by default.
    pub states: Vec<LedgerState>,
}

impl Default for RetrySelector {
    fn default() -> Self {
        RetrySelector { key: None, states: vec![LedgerState::Failed, LedgerState::Dead] }
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A record mapped for one target, waiting in that target's batch.
struct Pending {
    entry: LedgerEntry,
    model: OutModel,
    page: u64,
    /// The source record: stored in the ledger only if the write fails (for `ferry retry`).
    record: Arc<Value>,
}

struct TargetRun<'s> {
    spec: &'s TargetSpec,
    sink: Arc<dyn Sink>,
    batch: usize,
    pending: Vec<Pending>,
    /// Keys in `pending`: a key seen twice in one run is not written twice.
    pending_keys: HashSet<String>,
}

/// A record in a batch being written: its ledger row, its page, its source record.
type Settling = (LedgerEntry, u64, Arc<Value>);

/// A record of a page: key, content hash, the record, and whether `source.where` keeps it.
type CheckedRecord = (String, String, Arc<Value>, Result<bool, String>);

/// A fetched page whose checkpoint waits for its records to settle.
struct PageTrack {
    seq: u64,
    checkpoint: Value,
    outstanding: usize,
}

/// One record's result in a write.
enum ItemResult {
    Written(TargetRef),
    Failed(String),
    InDoubt(String),
}

/// What a preview shows for one record and target.
#[derive(Debug, Clone)]
pub struct PreviewItem {
    pub target: String,
    pub key: String,
    /// The mapped model, or why there is none.
    pub outcome: Result<Value, String>,
}

struct RunCtx<'a> {
    engine: &'a Engine,
    job: &'a Job<'a>,
    run_id: i64,
    counts: RunCounts,
    warnings: Vec<String>,
    failures: Vec<(String, String, String)>,
    progress: &'a dyn Progress,
    /// A retry by hand (`ferry retry`): `dead` records are written again too.
    retry: bool,
}

impl RunCtx<'_> {
    fn warn(&mut self, msg: String) {
        tracing::warn!(scheme = self.job.id, "{msg}");
        self.progress.warn(&msg);
        if self.warnings.len() < REPORT_WARNINGS {
            self.warnings.push(msg);
        }
    }
    fn failed(&mut self, target: &str, key: &str, msg: &str) {
        self.counts.failed += 1;
        if self.failures.len() < REPORT_FAILURES {
            self.failures.push((target.to_owned(), key.to_owned(), msg.to_owned()));
        }
    }
    fn entry(&self, target: &str, key: &str, hash: &str, prev: Option<&LedgerEntry>) -> LedgerEntry {
        let now = now_ms();
        LedgerEntry {
            scheme: self.job.id.to_owned(),
            target: target.to_owned(),
            key: key.to_owned(),
            hash: hash.to_owned(),
            state: LedgerState::New,
            idem_key: prev.and_then(|p| p.idem_key.clone()),
            target_id: prev.and_then(|p| p.target_id.clone()),
            target_number: prev.and_then(|p| p.target_number.clone()),
            attempts: prev.map_or(0, |p| p.attempts),
            last_error: None,
            run_id: Some(self.run_id),
            created_at: prev.map_or(now, |p| p.created_at),
            updated_at: now,
            payload: None,
        }
    }
}

/// The record's key as text, or why it has none.
pub(crate) fn record_key(scheme: &Scheme, record: &Arc<Value>, tables: &Arc<Tables>) -> Result<String, String> {
    let scope = Scope::root(record, tables);
    let v = scheme.source.key.eval(&scope).map_err(|e| e.to_string())?;
    let k = json_key_text(&v).unwrap_or_else(|| text_of(&v));
    if k.is_empty() {
        return Err(format!("the record has no key ('{}' is empty)", scheme.source.key_text));
    }
    Ok(k)
}

fn passes_source(scheme: &Scheme, record: &Arc<Value>, tables: &Arc<Tables>) -> Result<bool, String> {
    match &scheme.source.filter {
        None => Ok(true),
        Some(f) => f.test(&Scope::root(record, tables)).map_err(|e| format!("source.where: {}", e.0)),
    }
}

impl Engine {
    /// Run a scheme to the end of its source (or a fatal error). Record failures do not fail the
    /// run: they are in the ledger and in the report.
    pub async fn run(&self, job: &Job<'_>, progress: &dyn Progress) -> Result<RunReport, EngineError> {
        self.execute(job, None, progress).await
    }

    /// Write failed records again after their cause was fixed (`ferry retry`): the records the
    /// selector picks are mapped afresh from the source record the ledger kept when their write
    /// failed, and written through the same batches, in-flight marking and reconciliation as a
    /// run. `dead` records are included. The source is not read and no checkpoint moves.
    /// `counts.fetched` is the number of records taken from the ledger.
    pub async fn retry(&self, job: &Job<'_>, selector: &RetrySelector, progress: &dyn Progress) -> Result<RunReport, EngineError> {
        self.execute(job, Some(selector), progress).await
    }

    async fn execute(&self, job: &Job<'_>, retry: Option<&RetrySelector>, progress: &dyn Progress) -> Result<RunReport, EngineError> {
        let started = Instant::now();
        self.store.upsert_scheme(job.id, job.definition).await?;
        let kind = if retry.is_some() { RunKind::Retry } else { RunKind::Run };
        let run_id = self.store.start_run(job.id, kind).await?;
        let mut ctx = RunCtx { engine: self, job, run_id, counts: RunCounts::default(), warnings: Vec::new(), failures: Vec::new(), progress, retry: retry.is_some() };
        let result = match retry {
            None => self.run_inner(&mut ctx).await,
            Some(sel) => self.retry_inner(&mut ctx, sel).await,
        };
        let (status, error) = match &result {
            Ok(()) if ctx.counts.failed > 0 => (RunStatus::Partial, None),
            Ok(()) => (RunStatus::Succeeded, None),
            Err(EngineError::Connector { error, .. }) if error.class == ErrorClass::Quota => {
                (RunStatus::QuotaExhausted, Some(result.as_ref().err().map(ToString::to_string).unwrap_or_default()))
            }
            Err(e) => (RunStatus::Failed, Some(e.to_string())),
        };
        self.store.finish_run(run_id, status, &ctx.counts, error.as_deref()).await?;
        tracing::info!(scheme = job.id, run_id, status = status.as_str(), fetched = ctx.counts.fetched, written = ctx.counts.written, failed = ctx.counts.failed, "run finished");
        Ok(RunReport {
            run_id,
            status,
            counts: ctx.counts,
            elapsed: started.elapsed(),
            warnings: ctx.warnings,
            failures: ctx.failures,
            error,
        })
    }

    async fn run_inner(&self, ctx: &mut RunCtx<'_>) -> Result<(), EngineError> {
        let job = ctx.job;
        let scheme = job.scheme;
        let tables = crate::tables::load(scheme, job.base_dir, self).await.map_err(|e| EngineError::Config(e.to_string()))?;
        let budget = self.budget();
        let mut targets = self.open_targets(ctx, &budget).await?;

        // The source, fetching ahead in its own task.
        let conn = self.connection(&scheme.source.connection).await?;
        let resume = self.store.load_checkpoint(job.id).await?;
        let source_conn = scheme.source.connection.clone();
        let mut source = conn
            .source(SourceContext { spec: &scheme.source, resume, budget: budget.clone(), base_dir: job.base_dir.to_path_buf(), now: jiff::Timestamp::now() })
            .await
            .map_err(|error| EngineError::Connector { connection: source_conn.clone(), error })?;
        // One page waits while the next is fetched and the current one is processed: fetching
        // overlaps writing, and memory holds three pages at most.
        let (tx, mut rx) = mpsc::channel::<Result<Page, ConnectorError>>(1);
        let settings = self.settings.clone();
        let fetcher = tokio::spawn(async move {
            let mut attempt = 0;
            loop {
                match source.next_page().await {
                    Ok(Some(p)) => {
                        attempt = 0;
                        if tx.send(Ok(p)).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) if e.class.is_retryable() && attempt < settings.retries => {
                        let wait = e.retry_after.unwrap_or_else(|| ferry_connectors::limit::backoff(attempt, settings.retry_base, settings.retry_max));
                        tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %e, "page fetch failed; retrying");
                        attempt += 1;
                        tokio::time::sleep(wait).await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
        });

        let mut pages: VecDeque<PageTrack> = VecDeque::new();
        let mut seq = 0u64;
        let mut outcome = Ok(());
        while let Some(msg) = rx.recv().await {
            let page = match msg {
                Ok(p) => p,
                Err(error) => {
                    outcome = Err(EngineError::Connector { connection: source_conn.clone(), error });
                    break;
                }
            };
            seq += 1;
            for w in &page.warnings {
                ctx.warn(format!("source: {w}"));
            }
            let outstanding = self.process_page(ctx, scheme, &tables, &mut targets, page.records, seq).await?;
            pages.push_back(PageTrack { seq, checkpoint: page.checkpoint, outstanding });
            // Write every full batch now: memory holds at most one partial batch per target.
            for t in targets.iter_mut() {
                while t.pending.len() >= t.batch {
                    self.flush(ctx, t, &mut pages).await?;
                }
            }
            self.commit_settled(job.id, &mut pages).await?;
            ctx.progress.update(&ctx.counts);
        }
        fetcher.abort();
        // Whatever is still batched is written even when the source stopped with an error: those
        // records were fetched and checked, and their checkpoint may then be committed.
        for t in targets.iter_mut() {
            while !t.pending.is_empty() {
                self.flush(ctx, t, &mut pages).await?;
            }
        }
        self.commit_settled(job.id, &mut pages).await?;
        ctx.progress.update(&ctx.counts);
        outcome
    }

    /// Open every target's sink, then settle what an earlier run left unresolved: rows still
    /// `in_flight` (it died mid-write) become `in_doubt`, and every `in_doubt` row is checked
    /// against the target before anything else is written.
    async fn open_targets<'s>(&self, ctx: &mut RunCtx<'s>, budget: &Arc<StoreBudget>) -> Result<Vec<TargetRun<'s>>, EngineError> {
        let job = ctx.job;
        let mut targets = Vec::with_capacity(job.scheme.targets.len());
        for spec in &job.scheme.targets {
            let conn = self.connection(&spec.connection).await?;
            let sink = conn
                .sink(SinkContext { spec, budget: budget.clone(), base_dir: job.base_dir.to_path_buf() })
                .await
                .map_err(|error| EngineError::Connector { connection: spec.connection.clone(), error })?;
            let batch = spec.batch.min(sink.max_batch()).max(1);
            targets.push(TargetRun { spec, sink, batch, pending: Vec::new(), pending_keys: HashSet::new() });
        }
        let n = self.store.ledger_in_flight_to_in_doubt(job.id).await?;
        if n > 0 {
            ctx.warn(format!("{n} record(s) were being written when an earlier run stopped; asking the target about them"));
        }
        for t in &targets {
            self.reconcile_in_doubt(ctx, t).await?;
        }
        Ok(targets)
    }

    /// The body of [`Engine::retry`].
    async fn retry_inner(&self, ctx: &mut RunCtx<'_>, sel: &RetrySelector) -> Result<(), EngineError> {
        let job = ctx.job;
        let scheme = job.scheme;
        let tables = crate::tables::load(scheme, job.base_dir, self).await.map_err(|e| EngineError::Config(e.to_string()))?;
        let budget = self.budget();
        let mut targets = self.open_targets(ctx, &budget).await?;

        // The selected rows of every target, by key; one stored source record per key.
        let mut chosen: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut found_any = false;
        for t in &targets {
            let mut rows = Vec::new();
            match &sel.key {
                Some(k) => {
                    rows = self.store.ledger_get(job.id, &t.spec.name, std::slice::from_ref(k)).await?;
                    found_any |= !rows.is_empty();
                    rows.retain(|r| sel.states.contains(&r.state));
                }
                None => {
                    for &state in &sel.states {
                        let filter = LedgerFilter { scheme: job.id.to_owned(), target: Some(t.spec.name.clone()), state: Some(state), key: None, limit: 0, offset: 0 };
                        rows.extend(self.store.ledger_list(&filter).await?);
                    }
                }
            }
            for r in rows {
                let slot = chosen.entry(r.key).or_default();
                if slot.is_none() {
                    *slot = r.payload;
                }
            }
        }
        if let Some(k) = &sel.key {
            if !found_any {
                return Err(EngineError::Config(format!("the ledger has no record '{k}'")));
            }
            if chosen.is_empty() {
                let states: Vec<&str> = sel.states.iter().map(|s| s.as_str()).collect();
                ctx.warn(format!("'{k}' is not {} for any target: nothing to write again", states.join(" or ")));
            }
        }

        let mut records = Vec::with_capacity(chosen.len());
        for (key, payload) in chosen {
            match payload.as_deref().map(serde_json::from_str::<Value>) {
                Some(Ok(v)) => records.push(v),
                _ => {
                    ctx.counts.skipped += 1;
                    ctx.warn(format!("'{key}': the ledger holds no source record for it (it failed before Ferry kept them); it is written again when the source returns it"));
                }
            }
        }

        // Through the same ledger check, mapping, batches and write protocol as a run.
        let mut pages: VecDeque<PageTrack> = VecDeque::new();
        let mut seq = 0u64;
        let mut rest = records.into_iter().peekable();
        while rest.peek().is_some() {
            seq += 1;
            let chunk: Vec<Value> = rest.by_ref().take(RETRY_CHUNK).collect();
            let outstanding = self.process_page(ctx, scheme, &tables, &mut targets, chunk, seq).await?;
            pages.push_back(PageTrack { seq, checkpoint: Value::Null, outstanding });
            for t in targets.iter_mut() {
                while t.pending.len() >= t.batch {
                    self.flush(ctx, t, &mut pages).await?;
                }
            }
            ctx.progress.update(&ctx.counts);
        }
        for t in targets.iter_mut() {
            while !t.pending.is_empty() {
                self.flush(ctx, t, &mut pages).await?;
            }
        }
        ctx.progress.update(&ctx.counts);
        Ok(())
    }

    /// Commit the checkpoint of the longest prefix of pages whose records are all settled.
    async fn commit_settled(&self, id: &str, pages: &mut VecDeque<PageTrack>) -> Result<(), EngineError> {
        let mut last = None;
        while pages.front().is_some_and(|p| p.outstanding == 0) {
            last = pages.pop_front();
        }
        if let Some(p) = last {
            self.store.save_checkpoint(id, &p.checkpoint).await?;
            tracing::debug!(page = p.seq, "checkpoint committed");
        }
        Ok(())
    }

    /// Check and map one page; returns how many of its records wait in batches.
    async fn process_page(
        &self,
        ctx: &mut RunCtx<'_>,
        scheme: &Scheme,
        tables: &Arc<Tables>,
        targets: &mut [TargetRun<'_>],
        records: Vec<Value>,
        seq: u64,
    ) -> Result<usize, EngineError> {
        ctx.counts.fetched += records.len() as u64;
        // Key, hash and source filter of each record.
        let mut rows: Vec<CheckedRecord> = Vec::with_capacity(records.len());
        let mut seen = HashSet::with_capacity(records.len());
        for (i, r) in records.into_iter().enumerate() {
            let record = Arc::new(r);
            let key = match record_key(scheme, &record, tables) {
                Ok(k) => k,
                Err(msg) => {
                    let msg = format!("page {seq}, record {}: {msg}", i + 1);
                    ctx.failed("*", "", &msg);
                    ctx.warn(msg);
                    continue;
                }
            };
            if !seen.insert(key.clone()) {
                ctx.warn(format!("key '{key}' came twice in one page; the second copy is ignored"));
                continue;
            }
            let hash = content_hash(&record);
            let pass = passes_source(scheme, &record, tables);
            rows.push((key, hash, record, pass));
        }
        let keys: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let mut outstanding = 0;
        let mut settled: Vec<LedgerEntry> = Vec::new();
        for t in targets.iter_mut() {
            let existing: HashMap<String, LedgerEntry> =
                self.store.ledger_get(ctx.job.id, &t.spec.name, &keys).await?.into_iter().map(|e| (e.key.clone(), e)).collect();
            for (key, hash, record, pass) in &rows {
                let prev = existing.get(key);
                if t.pending_keys.contains(key) {
                    ctx.counts.skipped += 1;
                    continue;
                }
                let passes = match pass {
                    Ok(p) => *p,
                    Err(msg) => {
                        let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                        e.attempts += 1;
                        e.payload = payload_of(record);
                        fail_entry(&mut e, msg.clone(), ctx.engine.settings.max_attempts);
                        ctx.failed(&t.spec.name, key, msg);
                        settled.push(e);
                        continue;
                    }
                };
                let passes = passes
                    && match &t.spec.filter {
                        None => true,
                        Some(f) => match f.test(&Scope::root(record, tables)) {
                            Ok(b) => b,
                            Err(err) => {
                                let msg = format!("targets.{}.where: {}", t.spec.name, err.0);
                                let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                                e.attempts += 1;
                                e.payload = payload_of(record);
                        fail_entry(&mut e, msg.clone(), ctx.engine.settings.max_attempts);
                                ctx.failed(&t.spec.name, key, &msg);
                                settled.push(e);
                                continue;
                            }
                        },
                    };
                let decision = match prev {
                    // `ferry retry` re-pushes dead records by hand.
                    Some(p) if ctx.retry && p.state == LedgerState::Dead => {
                        if passes { Decision::Write } else { Decision::Filter }
                    }
                    _ => decide(prev, hash, passes, t.spec.on_change),
                };
                if decision == Decision::FailChanged {
                    let number = prev.and_then(|p| p.target_number.clone().or(p.idem_key.clone())).unwrap_or_default();
                    let msg = format!("changed in the source after it was written as {number} (on_change: fail)");
                    let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                    e.attempts += 1;
                    fail_entry(&mut e, msg.clone(), ctx.engine.settings.max_attempts);
                    ctx.failed(&t.spec.name, key, &msg);
                    settled.push(e);
                    continue;
                }
                let replaces = (decision == Decision::Update)
                    .then(|| prev.map(|p| TargetRef { target_id: p.target_id.clone(), number: p.target_number.clone() }))
                    .flatten();
                match decision {
                    Decision::FailChanged => {}
                    Decision::Skip(reason) => {
                        match reason {
                            SkipReason::StillFiltered => ctx.counts.filtered += 1,
                            SkipReason::ChangedAfterWrite => {
                                ctx.counts.skipped += 1;
                                let number = prev.and_then(|p| p.target_number.clone().or(p.idem_key.clone())).unwrap_or_default();
                                ctx.warn(format!(
                                    "{}: '{key}' changed in the source after it was written as {number}; kept the written version (policy: skip)",
                                    t.spec.name
                                ));
                            }
                            _ => ctx.counts.skipped += 1,
                        }
                    }
                    Decision::Filter => {
                        let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                        e.state = LedgerState::Filtered;
                        settled.push(e);
                        ctx.counts.filtered += 1;
                    }
                    Decision::Write | Decision::Update => match t.spec.mapping.apply(record, tables) {
                        Ok(Mapped::Skipped) => {
                            let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                            e.state = LedgerState::Filtered;
                            e.last_error = Some(format!("targets.{}.skip_when held", t.spec.name));
                            settled.push(e);
                            ctx.counts.filtered += 1;
                        }
                        Ok(Mapped::Model(payload)) => {
                            let idem = t.spec.idempotency.as_ref().and_then(|f| payload.get(f)).and_then(json_key_text);
                            if t.spec.idempotency.is_some() && idem.as_deref().is_none_or(str::is_empty) {
                                let msg = format!("targets.{}.mapping.{}: the idempotency key is empty", t.spec.name, t.spec.idempotency.as_deref().unwrap_or(""));
                                let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                                e.attempts += 1;
                                e.payload = payload_of(record);
                                fail_entry(&mut e, msg.clone(), ctx.engine.settings.max_attempts);
                                ctx.failed(&t.spec.name, key, &msg);
                                settled.push(e);
                                continue;
                            }
                            let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                            e.idem_key = idem.clone();
                            // A record that failed before keeps its stored source record while it is
                            // in flight: a crash during `ferry retry` must not lose it.
                            if prev.is_some_and(|p| p.payload.is_some()) {
                                e.payload = payload_of(record);
                            }
                            t.pending_keys.insert(key.clone());
                            t.pending.push(Pending { entry: e, model: OutModel { key: key.clone(), idem, payload, replaces }, page: seq, record: record.clone() });
                            outstanding += 1;
                        }
                        Err(err) => {
                            let msg = format!("record {key}: {err}");
                            let mut e = ctx.entry(&t.spec.name, key, hash, prev);
                            e.attempts += 1;
                            e.payload = payload_of(record);
                            fail_entry(&mut e, msg.clone(), ctx.engine.settings.max_attempts);
                            ctx.failed(&t.spec.name, key, &msg);
                            settled.push(e);
                        }
                    },
                }
            }
        }
        if !settled.is_empty() {
            self.store.ledger_put(&settled).await?;
        }
        Ok(outstanding)
    }

    /// Write one batch of a target: mark in flight, send, record each result.
    async fn flush(&self, ctx: &mut RunCtx<'_>, t: &mut TargetRun<'_>, pages: &mut VecDeque<PageTrack>) -> Result<(), EngineError> {
        let n = t.pending.len().min(t.batch);
        // The models go to the sink; the ledger rows, pages and source records stay here.
        let (models, mut items): (Vec<OutModel>, Vec<Settling>) =
            t.pending.drain(..n).map(|p| (p.model, (p.entry, p.page, p.record))).unzip();
        let now = now_ms();
        for (e, _, _) in items.iter_mut() {
            t.pending_keys.remove(&e.key);
            e.state = LedgerState::InFlight;
            e.attempts += 1;
            e.run_id = Some(ctx.run_id);
            e.updated_at = now;
        }
        let marked: Vec<LedgerEntry> = items.iter().map(|(e, _, _)| e.clone()).collect();
        self.store.ledger_put(&marked).await?;

        let (results, fatal) = self.write_with_retry(&*t.sink, &models).await;

        let now = now_ms();
        let max = self.settings.max_attempts;
        for ((e, _, record), res) in items.iter_mut().zip(results) {
            e.updated_at = now;
            match res {
                ItemResult::Written(r) => {
                    e.state = LedgerState::Written;
                    e.target_id = r.target_id;
                    e.target_number = r.number.or_else(|| e.idem_key.clone());
                    e.last_error = None;
                    e.payload = None;
                    ctx.counts.written += 1;
                }
                ItemResult::Failed(msg) => {
                    fail_entry(e, msg.clone(), max);
                    if e.payload.is_none() {
                        e.payload = payload_of(record);
                    }
                    ctx.failed(&t.spec.name, &e.key, &msg);
                }
                ItemResult::InDoubt(msg) => {
                    e.state = LedgerState::InDoubt;
                    e.last_error = Some(msg.clone());
                    if e.payload.is_none() {
                        e.payload = payload_of(record);
                    }
                    ctx.failed(&t.spec.name, &e.key, &msg);
                }
            }
        }
        let entries: Vec<LedgerEntry> = items.iter().map(|(e, _, _)| e.clone()).collect();
        self.store.ledger_put(&entries).await?;
        for (_, page, _) in &items {
            if let Some(p) = pages.iter_mut().find(|p| p.seq == *page) {
                p.outstanding -= 1;
            }
        }
        ctx.progress.update(&ctx.counts);
        match fatal {
            Some(error) => Err(EngineError::Connector { connection: t.spec.connection.clone(), error }),
            None => Ok(()),
        }
    }

    /// Send a batch, retrying transient failures and reconciling in-doubt ones; never resends a
    /// model without first asking the target whether it already holds it.
    async fn write_with_retry(&self, sink: &dyn Sink, models: &[OutModel]) -> (Vec<ItemResult>, Option<ConnectorError>) {
        let mut results: Vec<Option<ItemResult>> = (0..models.len()).map(|_| None).collect();
        let mut todo: Vec<usize> = (0..models.len()).collect();
        let mut attempt = 0u32;
        let mut fatal = None;
        while !todo.is_empty() {
            // The first send is the whole batch as it is; only a resend of a subset copies models.
            let subset: Vec<OutModel>;
            let batch: &[OutModel] = if todo.len() == models.len() {
                models
            } else {
                subset = todo.iter().map(|&i| models[i].clone()).collect();
                &subset
            };
            match sink.write(batch).await {
                Ok(outs) if outs.len() == batch.len() => {
                    let mut dup: Vec<(usize, String, String)> = Vec::new();
                    for (&i, out) in todo.iter().zip(outs) {
                        results[i] = Some(match out {
                            WriteOutcome::Written { target_id, number } => ItemResult::Written(TargetRef { target_id, number }),
                            WriteOutcome::Failed { error, duplicate: true } => {
                                if let Some(k) = &models[i].idem {
                                    dup.push((i, k.clone(), error.message.clone()));
                                }
                                ItemResult::Failed(error.message)
                            }
                            // The target could not say whether this model was applied: ask it.
                            WriteOutcome::Failed { error, .. } if error.class == ErrorClass::Unknown => {
                                if let Some(k) = &models[i].idem {
                                    dup.push((i, k.clone(), error.message.clone()));
                                }
                                ItemResult::InDoubt(error.message)
                            }
                            WriteOutcome::Failed { error, .. } => ItemResult::Failed(error.message),
                        });
                    }
                    // "Already exists" (written by us earlier, or a number clash) and "outcome unknown":
                    // the target's own records decide.
                    if !dup.is_empty() {
                        let keys: Vec<String> = dup.iter().map(|d| d.1.clone()).collect();
                        match self.lookup_chunked(sink, &keys).await {
                            Ok(found) => {
                                for (i, k, msg) in dup {
                                    results[i] = Some(match found.get(&k) {
                                        Some(r) => ItemResult::Written(r.clone()),
                                        None => ItemResult::Failed(msg),
                                    });
                                }
                            }
                            Err(e) => {
                                for (i, _, msg) in dup {
                                    results[i] = Some(ItemResult::InDoubt(format!("{msg}; and asking the target failed: {e}")));
                                }
                            }
                        }
                    }
                    todo.clear();
                }
                Ok(outs) => {
                    let msg = format!("the target answered {} results for {} models", outs.len(), batch.len());
                    for &i in &todo {
                        results[i] = Some(ItemResult::InDoubt(msg.clone()));
                    }
                    todo.clear();
                }
                Err(e) if e.class == ErrorClass::Transient && attempt < self.settings.retries => {
                    let wait = e.retry_after.unwrap_or_else(|| ferry_connectors::limit::backoff(attempt, self.settings.retry_base, self.settings.retry_max));
                    tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %e, "batch write failed before it was sent; retrying");
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                Err(e) if e.class == ErrorClass::Unknown => {
                    // The batch may or may not have been applied: ask before resending anything.
                    tracing::warn!(error = %e, "batch write outcome unknown; reconciling");
                    let keyed: Vec<usize> = todo.iter().copied().filter(|&i| models[i].idem.is_some()).collect();
                    for &i in todo.iter().filter(|&&i| models[i].idem.is_none()) {
                        results[i] = Some(ItemResult::InDoubt(format!("{}; this target has no idempotency key to check", e.message)));
                    }
                    let keys: Vec<String> = keyed.iter().filter_map(|&i| models[i].idem.clone()).collect();
                    match self.lookup_chunked(sink, &keys).await {
                        Ok(found) => {
                            let mut again = Vec::new();
                            for i in keyed {
                                match models[i].idem.as_ref().and_then(|k| found.get(k)) {
                                    Some(r) => results[i] = Some(ItemResult::Written(r.clone())),
                                    None => again.push(i),
                                }
                            }
                            if attempt < self.settings.retries {
                                attempt += 1;
                                todo = again;
                            } else {
                                for i in again {
                                    results[i] = Some(ItemResult::Failed(format!("{} (not found in the target after {attempt} tries)", e.message)));
                                }
                                todo.clear();
                            }
                        }
                        Err(le) => {
                            for i in keyed {
                                results[i] = Some(ItemResult::InDoubt(format!("{}; and asking the target failed: {le}", e.message)));
                            }
                            todo.clear();
                        }
                    }
                }
                Err(e) if e.class == ErrorClass::Business => {
                    for &i in &todo {
                        results[i] = Some(ItemResult::Failed(e.message.clone()));
                    }
                    todo.clear();
                }
                Err(e) => {
                    // Auth, quota, config, or transient retries exhausted: nothing was applied; stop the run.
                    for &i in &todo {
                        results[i] = Some(ItemResult::Failed(e.message.clone()));
                    }
                    todo.clear();
                    fatal = Some(e);
                }
            }
        }
        (results.into_iter().map(|r| r.unwrap_or_else(|| ItemResult::InDoubt("no result".into()))).collect(), fatal)
    }

    async fn lookup_chunked(&self, sink: &dyn Sink, keys: &[String]) -> Result<HashMap<String, TargetRef>, ConnectorError> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(self.settings.lookup_chunk.max(1)) {
            let mut attempt = 0;
            loop {
                match sink.lookup(chunk).await {
                    Ok(m) => {
                        found.extend(m);
                        break;
                    }
                    Err(e) if e.class.is_retryable() && attempt < self.settings.retries => {
                        tokio::time::sleep(ferry_connectors::limit::backoff(attempt, self.settings.retry_base, self.settings.retry_max)).await;
                        attempt += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(found)
    }

    /// Ask the target about every in-doubt record of one target: found → written; not found →
    /// failed (written again when the source returns it or on `ferry retry`).
    async fn reconcile_in_doubt(&self, ctx: &mut RunCtx<'_>, t: &TargetRun<'_>) -> Result<(), EngineError> {
        let rows = self
            .store
            .ledger_list(&LedgerFilter { scheme: ctx.job.id.to_owned(), target: Some(t.spec.name.clone()), state: Some(LedgerState::InDoubt), key: None, limit: 0, offset: 0 })
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = rows.iter().filter_map(|r| r.idem_key.clone()).collect();
        let found = match self.lookup_chunked(&*t.sink, &keys).await {
            Ok(f) => f,
            Err(e) => {
                ctx.warn(format!("{}: {} record(s) stay in doubt: asking the target failed: {e}", t.spec.name, rows.len()));
                return Ok(());
            }
        };
        let now = now_ms();
        let mut settled = Vec::new();
        let (mut written, mut missing) = (0, 0);
        for mut r in rows {
            let Some(k) = r.idem_key.clone() else { continue };
            r.updated_at = now;
            r.run_id = Some(ctx.run_id);
            match found.get(&k) {
                Some(tr) => {
                    r.state = LedgerState::Written;
                    r.target_id = tr.target_id.clone();
                    r.target_number = tr.number.clone().or(Some(k));
                    r.last_error = None;
                    r.payload = None;
                    written += 1;
                }
                None => {
                    r.state = LedgerState::Failed;
                    r.last_error = Some("an earlier write was interrupted and the target does not hold it: it will be written again".into());
                    missing += 1;
                }
            }
            settled.push(r);
        }
        self.store.ledger_put(&settled).await?;
        ctx.warn(format!("{}: reconciled in-doubt records: {written} found in the target (written), {missing} not found (to write again)", t.spec.name));
        Ok(())
    }

    /// Fetch, check and map without writing anything: what a run would send.
    pub async fn preview(&self, job: &Job<'_>, limit: usize) -> Result<(Vec<PreviewItem>, Vec<String>), EngineError> {
        let scheme = job.scheme;
        let tables = crate::tables::load(scheme, job.base_dir, self).await.map_err(|e| EngineError::Config(e.to_string()))?;
        let budget = self.budget();
        let conn = self.connection(&scheme.source.connection).await?;
        let mut source = conn
            .source(SourceContext { spec: &scheme.source, resume: None, budget, base_dir: job.base_dir.to_path_buf(), now: jiff::Timestamp::now() })
            .await
            .map_err(|error| EngineError::Connector { connection: scheme.source.connection.clone(), error })?;
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        let mut seen = 0usize;
        'pages: while let Some(page) = source.next_page().await.map_err(|error| EngineError::Connector { connection: scheme.source.connection.clone(), error })? {
            warnings.extend(page.warnings);
            for r in page.records {
                if seen >= limit {
                    break 'pages;
                }
                seen += 1;
                let record = Arc::new(r);
                let key = match record_key(scheme, &record, &tables) {
                    Ok(k) => k,
                    Err(e) => {
                        out.push(PreviewItem { target: "*".into(), key: String::new(), outcome: Err(e) });
                        continue;
                    }
                };
                let pass = passes_source(scheme, &record, &tables);
                for t in &scheme.targets {
                    let outcome = match &pass {
                        Err(e) => Err(e.clone()),
                        Ok(false) => Err("filtered by source.where".into()),
                        Ok(true) => match t.filter.as_ref().map(|f| f.test(&Scope::root(&record, &tables))) {
                            Some(Ok(false)) => Err(format!("filtered by targets.{}.where", t.name)),
                            Some(Err(e)) => Err(format!("targets.{}.where: {}", t.name, e.0)),
                            _ => match t.mapping.apply(&record, &tables) {
                                Ok(Mapped::Model(v)) => Ok(v),
                                Ok(Mapped::Skipped) => Err(format!("skipped by targets.{}.skip_when", t.name)),
                                Err(e) => Err(e.to_string()),
                            },
                        },
                    };
                    out.push(PreviewItem { target: t.name.clone(), key: key.clone(), outcome });
                }
            }
        }
        Ok((out, warnings))
    }
}

/// A source record as the ledger stores it for a later `ferry retry`.
fn payload_of(record: &Value) -> Option<String> {
    serde_json::to_string(record).ok()
}

fn fail_entry(e: &mut LedgerEntry, msg: String, max_attempts: u32) {
    e.last_error = Some(msg);
    e.state = if e.attempts >= max_attempts { LedgerState::Dead } else { LedgerState::Failed };
}
