//! Form metadata: which forms the simulator knows, their fields, Chinese names, kinds and rules.
//!
//! Field lists of `STK_MISCELLANEOUS` and `STK_MisDelivery` follow reference §5.1/§5.2. The forms
//! `STK_StockCountGain` and `STK_StockCountLoss` have no known field lists (reference §5.3); they are
//! modelled **by analogy with `STK_MISCELLANEOUS`** — an assumption, kept visible here and in the docs.

/// What a field holds and how Save validates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Free text (numbers are accepted and kept as text).
    Text,
    /// A decimal (JSON number or numeric string).
    Decimal,
    /// A date (`yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss`, `yyyy-MM-ddTHH:mm:ss`).
    Date,
    /// A boolean (JSON bool or `"true"`/`"false"`).
    Bool,
    /// A combo box; an empty list accepts any value.
    Combo(&'static [&'static str]),
    /// A base-data reference `{"FNumber": ..}`. `checked`: resolved against the simulator's tables;
    /// unchecked references (lots, customers, employees) are stored as sent.
    Ref { form: &'static str, checked: bool },
    /// Owner or keeper: the referenced form depends on the sibling type field.
    Owner { type_key: &'static str },
    /// A flex field (`FStockLocId`, `FAuxPropId`), kept as sent.
    Flex,
}

/// One field of a form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldDef {
    /// Canonical field key (Save/Query key), e.g. `FMATERIALID`.
    pub key: &'static str,
    /// Chinese caption, used in messages and metadata.
    pub name: &'static str,
    /// Property name used by `View`, e.g. `MaterialId`.
    pub prop: &'static str,
    /// Kind.
    pub kind: Kind,
    /// Must-input: a missing, empty or zero value fails validation.
    pub required: bool,
}

const fn f(key: &'static str, name: &'static str, prop: &'static str, kind: Kind) -> FieldDef {
    FieldDef {
        key,
        name,
        prop,
        kind,
        required: false,
    }
}

const fn req(key: &'static str, name: &'static str, prop: &'static str, kind: Kind) -> FieldDef {
    FieldDef {
        key,
        name,
        prop,
        kind,
        required: true,
    }
}

const fn r(form: &'static str) -> Kind {
    Kind::Ref {
        form,
        checked: true,
    }
}

const fn free(form: &'static str) -> Kind {
    Kind::Ref {
        form,
        checked: false,
    }
}

/// Organisations form id.
pub(crate) const ORG: &str = "ORG_Organizations";
/// Stocks form id.
pub(crate) const STOCK: &str = "BD_STOCK";
/// Materials form id.
pub(crate) const MATERIAL: &str = "BD_MATERIAL";
/// Departments form id.
pub(crate) const DEPT: &str = "BD_Department";
/// Suppliers form id.
pub(crate) const SUPPLIER: &str = "BD_Supplier";
/// Units form id.
pub(crate) const UNIT: &str = "BD_UNIT";
/// Currencies form id.
pub(crate) const CURRENCY: &str = "BD_Currency";
/// Bill types form id.
pub(crate) const BILL_TYPE: &str = "BOS_BillType";
/// Stock statuses form id.
pub(crate) const STOCK_STATUS: &str = "BD_StockStatus";

const OWNER_TYPES: &[&str] = &["BD_OwnerOrg", "BD_Supplier", "BD_Customer"];
const KEEPER_TYPES: &[&str] = &["BD_KeeperOrg", "BD_Supplier", "BD_Customer"];
const STOCK_DIRECTS: &[&str] = &["GENERAL", "RETURN"];

/// A bill form's extra metadata.
#[derive(Debug)]
pub(crate) struct BillForm {
    /// Auto-number prefix (template: prefix + 6 digits).
    pub prefix: &'static str,
    /// Entry collection key on Save.
    pub entry_key: &'static str,
    /// Caption of the entry collection.
    pub entry_name: &'static str,
    /// Entry collection name in `View` results.
    pub entry_prop: &'static str,
    /// Default `FBillTypeID`.
    pub default_bill_type: &'static str,
}

/// A base-data form's extra metadata.
#[derive(Debug)]
pub(crate) struct BaseForm {
    /// Primary-key field (a bare key returns the internal id).
    pub pk: &'static str,
}

/// Bill or base data.
#[derive(Debug)]
pub(crate) enum FormKind {
    /// A bill with header, entries and a document status lifecycle.
    Bill(BillForm),
    /// Base data (FNumber/FName/FDocumentStatus/FForbidStatus + fields).
    Base(BaseForm),
}

/// A simulated form.
#[derive(Debug)]
pub(crate) struct FormDef {
    /// Canonical form id.
    pub id: &'static str,
    /// Chinese name (`其他入库单`).
    pub name: &'static str,
    /// Bill or base data.
    pub kind: FormKind,
    /// Header fields (bills) or the record's extra fields (base data).
    pub head: &'static [FieldDef],
    /// Entry fields (bills only).
    pub entry: &'static [FieldDef],
}

impl FormDef {
    /// Bill metadata, when this is a bill form.
    pub(crate) fn bill(&self) -> Option<&BillForm> {
        match &self.kind {
            FormKind::Bill(b) => Some(b),
            FormKind::Base(_) => None,
        }
    }

    /// Base metadata, when this is a base-data form.
    pub(crate) fn base(&self) -> Option<&BaseForm> {
        match &self.kind {
            FormKind::Base(b) => Some(b),
            FormKind::Bill(_) => None,
        }
    }

    /// A header field by key (case-insensitive).
    pub(crate) fn head_field(&self, key: &str) -> Option<&'static FieldDef> {
        self.head.iter().find(|f| f.key.eq_ignore_ascii_case(key))
    }

    /// An entry field by key (case-insensitive).
    pub(crate) fn entry_field(&self, key: &str) -> Option<&'static FieldDef> {
        self.entry.iter().find(|f| f.key.eq_ignore_ascii_case(key))
    }
}

const MISC_HEAD: &[FieldDef] = &[
    f("FBillNo", "单据编号", "BillNo", Kind::Text),
    f("FBillTypeID", "单据类型", "BillTypeID", r(BILL_TYPE)),
    req("FStockOrgId", "库存组织", "StockOrgId", r(ORG)),
    f(
        "FStockDirect",
        "库存方向",
        "StockDirect",
        Kind::Combo(STOCK_DIRECTS),
    ),
    req("FDate", "日期", "Date", Kind::Date),
    f("FSUPPLIERID", "供应商", "SUPPLIERID", r(SUPPLIER)),
    f("FDEPTID", "部门", "DEPTID", r(DEPT)),
    f("FACCEPTANCE", "验收员", "ACCEPTANCE", free("BD_Empinfo")),
    f("FSTOCKERID", "仓管员", "STOCKERID", free("BD_BUYER")),
    f(
        "FSTOCKERGROUPID",
        "库存组",
        "STOCKERGROUPID",
        free("BD_OPERATORGROUP"),
    ),
    f(
        "FOwnerTypeIdHead",
        "货主类型",
        "OwnerTypeIdHead",
        Kind::Combo(OWNER_TYPES),
    ),
    f(
        "FOwnerIdHead",
        "货主",
        "OwnerIdHead",
        Kind::Owner {
            type_key: "FOwnerTypeIdHead",
        },
    ),
    f("FNOTE", "备注", "NOTE", Kind::Text),
    f("FBaseCurrId", "本位币", "BaseCurrId", r(CURRENCY)),
];

const MISC_ENTRY: &[FieldDef] = &[
    f("FInStockType", "入库类型", "InStockType", Kind::Combo(&[])),
    req("FMATERIALID", "物料编码", "MaterialId", r(MATERIAL)),
    f("FCMKBarCode", "零售条形码", "CMKBarCode", Kind::Text),
    f("FUnitID", "单位", "UnitID", r(UNIT)),
    req("FSTOCKID", "收货仓库", "StockId", r(STOCK)),
    f("FStockLocId", "仓位", "StockLocId", Kind::Flex),
    f(
        "FSTOCKSTATUSID",
        "库存状态",
        "StockStatusId",
        r(STOCK_STATUS),
    ),
    f("FLOT", "批号", "LOT", free("BD_BatchMainFile")),
    req("FQty", "实收数量", "Qty", Kind::Decimal),
    f("FPrice", "成本价", "Price", Kind::Decimal),
    f("FAmount", "金额", "Amount", Kind::Decimal),
    f("FEntryNote", "备注", "EntryNote", Kind::Text),
    f("FSRCBILLNO", "源单编号", "SRCBILLNO", Kind::Text),
    f("FSRCBILLTYPEID", "源单类型", "SRCBILLTYPEID", Kind::Text),
    f(
        "FOWNERTYPEID",
        "货主类型",
        "OWNERTYPEID",
        Kind::Combo(OWNER_TYPES),
    ),
    f(
        "FOWNERID",
        "货主",
        "OWNERID",
        Kind::Owner {
            type_key: "FOWNERTYPEID",
        },
    ),
    f(
        "FKEEPERTYPEID",
        "保管者类型",
        "KEEPERTYPEID",
        Kind::Combo(KEEPER_TYPES),
    ),
    f(
        "FKEEPERID",
        "保管者",
        "KEEPERID",
        Kind::Owner {
            type_key: "FKEEPERTYPEID",
        },
    ),
    f("FBASEUNITID", "基本单位", "BaseUnitId", r(UNIT)),
    f("FBASEQTY", "基本单位数量", "BaseQty", Kind::Decimal),
    f("FPRODUCEDATE", "生产日期", "PRODUCEDATE", Kind::Date),
    f("FEXPIRYDATE", "有效期至", "EXPIRYDATE", Kind::Date),
    f("FMTONO", "计划跟踪号", "MTONO", Kind::Text),
    f("FAuxPropId", "辅助属性", "AuxPropId", Kind::Flex),
];

const MISDELIVERY_HEAD: &[FieldDef] = &[
    f("FBillNo", "单据编号", "BillNo", Kind::Text),
    f("FBillTypeID", "单据类型", "BillTypeID", r(BILL_TYPE)),
    req("FStockOrgId", "库存组织", "StockOrgId", r(ORG)),
    req("FPickOrgId", "领用组织", "PickOrgId", r(ORG)),
    f(
        "FStockDirect",
        "库存方向",
        "StockDirect",
        Kind::Combo(STOCK_DIRECTS),
    ),
    req("FDate", "日期", "Date", Kind::Date),
    f("FCustId", "客户", "CustId", free("BD_Customer")),
    f("FDeptId", "领料部门", "DeptId", r(DEPT)),
    f("FPickerId", "领料人", "PickerId", free("BD_Empinfo")),
    f("FStockerId", "仓管员", "StockerId", free("BD_BUYER")),
    f(
        "FStockerGroupId",
        "库存组",
        "StockerGroupId",
        free("BD_OPERATORGROUP"),
    ),
    f("FBizType", "业务类型", "BizType", Kind::Combo(&[])),
    f(
        "FOwnerTypeIdHead",
        "货主类型",
        "OwnerTypeIdHead",
        Kind::Combo(OWNER_TYPES),
    ),
    f(
        "FOwnerIdHead",
        "货主",
        "OwnerIdHead",
        Kind::Owner {
            type_key: "FOwnerTypeIdHead",
        },
    ),
    f("FNote", "备注", "Note", Kind::Text),
    f("FBaseCurrId", "本位币", "BaseCurrId", r(CURRENCY)),
];

const MISDELIVERY_ENTRY: &[FieldDef] = &[
    req("FMaterialId", "物料编码", "MaterialId", r(MATERIAL)),
    f("FCMKBarCode", "零售条形码", "CMKBarCode", Kind::Text),
    f("FUnitID", "单位", "UnitID", r(UNIT)),
    req("FQty", "实发数量", "Qty", Kind::Decimal),
    f("FBaseUnitId", "基本单位", "BaseUnitId", r(UNIT)),
    f("FBaseQty", "基本单位数量", "BaseQty", Kind::Decimal),
    req("FStockId", "发货仓库", "StockId", r(STOCK)),
    f("FStockLocId", "仓位", "StockLocId", Kind::Flex),
    f("FLot", "批号", "Lot", free("BD_BatchMainFile")),
    f(
        "FStockStatusId",
        "库存状态",
        "StockStatusId",
        r(STOCK_STATUS),
    ),
    f("FPrice", "成本价", "Price", Kind::Decimal),
    f("FAmount", "总成本", "Amount", Kind::Decimal),
    f(
        "FOwnerTypeId",
        "货主类型",
        "OwnerTypeId",
        Kind::Combo(OWNER_TYPES),
    ),
    f(
        "FOwnerId",
        "货主",
        "OwnerId",
        Kind::Owner {
            type_key: "FOwnerTypeId",
        },
    ),
    f(
        "FKeeperTypeId",
        "保管者类型",
        "KeeperTypeId",
        Kind::Combo(KEEPER_TYPES),
    ),
    f(
        "FKeeperId",
        "保管者",
        "KeeperId",
        Kind::Owner {
            type_key: "FKeeperTypeId",
        },
    ),
    f("FDistribution", "分配", "Distribution", Kind::Bool),
    f("FEntryNote", "备注", "EntryNote", Kind::Text),
    f("FSRCBILLNO", "源单编号", "SRCBILLNO", Kind::Text),
    f("FSRCBILLTYPEID", "源单类型", "SRCBILLTYPEID", Kind::Text),
    f("FAuxPropId", "辅助属性", "AuxPropId", Kind::Flex),
];

/// Header of the stock-count gain/loss forms: by analogy with STK_MISCELLANEOUS (assumption).
const COUNT_HEAD: &[FieldDef] = &[
    f("FBillNo", "单据编号", "BillNo", Kind::Text),
    f("FBillTypeID", "单据类型", "BillTypeID", r(BILL_TYPE)),
    req("FStockOrgId", "库存组织", "StockOrgId", r(ORG)),
    req("FDate", "日期", "Date", Kind::Date),
    f("FDEPTID", "部门", "DEPTID", r(DEPT)),
    f("FSTOCKERID", "仓管员", "STOCKERID", free("BD_BUYER")),
    f(
        "FOwnerTypeIdHead",
        "货主类型",
        "OwnerTypeIdHead",
        Kind::Combo(OWNER_TYPES),
    ),
    f(
        "FOwnerIdHead",
        "货主",
        "OwnerIdHead",
        Kind::Owner {
            type_key: "FOwnerTypeIdHead",
        },
    ),
    f("FNOTE", "备注", "NOTE", Kind::Text),
    f("FBaseCurrId", "本位币", "BaseCurrId", r(CURRENCY)),
];

/// Entry of the stock-count gain/loss forms: by analogy with STK_MISCELLANEOUS (assumption).
const COUNT_ENTRY: &[FieldDef] = &[
    req("FMATERIALID", "物料编码", "MaterialId", r(MATERIAL)),
    f("FCMKBarCode", "零售条形码", "CMKBarCode", Kind::Text),
    f("FUnitID", "单位", "UnitID", r(UNIT)),
    req("FSTOCKID", "仓库", "StockId", r(STOCK)),
    f("FStockLocId", "仓位", "StockLocId", Kind::Flex),
    f(
        "FSTOCKSTATUSID",
        "库存状态",
        "StockStatusId",
        r(STOCK_STATUS),
    ),
    f("FLOT", "批号", "LOT", free("BD_BatchMainFile")),
    req("FQty", "数量", "Qty", Kind::Decimal),
    f("FPrice", "单价", "Price", Kind::Decimal),
    f("FAmount", "金额", "Amount", Kind::Decimal),
    f("FEntryNote", "备注", "EntryNote", Kind::Text),
    f("FSRCBILLNO", "源单编号", "SRCBILLNO", Kind::Text),
    f("FSRCBILLTYPEID", "源单类型", "SRCBILLTYPEID", Kind::Text),
    f(
        "FOWNERTYPEID",
        "货主类型",
        "OWNERTYPEID",
        Kind::Combo(OWNER_TYPES),
    ),
    f(
        "FOWNERID",
        "货主",
        "OWNERID",
        Kind::Owner {
            type_key: "FOWNERTYPEID",
        },
    ),
    f(
        "FKEEPERTYPEID",
        "保管者类型",
        "KEEPERTYPEID",
        Kind::Combo(KEEPER_TYPES),
    ),
    f(
        "FKEEPERID",
        "保管者",
        "KEEPERID",
        Kind::Owner {
            type_key: "FKEEPERTYPEID",
        },
    ),
    f("FBASEUNITID", "基本单位", "BaseUnitId", r(UNIT)),
    f("FBASEQTY", "基本单位数量", "BaseQty", Kind::Decimal),
];

const ORG_FIELDS: &[FieldDef] = &[f("FDescription", "描述", "Description", Kind::Text)];

const ORG_SCOPED: &[FieldDef] = &[
    f("FUseOrgId", "使用组织", "UseOrgId", r(ORG)),
    f("FCreateOrgId", "创建组织", "CreateOrgId", r(ORG)),
];

const STOCK_FIELDS: &[FieldDef] = &[
    f("FUseOrgId", "使用组织", "UseOrgId", r(ORG)),
    f("FCreateOrgId", "创建组织", "CreateOrgId", r(ORG)),
    f(
        "FStockProperty",
        "仓库属性",
        "StockProperty",
        Kind::Combo(&[]),
    ),
];

const MATERIAL_FIELDS: &[FieldDef] = &[
    f("FSpecification", "规格型号", "Specification", Kind::Text),
    f("FBaseUnitId", "基本单位", "BaseUnitId", r(UNIT)),
    f("FBARCODE", "条码", "BARCODE", Kind::Text),
    f("FErpClsID", "物料属性", "ErpClsID", Kind::Combo(&[])),
    f("FUseOrgId", "使用组织", "UseOrgId", r(ORG)),
    f("FCreateOrgId", "创建组织", "CreateOrgId", r(ORG)),
];

const SUPPLIER_FIELDS: &[FieldDef] = &[
    f("FShortName", "简称", "ShortName", Kind::Text),
    f("FUseOrgId", "使用组织", "UseOrgId", r(ORG)),
    f("FCreateOrgId", "创建组织", "CreateOrgId", r(ORG)),
];

const CURRENCY_FIELDS: &[FieldDef] = &[f("FCODE", "货币代码", "Code", Kind::Text)];

const BILL_TYPE_FIELDS: &[FieldDef] = &[f("FBillFormID", "单据", "BillFormID", Kind::Text)];

/// Every form the simulator knows.
pub(crate) static FORMS: &[FormDef] = &[
    FormDef {
        id: "STK_MISCELLANEOUS",
        name: "其他入库单",
        kind: FormKind::Bill(BillForm {
            prefix: "QTRK",
            entry_key: "FEntity",
            entry_name: "明细信息",
            entry_prop: "STK_MISCELLANEOUSENTRY",
            default_bill_type: "QTRKD01_SYS",
        }),
        head: MISC_HEAD,
        entry: MISC_ENTRY,
    },
    FormDef {
        id: "STK_MisDelivery",
        name: "其他出库单",
        kind: FormKind::Bill(BillForm {
            prefix: "QTCK",
            entry_key: "FEntity",
            entry_name: "明细信息",
            entry_prop: "BillEntry",
            default_bill_type: "QTCKD01_SYS",
        }),
        head: MISDELIVERY_HEAD,
        entry: MISDELIVERY_ENTRY,
    },
    FormDef {
        id: "STK_StockCountGain",
        name: "盘盈单",
        kind: FormKind::Bill(BillForm {
            prefix: "PY",
            entry_key: "FEntity",
            entry_name: "明细信息",
            entry_prop: "BillEntry",
            default_bill_type: "PYD01_SYS",
        }),
        head: COUNT_HEAD,
        entry: COUNT_ENTRY,
    },
    FormDef {
        id: "STK_StockCountLoss",
        name: "盘亏单",
        kind: FormKind::Bill(BillForm {
            prefix: "PK",
            entry_key: "FEntity",
            entry_name: "明细信息",
            entry_prop: "BillEntry",
            default_bill_type: "PKD01_SYS",
        }),
        head: COUNT_HEAD,
        entry: COUNT_ENTRY,
    },
    FormDef {
        id: ORG,
        name: "组织机构",
        kind: FormKind::Base(BaseForm { pk: "FOrgID" }),
        head: ORG_FIELDS,
        entry: &[],
    },
    FormDef {
        id: STOCK,
        name: "仓库",
        kind: FormKind::Base(BaseForm { pk: "FStockId" }),
        head: STOCK_FIELDS,
        entry: &[],
    },
    FormDef {
        id: MATERIAL,
        name: "物料",
        kind: FormKind::Base(BaseForm { pk: "FMATERIALID" }),
        head: MATERIAL_FIELDS,
        entry: &[],
    },
    FormDef {
        id: DEPT,
        name: "部门",
        kind: FormKind::Base(BaseForm { pk: "FDEPTID" }),
        head: ORG_SCOPED,
        entry: &[],
    },
    FormDef {
        id: SUPPLIER,
        name: "供应商",
        kind: FormKind::Base(BaseForm { pk: "FSupplierId" }),
        head: SUPPLIER_FIELDS,
        entry: &[],
    },
    FormDef {
        id: UNIT,
        name: "计量单位",
        kind: FormKind::Base(BaseForm { pk: "FUNITID" }),
        head: &[],
        entry: &[],
    },
    FormDef {
        id: CURRENCY,
        name: "币别",
        kind: FormKind::Base(BaseForm { pk: "FCURRENCYID" }),
        head: CURRENCY_FIELDS,
        entry: &[],
    },
    FormDef {
        id: BILL_TYPE,
        name: "单据类型",
        kind: FormKind::Base(BaseForm { pk: "FBILLTYPEID" }),
        head: BILL_TYPE_FIELDS,
        entry: &[],
    },
    FormDef {
        id: STOCK_STATUS,
        name: "库存状态",
        kind: FormKind::Base(BaseForm {
            pk: "FStockStatusId",
        }),
        head: &[],
        entry: &[],
    },
];

/// The form with this id (case-insensitive: `STK_Miscellaneous` = `STK_MISCELLANEOUS`).
pub(crate) fn find_form(id: &str) -> Option<&'static FormDef> {
    FORMS.iter().find(|f| f.id.eq_ignore_ascii_case(id.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_found_case_insensitively() {
        assert_eq!(
            find_form("stk_miscellaneous").map(|f| f.id),
            Some("STK_MISCELLANEOUS")
        );
        assert_eq!(find_form("BD_Stock").map(|f| f.id), Some("BD_STOCK"));
        assert!(find_form("STK_OutStock").is_none());
    }

    #[test]
    fn keys_are_unique_within_each_form_and_refs_point_to_known_forms() {
        for form in FORMS {
            for list in [form.head, form.entry] {
                for (i, a) in list.iter().enumerate() {
                    for b in &list[i + 1..] {
                        assert!(!a.key.eq_ignore_ascii_case(b.key), "{}: {}", form.id, a.key);
                    }
                    if let Kind::Ref {
                        form: target,
                        checked: true,
                    } = a.kind
                    {
                        assert!(find_form(target).is_some(), "{} → {target}", a.key);
                    }
                    if let Kind::Owner { type_key } = a.kind {
                        assert!(list.iter().any(|x| x.key == type_key), "{}", a.key);
                    }
                }
            }
        }
    }

    #[test]
    fn delivery_requires_pick_org_and_rows_require_material_stock_qty() {
        let d = find_form("STK_MisDelivery").unwrap();
        assert!(d.head_field("fpickorgid").unwrap().required);
        let m = find_form("STK_MISCELLANEOUS").unwrap();
        for key in ["FMATERIALID", "FSTOCKID", "FQty"] {
            assert!(m.entry_field(key).unwrap().required, "{key}");
        }
    }
}
