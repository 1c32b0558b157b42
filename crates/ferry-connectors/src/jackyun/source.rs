//! A Jackyun read API as a paging [`Source`]: the scheme's params, the incremental window cut into
//! slices, the pager within each slice, records located and normalized per the API's metadata,
//! and a checkpoint with every page.
//!
//! Every successful call yields one [`Page`] (possibly without records: it still moves the
//! checkpoint, so a run cut short by the quota never repeats the calls it already paid for). The
//! last page of a run carries a `done` checkpoint; after it, `next_page` returns `None`.
//! A failed call changes nothing: calling `next_page` again repeats the same request.

use std::sync::Arc;

use ferry_core::connector::{CallBudget, ConnectorError, Page, Source};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::checkpoint::Checkpoint;
use super::client::JackyunClient;
use super::config::JackyunSettings;
use super::envelope::Answer;
use super::metadata::{self, ApiSpec, Paging};
use super::normalize::{FieldTypes, normalize_record};
use super::paging::{Pager, PagerConfig};
use super::window::{Slice, Slicer, WindowSpec, format_beijing, parse_beijing};
use crate::SourceContext;

/// A paging reader over one Jackyun read API.
pub struct JackyunSource {
    client: Arc<JackyunClient>,
    api: &'static ApiSpec,
    budget: Arc<dyn CallBudget>,
    types: FieldTypes,
    params: Map<String, Value>,
    page_size: u64,
    window: Option<(WindowSpec, Slicer)>,
    /// The previous run's window end: a checkpoint never moves back before it.
    floor_end: Option<i64>,
    pager: Pager,
    warnings: Vec<String>,
    finished: bool,
    done_emitted: bool,
    calls: u64,
}

fn param_err(key: &str, msg: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::config(format!("source.params.{key}: {msg}"))
}

/// The scheme's `pageSize`, checked against the API's maximum.
fn page_size(api: &ApiSpec, params: &mut Map<String, Value>) -> Result<u64, ConnectorError> {
    let Some(v) = params.remove("pageSize") else { return Ok(u64::from(api.default_page_size)) };
    let n = match &v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= 1 && n <= u64::from(api.max_page_size) => Ok(n),
        Some(n) if n > u64::from(api.max_page_size) => Err(param_err(
            "pageSize",
            format!(
                "{n} is above {}, the largest page size known to work for {} (a gateway that silently serves fewer rows would end paging early and lose records)",
                api.max_page_size, api.method
            ),
        )),
        _ => Err(param_err("pageSize", format!("expected a whole number from 1 to {}, found {v}", api.max_page_size))),
    }
}

fn has(params: &Map<String, Value>, key: &str) -> bool {
    params.get(key).is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
}

impl JackyunSource {
    /// Checks the scheme's source against the API and positions the source at the checkpoint.
    pub fn open(client: Arc<JackyunClient>, settings: &JackyunSettings, ctx: SourceContext<'_>) -> Result<JackyunSource, ConnectorError> {
        let spec = ctx.spec;
        let api = metadata::spec(&spec.api).ok_or_else(|| {
            ConnectorError::config(format!(
                "source.api: jackyun has no read API '{}' (known: {})",
                spec.api,
                metadata::specs().iter().map(|s| s.method).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let mut params = spec.params.clone();
        for managed in api.managed_params() {
            if params.contains_key(managed) {
                let why = if managed == "pageIndex" {
                    "the connector pages by itself (the first page is the connection's page_base)"
                } else {
                    "the connector moves this cursor by itself"
                };
                return Err(param_err(managed, why));
            }
        }
        for required in api.required_params {
            if !has(&params, required) {
                return Err(param_err(required, format!("required by {}", api.method)));
            }
        }
        let page_size = page_size(api, &mut params)?;
        if let Paging::Scroll { param } = api.paging {
            // The scroll id is returned only when it is asked for (reference §5.6).
            if let Some(Value::String(fields)) = params.get_mut("fields")
                && !fields.split(',').any(|f| f.trim() == param)
            {
                fields.push(',');
                fields.push_str(param);
            }
        }
        let window = ctx.spec.window.as_ref().filter(|w| !w.is_null()).map(|w| WindowSpec::parse(w, api)).transpose()?;
        if let Some(w) = &window {
            for p in [&w.from, &w.to] {
                if params.contains_key(p.as_str()) {
                    return Err(param_err(p, "set by source.window on every request; remove it from params"));
                }
            }
        } else if let Some(unless) = api.window_required_unless {
            let fixed_window = api.windows.iter().any(|w| has(&params, w.from) && has(&params, w.to));
            if !fixed_window && !unless.iter().any(|k| has(&params, k)) {
                let first = api.windows[0];
                return Err(ConnectorError::config(format!(
                    "source.window: {} needs a time window, e.g. window: {{ from: {}, to: {}, lookback: 1h }}",
                    api.method, first.from, first.to
                )));
            }
        }

        let base = if api.paging == Paging::FlatUncertainBase { u64::from(settings.page_base) } else { 0 };
        let pager = Pager::new(PagerConfig {
            paging: api.paging,
            page_size,
            base,
            probe: settings.probe_page_base,
            max_pages: settings.max_pages,
            dedupe_key: if api.dedupe { api.key } else { None },
        });
        let mut src = JackyunSource {
            client,
            api,
            budget: ctx.budget.clone(),
            types: api.field_types(),
            params,
            page_size,
            window: None,
            floor_end: None,
            pager,
            warnings: Vec::new(),
            finished: false,
            done_emitted: false,
            calls: 0,
        };
        let now = ctx.now.as_second();
        let resume = ctx.resume.as_ref().map(|v| (Checkpoint::read(v), v));
        match window {
            Some(w) => src.position_window(w, resume.map(|(c, v)| (c, v.clone())), now),
            None => src.position_plain(resume.map(|(c, v)| (c, v.clone()))),
        }
        Ok(src)
    }

    fn ignore_checkpoint(&mut self, raw: &Value, why: &str) {
        self.warnings.push(format!("{}: the stored checkpoint {raw} was not used ({why}); starting afresh", self.api.method));
    }

    fn position_window(&mut self, w: WindowSpec, resume: Option<(Option<Checkpoint>, Value)>, now: i64) {
        let end = w.end_at(now);
        let fresh = |w: &WindowSpec| Slicer::new(w.first_start(end), end, w.span);
        let slicer = match resume {
            None => fresh(&w),
            Some((Some(cp), raw)) if cp.has_window() => {
                let t = |s: &Option<String>| s.as_deref().and_then(|s| parse_beijing(s).ok());
                match (cp.done, t(&cp.window_start), t(&cp.window_end), t(&cp.slice_start), t(&cp.slice_end)) {
                    (true, _, Some(last_end), _, _) => {
                        self.floor_end = Some(last_end);
                        Slicer::new(w.next_start(last_end), end, w.span)
                    }
                    (false, Some(ws), Some(we), Some(ss), Some(se)) if ss < se => {
                        if let Some(b) = cp.page_base {
                            self.pager.set_base(b);
                        }
                        self.pager.resume_at(cp.page.unwrap_or(0), cp.cursor.clone());
                        Slicer::resume(ws, Slice { start: ss, end: se }, end.max(we), w.span)
                    }
                    _ => {
                        self.ignore_checkpoint(&raw, "its times are unreadable");
                        fresh(&w)
                    }
                }
            }
            Some((_, raw)) => {
                self.ignore_checkpoint(&raw, "it is not a window checkpoint");
                fresh(&w)
            }
        };
        if slicer.current().is_none() {
            self.finished = true;
        }
        self.window = Some((w, slicer));
    }

    fn position_plain(&mut self, resume: Option<(Option<Checkpoint>, Value)>) {
        match resume {
            Some((Some(cp), _)) if !cp.done && !cp.has_window() => {
                if let Some(b) = cp.page_base {
                    self.pager.set_base(b);
                }
                self.pager.resume_at(cp.page.unwrap_or(0), cp.cursor.clone());
            }
            Some((Some(cp), _)) if cp.done && !cp.has_window() => {}
            Some((_, raw)) => self.ignore_checkpoint(&raw, "it is a window checkpoint, and the scheme has no window"),
            None => {}
        }
    }

    /// The business parameters of the next request.
    fn request(&self) -> Map<String, Value> {
        let mut biz = self.params.clone();
        if let Some((w, slicer)) = &self.window
            && let Some(slice) = slicer.current()
        {
            let (from, to) = slice.bounds();
            biz.insert(w.from.clone(), Value::String(from));
            biz.insert(w.to.clone(), Value::String(to));
        }
        biz.insert("pageIndex".into(), Value::from(self.pager.page_index()));
        biz.insert("pageSize".into(), Value::from(self.page_size));
        if let Some((param, cursor)) = self.pager.cursor_param() {
            biz.insert(param.into(), Value::String(cursor));
        }
        biz
    }

    /// Where the records are: `result.data.<node>`, or `result.data` itself when it is an array.
    fn records(&self, answer: Answer) -> Result<(Vec<Value>, Option<String>), ConnectorError> {
        let scroll = match self.api.paging {
            Paging::Scroll { param } => answer.data.get(param).and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        let rows = match answer.data {
            Value::Array(a) => a,
            Value::Null => Vec::new(),
            Value::Object(mut o) => {
                let node = self.api.data_node.and_then(|n| o.remove(n));
                match node {
                    Some(Value::Array(a)) => a,
                    Some(Value::Null) => Vec::new(),
                    Some(other) => {
                        return Err(ConnectorError::business(format!(
                            "{}: result.data.{} is not a list ({})",
                            self.api.method,
                            self.api.data_node.unwrap_or_default(),
                            kind(&other)
                        )));
                    }
                    None => {
                        // Not where the metadata says: take the one list there is, if any.
                        let mut lists: Vec<Vec<Value>> = o
                            .into_iter()
                            .filter_map(|(_, v)| match v {
                                Value::Array(a) if a.iter().all(Value::is_object) => Some(a),
                                _ => None,
                            })
                            .collect();
                        match lists.len() {
                            0 => Vec::new(),
                            1 => lists.pop().unwrap_or_default(),
                            _ => {
                                return Err(ConnectorError::business(format!(
                                    "{}: result.data has no '{}' and several lists; cannot tell where the records are",
                                    self.api.method,
                                    self.api.data_node.unwrap_or("records")
                                )));
                            }
                        }
                    }
                }
            }
            other => {
                return Err(ConnectorError::business(format!("{}: result.data is {}, not records", self.api.method, kind(&other))));
            }
        };
        Ok((rows, scroll))
    }

    fn checkpoint(&self) -> Value {
        let mut cp = Checkpoint { done: self.finished, ..Default::default() };
        if let Some((_, slicer)) = &self.window {
            let end = self.floor_end.map_or(slicer.window_end, |f| f.max(slicer.window_end));
            cp.window_start = Some(format_beijing(slicer.window_start.min(end)));
            cp.window_end = Some(format_beijing(end));
            if !self.finished
                && let Some(s) = slicer.current()
            {
                cp.slice_start = Some(format_beijing(s.start));
                cp.slice_end = Some(format_beijing(s.end));
            }
        }
        if !self.finished {
            let (page, cursor) = self.pager.position();
            cp.page = Some(page);
            cp.cursor = cursor;
            cp.page_base = Some(self.pager.base());
        }
        cp.to_value()
    }

    fn context(&self) -> String {
        match &self.window {
            Some((_, slicer)) => match slicer.current() {
                Some(s) => {
                    let (a, b) = s.bounds();
                    format!("{} [{a} – {b}]", self.api.method)
                }
                None => self.api.method.to_owned(),
            },
            None => self.api.method.to_owned(),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[async_trait::async_trait]
impl Source for JackyunSource {
    async fn next_page(&mut self) -> Result<Option<Page>, ConnectorError> {
        if self.finished {
            if self.done_emitted {
                return Ok(None);
            }
            self.done_emitted = true;
            return Ok(Some(Page { records: Vec::new(), checkpoint: self.checkpoint(), warnings: std::mem::take(&mut self.warnings) }));
        }
        let biz = self.request();
        let page_index = self.pager.page_index();
        let started = Instant::now();
        let answer = self.client.call(self.api.method, &biz, self.budget.as_ref()).await?;
        let (mut rows, scroll) = self.records(answer)?;
        for r in &mut rows {
            normalize_record(r, &self.types);
        }
        let received = rows.len();
        let context = self.context();
        let step = self.pager.on_page(rows, scroll);
        self.calls += 1;
        self.warnings.extend(step.warnings.into_iter().map(|w| format!("{context}: {w}")));
        if step.slice_done {
            let more = match &mut self.window {
                Some((_, slicer)) => slicer.advance(),
                None => false,
            };
            if more {
                self.pager.start_slice();
            } else {
                self.finished = true;
                self.done_emitted = true;
            }
        }
        tracing::info!(
            method = self.api.method,
            window = %context,
            page = page_index,
            received,
            records = step.records.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            calls = self.calls,
            done = self.finished,
            "jackyun page"
        );
        Ok(Some(Page { records: step.records, checkpoint: self.checkpoint(), warnings: std::mem::take(&mut self.warnings) }))
    }
}
