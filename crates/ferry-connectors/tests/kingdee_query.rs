//! Reading Kingdee against the simulator: ExecuteBillQuery paging and the TopRowCount rule, query
//! errors, the executeBillQuery Source, base-data tables, and the bill operations.

mod kingdee_support;

use std::time::Duration;

use ferry_connectors::kingdee::ops::query_all;
use ferry_connectors::kingdee::{BillKey, BillQuery, Bills, Pager, TableQuery};
use ferry_core::connector::ErrorClass;
use kingdee_support::*;
use serde_json::{Value, json};

fn materials_250() -> ferry_sim_kingdee::KingdeeSimConfig {
    ferry_sim_kingdee::KingdeeSimConfig { materials: 250, ..sim_config() }
}

#[tokio::test]
async fn paging_250_rows_by_100() {
    let sim = start(materials_250()).await;
    let conn = connect(&sim);
    let mut q = BillQuery::new("BD_MATERIAL", &["FNumber", "FName"]);
    q.order = "FNumber ASC".into();
    q.limit = 100;
    let mut pager = Pager::new(q);
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    while let Some(rows) = pager.next(conn.client()).await.unwrap() {
        sizes.push(rows.len());
        all.extend(rows);
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(sim_calls(&sim, "ExecuteBillQuery"), 3, "the short page ends it");
    let numbers: Vec<&str> = all.iter().map(|r| r[0].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..=250).map(ferry_sim_kingdee::material_number).collect();
    assert_eq!(numbers, expected, "every row once, in order");
}

#[tokio::test]
async fn an_exact_multiple_needs_one_empty_page_and_a_cap_is_kept() {
    let sim = start(ferry_sim_kingdee::KingdeeSimConfig { materials: 200, ..sim_config() }).await;
    let conn = connect(&sim);
    let mut q = BillQuery::new("BD_MATERIAL", &["FNumber"]);
    q.order = "FNumber ASC".into();
    q.limit = 100;
    assert_eq!(query_all(conn.client(), q.clone()).await.unwrap().len(), 200);
    assert_eq!(sim_calls(&sim, "ExecuteBillQuery"), 3);
    // TopRowCount caps the total: 150 rows in pages of 100, the second page asks for 50 only.
    q.top_row_count = 150;
    let rows = query_all(conn.client(), q.clone()).await.unwrap();
    assert_eq!(rows.len(), 150);
    assert_eq!(rows[149][0], json!("A0150"));
    // Starting inside the window.
    q.start_row = 120;
    let rows = query_all(conn.client(), q).await.unwrap();
    assert_eq!(rows.len(), 30);
    assert_eq!(rows[0][0], json!("A0121"));
}

#[tokio::test]
async fn query_errors_are_classified_with_the_servers_message() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let e = conn.client().execute_bill_query(&BillQuery::new("BD_MATERIAL", &["FNumber", "FIssueType"])).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Business);
    assert_eq!(e.code.as_deref(), Some("9"));
    assert!(e.message.contains("元数据中标识为FIssueType的字段不存在"), "{}", e.message);
    let e = conn.client().execute_bill_query(&BillQuery::new("STK_OutStock", &["FBillNo"])).await.unwrap_err();
    assert!(e.message.contains("业务对象不存在"), "{}", e.message);
    let mut q = BillQuery::new("BD_MATERIAL", &["FNumber"]);
    q.limit = 20_000;
    assert_eq!(conn.client().execute_bill_query(&q).await.unwrap_err().class, ErrorClass::Config);
}

#[tokio::test]
async fn the_source_pages_records_and_resumes() {
    let sim = start(materials_250()).await;
    let conn = connect(&sim);
    let spec = source_spec(json!({
        "FormId": "BD_MATERIAL",
        "FieldKeys": "FMATERIALID,FNumber,FName,FBaseUnitId.FNumber",
        "FilterString": "FNumber like 'A01%'",
        "OrderString": "FNumber ASC",
        "Limit": 40,
    }));
    let mut src = source_for(&conn, &spec, None).await;
    let first = src.next_page().await.unwrap().unwrap();
    assert_eq!(first.records.len(), 40);
    let r = &first.records[0];
    assert_eq!(r["FNumber"], json!("A0100"));
    assert!(r["FMATERIALID"].is_number());
    assert!(r["FBaseUnitId"]["FNumber"].is_string(), "{r}");
    assert_eq!(first.checkpoint, json!({"start_row": 40, "done": false}));
    // A new run resumes an interrupted one after its checkpoint.
    let mut resumed = source_for(&conn, &spec, Some(first.checkpoint.clone())).await;
    let mut rest = 0;
    let mut last = Value::Null;
    while let Some(p) = resumed.next_page().await.unwrap() {
        rest += p.records.len();
        last = p.checkpoint;
    }
    assert_eq!(40 + rest, 100, "A0100..A0199");
    assert_eq!(last["done"], json!(true));
    // A finished run starts over.
    let mut again = source_for(&conn, &spec, Some(last)).await;
    assert_eq!(again.next_page().await.unwrap().unwrap().records[0]["FNumber"], json!("A0100"));
}

#[tokio::test]
async fn bad_source_params_are_config_errors() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    use ferry_connectors::{Connection, SourceContext};
    for (params, expect) in [
        (json!({"FieldKeys": "FNumber"}), "source.params.FormId"),
        (json!({"FormId": "BD_STOCK"}), "source.params.FieldKeys"),
        (json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber", "Limit": 0}), "source.params.Limit"),
        (json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber", "FilterStrin": "x"}), "did you mean 'FilterString'"),
    ] {
        let spec = source_spec(params);
        let ctx = SourceContext {
            spec: &spec,
            resume: None,
            budget: std::sync::Arc::new(ferry_core::connector::Unmetered),
            base_dir: ".".into(),
            now: jiff::Timestamp::now(),
        };
        let e = conn.source(ctx).await.err().expect(expect);
        assert_eq!(e.class, ErrorClass::Config);
        assert!(e.message.contains(expect), "{}", e.message);
    }
}

#[tokio::test]
async fn base_data_tables_are_fetched_by_page_and_cached() {
    let sim = start(ferry_sim_kingdee::KingdeeSimConfig { materials: 2500, ..sim_config() }).await;
    let conn = connect(&sim);
    let by_barcode = TableQuery::new("BD_MATERIAL", "FBARCODE", Some("FNumber"));
    let t = conn.table(&by_barcode, Duration::from_secs(60)).await.unwrap();
    assert_eq!(t.len(), 2500);
    assert_eq!(t[&ferry_sim_kingdee::material_barcode(7)], json!(ferry_sim_kingdee::material_number(7)));
    let pages = sim_calls(&sim, "ExecuteBillQuery");
    assert_eq!(pages, 2, "2500 rows in pages of 2000");
    // Cached …
    conn.table(&by_barcode, Duration::from_secs(60)).await.unwrap();
    assert_eq!(sim_calls(&sim, "ExecuteBillQuery"), pages);
    // … until the TTL has passed.
    tokio::time::sleep(Duration::from_millis(30)).await;
    conn.table(&by_barcode, Duration::from_millis(10)).await.unwrap();
    assert_eq!(sim_calls(&sim, "ExecuteBillQuery"), pages * 2);

    let stocks = conn.table(&TableQuery::new("BD_STOCK", "FNumber", Some("FNumber,FName")), Duration::from_secs(60)).await.unwrap();
    assert_eq!(stocks["CK001"], json!({"FNumber": "CK001", "FName": "成品仓"}));
    let set = conn.table(&TableQuery::new("BD_STOCK", "FNumber", None).with_filter("FNumber in ('CK001','CK002')"), Duration::from_secs(60)).await.unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set["CK002"], json!("CK002"));
    let e = conn.table(&TableQuery::new("BD_STOCK", "FNoSuchKey", None), Duration::from_secs(60)).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Business);
}

#[tokio::test]
async fn the_engine_fills_scheme_tables_through_base_data() {
    use ferry_connectors::{BaseDataQuery, Connection};
    let sim = start(sim_config()).await;
    let conn = open(settings(&sim, "login_by_sign", json!({"base_data_ttl_secs": 60})));
    let q = |form: &str, key: &str, value: Option<&str>, filter: Option<&str>| BaseDataQuery {
        form: form.into(),
        key: key.into(),
        value: value.map(str::to_owned),
        filter: filter.map(str::to_owned),
    };
    let stocks = conn.base_data(&q("BD_STOCK", "FNumber", Some("FName"), None)).await.unwrap();
    assert_eq!(stocks["CK001"], json!("成品仓"));
    // Without a value field: the whole row, dotted keys nested.
    let rows = conn.base_data(&q("BD_MATERIAL", "FBARCODE", None, Some("FNumber='A0007'"))).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[&ferry_sim_kingdee::material_barcode(7)];
    assert_eq!(row["FNumber"], json!("A0007"));
    assert_eq!(row["FUseOrgId"]["FNumber"], json!("100"));
    assert!(row["FBaseUnitId"]["FNumber"].is_string(), "{row}");
    // Cached for the connection's TTL.
    let calls = sim_calls(&sim, "ExecuteBillQuery");
    conn.base_data(&q("BD_STOCK", "FNumber", Some("FName"), None)).await.unwrap();
    assert_eq!(sim_calls(&sim, "ExecuteBillQuery"), calls);
}

#[tokio::test]
async fn the_bill_lifecycle_and_view() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    for no in ["LIFE-1", "LIFE-2"] {
        written(&sink.write(&[out(no, inbound(no, &[("A0001", 1.0)]))]).await.unwrap()[0], no);
    }
    let c = conn.client();
    let form = "STK_MISCELLANEOUS";
    let both = Bills::Numbers(vec!["LIFE-1".into(), "LIFE-2".into()]);
    let s = c.submit(form, &both).await.unwrap();
    assert_eq!(s.success_entitys.len(), 2);
    let s = c.audit(form, &both).await.unwrap();
    assert!(s.is_success);
    assert_eq!(sim.bill(form, "LIFE-1").unwrap().status, "C");
    // Auditing again: refused with the server's message, MsgCode 11.
    let e = c.audit(form, &Bills::Numbers(vec!["LIFE-1".into()])).await.unwrap_err();
    assert_eq!((e.class, e.code.as_deref()), (ErrorClass::Business, Some("11")));
    assert!(e.message.contains("已经审核"), "{}", e.message);
    // One of two missing: the other still succeeds, the error names its DIndex.
    let s = c.unaudit(form, &Bills::Numbers(vec!["NOPE".into(), "LIFE-2".into()])).await.unwrap();
    assert_eq!(s.success_entitys.len(), 1, "{s:?}");
    assert_eq!(s.success_entitys[0].d_index, Some(1), "{s:?}");
    assert_eq!(s.success_entitys[0].number.as_deref(), Some("LIFE-2"));
    assert_eq!(sim.bill(form, "LIFE-2").unwrap().status, "D");
    let view = c.view(form, &BillKey::Number("LIFE-2".into())).await.unwrap();
    assert_eq!(view["BillNo"], json!("LIFE-2"));
    assert_eq!(view["DocumentStatus"], json!("D"));
    let id = sim.bill(form, "LIFE-2").unwrap().id.to_string();
    c.delete(form, &Bills::Ids(vec![id])).await.unwrap();
    assert!(sim.bill(form, "LIFE-2").is_none());
    let e = c.view(form, &BillKey::Number("LIFE-2".into())).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Business);
}

#[tokio::test]
async fn query_business_info_describes_a_form() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let meta = conn.describe_form("STK_MisDelivery").await.unwrap();
    let pick = meta.field_ci("FPickOrgId").expect("FPickOrgId");
    assert!(pick.required, "{pick:?}");
    assert_eq!(pick.ty, ferry_core::metadata::FieldType::BaseRef);
    assert!(meta.field_ci("FEntity.FQty").is_some(), "{:?}", meta.fields.iter().map(|f| &f.path).collect::<Vec<_>>());
}
