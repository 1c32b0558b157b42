//! The Sink for `api: batchSave` (and `save`): one BatchSave call per batch, results matched to
//! models by `DIndex` (partial success is normal), duplicate `FBillNo` reported as such, transient
//! per-model failures (edit lock, throttling) re-sent, and `lookup` by `FBillNo in (…)` for the
//! engine's reconciliation of in-doubt writes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ferry_core::connector::{CallBudget, ConnectorError, ErrorClass, OutModel, Sink, TargetRef, WriteOutcome};
use serde_json::{Map, Value, json};

use super::client::KingdeeClient;
use super::envelope::{KdMessage, ResponseStatus, classify, classify_model, get_ci, text_of};
use super::metadata::{self, API_BATCH_SAVE, API_SAVE, BILL_FORMS};
use super::ops::{BillQuery, in_filter, query_all};
use crate::SinkContext;
use crate::limit::backoff;

/// Idempotency keys per `FBillNo in (…)` query.
pub const LOOKUP_CHUNK: usize = 50;

/// Which save service the sink calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOp {
    /// One call per batch, `Model` an array.
    BatchSave,
    /// One call per model.
    Save,
}

impl SaveOp {
    fn service(self) -> &'static str {
        match self {
            SaveOp::BatchSave => "BatchSave",
            SaveOp::Save => "Save",
        }
    }
}

/// Writes bills into one form.
pub struct KingdeeSink {
    client: Arc<KingdeeClient>,
    connection: String,
    form: String,
    op: SaveOp,
    /// Request-level `data` keys (IsAutoSubmitAndAudit, …).
    options: Map<String, Value>,
    /// The model field the target keeps unique (`FBillNo`).
    idem_field: Option<String>,
    /// Base-data reference fields (`FStockOrgId`, `FEntity.FSTOCKID`): a plain value is wrapped as `{"FNumber": v}`.
    base_refs: Vec<String>,
    budget: Arc<dyn CallBudget>,
    max_batch: usize,
}

impl std::fmt::Debug for KingdeeSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KingdeeSink")
            .field("connection", &self.connection)
            .field("form", &self.form)
            .field("op", &self.op)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl KingdeeSink {
    /// Build the sink from the target's spec: `form`, `options`, `idempotency`.
    pub fn new(client: Arc<KingdeeClient>, ctx: &SinkContext<'_>) -> Result<KingdeeSink, ConnectorError> {
        let spec = ctx.spec;
        let at = format!("targets.{}", spec.name);
        let op = if spec.api.eq_ignore_ascii_case(API_BATCH_SAVE) {
            SaveOp::BatchSave
        } else if spec.api.eq_ignore_ascii_case(API_SAVE) {
            SaveOp::Save
        } else {
            return Err(ConnectorError::config(format!(
                "{at}.api: the kingdee system writes with '{API_BATCH_SAVE}' or '{API_SAVE}', not '{}'",
                spec.api
            )));
        };
        let mut form = spec.form.clone();
        let mut options = Map::new();
        for (k, v) in &spec.options {
            // The spec writes the request-level options as FEntity.IsAutoSubmitAndAudit & co.
            let key = k.strip_prefix("FEntity.").unwrap_or(k);
            match key {
                "FormId" => {
                    let Some(f) = v.as_str() else {
                        return Err(ConnectorError::config(format!("{at}.options.{k}: expected a form id string")));
                    };
                    match &form {
                        Some(existing) if !existing.eq_ignore_ascii_case(f) => {
                            return Err(ConnectorError::config(format!(
                                "{at}.options.{k}: '{f}' differs from the target's form '{existing}' (one call writes one form)"
                            )));
                        }
                        _ => form = Some(f.to_owned()),
                    }
                }
                "Operation" => {
                    if v.as_str().is_none_or(|s| !s.eq_ignore_ascii_case(op.service())) {
                        return Err(ConnectorError::config(format!(
                            "{at}.options.{k}: the operation is the service in the URL, here {} (set by api: {}); found {v}",
                            op.service(),
                            spec.api
                        )));
                    }
                }
                "Model" => {
                    return Err(ConnectorError::config(format!("{at}.options.Model: the models come from the mapping, not from options")));
                }
                _ => {
                    options.insert(key.to_owned(), v.clone());
                }
            }
        }
        let form = form.filter(|f| !f.trim().is_empty()).ok_or_else(|| {
            ConnectorError::config(format!("{at}.form: required: the bill form to write (e.g. {})", BILL_FORMS.join(", ")))
        })?;
        let form = metadata::canonical_form(&form, &BILL_FORMS).map(str::to_owned).unwrap_or(form);
        let meta = match &spec.meta {
            Some(m) => Some(m.clone()),
            None => metadata::api_meta(&spec.api, Some(&form)).ok().flatten(),
        };
        let base_refs = meta.as_ref().map(metadata::base_ref_paths).unwrap_or_default();
        let max_batch = match op {
            SaveOp::BatchSave => client.config().max_batch,
            SaveOp::Save => 1,
        };
        Ok(KingdeeSink {
            connection: spec.connection.clone(),
            idem_field: spec.idempotency.clone(),
            budget: ctx.budget.clone(),
            client,
            form,
            op,
            options,
            base_refs,
            max_batch,
        })
    }

    /// The form this sink writes.
    pub fn form(&self) -> &str {
        &self.form
    }

    /// The request-level options sent with every save.
    pub fn options(&self) -> &Map<String, Value> {
        &self.options
    }

    /// Wrap plain values of base-data fields as `{"FNumber": v}`.
    pub fn prepare(&self, payload: &Value) -> Value {
        let mut v = payload.clone();
        for path in &self.base_refs {
            match path.split_once('.') {
                None => wrap_in(&mut v, path),
                Some((entity, field)) => {
                    if let Some(Value::Array(rows)) = get_mut_ci(&mut v, entity) {
                        for row in rows {
                            wrap_in(row, field);
                        }
                    }
                }
            }
        }
        v
    }

    fn idem_of(&self, m: &OutModel) -> Option<String> {
        m.idem.clone().or_else(|| {
            let field = self.idem_field.as_deref().unwrap_or("FBillNo");
            m.payload.as_object().and_then(|o| get_ci(o, field)).and_then(text_of)
        })
    }

    /// Is this error Kingdee's "bill number already used"?
    fn is_duplicate(&self, m: &KdMessage, idem: Option<&str>) -> bool {
        let idem_field = self.idem_field.as_deref().unwrap_or("FBillNo");
        let about_number = m.field_name.as_deref().is_some_and(|f| f.eq_ignore_ascii_case("FBillNo") || f.eq_ignore_ascii_case(idem_field));
        let says_taken = m.message.contains("唯一") || m.message.contains("已经被使用") || m.message.contains("已存在") || {
            let l = m.message.to_ascii_lowercase();
            l.contains("unique") || l.contains("already")
        };
        (about_number && says_taken) || (m.message.contains("违反字段唯一性要求") && idem.is_some_and(|k| m.message.contains(&format!("[{k}]"))))
    }

    fn failure(&self, msgs: &[&KdMessage], msg_code: i64, idem: Option<&str>) -> WriteOutcome {
        let text = msgs.iter().map(|m| m.text()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join("; ");
        let text = if text.is_empty() { format!("Kingdee refused the model (MsgCode {msg_code})") } else { text };
        let code = msg_code.to_string();
        if msgs.iter().any(|m| self.is_duplicate(m, idem)) {
            return WriteOutcome::Failed { error: ConnectorError::new(ErrorClass::Unknown, text).with_code(code), duplicate: true };
        }
        WriteOutcome::Failed { error: ConnectorError::new(classify_model(msg_code), text).with_code(code), duplicate: false }
    }

    /// Read one answer into the outcomes of `pending` (answer index `DIndex` = position in
    /// `pending`). Returns the models that failed transiently (worth sending again).
    fn apply(&self, status: &ResponseStatus, pending: &[usize], idems: &[Option<String>], out: &mut [Option<WriteOutcome>]) -> Vec<usize> {
        let n = pending.len();
        let mut done = vec![false; n];
        for s in &status.success_entitys {
            // Match by DIndex; without one, by the document number (never by position).
            let d = match s.d_index {
                Some(d) if d < n => Some(d),
                Some(_) => None,
                None => s.number.as_ref().and_then(|no| (0..n).find(|&d| !done[d] && idems[pending[d]].as_deref() == Some(no.as_str()))),
            };
            let Some(d) = d else {
                tracing::warn!(connection = %self.connection, form = %self.form, d_index = ?s.d_index, "kingdee success entry matches no model");
                continue;
            };
            out[pending[d]] = Some(WriteOutcome::Written { target_id: s.id.clone(), number: s.number.clone().or_else(|| idems[pending[d]].clone()) });
            done[d] = true;
        }
        let mut own: Vec<Vec<&KdMessage>> = vec![Vec::new(); n];
        let mut global: Vec<&KdMessage> = Vec::new();
        for e in &status.errors {
            match e.d_index {
                Some(d) if d < n && !done[d] => own[d].push(e),
                Some(d) if d < n => {}
                _ => global.push(e),
            }
        }
        let nothing_saved = status.success_entitys.is_empty() && !status.is_success;
        let mut transient = Vec::new();
        for d in (0..n).filter(|&d| !done[d]) {
            let idem = idems[pending[d]].as_deref();
            let outcome = if !own[d].is_empty() {
                self.failure(&own[d], status.msg_code, idem)
            } else if nothing_saved && !global.is_empty() {
                // A failure of the whole call: every model shares it.
                self.failure(&global, status.msg_code, idem)
            } else if nothing_saved {
                // Not saved because others in the call failed: worth sending again on its own.
                let others: Vec<String> = status.errors.iter().map(KdMessage::text).collect();
                WriteOutcome::Failed {
                    error: ConnectorError::transient(format!("not saved: the call failed for other models ({})", others.join("; ")))
                        .with_code(status.msg_code.to_string()),
                    duplicate: false,
                }
            } else {
                WriteOutcome::Failed {
                    error: ConnectorError::new(ErrorClass::Unknown, format!("Kingdee's answer has no result for this model (DIndex {d}); it may have been saved")),
                    duplicate: false,
                }
            };
            if let WriteOutcome::Failed { error, duplicate: false } = &outcome
                && error.class == ErrorClass::Transient
            {
                transient.push(pending[d]);
            }
            out[pending[d]] = Some(outcome);
        }
        transient
    }

    /// One call for `pending` (BatchSave: one call; Save: one call each). Returns the models to
    /// send again.
    async fn round(&self, models: &[Value], idems: &[Option<String>], pending: &[usize], out: &mut [Option<WriteOutcome>]) -> Result<Vec<usize>, ConnectorError> {
        let groups: Vec<Vec<usize>> = match self.op {
            SaveOp::BatchSave => vec![pending.to_vec()],
            SaveOp::Save => pending.iter().map(|&i| vec![i]).collect(),
        };
        let mut again = Vec::new();
        let mut first = true;
        for group in groups {
            match self.call(models, &group).await {
                Ok(status) => again.extend(self.apply(&status, &group, idems, out)),
                // The WAF refuses the whole call for one suspicious model: find it by sending one by one.
                Err(e) if e.code.as_deref() == Some("WAF") && group.len() > 1 => {
                    for &i in &group {
                        match self.call(models, &[i]).await {
                            Ok(status) => again.extend(self.apply(&status, &[i], idems, out)),
                            Err(e) if e.code.as_deref() == Some("WAF") => out[i] = Some(WriteOutcome::Failed { error: e, duplicate: false }),
                            Err(e) => fill(out, &[i], &e),
                        }
                    }
                }
                Err(e) if e.code.as_deref() == Some("WAF") => fill(out, &group, &e),
                Err(e) if first && self.op == SaveOp::BatchSave => return Err(e),
                Err(e) if first && out.iter().all(Option::is_none) => return Err(e),
                Err(e) => fill(out, &group, &e),
            }
            first = false;
        }
        Ok(again)
    }

    async fn call(&self, models: &[Value], group: &[usize]) -> Result<ResponseStatus, ConnectorError> {
        self.budget.acquire(&self.connection, self.op.service()).await?;
        let result = match self.op {
            SaveOp::BatchSave => {
                let payload: Vec<Value> = group.iter().map(|&i| models[i].clone()).collect();
                self.client.batch_save(&self.form, &self.options, &payload).await?
            }
            SaveOp::Save => self.client.save(&self.form, &self.options, &models[group[0]]).await?,
        };
        let mut status = result.status;
        if status.is_success && status.success_entitys.is_empty() && (result.id.is_some() || result.number.is_some()) {
            // Save answers carry Id/Number at the top too.
            status.success_entitys.push(super::envelope::SuccessEntity { id: result.id, number: result.number, d_index: Some(0) });
        }
        // No permission, licence: nothing was saved and no record can fix it — stop the run.
        if !status.is_success && status.success_entitys.is_empty() && classify(status.msg_code) == ErrorClass::Auth {
            return Err(status.to_error());
        }
        Ok(status)
    }
}

impl KingdeeSink {
    /// Models that replace a document written before (`on_change: update`) carry its internal id
    /// `FID`, which makes Save update that bill (rows not in the package are deleted, as
    /// `IsDeleteEntry` defaults to true). A replaced document known only by number is looked up
    /// first. Kingdee refuses to modify a submitted or audited bill; that refusal is the record's
    /// failure (Ferry does not un-audit on its own).
    async fn point_updates(&self, batch: &[OutModel], models: &mut [Value]) -> Result<(), ConnectorError> {
        let by_number: Vec<String> = batch
            .iter()
            .filter_map(|m| m.replaces.as_ref())
            .filter(|r| r.target_id.is_none())
            .filter_map(|r| r.number.clone())
            .collect();
        let field = self.idem_field.as_deref().unwrap_or("FBillNo");
        let found = if by_number.is_empty() { HashMap::new() } else { self.find_by(field, &by_number).await? };
        for (m, model) in batch.iter().zip(models.iter_mut()) {
            let Some(r) = &m.replaces else { continue };
            let id = r.target_id.clone().or_else(|| r.number.as_ref().and_then(|n| found.get(n)).and_then(|t| t.target_id.clone()));
            let (Some(id), Some(obj)) = (id, model.as_object_mut()) else { continue };
            let fid = id.parse::<i64>().map(Value::from).unwrap_or(Value::String(id));
            let key = obj.keys().find(|k| k.eq_ignore_ascii_case("FID")).cloned().unwrap_or_else(|| "FID".to_owned());
            obj.insert(key, fid);
        }
        Ok(())
    }

    /// Bills whose `field` is one of `values`: value → (FID, value). `FBillNo in (…)`, chunked.
    async fn find_by(&self, field: &str, values: &[String]) -> Result<HashMap<String, TargetRef>, ConnectorError> {
        let pk = metadata::primary_key(&self.form).unwrap_or("FID");
        let mut found = HashMap::new();
        let unique: Vec<String> = {
            let mut seen = HashSet::new();
            values.iter().filter(|k| seen.insert(k.as_str())).cloned().collect()
        };
        for chunk in unique.chunks(LOOKUP_CHUNK) {
            self.budget.acquire(&self.connection, "ExecuteBillQuery").await?;
            let mut q = BillQuery::new(&self.form, &[pk, field]);
            q.filter = in_filter(field, chunk);
            q.order = format!("{pk} ASC");
            let wanted: HashSet<&str> = chunk.iter().map(String::as_str).collect();
            for row in query_all(&self.client, q).await? {
                let (Some(id), Some(no)) = (row.first().and_then(text_of), row.get(1).and_then(text_of)) else { continue };
                if wanted.contains(no.as_str()) {
                    found.entry(no.clone()).or_insert(TargetRef { target_id: Some(id), number: Some(no) });
                }
            }
        }
        Ok(found)
    }
}

/// Failed outcomes for `group` from a whole-call error.
fn fill(out: &mut [Option<WriteOutcome>], group: &[usize], e: &ConnectorError) {
    for &i in group {
        out[i] = Some(WriteOutcome::Failed { error: e.clone(), duplicate: false });
    }
}

fn get_mut_ci<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    let obj = v.as_object_mut()?;
    let actual = if obj.contains_key(key) { key.to_owned() } else { obj.keys().find(|k| k.eq_ignore_ascii_case(key))?.clone() };
    obj.get_mut(&actual)
}

fn wrap_in(obj: &mut Value, key: &str) {
    if let Some(slot) = get_mut_ci(obj, key)
        && matches!(slot, Value::String(_) | Value::Number(_))
    {
        *slot = json!({ "FNumber": slot.clone() });
    }
}

#[async_trait::async_trait]
impl Sink for KingdeeSink {
    fn max_batch(&self) -> usize {
        self.max_batch
    }

    async fn write(&self, batch: &[OutModel]) -> Result<Vec<WriteOutcome>, ConnectorError> {
        let mut models: Vec<Value> = batch.iter().map(|m| self.prepare(&m.payload)).collect();
        self.point_updates(batch, &mut models).await?;
        let idems: Vec<Option<String>> = batch.iter().map(|m| self.idem_of(m)).collect();
        let mut out: Vec<Option<WriteOutcome>> = vec![None; batch.len()];
        let retries = self.client.config().max_retries;
        let base = self.client.config().retry_base;
        let all: Vec<usize> = (0..batch.len()).collect();
        for chunk in all.chunks(self.max_batch.max(1)) {
            let mut pending = chunk.to_vec();
            let mut round = 0u32;
            while !pending.is_empty() {
                match self.round(&models, &idems, &pending, &mut out).await {
                    Ok(again) => pending = again,
                    // Nothing of this write call has happened yet: the whole call failed.
                    Err(e) if out.iter().all(Option::is_none) => return Err(e),
                    Err(e) => {
                        fill(&mut out, &pending, &e);
                        pending.clear();
                    }
                }
                if pending.is_empty() || round >= retries {
                    break;
                }
                let wait = backoff(round, base, std::time::Duration::from_secs(30));
                tracing::info!(connection = %self.connection, form = %self.form, models = pending.len(), round, wait_ms = wait.as_millis() as u64, "re-sending models that failed transiently");
                tokio::time::sleep(wait).await;
                round += 1;
            }
        }
        let written = out.iter().filter(|o| matches!(o, Some(WriteOutcome::Written { .. }))).count();
        tracing::debug!(connection = %self.connection, form = %self.form, models = batch.len(), written, "kingdee write");
        Ok(out
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| WriteOutcome::Failed { error: ConnectorError::new(ErrorClass::Unknown, "no result for this model"), duplicate: false })
            })
            .collect())
    }

    async fn lookup(&self, idem_keys: &[String]) -> Result<HashMap<String, TargetRef>, ConnectorError> {
        let Some(field) = &self.idem_field else {
            return Err(ConnectorError::config(format!(
                "the target writing {} has no 'idempotency:' field (e.g. FBillNo), so its writes cannot be looked up",
                self.form
            )));
        };
        self.find_by(field, idem_keys).await
    }
}

#[cfg(test)]
mod tests {
    use ferry_core::connector::Unmetered;
    use ferry_core::mapping::{Mapping, Plan};
    use ferry_core::scheme::TargetSpec;

    use super::*;
    use crate::kingdee::envelope::status_of;

    fn sink() -> KingdeeSink {
        let cfg = crate::kingdee::config::parse(
            "kd",
            &json!({"server": "http://127.0.0.1:9/k3cloud/", "acct_id": "A", "user": "u", "auth": "login_by_sign", "app_id": "1_x", "app_secret": "s"}),
        )
        .unwrap();
        let spec = TargetSpec {
            name: "t".into(),
            connection: "kd".into(),
            system: "kingdee".into(),
            api: "batchSave".into(),
            form: Some("STK_MISCELLANEOUS".into()),
            batch: 50,
            options: Map::new(),
            idempotency: Some("FBillNo".into()),
            filter: None,
            mapping: Mapping { plan: Plan::Const(Value::Null), skip_when: None },
            meta: None,
            on_change: Default::default(),
        };
        let ctx = SinkContext { spec: &spec, budget: Arc::new(Unmetered), base_dir: ".".into() };
        KingdeeSink::new(Arc::new(KingdeeClient::new(cfg).unwrap()), &ctx).unwrap()
    }

    fn idems(n: &[&str]) -> Vec<Option<String>> {
        n.iter().map(|s| Some((*s).to_owned())).collect()
    }

    fn run(status: Value, pending: &[usize], ids: &[&str]) -> (Vec<Option<WriteOutcome>>, Vec<usize>) {
        let s = sink();
        let st = status_of(&json!({"Result": {"ResponseStatus": status}})).unwrap();
        let mut out = vec![None; ids.len()];
        let again = s.apply(&st, pending, &idems(ids), &mut out);
        (out, again)
    }

    #[test]
    fn dindex_is_relative_to_the_models_sent() {
        // Round 2 re-sends models 1 and 3 of the batch: DIndex 0 → model 1, DIndex 1 → model 3.
        let (out, again) = run(
            json!({"IsSuccess": false, "Errors": [{"FieldName": "FQty", "Message": "bad", "DIndex": 0}],
                   "SuccessEntitys": [{"Id": 7, "Number": "D", "DIndex": 1}], "MsgCode": 11}),
            &[1, 3],
            &["A", "B", "C", "D"],
        );
        assert!(out[0].is_none() && out[2].is_none());
        assert!(matches!(&out[1], Some(WriteOutcome::Failed { error, .. }) if error.message == "FQty: bad" && error.class == ErrorClass::Business));
        assert_eq!(out[3], Some(WriteOutcome::Written { target_id: Some("7".into()), number: Some("D".into()) }));
        assert!(again.is_empty());
    }

    #[test]
    fn without_dindex_a_success_is_matched_by_number_never_by_position() {
        let (out, _) = run(
            json!({"IsSuccess": true, "SuccessEntitys": [{"Id": 9, "Number": "B"}], "MsgCode": 0}),
            &[0, 1],
            &["A", "B"],
        );
        assert_eq!(out[1], Some(WriteOutcome::Written { target_id: Some("9".into()), number: Some("B".into()) }));
        // "A" has no result although the call succeeded: in doubt.
        assert!(matches!(&out[0], Some(WriteOutcome::Failed { error, duplicate: false }) if error.class == ErrorClass::Unknown));
    }

    #[test]
    fn a_whole_call_failure_is_shared_and_bystanders_are_resent() {
        // A global error (no DIndex) fails every model with it.
        let (out, again) = run(json!({"IsSuccess": false, "Errors": [{"Message": "业务对象不存在"}], "MsgCode": 4}), &[0, 1], &["A", "B"]);
        for o in &out {
            assert!(matches!(o, Some(WriteOutcome::Failed { error, .. }) if error.message == "业务对象不存在" && error.class == ErrorClass::Business));
        }
        assert!(again.is_empty());
        // Nothing saved, one model blamed: the other was not saved because of it — send it again.
        let (out, again) = run(json!({"IsSuccess": false, "Errors": [{"Message": "bad", "DIndex": 1}], "MsgCode": 11}), &[0, 1], &["A", "B"]);
        assert_eq!(again, [0]);
        assert!(matches!(&out[0], Some(WriteOutcome::Failed { error, .. }) if error.class == ErrorClass::Transient));
    }

    #[test]
    fn duplicates_are_recognised_by_field_or_by_text() {
        let s = sink();
        let by_field = KdMessage { field_name: Some("FBillNo".into()), message: "违反字段唯一性要求：编码唯一。[X]在当前系统中已经被使用。".into(), d_index: Some(0) };
        assert!(s.is_duplicate(&by_field, Some("X")));
        let by_text = KdMessage { field_name: None, message: "违反字段唯一性要求：编码唯一。[X]在当前系统中已经被使用。".into(), d_index: Some(0) };
        assert!(s.is_duplicate(&by_text, Some("X")));
        assert!(!s.is_duplicate(&by_text, Some("Y")));
        let other = KdMessage { field_name: Some("FSTOCKID".into()), message: "不存在".into(), d_index: Some(0) };
        assert!(!s.is_duplicate(&other, Some("X")));
    }

    #[test]
    fn plain_base_data_values_are_wrapped_case_insensitively() {
        let s = sink();
        let v = s.prepare(&json!({"FSTOCKORGID": "100", "FBillTypeID": {"FNUMBER": "QTRKD01_SYS"}, "FNOTE": "x",
                                  "fentity": [{"FMaterialId": "A0001", "FQty": 2, "FSTOCKID": 7}]}));
        assert_eq!(v["FSTOCKORGID"], json!({"FNumber": "100"}));
        assert_eq!(v["FBillTypeID"], json!({"FNUMBER": "QTRKD01_SYS"}));
        assert_eq!(v["FNOTE"], json!("x"));
        assert_eq!(v["fentity"][0]["FMaterialId"], json!({"FNumber": "A0001"}));
        assert_eq!(v["fentity"][0]["FSTOCKID"], json!({"FNumber": 7}));
        assert_eq!(v["fentity"][0]["FQty"], json!(2));
    }
}
