//! Save and BatchSave: validation of each model on its own, partial success with `DIndex`,
//! auto-numbering, duplicate numbers, updates (`FID` / `NeedUpDateFields`), `IsAutoSubmitAndAudit`.
//!
//! Message texts marked "template" are simulator choices where the reference has no verbatim
//! server text (reference §4.4, §9).

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

use crate::body::{as_bool, as_f64, as_i64, as_text, get_ci};
use crate::clock::normalize_date;
use crate::envelope::{
    KdMsg, MSG_EXCEPTION, MSG_LOCK, MSG_NOT_EXIST, MSG_NOT_FOUND, MSG_PARAM, MSG_VALIDATION,
    SuccessEntity, failure, status,
};
use crate::forms::{
    BILL_TYPE, BillForm, CURRENCY, FieldDef, FormDef, Kind, MATERIAL, ORG, STOCK_STATUS, SUPPLIER,
};
use crate::model::{Bill, Entry, RefVal, SimData, Val};
use crate::state::{OpCtx, State};

type Fields = BTreeMap<String, Val>;
/// An entry row being built: its existing entry id (updates) and its fields.
type Row = (Option<i64>, Fields);

/// The user's organisation: the default stock organisation.
const USER_ORG: &str = "100";

/// The `data` options of Save/BatchSave (reference §3.1).
#[derive(Debug, Clone)]
pub(crate) struct SaveOptions {
    need_update: Vec<String>,
    need_return: Vec<String>,
    delete_entry: bool,
    verify_base: bool,
    auto_audit: bool,
    validate: bool,
    validate_repeat: bool,
}

impl SaveOptions {
    fn from_data(data: &Map<String, Value>) -> Self {
        Self {
            need_update: string_list(get_ci(data, "NeedUpDateFields")),
            need_return: string_list(get_ci(data, "NeedReturnFields")),
            delete_entry: as_bool(get_ci(data, "IsDeleteEntry"), true),
            verify_base: as_bool(get_ci(data, "IsVerifyBaseDataField"), false),
            auto_audit: as_bool(get_ci(data, "IsAutoSubmitAndAudit"), false),
            validate: as_bool(get_ci(data, "ValidateFlag"), true),
            validate_repeat: as_bool(get_ci(data, "ValidateRepeatJson"), false),
        }
    }

    fn lists(&self, key: &str, entry_key: &str) -> bool {
        self.need_update.iter().any(|o| {
            o.eq_ignore_ascii_case(key)
                || o.split_once('.').is_some_and(|(e, k)| {
                    e.eq_ignore_ascii_case(entry_key) && k.eq_ignore_ascii_case(key)
                })
        })
    }
}

/// A list given as a JSON array of strings or a comma-separated string.
pub(crate) fn string_list(v: Option<&Value>) -> Vec<String> {
    let items: Vec<String> = match v {
        Some(Value::Array(a)) => a.iter().filter_map(as_text).collect(),
        Some(Value::String(s)) => s.split(',').map(str::to_string).collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The number inside a base-data reference: `{"FNumber": ..}` (any key case), or a bare value.
pub(crate) fn ref_number(v: &Value) -> Option<String> {
    let raw = match v {
        Value::Object(m) => get_ci(m, "FNumber").and_then(as_text),
        other => as_text(other),
    }?;
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.to_string())
}

/// Save (`batch = false`, Model is an object) or BatchSave (`batch = true`, Model is an array).
pub(crate) fn save(
    st: &mut State,
    ctx: &OpCtx<'_>,
    form: &'static FormDef,
    data: &Map<String, Value>,
    batch: bool,
    lock_all: bool,
) -> Value {
    let Some(bill_form) = form.bill() else {
        return failure(
            None,
            format!("模拟器不支持通过WebAPI保存“{}”({})", form.name, form.id),
            MSG_EXCEPTION,
        );
    };
    let opts = SaveOptions::from_data(data);
    let models: Vec<&Value> = match get_ci(data, "Model") {
        Some(Value::Array(a)) if batch => a.iter().collect(),
        Some(Value::Array(_)) => {
            return failure(
                None,
                "Save的参数Model必须是单个数据包对象，批量保存请使用BatchSave",
                MSG_PARAM,
            );
        }
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    if models.is_empty() {
        return failure(None, "参数Model不能为空", MSG_PARAM);
    }
    let mut errors = Vec::new();
    let mut successes = Vec::new();
    let mut need_return = Vec::new();
    for (i, model) in models.into_iter().enumerate() {
        match save_one(st, ctx, form, bill_form, &opts, i, model, lock_all) {
            Ok((id, number, returned)) => {
                st.stats.models_saved += 1;
                successes.push(SuccessEntity {
                    id,
                    number,
                    dindex: i,
                });
                need_return.push(returned);
            }
            Err(mut e) => {
                st.stats.models_failed += 1;
                errors.append(&mut e);
                need_return.push(json!({}));
            }
        }
    }
    if !successes.is_empty() {
        st.dirty = true;
    }
    let is_success = errors.is_empty() || (ctx.cfg.mixed_batch_is_success && !successes.is_empty());
    let rs = status(is_success, &errors, &successes, &[]);
    if batch {
        json!({"Result": {"ResponseStatus": rs, "NeedReturnData": need_return}})
    } else {
        let (id, number) = successes
            .first()
            .map_or((json!(""), json!("")), |s| (json!(s.id), json!(s.number)));
        json!({"Result": {"ResponseStatus": rs, "Id": id, "Number": number, "NeedReturnData": need_return}})
    }
}

#[allow(clippy::too_many_arguments)]
fn save_one(
    st: &mut State,
    ctx: &OpCtx<'_>,
    form: &'static FormDef,
    bf: &'static BillForm,
    opts: &SaveOptions,
    i: usize,
    model: &Value,
    lock_all: bool,
) -> Result<(i64, String, Value), Vec<KdMsg>> {
    let one = |field: Option<&str>, msg: String, code: i64| vec![KdMsg::new(field, msg, i, code)];
    let Value::Object(m) = model else {
        return Err(one(
            None,
            format!("第{}个数据包(Model)不是有效的JSON对象", i + 1),
            MSG_PARAM,
        ));
    };
    let package_hash = opts
        .validate_repeat
        .then(|| fnv64(form.id, &model.to_string()));
    if package_hash.is_some_and(|h| st.seen_packages.contains(&h)) {
        // Template: the server's text for ValidateRepeatJson is unknown.
        return Err(one(
            None,
            "数据包与之前提交的数据包完全相同，已拒绝重复提交(ValidateRepeatJson)".to_string(),
            MSG_VALIDATION,
        ));
    }
    let fid = as_i64(get_ci(m, "FID")).unwrap_or(0);
    let given_no = get_ci(m, "FBillNo")
        .and_then(as_text)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let existing: Option<Bill> = if fid > 0 {
        match st.data.bill_by_id(form.id, fid) {
            Some(b) => Some(b.clone()),
            None => {
                return Err(one(
                    Some("FID"),
                    format!("内码(FID)为“{fid}”的{}不存在", form.name),
                    MSG_NOT_FOUND,
                ));
            }
        }
    } else if let (false, Some(no)) = (opts.need_update.is_empty(), &given_no) {
        st.data.bill_by_number(form.id, no).cloned()
    } else {
        None
    };
    if let Some(b) = &existing {
        // Template texts; the reference paraphrases "单据已审核，不允许修改".
        let state = match b.status.as_str() {
            "B" => Some("单据已提交"),
            "C" => Some("单据已审核"),
            _ => None,
        };
        if let Some(state) = state {
            return Err(one(
                Some(""),
                format!(
                    "单据编号为“{}”的{}，{state}，不允许修改！",
                    b.number, form.name
                ),
                MSG_VALIDATION,
            ));
        }
    }
    let partial = existing.is_some() && !opts.need_update.is_empty();
    let builder = Builder {
        data: &st.data,
        ctx,
        form,
        bf,
        opts,
        dindex: i,
        errors: Vec::new(),
        failed: HashSet::new(),
    };
    let (head, rows) = match &existing {
        Some(b) if partial => builder.partial(b, m),
        _ => builder.full(m),
    }?;

    let number = match (&existing, &given_no) {
        (Some(b), _) if partial && !opts.lists("FBillNo", bf.entry_key) => b.number.clone(),
        (_, Some(no)) => no.clone(),
        (Some(b), None) => b.number.clone(),
        (None, None) => String::new(),
    };
    let existing_id = existing.as_ref().map(|b| b.id);
    let taken = !number.is_empty()
        && st
            .data
            .bill_by_number(form.id, &number)
            .is_some_and(|b| Some(b.id) != existing_id);
    if taken {
        // Verbatim server text (reference §4.4).
        return Err(one(
            Some("FBillNo"),
            format!("违反字段唯一性要求：编码唯一。[{number}]在当前系统中已经被使用。"),
            MSG_VALIDATION,
        ));
    }
    if lock_all || st.faults.lock_model(&number) {
        st.stats.fault("edit_lock");
        // Template after the observed text (reference §4.4); MsgCode 13 is a guess of the reference.
        let shown = if number.is_empty() {
            "新单据"
        } else {
            number.as_str()
        };
        return Err(one(
            None,
            format!(
                "\"administrator\"使用业务单据：{}[{shown}]，业务操作-\"[{}-修改]\"冲突，请稍候再使用。",
                form.name, form.name
            ),
            MSG_LOCK,
        ));
    }

    let number = if number.is_empty() {
        next_number(&mut st.data, form, bf.prefix)
    } else {
        number
    };
    let id = existing_id.unwrap_or_else(|| st.data.take_id());
    let entries: Vec<Entry> = rows
        .into_iter()
        .enumerate()
        .map(|(j, (eid, fields))| Entry {
            entry_id: eid.unwrap_or_else(|| st.data.take_entry_id()),
            seq: j as u32 + 1,
            fields,
        })
        .collect();
    let raw_model = match &existing {
        Some(b) if partial => merge_raw(&b.raw_model, m, opts, bf.entry_key),
        _ => model.clone(),
    };
    let bill = Bill {
        form_id: form.id.to_string(),
        id,
        number: number.clone(),
        status: if opts.auto_audit {
            "C".to_string()
        } else {
            existing
                .as_ref()
                .map_or_else(|| "A".to_string(), |b| b.status.clone())
        },
        raw_model,
        head,
        entries,
        create_date: existing
            .as_ref()
            .map_or_else(|| ctx.now.clone(), |b| b.create_date.clone()),
        modify_date: ctx.now.clone(),
        approve_date: opts.auto_audit.then(|| ctx.now.clone()),
    };
    let returned = need_return_data(&bill, form, &opts.need_return);
    st.data.upsert_bill(bill);
    if let Some(h) = package_hash {
        st.seen_packages.insert(h);
    }
    Ok((id, number, returned))
}

/// The next free auto-number of a form: prefix + 6 digits (template).
fn next_number(data: &mut SimData, form: &FormDef, prefix: &str) -> String {
    loop {
        let seq = data.bill_seq.entry(form.id.to_string()).or_insert(0);
        *seq += 1;
        let candidate = format!("{prefix}{:06}", *seq);
        if data.bill_by_number(form.id, &candidate).is_none() {
            return candidate;
        }
    }
}

/// The stored raw model after a partial update: the old one with the sent keys replaced.
fn merge_raw(old: &Value, new: &Map<String, Value>, opts: &SaveOptions, entry_key: &str) -> Value {
    let mut merged = old.as_object().cloned().unwrap_or_default();
    for (k, v) in new {
        if k.eq_ignore_ascii_case("FID")
            || k.eq_ignore_ascii_case(entry_key)
            || opts.lists(k, entry_key)
        {
            let old_key = merged.keys().find(|x| x.eq_ignore_ascii_case(k)).cloned();
            if let Some(old_key) = old_key {
                merged.remove(&old_key);
            }
            merged.insert(k.clone(), v.clone());
        }
    }
    Value::Object(merged)
}

fn fnv64(form: &str, text: &str) -> u64 {
    form.bytes()
        .chain([0u8])
        .chain(text.bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// `NeedReturnData` for one saved bill: the requested keys (`FID`, `FBillNo`, header keys,
/// `FEntity.FEntryID`, `FEntity.<key>` or bare entry keys).
fn need_return_data(bill: &Bill, form: &FormDef, keys: &[String]) -> Value {
    let entry_key = form.bill().map_or("FEntity", |b| b.entry_key);
    let mut out = Map::new();
    let mut entry_keys: Vec<(String, Option<&'static FieldDef>)> = Vec::new();
    for key in keys {
        let (entity, sub) = match key.split_once('.') {
            Some((e, s)) if e.eq_ignore_ascii_case(entry_key) => (true, s),
            _ => (false, key.as_str()),
        };
        let head = if entity { None } else { form.head_field(sub) };
        if !entity && sub.eq_ignore_ascii_case("FID") {
            out.insert(key.clone(), json!(bill.id));
        } else if !entity && sub.eq_ignore_ascii_case("FBillNo") {
            out.insert(key.clone(), json!(bill.number));
        } else if !entity && sub.eq_ignore_ascii_case("FDocumentStatus") {
            out.insert(key.clone(), json!(bill.status));
        } else if let Some(fd) = head {
            out.insert(key.clone(), save_shape(bill.head.get(fd.key)));
        } else if sub.eq_ignore_ascii_case("FEntryID") || sub.eq_ignore_ascii_case("FSeq") {
            entry_keys.push((sub.to_string(), None));
        } else if let Some(fd) = form.entry_field(sub) {
            entry_keys.push((sub.to_string(), Some(fd)));
        }
    }
    if !entry_keys.is_empty() {
        let rows: Vec<Value> = bill
            .entries
            .iter()
            .map(|e| {
                let mut row = Map::new();
                for (k, fd) in &entry_keys {
                    let v = match fd {
                        Some(fd) => save_shape(e.fields.get(fd.key)),
                        None if k.eq_ignore_ascii_case("FSeq") => json!(e.seq),
                        None => json!(e.entry_id),
                    };
                    row.insert(k.clone(), v);
                }
                Value::Object(row)
            })
            .collect();
        out.insert(entry_key.to_string(), Value::Array(rows));
    }
    Value::Object(out)
}

/// A stored value in Save-key shape: references as `{"FNumber": ..}`.
fn save_shape(v: Option<&Val>) -> Value {
    match v {
        Some(Val::Ref(r)) => json!({"FNumber": r.number}),
        Some(v) => v.to_query_json(),
        None => Value::Null,
    }
}

fn is_empty(v: Option<&Val>) -> bool {
    match v {
        None | Some(Val::Null) => true,
        Some(Val::Text(s)) => s.trim().is_empty(),
        Some(Val::Num(n)) => *n == 0.0,
        Some(Val::Raw(v)) => v.is_null(),
        _ => false,
    }
}

/// Validates one model and builds its resolved header and rows; collects every error.
struct Builder<'a> {
    data: &'a SimData,
    ctx: &'a OpCtx<'a>,
    form: &'static FormDef,
    bf: &'static BillForm,
    opts: &'a SaveOptions,
    dindex: usize,
    errors: Vec<KdMsg>,
    /// Fields (row, key) whose value was refused: no extra "required" error for them.
    failed: HashSet<(Option<usize>, &'static str)>,
}

impl Builder<'_> {
    fn err(&mut self, field: Option<&str>, message: String, code: i64) {
        self.errors
            .push(KdMsg::new(field, message, self.dindex, code));
    }

    fn suffix(&self, row: Option<usize>) -> String {
        row.map_or_else(String::new, |n| {
            format!("（{}第{n}行）", self.bf.entry_name)
        })
    }

    /// A new bill, or a full replacement of an unaudited one.
    fn full(mut self, m: &Map<String, Value>) -> Result<(Fields, Vec<Row>), Vec<KdMsg>> {
        let mut head = Fields::new();
        self.read_fields(m, None, &mut head, false);
        self.head_defaults(&mut head);
        let mut rows = Vec::new();
        match get_ci(m, self.bf.entry_key) {
            Some(Value::Array(list)) => {
                for (j, r) in list.iter().enumerate() {
                    if let Some(fields) = self.read_row(r, j + 1, &head, Fields::new(), false) {
                        rows.push((None, fields));
                    }
                }
            }
            None | Some(Value::Null) => {}
            Some(_) => self.err(
                Some(self.bf.entry_key),
                format!("“{}”({})必须是数组", self.bf.entry_name, self.bf.entry_key),
                MSG_PARAM,
            ),
        }
        self.finish(head, rows)
    }

    /// A `NeedUpDateFields` update of an unaudited bill: only listed header fields change; rows
    /// with a known `FEntryID` are updated, others added; unmentioned rows are deleted when
    /// `IsDeleteEntry` is true.
    fn partial(
        mut self,
        old: &Bill,
        m: &Map<String, Value>,
    ) -> Result<(Fields, Vec<Row>), Vec<KdMsg>> {
        let mut head = old.head.clone();
        self.read_fields(m, None, &mut head, true);
        self.head_defaults(&mut head);
        let rows = match get_ci(m, self.bf.entry_key) {
            Some(Value::Array(list)) => {
                let mut sent: Vec<Row> = Vec::new();
                for (j, r) in list.iter().enumerate() {
                    let eid = r.as_object().and_then(|o| as_i64(get_ci(o, "FEntryID")));
                    let old_entry =
                        eid.and_then(|id| old.entries.iter().find(|e| e.entry_id == id));
                    let base = old_entry.map(|e| e.fields.clone()).unwrap_or_default();
                    if let Some(fields) = self.read_row(r, j + 1, &head, base, old_entry.is_some())
                    {
                        sent.push((old_entry.map(|e| e.entry_id), fields));
                    }
                }
                if self.opts.delete_entry {
                    sent
                } else {
                    let mut kept: Vec<Row> = old
                        .entries
                        .iter()
                        .map(|e| {
                            sent.iter()
                                .find(|(id, _)| *id == Some(e.entry_id))
                                .cloned()
                                .unwrap_or_else(|| (Some(e.entry_id), e.fields.clone()))
                        })
                        .collect();
                    kept.extend(sent.into_iter().filter(|(id, _)| id.is_none()));
                    kept
                }
            }
            _ => old
                .entries
                .iter()
                .map(|e| (Some(e.entry_id), e.fields.clone()))
                .collect(),
        };
        self.finish(head, rows)
    }

    fn finish(mut self, head: Fields, rows: Vec<Row>) -> Result<(Fields, Vec<Row>), Vec<KdMsg>> {
        self.check_required(&head, self.form.head, None);
        if rows.is_empty() && self.errors.is_empty() {
            // Template: at least one entry row.
            self.err(
                Some(self.bf.entry_key),
                format!("“{}”至少需要录入一行分录！", self.bf.entry_name),
                MSG_VALIDATION,
            );
        }
        if self.errors.is_empty() {
            Ok((head, rows))
        } else {
            Err(self.errors)
        }
    }

    fn read_row(
        &mut self,
        r: &Value,
        n: usize,
        head: &Fields,
        mut fields: Fields,
        only_listed: bool,
    ) -> Option<Fields> {
        let Value::Object(obj) = r else {
            self.err(
                Some(self.bf.entry_key),
                format!("“{}”第{n}行不是JSON对象", self.bf.entry_name),
                MSG_PARAM,
            );
            return None;
        };
        self.read_fields(obj, Some(n), &mut fields, only_listed);
        self.row_defaults(&mut fields, head);
        self.check_required(&fields, self.form.entry, Some(n));
        Some(fields)
    }

    /// Reads the keys of a header (`row = None`) or an entry row into `target`.
    fn read_fields(
        &mut self,
        obj: &Map<String, Value>,
        row: Option<usize>,
        target: &mut Fields,
        only_listed: bool,
    ) {
        let (defs, entity) = match row {
            None => (self.form.head, "BillHead"),
            Some(_) => (self.form.entry, self.bf.entry_key),
        };
        let mut owners = Vec::new();
        for (k, v) in obj {
            let special = match row {
                None => ["FID", "FBillNo", self.bf.entry_key]
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(k)),
                Some(_) => k.eq_ignore_ascii_case("FEntryID"),
            };
            if special {
                continue;
            }
            let Some(fd) = defs.iter().find(|f| f.key.eq_ignore_ascii_case(k)) else {
                // Template after the observed ResolveFiled_InnerEx text (reference §4.4).
                self.err(
                    Some(k),
                    format!("ResolveFiled_InnerEx解析字段(Key:{k})出错：实体不存在此属性！[EntityType：{entity}]"),
                    MSG_NOT_EXIST,
                );
                continue;
            };
            // Listing the entity key (`FEntity`) lists all its fields.
            let listed = self.opts.lists(fd.key, self.bf.entry_key)
                || (row.is_some() && self.opts.lists(self.bf.entry_key, self.bf.entry_key));
            if only_listed && !listed {
                continue;
            }
            if matches!(fd.kind, Kind::Owner { .. }) {
                owners.push((fd, v));
                continue;
            }
            self.put(target, fd, v, row);
        }
        for (fd, v) in owners {
            self.put(target, fd, v, row);
        }
    }

    fn put(&mut self, target: &mut Fields, fd: &'static FieldDef, v: &Value, row: Option<usize>) {
        let before = self.errors.len();
        let parsed = self.parse(fd, v, target, row);
        if self.errors.len() > before {
            self.failed.insert((row, fd.key));
        }
        match parsed {
            Some(val) => {
                target.insert(fd.key.to_string(), val);
            }
            None => {
                target.remove(fd.key);
            }
        }
    }

    fn parse(
        &mut self,
        fd: &FieldDef,
        v: &Value,
        siblings: &Fields,
        row: Option<usize>,
    ) -> Option<Val> {
        if v.is_null() {
            return None;
        }
        let sfx = self.suffix(row);
        let shown = as_text(v).unwrap_or_else(|| v.to_string());
        let invalid = |what: &str| format!("字段“{}”({})的值“{shown}”{what}{sfx}", fd.name, fd.key);
        match fd.kind {
            Kind::Text => Some(Val::Text(shown)),
            Kind::Decimal => match as_f64(v) {
                Some(x) => Some(Val::Num(x)),
                None if shown.trim().is_empty() => None,
                None => {
                    self.err(Some(fd.key), invalid("不是有效的数值"), MSG_VALIDATION);
                    None
                }
            },
            Kind::Date => {
                if shown.trim().is_empty() {
                    return None;
                }
                match normalize_date(&shown) {
                    Some(d) => Some(Val::Date(d)),
                    None => {
                        self.err(Some(fd.key), invalid("不是有效的日期"), MSG_VALIDATION);
                        None
                    }
                }
            }
            Kind::Bool => match (v, shown.trim().to_ascii_lowercase().as_str()) {
                (Value::Bool(b), _) => Some(Val::Bool(*b)),
                (_, "true" | "1") => Some(Val::Bool(true)),
                (_, "false" | "0") => Some(Val::Bool(false)),
                _ => {
                    self.err(Some(fd.key), invalid("不是有效的布尔值"), MSG_VALIDATION);
                    None
                }
            },
            Kind::Combo(list) => {
                let t = shown.trim();
                if t.is_empty() {
                    return None;
                }
                if list.is_empty() {
                    return Some(Val::Text(t.to_string()));
                }
                match list.iter().find(|x| x.eq_ignore_ascii_case(t)) {
                    Some(x) => Some(Val::Text((*x).to_string())),
                    None => {
                        self.err(Some(fd.key), invalid("不在可选范围内"), MSG_VALIDATION);
                        None
                    }
                }
            }
            Kind::Ref { form, checked } => {
                let no = ref_number(v)?;
                if checked {
                    self.lookup(fd, form, &no, row)
                } else {
                    Some(Val::Ref(RefVal {
                        form: form.to_string(),
                        id: 0,
                        number: no,
                    }))
                }
            }
            Kind::Owner { type_key } => {
                let no = ref_number(v)?;
                let owner_type = match siblings.get(type_key) {
                    Some(Val::Text(t)) => t.as_str(),
                    _ => "BD_OwnerOrg",
                };
                match owner_type {
                    "BD_Supplier" => self.lookup(fd, SUPPLIER, &no, row),
                    "BD_Customer" => Some(Val::Ref(RefVal {
                        form: "BD_Customer".to_string(),
                        id: 0,
                        number: no,
                    })),
                    _ => self.lookup(fd, ORG, &no, row),
                }
            }
            Kind::Flex => match v {
                Value::Object(o) if o.is_empty() => None,
                _ => Some(Val::Raw(v.clone())),
            },
        }
    }

    /// Resolves a checked reference by number; missing, disabled or unaudited values are errors.
    fn lookup(&mut self, fd: &FieldDef, form: &str, no: &str, row: Option<usize>) -> Option<Val> {
        let found = if form == BILL_TYPE {
            self.data.base_records(form).iter().find(|r| {
                r.number.eq_ignore_ascii_case(no)
                    && matches!(r.fields.get("FBillFormID"), Some(Val::Text(f)) if f == self.form.id)
            })
        } else {
            self.data.find_base(form, no)
        };
        let sfx = self.suffix(row);
        let Some(rec) = found else {
            // Template from the reference checklist; MsgCode 9 by default (9 or 11, configurable).
            self.err(
                Some(fd.key),
                format!("字段“{}”({})的值“{no}”不存在{sfx}", fd.name, fd.key),
                self.ctx.cfg.missing_base_data_msg_code,
            );
            return None;
        };
        if self.opts.verify_base {
            let problem = if rec.forbid_status == "B" {
                Some("已禁用")
            } else if rec.document_status != "C" {
                Some("未审核")
            } else {
                None
            };
            if let Some(p) = problem {
                self.err(
                    Some(fd.key),
                    format!("字段“{}”({})的值“{no}”{p}{sfx}", fd.name, fd.key),
                    MSG_VALIDATION,
                );
            }
        }
        Some(Val::Ref(RefVal {
            form: form.to_string(),
            id: rec.id,
            number: rec.number.clone(),
        }))
    }

    fn base_ref(&self, form: &str, no: &str) -> Option<Val> {
        self.data.find_base(form, no).map(|r| {
            Val::Ref(RefVal {
                form: form.to_string(),
                id: r.id,
                number: r.number.clone(),
            })
        })
    }

    fn head_defaults(&self, head: &mut Fields) {
        let form = self.form;
        let set = |head: &mut Fields, key: &str, v: Option<Val>| {
            if let (Some(fd), Some(v)) = (form.head_field(key), v)
                && !head.contains_key(fd.key)
            {
                head.insert(fd.key.to_string(), v);
            }
        };
        let bill_type = self
            .data
            .base_records(BILL_TYPE)
            .iter()
            .find(|r| r.number == self.bf.default_bill_type)
            .map(|r| {
                Val::Ref(RefVal {
                    form: BILL_TYPE.to_string(),
                    id: r.id,
                    number: r.number.clone(),
                })
            });
        set(head, "FBillTypeID", bill_type);
        set(head, "FStockOrgId", self.base_ref(ORG, USER_ORG));
        set(head, "FDate", Some(Val::Date(self.ctx.today.clone())));
        set(head, "FStockDirect", Some(Val::Text("GENERAL".to_string())));
        set(
            head,
            "FOwnerTypeIdHead",
            Some(Val::Text("BD_OwnerOrg".to_string())),
        );
        let owner = match head.get("FOwnerTypeIdHead") {
            Some(Val::Text(t)) if t == "BD_OwnerOrg" => head.get("FStockOrgId").cloned(),
            _ => None,
        };
        set(head, "FOwnerIdHead", owner);
        set(head, "FBaseCurrId", self.base_ref(CURRENCY, "PRE001"));
    }

    fn row_defaults(&self, row: &mut Fields, head: &Fields) {
        let form = self.form;
        let key = |k: &str| form.entry_field(k).map(|f| f.key);
        let material = form
            .entry
            .iter()
            .find(|f| matches!(f.kind, Kind::Ref { form: MATERIAL, .. }))
            .and_then(|f| match row.get(f.key) {
                Some(Val::Ref(r)) => self.data.find_base_by_id(MATERIAL, r.id),
                _ => None,
            });
        let unit = material.and_then(|m| m.fields.get("FBaseUnitId")).cloned();
        let qty = key("FQty").and_then(|k| row.get(k)).cloned();
        let price = key("FPrice").and_then(|k| row.get(k)).cloned();
        let head_text = |k: &str| head.get(k).cloned();
        let status = self.base_ref(STOCK_STATUS, "KCZT01_SYS");
        let defaults: [(&str, Option<Val>); 9] = [
            ("FUnitID", unit.clone()),
            ("FBASEUNITID", unit),
            ("FBASEQTY", qty.clone()),
            ("FSTOCKSTATUSID", status),
            ("FOWNERTYPEID", head_text("FOwnerTypeIdHead")),
            ("FOWNERID", head_text("FOwnerIdHead")),
            ("FKEEPERTYPEID", Some(Val::Text("BD_KeeperOrg".to_string()))),
            ("FKEEPERID", head_text("FStockOrgId")),
            (
                "FAmount",
                match (qty, price) {
                    (Some(Val::Num(q)), Some(Val::Num(p))) => Some(Val::Num(q * p)),
                    _ => None,
                },
            ),
        ];
        for (k, v) in defaults {
            if let (Some(k), Some(v)) = (key(k), v)
                && !row.contains_key(k)
            {
                row.insert(k.to_string(), v);
            }
        }
    }

    fn check_required(&mut self, fields: &Fields, defs: &[FieldDef], row: Option<usize>) {
        if !self.opts.validate {
            return;
        }
        for fd in defs.iter().filter(|f| f.required) {
            if is_empty(fields.get(fd.key)) && !self.failed.contains(&(row, fd.key)) {
                // Template: the reference paraphrases "字段[客户]是必录字段".
                let sfx = self.suffix(row);
                self.err(
                    Some(fd.key),
                    format!("字段“{}”({})是必录字段，不能为空{sfx}", fd.name, fd.key),
                    MSG_VALIDATION,
                );
            }
        }
    }
}
