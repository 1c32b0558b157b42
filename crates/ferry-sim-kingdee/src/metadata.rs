//! QueryBusinessInfo: the field metadata of a form (`NeedReturnData.Entrys[].Fields[]`, reference
//! §3.4). `FieldType` names and `ElementType` numbers are simulator choices (the real codes are
//! not in the reference).

use serde_json::{Map, Value, json};

use crate::body::{as_text, get_ci};
use crate::envelope::{MSG_EXCEPTION, MSG_FORM_EMPTY, failure, status};
use crate::forms::{FieldDef, FormDef, Kind, find_form};

fn names(lcid: u32, text: &str) -> Value {
    json!([{"Key": lcid, "Value": text}])
}

fn field_json(fd: &FieldDef, lcid: u32) -> Value {
    let (field_type, element_type, lookup) = match fd.kind {
        Kind::Text => ("TextField", 1, None),
        Kind::Decimal => ("DecimalField", 2, None),
        Kind::Date => ("DateField", 3, None),
        Kind::Bool => ("CheckBoxField", 4, None),
        Kind::Combo(_) => ("ComboField", 5, None),
        Kind::Ref { form, .. } => ("BaseDataField", 13, Some(form)),
        Kind::Owner { .. } => ("ItemClassField", 14, None),
        Kind::Flex => ("RelatedFlexGroupField", 15, None),
    };
    json!({
        "Key": fd.key,
        "Name": names(lcid, fd.name),
        "PropertyName": fd.prop,
        "FieldType": field_type,
        "ElementType": element_type,
        "LookUpObjectFormId": lookup,
        "MustInput": i32::from(fd.required),
    })
}

fn special(key: &str, name: &str, prop: &str, lcid: u32) -> Value {
    json!({"Key": key, "Name": names(lcid, name), "PropertyName": prop, "FieldType": "TextField",
           "ElementType": 1, "LookUpObjectFormId": null, "MustInput": 0})
}

/// `QueryBusinessInfo` for `data` = `{"FormId": ..}`.
pub(crate) fn business_info(data: &Map<String, Value>, lcid: u32) -> Value {
    let form_id = get_ci(data, "FormId").and_then(as_text).unwrap_or_default();
    if form_id.trim().is_empty() {
        return failure(None, "单据标识(FormId)为空", MSG_FORM_EMPTY);
    }
    let Some(form) = find_form(&form_id) else {
        return failure(None, "业务对象不存在", MSG_EXCEPTION);
    };
    json!({"Result": {"ResponseStatus": status(true, &[], &[], &[]), "NeedReturnData": info(form, lcid)}})
}

fn info(form: &FormDef, lcid: u32) -> Value {
    let mut head_fields = Vec::new();
    match (form.bill(), form.base()) {
        (Some(_), _) => {
            head_fields.push(special("FID", "实体主键", "Id", lcid));
            head_fields.push(special(
                "FDocumentStatus",
                "单据状态",
                "DocumentStatus",
                lcid,
            ));
        }
        (None, Some(base)) => {
            head_fields.push(special(base.pk, "实体主键", "Id", lcid));
            head_fields.push(special("FNumber", "编码", "Number", lcid));
            head_fields.push(special("FName", "名称", "Name", lcid));
            head_fields.push(special(
                "FDocumentStatus",
                "数据状态",
                "DocumentStatus",
                lcid,
            ));
            head_fields.push(special("FForbidStatus", "禁用状态", "ForbidStatus", lcid));
        }
        (None, None) => {}
    }
    head_fields.extend(form.head.iter().map(|f| field_json(f, lcid)));
    let mut entrys = vec![json!({
        "Key": "FBillHead",
        "ParentKey": "",
        "EntityType": "HeadEntity",
        "Name": names(lcid, form.name),
        "Fields": head_fields,
    })];
    if let Some(bf) = form.bill() {
        let mut fields = vec![
            special("FEntryID", "实体主键", "Id", lcid),
            special("FSeq", "序号", "Seq", lcid),
        ];
        fields.extend(form.entry.iter().map(|f| field_json(f, lcid)));
        entrys.push(json!({
            "Key": bf.entry_key,
            "ParentKey": "FBillHead",
            "EntityType": "EntryEntity",
            "Name": names(lcid, bf.entry_name),
            "PropertyName": bf.entry_prop,
            "Fields": fields,
        }));
    }
    json!({"Id": form.id, "Name": names(lcid, form.name), "Entrys": entrys})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_form_metadata_lists_entries_and_must_input() {
        let v = business_info(
            json!({"FormId":"stk_misdelivery"}).as_object().unwrap(),
            2052,
        );
        let d = &v["Result"]["NeedReturnData"];
        assert_eq!(d["Id"], "STK_MisDelivery");
        let head = &d["Entrys"][0]["Fields"];
        let pick = head
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["Key"] == "FPickOrgId")
            .unwrap();
        assert_eq!(pick["MustInput"], 1);
        assert_eq!(pick["LookUpObjectFormId"], "ORG_Organizations");
        assert_eq!(d["Entrys"][1]["Key"], "FEntity");
        let v = business_info(json!({"FormId":"NOPE"}).as_object().unwrap(), 2052);
        assert_eq!(v["Result"]["ResponseStatus"]["IsSuccess"], false);
    }
}
