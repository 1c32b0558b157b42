//! ExecuteBillQuery (rows as arrays) and BillQuery (rows as objects): FieldKeys projection with
//! reference sub-fields (`FMaterialId.FNumber`), entry fields, flex paths, FilterString, OrderString,
//! StartRow/Limit/TopRowCount (reference §3.3, §4.2, §7.1). Errors come back as `[[{...}]]`.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use crate::body::{as_i64, as_text, get_ci};
use crate::envelope::{
    MSG_EXCEPTION, MSG_FORM_EMPTY, MSG_NOT_EXIST, MSG_PARAM, failure, wrap_query,
};
use crate::filter::{self, Filter};
use crate::forms::{FieldDef, FormDef, Kind, ORG, find_form};
use crate::model::{BaseRecord, Bill, Entry, SimData, Val};
use crate::state::OpCtx;

/// Largest accepted `Limit` (reference §7.1).
const MAX_LIMIT: i64 = 10_000;

/// Row shape of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// ExecuteBillQuery: `[[v1, v2], ...]`.
    Arrays,
    /// BillQuery: `[{"key": v}, ...]`.
    Objects,
}

/// Fields every record/bill has beyond the form's field list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    Pk,
    Number,
    Name,
    DocumentStatus,
    ForbidStatus,
    EntryId,
    Seq,
    CreateDate,
    ModifyDate,
    ApproveDate,
}

/// Where a path starts.
#[derive(Debug, Clone, Copy)]
enum Src {
    Special(Special),
    Head(&'static FieldDef),
    Entry(&'static FieldDef),
}

/// One step after the first segment.
#[derive(Debug, Clone)]
enum Step {
    Special(Special),
    Field(&'static FieldDef),
    Flex(String),
}

/// A resolved field key.
#[derive(Debug, Clone)]
struct Path {
    src: Src,
    steps: Vec<Step>,
}

impl Path {
    fn is_entry(&self) -> bool {
        matches!(
            self.src,
            Src::Entry(_) | Src::Special(Special::EntryId | Special::Seq)
        )
    }

    fn is_date(&self) -> bool {
        let last_kind = match self.steps.last() {
            Some(Step::Field(fd)) => Some(fd.kind),
            Some(_) => None,
            None => match self.src {
                Src::Head(fd) | Src::Entry(fd) => Some(fd.kind),
                Src::Special(s) => {
                    return matches!(
                        s,
                        Special::CreateDate | Special::ModifyDate | Special::ApproveDate
                    );
                }
            },
        };
        last_kind == Some(Kind::Date)
    }

    fn starts_with_field(&self, key: &str) -> bool {
        matches!(self.src, Src::Head(fd) if fd.key.eq_ignore_ascii_case(key))
    }
}

/// What the first segment of a key can be on `form`.
fn special_of(form: &FormDef, key: &str) -> Option<Special> {
    let is = |k: &str| key.eq_ignore_ascii_case(k);
    if let Some(base) = form.base() {
        return if is(base.pk) {
            Some(Special::Pk)
        } else if is("FNumber") {
            Some(Special::Number)
        } else if is("FName") {
            Some(Special::Name)
        } else if is("FDocumentStatus") {
            Some(Special::DocumentStatus)
        } else if is("FForbidStatus") {
            Some(Special::ForbidStatus)
        } else {
            None
        };
    }
    let entry_key = form.bill().map_or("FEntity", |b| b.entry_key);
    let entry = |suffix: &str| is(suffix) || is(&format!("{entry_key}_{suffix}"));
    if is("FID") {
        Some(Special::Pk)
    } else if is("FBillNo") {
        Some(Special::Number)
    } else if is("FDocumentStatus") {
        Some(Special::DocumentStatus)
    } else if is("FCreateDate") {
        Some(Special::CreateDate)
    } else if is("FModifyDate") {
        Some(Special::ModifyDate)
    } else if is("FApproveDate") {
        Some(Special::ApproveDate)
    } else if entry("FEntryID") {
        Some(Special::EntryId)
    } else if entry("FSeq") {
        Some(Special::Seq)
    } else {
        None
    }
}

/// Resolves a field key (`FNumber`, `FMaterialId.FNumber`, `FStockLocId.FF100001.FNumber`,
/// `FEntity_FEntryId`, ...) on `form`; `None` when the metadata has no such field.
fn resolve(form: &'static FormDef, key: &str) -> Option<Path> {
    let mut segs = key.trim().split('.');
    let first = segs.next()?;
    let src = if let Some(s) = special_of(form, first) {
        Src::Special(s)
    } else if let Some(fd) = form.head_field(first) {
        Src::Head(fd)
    } else if let Some(fd) = form.entry_field(first) {
        Src::Entry(fd)
    } else {
        return None;
    };
    let mut kind = match src {
        Src::Head(fd) | Src::Entry(fd) => Some(fd.kind),
        Src::Special(_) => None,
    };
    let mut steps = Vec::new();
    let mut in_flex = false;
    for seg in segs {
        if seg.is_empty() {
            return None;
        }
        if in_flex {
            steps.push(Step::Flex(seg.to_string()));
            continue;
        }
        match kind {
            Some(Kind::Flex) => {
                in_flex = true;
                steps.push(Step::Flex(seg.to_string()));
            }
            Some(Kind::Ref {
                form: target,
                checked: true,
            }) => {
                let target = find_form(target)?;
                if let Some(s) = special_of(target, seg) {
                    steps.push(Step::Special(s));
                    kind = None;
                } else {
                    let fd = target.head_field(seg)?;
                    steps.push(Step::Field(fd));
                    kind = Some(fd.kind);
                }
            }
            Some(Kind::Ref { checked: false, .. } | Kind::Owner { .. }) => {
                let s = if seg.eq_ignore_ascii_case("FNumber") {
                    Special::Number
                } else if seg.eq_ignore_ascii_case("FName") {
                    Special::Name
                } else {
                    return None;
                };
                steps.push(Step::Special(s));
                kind = None;
            }
            _ => return None,
        }
    }
    Some(Path { src, steps })
}

/// One row being queried.
#[derive(Clone, Copy)]
enum Row<'a> {
    Base(&'a BaseRecord),
    Bill(&'a Bill, Option<&'a Entry>),
}

fn special_value(row: Row<'_>, s: Special) -> Value {
    match (row, s) {
        (Row::Base(r), Special::Pk) => json!(r.id),
        (Row::Base(r), Special::Number) => json!(r.number),
        (Row::Base(r), Special::Name) => json!(r.name),
        (Row::Base(r), Special::DocumentStatus) => json!(r.document_status),
        (Row::Base(r), Special::ForbidStatus) => json!(r.forbid_status),
        (Row::Bill(b, _), Special::Pk) => json!(b.id),
        (Row::Bill(b, _), Special::Number) => json!(b.number),
        (Row::Bill(b, _), Special::DocumentStatus) => json!(b.status),
        (Row::Bill(b, _), Special::CreateDate) => json!(b.create_date),
        (Row::Bill(b, _), Special::ModifyDate) => json!(b.modify_date),
        (Row::Bill(b, _), Special::ApproveDate) => json!(b.approve_date),
        (Row::Bill(_, Some(e)), Special::EntryId) => json!(e.entry_id),
        (Row::Bill(_, Some(e)), Special::Seq) => json!(e.seq),
        _ => Value::Null,
    }
}

fn eval(data: &SimData, path: &Path, row: Row<'_>) -> Value {
    let start: Option<&Val> = match (path.src, row) {
        (Src::Special(s), _) => return special_value(row, s),
        (Src::Head(fd), Row::Base(r)) => r.fields.get(fd.key),
        (Src::Head(fd), Row::Bill(b, _)) => b.head.get(fd.key),
        (Src::Entry(fd), Row::Bill(_, Some(e))) => e.fields.get(fd.key),
        (Src::Entry(_), _) => None,
    };
    let mut cur: Val = start.cloned().unwrap_or(Val::Null);
    for step in &path.steps {
        cur = match (step, &cur) {
            (_, Val::Null) => return Value::Null,
            (Step::Special(s), Val::Ref(r)) => {
                let rec = find_form(&r.form).and_then(|f| data.find_base_by_id(f.id, r.id));
                return match (s, rec) {
                    (Special::Number, _) => json!(r.number),
                    (Special::Pk, _) => json!(r.id),
                    (_, Some(rec)) => special_value(Row::Base(rec), *s),
                    (_, None) => Value::Null,
                };
            }
            (Step::Field(fd), Val::Ref(r)) => find_form(&r.form)
                .and_then(|f| data.find_base_by_id(f.id, r.id))
                .and_then(|rec| rec.fields.get(fd.key).cloned())
                .unwrap_or(Val::Null),
            (Step::Flex(seg), Val::Raw(Value::Object(o))) => {
                let suffix = format!("__{seg}").to_ascii_lowercase();
                o.iter()
                    .find(|(k, _)| {
                        k.eq_ignore_ascii_case(seg) || k.to_ascii_lowercase().ends_with(&suffix)
                    })
                    .map_or(Val::Null, |(_, v)| Val::Raw(v.clone()))
            }
            _ => return Value::Null,
        };
    }
    match cur {
        Val::Raw(Value::Object(_)) if !path.steps.is_empty() => Value::Null,
        other => other.to_query_json(),
    }
}

/// A query failure in the `[[{...}]]` wrapping.
fn query_error(message: impl Into<String>, msg_code: i64) -> Value {
    wrap_query(failure(None, message, msg_code))
}

fn unknown_field(key: &str) -> Value {
    // Verbatim shape (reference §4.4).
    query_error(format!("元数据中标识为{key}的字段不存在"), MSG_NOT_EXIST)
}

/// Runs ExecuteBillQuery / BillQuery on `data` (the `data` argument object).
pub(crate) fn query(
    db: &SimData,
    ctx: &OpCtx<'_>,
    data: &Map<String, Value>,
    shape: Shape,
) -> Value {
    let form_id = get_ci(data, "FormId").and_then(as_text).unwrap_or_default();
    if form_id.trim().is_empty() {
        return query_error("单据标识(FormId)为空", MSG_FORM_EMPTY);
    }
    let Some(form) = find_form(&form_id) else {
        return query_error("业务对象不存在", MSG_EXCEPTION);
    };
    let keys: Vec<String> = match get_ci(data, "FieldKeys") {
        Some(Value::Array(a)) => a.iter().filter_map(as_text).collect(),
        Some(v) => as_text(v)
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    }
    .into_iter()
    .map(|k| k.trim().to_string())
    .filter(|k| !k.is_empty())
    .collect();
    if keys.is_empty() {
        return query_error("查询字段(FieldKeys)不能为空", MSG_PARAM);
    }
    let mut columns = Vec::with_capacity(keys.len());
    for k in &keys {
        match resolve(form, k) {
            Some(p) => columns.push(p),
            None => return unknown_field(k),
        }
    }
    let filter_text = match get_ci(data, "FilterString") {
        Some(Value::Array(items)) => match filter::from_array(items) {
            Ok(s) => s,
            Err(e) => return query_error(e, MSG_PARAM),
        },
        Some(v) => as_text(v).unwrap_or_default(),
        None => String::new(),
    };
    let mut filter: Option<(Filter, Vec<Path>)> = None;
    match filter::parse(&filter_text) {
        Err(e) => return query_error(e, MSG_EXCEPTION),
        Ok(None) => {}
        Ok(Some(mut f)) => {
            let mut paths = Vec::with_capacity(f.fields.len());
            for k in &f.fields {
                match resolve(form, k) {
                    Some(p) => paths.push(p),
                    None => return unknown_field(k),
                }
            }
            let dates: Vec<bool> = paths.iter().map(Path::is_date).collect();
            f.normalize_dates(&dates);
            filter = Some((f, paths));
        }
    }
    let mut order: Vec<(Path, bool)> = Vec::new();
    let order_text = get_ci(data, "OrderString")
        .and_then(as_text)
        .unwrap_or_default();
    for part in order_text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let mut words = part.split_whitespace();
        let key = words.next().unwrap_or_default();
        let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return query_error(filter_near(other), MSG_EXCEPTION),
        };
        match resolve(form, key) {
            Some(p) => order.push((p, desc)),
            None => return unknown_field(key),
        }
    }
    let start = as_i64(get_ci(data, "StartRow")).unwrap_or(0).max(0) as usize;
    let limit = as_i64(get_ci(data, "Limit")).unwrap_or(0).max(0);
    if limit > MAX_LIMIT {
        // Template: the doc only says Limit is at most 10000.
        return query_error(format!("参数Limit的值不能超过{MAX_LIMIT}"), MSG_PARAM);
    }
    let top = as_i64(get_ci(data, "TopRowCount")).unwrap_or(0).max(0) as usize;

    let uses_entries = columns.iter().any(Path::is_entry)
        || order.iter().any(|(p, _)| p.is_entry())
        || filter
            .as_ref()
            .is_some_and(|(_, ps)| ps.iter().any(Path::is_entry));
    let mut rows: Vec<Row<'_>> = match form.bill() {
        Some(_) => db
            .bills_of(form.id)
            .iter()
            .flat_map(|b| {
                let per_entry: Vec<Row<'_>> = if uses_entries {
                    b.entries.iter().map(|e| Row::Bill(b, Some(e))).collect()
                } else {
                    vec![Row::Bill(b, None)]
                };
                per_entry
            })
            .collect(),
        None => db.base_records(form.id).iter().map(Row::Base).collect(),
    };
    let isolate = ctx.cfg.org_isolation
        && form.head_field("FUseOrgId").is_some()
        && !filter
            .as_ref()
            .is_some_and(|(_, ps)| ps.iter().any(|p| p.starts_with_field("FUseOrgId")));
    if isolate {
        rows.retain(|r| match r {
            Row::Base(rec) => matches!(rec.fields.get("FUseOrgId"), Some(Val::Ref(o)) if o.form == ORG && o.number == "100"),
            Row::Bill(..) => true,
        });
    }
    if let Some((f, paths)) = &filter {
        rows.retain(|r| f.matches(&|i| eval(db, &paths[i], *r)));
    }
    if !order.is_empty() {
        let keyed: Vec<(Vec<Value>, Row<'_>)> = rows
            .into_iter()
            .map(|r| (order.iter().map(|(p, _)| eval(db, p, r)).collect(), r))
            .collect();
        let mut keyed = keyed;
        keyed.sort_by(|(a, _), (b, _)| {
            order
                .iter()
                .zip(a.iter().zip(b))
                .map(|((_, desc), (x, y))| {
                    let o = filter::order(x, y);
                    if *desc { o.reverse() } else { o }
                })
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        rows = keyed.into_iter().map(|(_, r)| r).collect();
    }
    // TopRowCount caps the window counted from row 0; StartRow/Limit page inside it.
    let window = if top > 0 {
        top.min(rows.len())
    } else {
        rows.len()
    };
    let end = if limit > 0 {
        window.min(start.saturating_add(limit as usize))
    } else {
        window
    };
    let page = if start < end {
        &rows[start..end]
    } else {
        &[][..]
    };
    let out: Vec<Value> = page
        .iter()
        .map(|r| match shape {
            Shape::Arrays => Value::Array(columns.iter().map(|p| eval(db, p, *r)).collect()),
            Shape::Objects => Value::Object(
                keys.iter()
                    .zip(&columns)
                    .map(|(k, p)| (k.clone(), eval(db, p, *r)))
                    .collect(),
            ),
        })
        .collect();
    Value::Array(out)
}

fn filter_near(t: &str) -> String {
    format!("'{t}' 附近有语法错误。")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KingdeeSimConfig;
    use crate::seed;

    fn run(db: &SimData, data: Value) -> Value {
        let cfg = KingdeeSimConfig::default();
        let ctx = OpCtx::new(&cfg);
        query(db, &ctx, data.as_object().unwrap(), Shape::Arrays)
    }

    #[test]
    fn base_data_projection_with_sub_fields() {
        let db = seed::generate(1, 20);
        let v = run(
            &db,
            json!({"FormId":"BD_MATERIAL","FieldKeys":"FNumber,FBaseUnitId.FNumber,FBARCODE,FUseOrgId.FNumber","FilterString":"FNumber='A0003'"}),
        );
        let row = &v[0];
        assert_eq!(row[0], "A0003");
        assert!(seed::UNITS.iter().any(|(n, _)| row[1] == *n));
        assert_eq!(row[2], "6900000000003");
        assert_eq!(row[3], "100");
        let v = run(
            &db,
            json!({"FormId":"BD_Currency","FieldKeys":"FCODE","FilterString":"FNUMBER='PRE001'"}),
        );
        assert_eq!(v, json!([["CNY"]]));
    }

    #[test]
    fn unknown_fields_and_forms_are_wrapped_errors() {
        let db = seed::generate(1, 5);
        let v = run(
            &db,
            json!({"FormId":"BD_MATERIAL","FieldKeys":"FIssueType"}),
        );
        assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 9);
        assert_eq!(
            v[0][0]["Result"]["ResponseStatus"]["Errors"][0]["Message"],
            "元数据中标识为FIssueType的字段不存在"
        );
        let v = run(&db, json!({"FormId":"STK_OutStock","FieldKeys":"FBillNo"}));
        assert_eq!(
            v[0][0]["Result"]["ResponseStatus"]["Errors"][0]["Message"],
            "业务对象不存在"
        );
        let v = run(
            &db,
            json!({"FormId":"BD_MATERIAL","FieldKeys":"FNumber","FilterString":"FNope = 1"}),
        );
        assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 9);
        let v = run(
            &db,
            json!({"FormId":"BD_MATERIAL","FieldKeys":"FNumber","Limit":10001}),
        );
        assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 8);
    }

    #[test]
    fn paging_top_row_count_and_order() {
        let db = seed::generate(1, 30);
        let page = |start: i64, limit: i64, top: i64| {
            run(
                &db,
                json!({"FormId":"BD_MATERIAL","FieldKeys":"FNumber","OrderString":"FNumber DESC","StartRow":start,"Limit":limit,"TopRowCount":top}),
            )
        };
        assert_eq!(page(0, 2, 0), json!([["A0030"], ["A0029"]]));
        assert_eq!(page(28, 5, 0), json!([["A0002"], ["A0001"]]));
        assert_eq!(page(0, 0, 3).as_array().unwrap().len(), 3);
        assert_eq!(page(2, 5, 4), json!([["A0028"], ["A0027"]]));
        assert_eq!(page(4, 5, 4), json!([]));
    }
}
