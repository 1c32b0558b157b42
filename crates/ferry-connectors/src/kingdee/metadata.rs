//! Metadata of the Kingdee APIs Ferry uses: `batchSave`/`save` per bill form (fields with 中文
//! labels and types, request-level options as params), and `executeBillQuery` per form.
//!
//! Sources: the project spec's 26 fields of 其他入库新增 (reference §6), the field tables of §5.1/§5.2
//! and the query keys of §5.5. Where the reference knows nothing (the stock-count forms, §5.3) the
//! fields are taken by analogy with `STK_MISCELLANEOUS` — an assumption, said so in the API's label and each field's note.

use ferry_core::diag::did_you_mean;
use ferry_core::metadata::{ApiKind, ApiMeta, FieldMeta, FieldType};
use serde_json::{Value, json};

use super::envelope::get_ci;

/// API name: write with BatchSave (one call per batch).
pub const API_BATCH_SAVE: &str = "batchSave";
/// API name: write with Save (one call per model).
pub const API_SAVE: &str = "save";
/// API name: read with ExecuteBillQuery.
pub const API_QUERY: &str = "executeBillQuery";

/// The bill forms with write metadata.
pub const BILL_FORMS: [&str; 4] = ["STK_MISCELLANEOUS", "STK_MisDelivery", "STK_StockCountGain", "STK_StockCountLoss"];
/// The forms with query metadata.
pub const QUERY_FORMS: [&str; 9] = [
    "BD_MATERIAL",
    "BD_STOCK",
    "BD_Department",
    "BD_Supplier",
    "ORG_Organizations",
    "STK_MISCELLANEOUS",
    "STK_MisDelivery",
    "STK_StockCountGain",
    "STK_StockCountLoss",
];

/// The canonical spelling of a known form id (form ids compare case-insensitively).
pub fn canonical_form<'a>(form: &str, among: &[&'a str]) -> Option<&'a str> {
    among.iter().copied().find(|f| f.eq_ignore_ascii_case(form.trim()))
}

/// The primary-key field of a known form (bills: `FID`).
pub fn primary_key(form: &str) -> Option<&'static str> {
    let f = form.trim().to_ascii_uppercase();
    Some(match f.as_str() {
        "BD_MATERIAL" => "FMATERIALID",
        "BD_STOCK" => "FStockId",
        "BD_DEPARTMENT" => "FDEPTID",
        "BD_SUPPLIER" => "FSupplierId",
        "ORG_ORGANIZATIONS" => "FOrgID",
        "BD_CURRENCY" => "FCURRENCYID",
        _ if f.starts_with("STK_") || f.starts_with("SAL_") || f.starts_with("PUR_") => "FID",
        _ => return None,
    })
}

/// 中文 name of a known bill form.
fn bill_label(form: &str) -> &'static str {
    match form {
        "STK_MISCELLANEOUS" => "其他入库单",
        "STK_MisDelivery" => "其他出库单",
        "STK_StockCountGain" => "盘盈单",
        _ => "盘亏单",
    }
}

fn f(path: &str, label: &str, ty: FieldType) -> FieldMeta {
    FieldMeta::new(path, label, ty)
}

/// The request-level `data` options of Save/BatchSave (reference §3.1 and §6.1). The spec's four
/// `FEntity.*` options keep the spec's names; the scheme's `options:` matches them by their last
/// segment (`IsAutoSubmitAndAudit`).
fn save_params(form: &str, op: &str) -> Vec<FieldMeta> {
    let mut p = vec![
        f("FEntity.FormId", "业务对象表单Id", FieldType::String)
            .preset(json!(form))
            .note("request level: the formid of the call, set by the target's 'form:'; not a model field"),
        f("FEntity.Operation", "执行的操作", FieldType::String)
            .preset(json!(if op == API_SAVE { "Save" } else { "BatchSave" }))
            .note("request level: the service in the URL (…DynamicFormService.BatchSave.common.kdsvc), set by 'api:'"),
        f("FEntity.IsAutoSubmitAndAudit", "提交并审核", FieldType::Bool)
            .preset(json!(false))
            .note("data.IsAutoSubmitAndAudit: submit and audit after a successful save"),
        f("FEntity.IsVerifyBaseDataField", "验证基础资料", FieldType::Bool)
            .preset(json!(false))
            .note("data.IsVerifyBaseDataField: also reject disabled or unaudited base data"),
        f("NeedUpDateFields", "需要更新的字段", FieldType::Array)
            .preset(json!([]))
            .note("fields to update; empty = full save. An update needs FID (and FEntryID for rows)"),
        f("NeedReturnFields", "需返回结果的字段集合", FieldType::Array).preset(json!([])).note("echoed back in NeedReturnData"),
        f("IsDeleteEntry", "是否删除已存在的分录", FieldType::Bool).preset(json!(true)),
        f("SubSystemId", "表单所在的子系统内码", FieldType::String),
        f("IsEntryBatchFill", "是否批量填充分录", FieldType::Bool).preset(json!(true)),
        f("ValidateFlag", "是否验证数据合法性标志", FieldType::Bool).preset(json!(true)),
        f("NumberSearch", "是否用编码搜索基础资料", FieldType::Bool).preset(json!(true)),
        f("IsAutoAdjustField", "是否自动调整JSON字段顺序", FieldType::Bool).preset(json!(false)),
        f("InterationFlags", "交互标志集合", FieldType::String).note("\"flag1;flag2\", e.g. STK_InvCheckResult allows negative stock"),
        f("IgnoreInterationFlag", "是否允许忽略交互", FieldType::Bool).preset(json!(true)),
        f("IsControlPrecision", "是否控制精度", FieldType::Bool).preset(json!(false)),
        f("ValidateRepeatJson", "校验Json数据包是否重复传入", FieldType::Bool).preset(json!(false)),
    ];
    if op == API_BATCH_SAVE {
        p.push(f("BatchCount", "服务端开启的线程数", FieldType::Integer).note("server threads; matters only when fewer than the models"));
    }
    p
}

/// Header fields common to the inbound-style bills.
fn inbound_header(spec_fields: bool) -> Vec<FieldMeta> {
    let mut v = vec![
        f("FID", "实体主键", FieldType::Integer).preset(json!(0)).note("internal id: 0 (or absent) for a new bill; set it with NeedUpDateFields to update"),
        f("FBillNo", "单据编号", FieldType::String).note("unique; empty = auto-numbered. Ferry's idempotency key"),
        f("FBillTypeID", "单据类型", FieldType::BaseRef).note("{FNUMBER: QTRKD01_SYS} (标准其他入库单)"),
        f("FStockOrgId", "库存组织", FieldType::BaseRef).required().note("{FNumber: \"100\"}"),
        f("FStockDirect", "库存方向", FieldType::String).preset(json!("GENERAL")).note("GENERAL (普通) or RETURN (退库)"),
        f("FDate", "日期", FieldType::Datetime).required().note("yyyy-MM-dd HH:mm:ss or yyyy-MM-dd"),
        f("FSUPPLIERID", "供应商", FieldType::BaseRef),
        f("FDEPTID", "部门", FieldType::BaseRef),
        f("FOwnerTypeIdHead", "货主类型", FieldType::String).preset(json!("BD_OwnerOrg")).note("BD_OwnerOrg, BD_Supplier or BD_Customer"),
        f("FOwnerIdHead", "货主", FieldType::BaseRef),
        f("FNOTE", "备注", FieldType::String),
        f("FEntity", "明细信息", FieldType::Array).required().note("the bill's rows"),
    ];
    if !spec_fields {
        // The stock-count forms (by analogy): no supplier.
        v.retain(|m| m.path != "FSUPPLIERID");
    }
    v.extend([
        f("FACCEPTANCE", "验收员", FieldType::BaseRef),
        f("FSTOCKERID", "仓管员", FieldType::BaseRef),
        f("FSTOCKERGROUPID", "库存组", FieldType::BaseRef),
        f("FBaseCurrId", "本位币", FieldType::BaseRef).note("{FNumber: PRE001} (人民币)"),
    ]);
    v
}

/// Row fields of the inbound-style bills.
fn inbound_rows(qty_label: &str, stock_label: &str) -> Vec<FieldMeta> {
    vec![
        f("FEntity.FEntryID", "分录主键", FieldType::Integer).preset(json!(0)).note("0 (or absent) for a new row"),
        f("FEntity.FInStockType", "入库类型", FieldType::String).note("enum text; \"1\" = 合格品入库 is the only value seen"),
        f("FEntity.FMATERIALID", "物料编码", FieldType::BaseRef).required().note("{FNumber: 1.01.001}"),
        f("FEntity.FCMKBarCode", "零售条形码", FieldType::String),
        f("FEntity.FUnitID", "单位", FieldType::BaseRef).note("{FNumber: Pcs}"),
        f("FEntity.FSTOCKID", stock_label, FieldType::BaseRef).required().note("{FNumber: CK001}"),
        f("FEntity.FStockLocId", "仓位", FieldType::Object)
            .note("flex field: {FSTOCKLOCID__FF100001: {FNumber: A-01}}; the FF ids depend on the account"),
        f("FEntity.FSTOCKSTATUSID", "库存状态", FieldType::BaseRef).note("{FNumber: KCZT01_SYS} (可用)"),
        f("FEntity.FLOT", "批号", FieldType::BaseRef).note("{FNumber: 20240501}; lot-managed materials only"),
        f("FEntity.FQty", qty_label, FieldType::Number).required(),
        f("FEntity.FPrice", "成本价", FieldType::Number),
        f("FEntity.FAmount", "金额", FieldType::Number).note("not seen in any client sample [?]"),
        f("FEntity.FEntryNote", "备注", FieldType::String),
        f("FEntity.FSRCBILLNO", "源单编号", FieldType::String),
        f("FEntity.FSRCBILLTYPEID", "源单类型", FieldType::String).note("form id of the source bill; empty when the source is not a Kingdee bill"),
        f("FEntity.FOWNERTYPEID", "货主类型", FieldType::String).note("BD_OwnerOrg"),
        f("FEntity.FOWNERID", "货主", FieldType::BaseRef),
        f("FEntity.FKEEPERTYPEID", "保管者类型", FieldType::String).note("BD_KeeperOrg"),
        f("FEntity.FKEEPERID", "保管者", FieldType::BaseRef),
        f("FEntity.FBASEUNITID", "基本单位", FieldType::BaseRef),
        f("FEntity.FBASEQTY", "基本单位数量", FieldType::Number),
        f("FEntity.FPRODUCEDATE", "生产日期", FieldType::Datetime),
        f("FEntity.FEXPIRYDATE", "有效期至", FieldType::Datetime),
        f("FEntity.FMTONO", "计划跟踪号", FieldType::String),
        f("FEntity.FAuxPropId", "辅助属性", FieldType::Object).note("flex field: {FAUXPROPID__FF100001: {FNumber: …}}"),
    ]
}

/// STK_MisDelivery (其他出库单, reference §5.2).
fn delivery_fields() -> Vec<FieldMeta> {
    vec![
        f("FID", "实体主键", FieldType::Integer).preset(json!(0)).note("0 (or absent) for a new bill"),
        f("FBillNo", "单据编号", FieldType::String).note("unique; empty = auto-numbered. Ferry's idempotency key"),
        f("FBillTypeID", "单据类型", FieldType::BaseRef).note("{FNUMBER: QTCKD01_SYS} (标准其他出库单); QTCKD02..05_SYS exist"),
        f("FStockOrgId", "库存组织", FieldType::BaseRef).required(),
        f("FPickOrgId", "领用组织", FieldType::BaseRef).required(),
        f("FStockDirect", "库存方向", FieldType::String).preset(json!("GENERAL")).note("GENERAL or RETURN"),
        f("FDate", "日期", FieldType::Datetime).required(),
        f("FCustId", "客户", FieldType::BaseRef).note("some integrations require FCustId or FDeptId [?]"),
        f("FDeptId", "领料部门", FieldType::BaseRef),
        f("FPickerId", "领料人", FieldType::BaseRef),
        f("FStockerId", "仓管员", FieldType::BaseRef),
        f("FStockerGroupId", "库存组", FieldType::BaseRef),
        f("FBizType", "业务类型", FieldType::String).note("one client sends \"0\" [?]"),
        f("FOwnerTypeIdHead", "货主类型", FieldType::String).preset(json!("BD_OwnerOrg")),
        f("FOwnerIdHead", "货主", FieldType::BaseRef),
        f("FNote", "备注", FieldType::String),
        f("FBaseCurrId", "本位币", FieldType::BaseRef),
        f("FEntity", "明细信息", FieldType::Array).required(),
        f("FEntity.FEntryID", "分录主键", FieldType::Integer).preset(json!(0)),
        f("FEntity.FMaterialId", "物料编码", FieldType::BaseRef).required(),
        f("FEntity.FUnitID", "单位", FieldType::BaseRef),
        f("FEntity.FQty", "实发数量", FieldType::Number).required(),
        f("FEntity.FBaseUnitId", "基本单位", FieldType::BaseRef),
        f("FEntity.FBaseQty", "基本单位数量", FieldType::Number),
        f("FEntity.FStockId", "发货仓库", FieldType::BaseRef).required(),
        f("FEntity.FStockLocId", "仓位", FieldType::Object).note("flex field, as on 其他入库单"),
        f("FEntity.FLot", "批号", FieldType::BaseRef),
        f("FEntity.FStockStatusId", "库存状态", FieldType::BaseRef).note("{FNumber: KCZT01_SYS}"),
        f("FEntity.FOwnerTypeId", "货主类型", FieldType::String),
        f("FEntity.FOwnerId", "货主", FieldType::BaseRef),
        f("FEntity.FKeeperTypeId", "保管者类型", FieldType::String).note("BD_KeeperOrg"),
        f("FEntity.FKeeperId", "保管者", FieldType::BaseRef),
        f("FEntity.FDistribution", "分配", FieldType::Bool),
        f("FEntity.FEntryNote", "备注", FieldType::String),
        f("FEntity.FCMKBarCode", "零售条形码", FieldType::String).note("by analogy with 其他入库单 [?]"),
        f("FEntity.FPrice", "成本价", FieldType::Number).note("by analogy with 其他入库单 [?]"),
        f("FEntity.FAmount", "总成本", FieldType::Number).note("[?]"),
        f("FEntity.FSRCBILLNO", "源单编号", FieldType::String).note("by analogy with 其他入库单 [?]"),
        f("FEntity.FSRCBILLTYPEID", "源单类型", FieldType::String).note("by analogy with 其他入库单 [?]"),
        f("FEntity.FAuxPropId", "辅助属性", FieldType::Object),
    ]
}

/// Write metadata of a bill form (`form` must be canonical).
fn save_meta(form: &'static str, op: &str) -> ApiMeta {
    let fields = match form {
        "STK_MISCELLANEOUS" => {
            let mut v = inbound_header(true);
            v.extend(inbound_rows("实收数量", "收货仓库"));
            v
        }
        "STK_MisDelivery" => delivery_fields(),
        _ => {
            let assumed = "assumed by analogy with 其他入库单 (the reference has no field list for this form)";
            let mut v = inbound_header(false);
            v.extend(inbound_rows("数量", "仓库"));
            for m in &mut v {
                m.note = if m.note.is_empty() { assumed.into() } else { format!("{}; {assumed}", m.note) };
            }
            v
        }
    };
    let mut what = if op == API_SAVE { "新增 (Save)" } else { "新增 (BatchSave)" }.to_owned();
    if !matches!(form, "STK_MISCELLANEOUS" | "STK_MisDelivery") {
        what.push_str(" — fields assumed by analogy with 其他入库单");
    }
    ApiMeta {
        system: "kingdee".into(),
        api: op.into(),
        form: Some(form.into()),
        label: format!("{}{what}", bill_label(form)),
        kind: ApiKind::Write,
        case_insensitive: true,
        params: save_params(form, op),
        fields,
    }
}

fn query_params(form: Option<&str>) -> Vec<FieldMeta> {
    let mut form_id = f("FormId", "业务对象表单Id", FieldType::String).required();
    if let Some(form) = form {
        form_id = form_id.preset(json!(form));
    }
    vec![
        form_id,
        f("FieldKeys", "需查询的字段key集合", FieldType::String)
            .required()
            .note("\"FNumber,FName,FBaseUnitId.FNumber\" (or a list); each record gets these keys, dotted keys nested"),
        f("FilterString", "过滤条件", FieldType::String).note("FNumber='X' and FDocumentStatus='C' (avoid '<': the WAF blocks it)"),
        f("OrderString", "排序字段", FieldType::String).note("needed for paging; defaults to the form's primary key when Ferry knows it"),
        f("TopRowCount", "返回总行数", FieldType::Integer).preset(json!(0)).note("caps the whole result; 0 = no cap"),
        f("StartRow", "开始行索引", FieldType::Integer).preset(json!(0)),
        f("Limit", "最大行数", FieldType::Integer).preset(json!(2000)).note("page size, at most 10000"),
        f("SubSystemId", "表单所在的子系统内码", FieldType::String),
    ]
}

fn query_fields(form: &str) -> Vec<FieldMeta> {
    use FieldType::{Integer, String as S};
    let common = |pk: &str, pk_label: &str| {
        vec![
            f(pk, pk_label, Integer).note("internal id"),
            f("FNumber", "编码", S),
            f("FName", "名称", S),
            f("FDocumentStatus", "数据状态", S).note("Z 暂存, A 创建, B 审核中, C 已审核, D 重新审核"),
            f("FForbidStatus", "禁用状态", S).note("A 启用, B 禁用"),
        ]
    };
    let org = |v: &mut Vec<FieldMeta>| v.push(f("FUseOrgId.FNumber", "使用组织编码", S).note("base data is isolated by organisation"));
    match form {
        "BD_MATERIAL" => {
            let mut v = common("FMATERIALID", "物料内码");
            v.push(f("FSpecification", "规格型号", S));
            v.push(f("FBaseUnitId.FNumber", "基本单位编码", S));
            v.push(f("FBARCODE", "条码", S).note("field key assumed [?]"));
            org(&mut v);
            v.push(f("FCreateOrgId.FNumber", "创建组织编码", S));
            v
        }
        "BD_STOCK" => {
            let mut v = common("FStockId", "仓库内码");
            org(&mut v);
            v
        }
        "BD_Department" => {
            let mut v = common("FDEPTID", "部门内码");
            org(&mut v);
            v
        }
        "BD_Supplier" => {
            let mut v = common("FSupplierId", "供应商内码");
            v.push(f("FShortName", "简称", S));
            v.push(f("FGroup.FName", "分组名称", S));
            org(&mut v);
            v
        }
        "ORG_Organizations" => vec![
            f("FOrgID", "组织内码", Integer).note("internal id"),
            f("FNumber", "编码", S),
            f("FName", "名称", S),
            f("FOrgFormID", "组织形态", S),
        ],
        bill => {
            // Bills: the header keys worth reading back.
            let mut v = vec![
                f("FID", "实体主键", Integer),
                f("FBillNo", "单据编号", S),
                f("FDate", "日期", FieldType::Datetime),
                f("FDocumentStatus", "单据状态", S).note("A 创建, B 审核中, C 已审核, D 重新审核"),
                f("FStockOrgId.FNumber", "库存组织编码", S),
            ];
            if bill != "STK_MisDelivery" {
                v.push(f("FEntity_FEntryId", "分录主键", Integer));
            }
            v
        }
    }
}

fn query_meta(form: Option<&'static str>) -> ApiMeta {
    ApiMeta {
        system: "kingdee".into(),
        api: API_QUERY.into(),
        form: form.map(str::to_owned),
        label: match form {
            Some(f) => format!("单据查询 {f}"),
            None => "单据查询 (ExecuteBillQuery)".into(),
        },
        kind: ApiKind::Read,
        case_insensitive: true,
        params: query_params(form),
        // The records have the keys the scheme asks for in FieldKeys: checked only for a known form.
        fields: form.map(query_fields).unwrap_or_default(),
    }
}

/// Metadata of one API (and form). Form ids compare case-insensitively; an unknown form is an
/// error listing the known ones.
pub fn api_meta(api: &str, form: Option<&str>) -> Result<Option<ApiMeta>, String> {
    let Some(api) = [API_BATCH_SAVE, API_SAVE, API_QUERY].into_iter().find(|a| a.eq_ignore_ascii_case(api)) else {
        return Err(format!("the kingdee system has no API '{api}' (it has {API_BATCH_SAVE}, {API_SAVE} and {API_QUERY})"));
    };
    match (api, form) {
        (API_QUERY, None) => Ok(Some(query_meta(None))),
        (API_QUERY, Some(form)) => match canonical_form(form, &QUERY_FORMS) {
            Some(f) => Ok(Some(query_meta(Some(f)))),
            None => Err(unknown_form(form, api, &QUERY_FORMS)),
        },
        (_, None) => Err(format!("{api} writes one bill form: set the target's 'form:' (one of {})", BILL_FORMS.join(", "))),
        (_, Some(form)) => match canonical_form(form, &BILL_FORMS) {
            Some(f) => Ok(Some(save_meta(f, api))),
            None => Err(unknown_form(form, api, &BILL_FORMS)),
        },
    }
}

fn unknown_form(form: &str, api: &str, known: &[&str]) -> String {
    format!(
        "Ferry has no {api} metadata for form '{form}'{} (known: {})",
        did_you_mean(form, known.iter().copied()),
        known.join(", ")
    )
}

/// The fields of a whole base-data row (a lookup table without a value field): the query
/// metadata's fields for a known form, else `FNumber` and `FName`.
pub fn whole_row_fields(form: &str) -> Vec<String> {
    match canonical_form(form, &QUERY_FORMS) {
        Some(f) => query_fields(f).into_iter().map(|m| m.path).collect(),
        None => vec!["FNumber".into(), "FName".into()],
    }
}

/// Fields of `meta` that hold base-data references, as paths (`FStockOrgId`, `FEntity.FSTOCKID`).
pub fn base_ref_paths(meta: &ApiMeta) -> Vec<String> {
    meta.fields.iter().filter(|f| f.ty == FieldType::BaseRef).map(|f| f.path.clone()).collect()
}

/// Turn a `QueryBusinessInfo` answer (`NeedReturnData`) into write metadata for a form Ferry does
/// not know (reference §3.4): every entry's fields, header ones at the root and row ones under the
/// entry key; `LookUpObjectFormId` makes a base-data reference, `MustInput` a required field, and
/// the `FieldType` class name a guess at the rest (see `type_of`).
pub fn from_business_info(form: &str, info: &Value) -> ApiMeta {
    let mut fields = Vec::new();
    let entrys = info.as_object().and_then(|o| get_ci(o, "Entrys")).and_then(Value::as_array).cloned().unwrap_or_default();
    for (i, e) in entrys.iter().enumerate() {
        let Some(e) = e.as_object() else { continue };
        let key = get_ci(e, "Key").and_then(Value::as_str).unwrap_or_default();
        let is_head = i == 0 || key.eq_ignore_ascii_case("FBillHead");
        if !is_head && !key.is_empty() {
            fields.push(FieldMeta::new(key, &name_text(get_ci(e, "Name")), FieldType::Array));
        }
        for fv in get_ci(e, "Fields").and_then(Value::as_array).into_iter().flatten() {
            let Some(fo) = fv.as_object() else { continue };
            let Some(fkey) = get_ci(fo, "Key").and_then(Value::as_str) else { continue };
            let path = if is_head || key.is_empty() { fkey.to_owned() } else { format!("{key}.{fkey}") };
            let lookup = get_ci(fo, "LookUpObjectFormId").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
            let ty = if lookup { FieldType::BaseRef } else { type_of(get_ci(fo, "FieldType")) };
            let mut m = FieldMeta::new(&path, &name_text(get_ci(fo, "Name")), ty);
            let must = get_ci(fo, "MustInput").is_some_and(|v| matches!(v, Value::Bool(true)) || v.as_i64().is_some_and(|n| n != 0));
            if must {
                m = m.required();
            }
            fields.push(m);
        }
    }
    ApiMeta {
        system: "kingdee".into(),
        api: API_BATCH_SAVE.into(),
        form: Some(form.into()),
        label: format!("{form} (from QueryBusinessInfo)"),
        kind: ApiKind::Write,
        case_insensitive: true,
        params: save_params(form, API_BATCH_SAVE),
        fields,
    }
}

/// A field type from the BOS field class name (`DecimalField`, `QtyField`, `DateField`, …). The
/// codes are not documented in the reference [?]; anything unrecognised stays `Any`.
fn type_of(v: Option<&Value>) -> FieldType {
    let Some(name) = v.and_then(Value::as_str) else { return FieldType::Any };
    let n = name.to_ascii_lowercase();
    if n.contains("basedata") || n.contains("assistant") {
        FieldType::BaseRef
    } else if ["decimal", "qty", "price", "amount"].iter().any(|k| n.contains(k)) {
        FieldType::Number
    } else if n.contains("integer") {
        FieldType::Integer
    } else if n.contains("date") || n.contains("time") {
        FieldType::Datetime
    } else if n.contains("checkbox") {
        FieldType::Bool
    } else if n.contains("text") || n.contains("combo") || n.contains("billno") {
        FieldType::String
    } else {
        FieldType::Any
    }
}

/// A multi-language name: `[{"Key":2052,"Value":".."}]`, `{"2052": ".."}` or a string.
fn name_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            let pick = |want: Option<i64>| {
                items.iter().filter_map(Value::as_object).find_map(|o| {
                    let key = get_ci(o, "Key").and_then(|k| k.as_i64().or_else(|| k.as_str().and_then(|s| s.parse().ok())));
                    let ok = want.is_none_or(|w| key == Some(w));
                    if ok { get_ci(o, "Value").and_then(Value::as_str).map(str::to_owned) } else { None }
                })
            };
            pick(Some(2052)).or_else(|| pick(None)).unwrap_or_default()
        }
        Some(Value::Object(o)) => get_ci(o, "2052").or_else(|| o.values().next()).and_then(Value::as_str).unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 26 fields of the spec's 其他入库新增 (seed), as written there.
    const SPEC: [(&str, &str); 26] = [
        ("FEntity.FCMKBarCode", "零售条形码"),
        ("FEntity.FSTOCKID", "收货仓库"),
        ("FSUPPLIERID", "供应商"),
        ("FEntity.FSRCBILLNO", "源单编号"),
        ("FStockOrgId", "库存组织"),
        ("FDEPTID", "部门"),
        ("FEntity.IsVerifyBaseDataField", "验证基础资料"),
        ("FEntity.FSRCBILLTYPEID", "源单类型"),
        ("FEntity", "明细信息"),
        ("FOwnerTypeIdHead", "货主类型"),
        ("FEntity.FEntryNote", "备注"),
        ("FEntity.FInStockType", "入库类型"),
        ("FBillTypeID", "单据类型"),
        ("FEntity.FLOT", "批号"),
        ("FBillNo", "单据编号"),
        ("FEntity.FormId", "业务对象表单Id"),
        ("FEntity.FMATERIALID", "物料编码"),
        ("FEntity.FStockLocId", "仓位"),
        ("FEntity.FPrice", "成本价"),
        ("FEntity.FQty", "实收数量"),
        ("FStockDirect", "库存方向"),
        ("FNOTE", "备注"),
        ("FOwnerIdHead", "货主"),
        ("FEntity.Operation", "执行的操作"),
        ("FDate", "日期"),
        ("FEntity.IsAutoSubmitAndAudit", "提交并审核"),
    ];
    const OPTIONS: [&str; 4] = ["FEntity.FormId", "FEntity.Operation", "FEntity.IsAutoSubmitAndAudit", "FEntity.IsVerifyBaseDataField"];

    #[test]
    fn every_spec_field_is_there_with_its_label_options_as_params() {
        let m = api_meta("batchSave", Some("STK_MISCELLANEOUS")).unwrap().unwrap();
        assert!(m.case_insensitive);
        for (path, label) in SPEC {
            let found = if OPTIONS.contains(&path) { m.param(path) } else { m.field(path) };
            let found = found.unwrap_or_else(|| panic!("{path} missing"));
            assert_eq!(found.label, label, "{path}");
            assert!(m.field(path).is_none() || !OPTIONS.contains(&path), "{path} must not be a model field");
        }
    }

    #[test]
    fn types_follow_the_reference() {
        let m = api_meta("batchSave", Some("stk_miscellaneous")).unwrap().unwrap();
        assert_eq!(m.form.as_deref(), Some("STK_MISCELLANEOUS"));
        for p in ["FEntity.FMATERIALID", "FEntity.FSTOCKID", "FStockOrgId", "FBillTypeID", "FSUPPLIERID", "FDEPTID", "FOwnerIdHead", "FEntity.FLOT"] {
            assert_eq!(m.field(p).unwrap().ty, FieldType::BaseRef, "{p}");
        }
        for p in ["FEntity.FQty", "FEntity.FPrice"] {
            assert_eq!(m.field(p).unwrap().ty, FieldType::Number, "{p}");
        }
        assert_eq!(m.field("FDate").unwrap().ty, FieldType::Datetime);
        assert_eq!(m.field("FEntity").unwrap().ty, FieldType::Array);
        assert_eq!(m.field("FEntity.FStockLocId").unwrap().ty, FieldType::Object);
        assert_eq!(m.param("FEntity.IsAutoSubmitAndAudit").unwrap().ty, FieldType::Bool);
        for extra in ["FID", "FEntity.FEntryID", "FEntity.FUnitID", "FEntity.FSTOCKSTATUSID", "FEntity.FOWNERTYPEID", "FEntity.FOWNERID", "FEntity.FKEEPERTYPEID", "FEntity.FKEEPERID"] {
            assert!(m.field(extra).is_some(), "{extra}");
        }
        let required: Vec<&str> = m.fields.iter().filter(|f| f.required).map(|f| f.path.as_str()).collect();
        assert_eq!(required, ["FStockOrgId", "FDate", "FEntity", "FEntity.FMATERIALID", "FEntity.FSTOCKID", "FEntity.FQty"]);
    }

    #[test]
    fn other_forms_and_unknown_ones() {
        let d = api_meta("batchSave", Some("STK_MisDelivery")).unwrap().unwrap();
        assert!(d.field("FPickOrgId").unwrap().required);
        for form in ["STK_StockCountGain", "STK_StockCountLoss"] {
            let m = api_meta("batchSave", Some(form)).unwrap().unwrap();
            assert!(m.field("FEntity.FMATERIALID").unwrap().note.contains("analogy"), "{form}");
            assert!(m.label.contains("analogy"), "{form}");
        }
        let e = api_meta("batchSave", Some("STK_MISCELANEOUS")).unwrap_err();
        assert!(e.contains("did you mean 'STK_MISCELLANEOUS'") && e.contains("STK_MisDelivery"), "{e}");
        assert!(api_meta("batchSave", None).unwrap_err().contains("form:"));
        assert!(api_meta("bulkSave", None).unwrap_err().contains("no API 'bulkSave'"));
        assert_eq!(api_meta("save", Some("STK_MISCELLANEOUS")).unwrap().unwrap().param("BatchCount").map(|_| ()), None);
    }

    #[test]
    fn query_metadata() {
        for form in ["BD_MATERIAL", "BD_STOCK", "BD_Department", "BD_Supplier", "ORG_Organizations"] {
            let m = api_meta("executeBillQuery", Some(form)).unwrap().unwrap();
            assert_eq!(m.kind, ApiKind::Read);
            assert!(m.field_ci("fnumber").is_some(), "{form}");
            assert_eq!(m.param("FormId").unwrap().preset, Some(json!(form)));
        }
        assert!(api_meta("executeBillQuery", None).unwrap().unwrap().fields.is_empty());
        assert_eq!(primary_key("bd_material"), Some("FMATERIALID"));
        assert_eq!(primary_key("STK_MISCELLANEOUS"), Some("FID"));
        assert_eq!(primary_key("XYZ"), None);
    }

    #[test]
    fn business_info_becomes_metadata() {
        let info = json!({"Entrys":[
            {"Key":"FBillHead","ParentKey":"","Name":[{"Key":2052,"Value":"单据头"}],"Fields":[
                {"Key":"FBillNo","Name":[{"Key":2052,"Value":"单据编号"}],"MustInput":0},
                {"Key":"FStockOrgId","Name":[{"Key":2052,"Value":"库存组织"}],"LookUpObjectFormId":"ORG_Organizations","MustInput":1}]},
            {"Key":"FEntity","ParentKey":"FBillHead","Name":[{"Key":2052,"Value":"明细"}],"Fields":[
                {"Key":"FQty","Name":{"2052":"数量"},"FieldType":"QtyField","MustInput":true}]}]});
        let m = from_business_info("X_FORM", &info);
        assert_eq!(m.field("FStockOrgId").unwrap().ty, FieldType::BaseRef);
        assert!(m.field("FStockOrgId").unwrap().required);
        assert_eq!(m.field("FEntity").unwrap().label, "明细");
        assert!(m.field("FEntity.FQty").unwrap().required);
        assert_eq!(m.field("FEntity.FQty").unwrap().ty, FieldType::Number);
        assert_eq!(m.field("FBillNo").unwrap().ty, FieldType::Any);
        assert_eq!(m.field("FBillNo").unwrap().label, "单据编号");
    }
}
