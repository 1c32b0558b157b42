//! Snapshot tests of scheme validation messages: every mistake is reported at once, with the file,
//! line, column and field path.

mod common;

use common::TestCatalog;
use ferry_core::scheme::Scheme;

fn errors(file: &str, text: &str) -> String {
    match Scheme::load(file, text, &TestCatalog) {
        Ok(_) => "OK".to_owned(),
        Err(e) => e.0.to_string(),
    }
}

#[test]
fn three_distinct_mistakes_are_all_reported() {
    let text = r#"name: 盘点单 → 其他入库
source:
  connection: jackyun
  api: wms.stocktake.get
  params: { warehouseCode: CK01, pageSize: 50 }
  key: stocktakeId
  where: status == 5
targets:
  gain:
    connection: kingdee
    api: batchSave
    form: STK_MISCELLANEOUS
    batchh: 50
    options: { IsAutoSubmitAndAudit: true }
    idempotency: FBillNo
    mapping:
      FBillNo: "{{ stocktakeId }}-GAIN"
      FStockOrgId: { FNumber: "100" }
      FEntity:
        each: stockTakeDetailViews
        where: variQuan > 0
        map:
          FMATERIALID: { FNumber: "{{ goodsNoo }}" }
          FQty: "{{ variQuan }}"
          FSTOCKID: { FNumber: "{{ lookupp('warehouses', parent.warehouseCode) }}" }
tables:
  warehouses: { inline: { CK01: CK001 } }
"#;
    insta::assert_snapshot!(errors("scheme.yaml", text));
}

#[test]
fn structural_mistakes() {
    let text = r#"nam: x
source:
  connection: jackyn
  api: wms.stocktake.get
targets:
  gain:
    connection: kingdee
    api: batchSav
    batch: 0
    mapping: {}
tables:
  t: { inline: [1, 2] }
  u: { file: x.csv }
"#;
    insta::assert_snapshot!(errors("scheme.yaml", text));
}

#[test]
fn source_params_and_target_options_are_checked() {
    let text = r#"name: x
source:
  connection: jackyun
  api: wms.stocktake.get
  params: { warehouseCod: CK01, pageSize: many }
  key: stocktakeId
targets:
  gain:
    connection: kingdee
    api: batchSave
    options: { IsAutoSubmitAndAudit: "yes", IsVerifyBaseData: true }
    idempotency: FBillNoo
    mapping:
      FBillNo: "{{ stocktakeId }}"
      FStockOrgId: { FNumber: "100" }
      FEntity: { each: stockTakeDetailViews, map: { FMATERIALID: { FNumber: "{{ goodsNo }}" }, FQty: 1 } }
"#;
    insta::assert_snapshot!(errors("scheme.yaml", text));
}

#[test]
fn yaml_syntax_errors_and_json_input() {
    insta::assert_snapshot!(errors("bad.yaml", "name: x\nsource: [1, 2\ntargets: {}\n"));
    let json = r#"{"name": "j", "source": {"connection": "file", "api": "jsonl", "params": {"path": "in.jsonl"}, "key": "id"},
 "targets": {"out": {"connection": "file", "api": "jsonl", "mapping": {"id": "{{ id }}", "x": "{{ nosuchfn(1) }}"}}}}"#;
    insta::assert_snapshot!(errors("scheme.json", json));
}

#[test]
fn a_valid_scheme_loads() {
    let text = r#"name: ok
source: { connection: file, api: jsonl, params: { path: in.jsonl }, key: id, where: "n > 0" }
targets:
  out: { connection: file, api: jsonl, params_ignored: 1, mapping: { id: "{{ id }}" } }
"#;
    // `params_ignored` is not a target key: the error proves unknown keys are caught even on file targets.
    insta::assert_snapshot!(errors("ok.yaml", text));
    let good = "name: ok\nsource: { connection: file, api: jsonl, key: id }\ntargets:\n  out: { connection: file, api: jsonl, mapping: { id: '{{ id }}' } }\n";
    assert_eq!(errors("ok.yaml", good), "OK");
}
