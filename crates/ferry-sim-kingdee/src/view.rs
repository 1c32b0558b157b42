//! View: one bill (or base-data record) by `Number` or `Id`, with *property* names (`BillNo`,
//! `DocumentStatus`, ...), references as nested objects with multi-language `Name` arrays, and
//! entries under the entity name (reference §4.2).

use serde_json::{Map, Value, json};

use crate::body::{as_i64, as_text, get_ci};
use crate::envelope::{MSG_NOT_FOUND, MSG_PARAM, failure, status};
use crate::forms::{FieldDef, FormDef, find_form};
use crate::model::{BaseRecord, Bill, SimData, Val};
use crate::state::State;

fn names(lcid: u32, text: &str) -> Value {
    json!([{"Key": lcid, "Value": text}])
}

/// `View` of `data` (`Number` or `Id`) on `form`.
pub(crate) fn view(
    st: &State,
    form: &'static FormDef,
    data: &Map<String, Value>,
    lcid: u32,
) -> Value {
    let number = get_ci(data, "Number")
        .and_then(as_text)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let id = as_i64(get_ci(data, "Id")).filter(|i| *i > 0);
    if number.is_none() && id.is_none() {
        return failure(None, "请指定单据编码(Number)或内码(Id)", MSG_PARAM);
    }
    let matches = |n: &str, i: i64| match (&number, id) {
        (Some(no), _) => n.eq_ignore_ascii_case(no),
        (None, Some(want)) => i == want,
        (None, None) => false,
    };
    let result = match form.bill() {
        Some(_) => match (&number, id) {
            (Some(no), _) => st.data.bill_by_number(form.id, no),
            (None, Some(id)) => st.data.bill_by_id(form.id, id),
            (None, None) => None,
        }
        .map(|b| bill_object(&st.data, form, b, lcid)),
        None => st
            .data
            .base_records(form.id)
            .iter()
            .find(|r| matches(&r.number, r.id))
            .map(|r| base_object(&st.data, form, r, lcid)),
    };
    match result {
        Some(obj) => {
            json!({"Result": {"ResponseStatus": status(true, &[], &[], &[]), "Result": obj}})
        }
        None => {
            let shown = number.unwrap_or_else(|| id.unwrap_or_default().to_string());
            // Template.
            failure(
                Some(""),
                format!("{}“{shown}”不存在或已被删除！", form.name),
                MSG_NOT_FOUND,
            )
        }
    }
}

fn bill_object(data: &SimData, form: &FormDef, bill: &Bill, lcid: u32) -> Value {
    let mut o = Map::new();
    o.insert("Id".into(), json!(bill.id));
    o.insert("BillNo".into(), json!(bill.number));
    o.insert("DocumentStatus".into(), json!(bill.status));
    o.insert("CreateDate".into(), json!(bill.create_date));
    o.insert("ModifyDate".into(), json!(bill.modify_date));
    o.insert("ApproveDate".into(), json!(bill.approve_date));
    for fd in form.head.iter().filter(|f| f.key != "FBillNo") {
        put_prop(&mut o, data, fd, bill.head.get(fd.key), lcid);
    }
    if let Some(bf) = form.bill() {
        let rows: Vec<Value> = bill
            .entries
            .iter()
            .map(|e| {
                let mut r = Map::new();
                r.insert("Id".into(), json!(e.entry_id));
                r.insert("Seq".into(), json!(e.seq));
                for fd in form.entry {
                    put_prop(&mut r, data, fd, e.fields.get(fd.key), lcid);
                }
                Value::Object(r)
            })
            .collect();
        o.insert(bf.entry_prop.into(), Value::Array(rows));
    }
    Value::Object(o)
}

fn base_object(data: &SimData, form: &FormDef, rec: &BaseRecord, lcid: u32) -> Value {
    let mut o = Map::new();
    o.insert("Id".into(), json!(rec.id));
    o.insert("Number".into(), json!(rec.number));
    o.insert("Name".into(), names(lcid, &rec.name));
    o.insert("DocumentStatus".into(), json!(rec.document_status));
    o.insert("ForbidStatus".into(), json!(rec.forbid_status));
    for fd in form.head {
        put_prop(&mut o, data, fd, rec.fields.get(fd.key), lcid);
    }
    Value::Object(o)
}

/// One property: references become `{Id, Number, Name:[..]}` plus `<Prop>_Id`.
fn put_prop(o: &mut Map<String, Value>, data: &SimData, fd: &FieldDef, v: Option<&Val>, lcid: u32) {
    match v {
        Some(Val::Ref(r)) => {
            let name = find_form(&r.form)
                .and_then(|f| data.find_base_by_id(f.id, r.id))
                .map_or_else(|| r.number.clone(), |rec| rec.name.clone());
            o.insert(format!("{}_Id", fd.prop), json!(r.id));
            o.insert(
                fd.prop.into(),
                json!({"Id": r.id, "Number": r.number, "Name": names(lcid, &name)}),
            );
        }
        Some(v) => {
            o.insert(fd.prop.into(), v.to_query_json());
        }
        None => {
            if matches!(
                fd.kind,
                crate::forms::Kind::Ref { .. } | crate::forms::Kind::Owner { .. }
            ) {
                o.insert(format!("{}_Id", fd.prop), json!(0));
            }
            o.insert(fd.prop.into(), Value::Null);
        }
    }
}
