//! The seed scheme's two Kingdee targets (盘盈 → 其他入库单, 盘亏 → 其他出库单) validated against the
//! connector's metadata, mapped from a Jackyun-shaped stocktake and written to the simulator.

mod kingdee_support;

use std::collections::HashMap;
use std::sync::Arc;

use ferry_connectors::registry;
use ferry_core::connector::{OutModel, WriteOutcome};
use ferry_core::mapping::{Mapped, Tables};
use ferry_core::metadata::ApiMeta;
use ferry_core::scheme::{Catalog, Scheme};
use kingdee_support::*;
use serde_json::{Value, json};

/// Connections `jackyun_file` (a file source without field metadata) and `kingdee`.
struct TestCatalog;

impl Catalog for TestCatalog {
    fn connection_system(&self, connection: &str) -> Option<String> {
        match connection {
            "kingdee" => Some("kingdee".into()),
            "jackyun_file" => Some("file".into()),
            _ => None,
        }
    }
    fn connection_names(&self) -> Vec<String> {
        vec!["jackyun_file".into(), "kingdee".into()]
    }
    fn apis(&self, system: &str) -> Vec<String> {
        registry().into_iter().find(|c| c.system() == system).map(|c| c.apis()).unwrap_or_default()
    }
    fn api_meta(&self, system: &str, api: &str, form: Option<&str>) -> Result<Option<ApiMeta>, String> {
        registry().into_iter().find(|c| c.system() == system).ok_or("no such system")?.api_meta(api, form)
    }
}

const SCHEME: &str = r#"
name: 吉客云盘点单 → 金蝶云星空其他入库 / 其他出库
tables:
  warehouses: { inline: { CK01: CK001, CK02: CK002 } }
source:
  connection: jackyun_file
  api: jsonl
  params: { path: stocktakes.jsonl }
  key: stocktakeId
targets:
  gain:
    connection: kingdee
    api: batchSave
    form: STK_MISCELLANEOUS
    batch: 50
    options: { IsAutoSubmitAndAudit: true, IsVerifyBaseDataField: true }
    idempotency: FBillNo
    mapping:
      FBillNo: "{{ stocktakeId }}-GAIN"
      FBillTypeID: { FNUMBER: QTRKD01_SYS }
      FStockOrgId: { FNumber: "100" }
      FStockDirect: GENERAL
      FDate: "{{ stocktakeDate | date }}"
      FOwnerTypeIdHead: BD_OwnerOrg
      FOwnerIdHead: { FNumber: "100" }
      FNOTE: "{{ text }}"
      FEntity:
        each: stockTakeDetailViews
        where: variQuan > 0
        map:
          FMATERIALID: { FNumber: "{{ goodsNo }}" }
          FSTOCKID: { FNumber: "{{ lookup('warehouses', parent.warehouseCode) }}" }
          FQty: "{{ variQuan }}"
          FPrice: "{{ price }}"
          FCMKBarCode: "{{ skuBarcode }}"
          FSRCBILLNO: "{{ parent.stocktakeId }}"
    skip_when: FEntity is empty
  loss:
    connection: kingdee
    api: batchSave
    form: stk_misdelivery
    options: { IsAutoSubmitAndAudit: true }
    idempotency: FBillNo
    mapping:
      FBillNo: "{{ stocktakeId }}-LOSS"
      FBillTypeID: { FNUMBER: QTCKD01_SYS }
      FStockOrgId: { FNumber: "100" }
      FPickOrgId: { FNumber: "100" }
      FDate: "{{ stocktakeDate | date }}"
      FDeptId: { FNumber: BM000001 }
      FNote: "{{ text }}"
      FEntity:
        each: stockTakeDetailViews
        where: variQuan < 0
        map:
          FMaterialId: { FNumber: "{{ goodsNo }}" }
          FStockId: { FNumber: "{{ lookup('warehouses', parent.warehouseCode) }}" }
          FQty: "{{ abs(variQuan) }}"
          FPrice: "{{ price }}"
          FSRCBILLNO: "{{ parent.stocktakeId }}"
    skip_when: FEntity is empty
"#;

#[test]
fn scheme_mistakes_are_caught_by_the_metadata() {
    let cases = [
        // A required header field left out.
        ("      FStockOrgId: { FNumber: \"100\" }\n      FStockDirect", "      FStockDirect", "missing required field 'FStockOrgId'"),
        // An option the API does not have.
        ("options: { IsAutoSubmitAndAudit: true, IsVerifyBaseDataField: true }", "options: { IsAutoSubmit: true }", "unknown option 'IsAutoSubmit'"),
        // A request option written into the model.
        ("      FStockDirect: GENERAL", "      FStockDirect: GENERAL\n      IsAutoSubmitAndAudit: true", "is a request option"),
        // A mistyped form id.
        ("form: STK_MISCELLANEOUS", "form: STK_MISCELANEOUS", "did you mean 'STK_MISCELLANEOUS'"),
        // A base-data reference given as plain text.
        ("FBillTypeID: { FNUMBER: QTRKD01_SYS }", "FBillTypeID: QTRKD01_SYS", "expected a base-data reference"),
        // A row field that does not exist on the form.
        ("          FCMKBarCode:", "          FBarCodeX:", "unknown target field 'FBarCodeX'"),
    ];
    for (from, to, expect) in cases {
        assert!(SCHEME.contains(from), "{from}");
        let text = SCHEME.replacen(from, to, 1);
        let err = Scheme::load("seed.yaml", &text, &TestCatalog).expect_err(expect).to_string();
        assert!(err.contains(expect), "{expect}:\n{err}");
    }
}

#[tokio::test]
async fn the_seed_scheme_maps_and_writes_both_targets() {
    let scheme = Scheme::load("seed.yaml", SCHEME, &TestCatalog).unwrap_or_else(|e| panic!("{e}"));
    let gain = scheme.target("gain").unwrap();
    let loss = scheme.target("loss").unwrap();
    assert_eq!(gain.meta.as_ref().unwrap().form.as_deref(), Some("STK_MISCELLANEOUS"));
    assert_eq!(loss.meta.as_ref().unwrap().form.as_deref(), Some("STK_MisDelivery"));

    let record = Arc::new(json!({
        "stocktakeId": "PD20240501001", "stocktakeDate": "2024-05-01 10:00:00", "text": "月末盘点", "warehouseCode": "CK01",
        "status": 5,
        "stockTakeDetailViews": [
            {"goodsNo": "A0001", "skuBarcode": "69000000000001", "variQuan": 3, "price": 12.5},
            {"goodsNo": "A0002", "skuBarcode": "69000000000002", "variQuan": -2, "price": 8},
            {"goodsNo": "A0003", "skuBarcode": "69000000000003", "variQuan": 0, "price": 1}
        ]
    }));
    let mut tables: Tables = HashMap::new();
    tables.insert("warehouses".into(), Arc::new(HashMap::from([("CK01".to_owned(), json!("CK001"))])));
    let tables = Arc::new(tables);

    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    for (spec, no, form, rows) in [(gain, "PD20240501001-GAIN", "STK_MISCELLANEOUS", 1), (loss, "PD20240501001-LOSS", "STK_MisDelivery", 1)] {
        let Mapped::Model(model) = spec.mapping.apply(&record, &tables).unwrap() else { panic!("{no} skipped") };
        assert_eq!(model["FBillNo"], json!(no));
        assert_eq!(model["FEntity"].as_array().unwrap().len(), rows);
        let sink = sink_for(&conn, spec).await;
        let idem = model.get("FBillNo").and_then(Value::as_str).map(str::to_owned);
        let outs = sink.write(&[OutModel { key: "PD20240501001".into(), idem, payload: model, replaces: None }]).await.unwrap();
        assert!(matches!(&outs[0], WriteOutcome::Written { number: Some(n), .. } if n == no), "{outs:?}");
        let bill = sim.bill(form, no).unwrap();
        assert_eq!(bill.status, "C", "{form}: submitted and audited");
    }
    let loss_bill = sim.bill("STK_MisDelivery", "PD20240501001-LOSS").unwrap();
    assert_eq!(loss_bill.raw_model["FEntity"][0]["FQty"], json!(2));
}
