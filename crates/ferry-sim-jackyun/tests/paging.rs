//! Paging wms.stocktake.get to the last page with odd counts, under both page bases; page-size
//! limits; the below-base page.

mod common;

use common::{call, config, start_sim, stocktake_ids};
use ferry_sim_jackyun::{BelowBasePage, JackyunSimConfig, PageSizeOverflow};

/// Pages from `first` with `size` until an empty page; returns every page's ids.
async fn all_pages(sim: &ferry_sim_jackyun::JackyunSim, first: u32, size: u32) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    for i in first.. {
        let biz = format!(r#"{{"pageIndex":{i},"pageSize":{size}}}"#);
        let ids = stocktake_ids(&call(sim, "wms.stocktake.get", &biz).await);
        if ids.is_empty() {
            break;
        }
        pages.push(ids);
        assert!(pages.len() < 100, "paging does not end");
    }
    pages
}

fn expected(sim: &ferry_sim_jackyun::JackyunSim) -> Vec<String> {
    sim.stocktakes()
        .iter()
        .map(|d| d["stocktakeId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn zero_based_paging_reaches_the_odd_last_page() {
    let sim = start_sim(config(37)).await;
    let pages = all_pages(&sim, 0, 5).await;
    assert_eq!(pages.len(), 8);
    assert!(pages[..7].iter().all(|p| p.len() == 5));
    assert_eq!(pages[7].len(), 2);
    assert_eq!(pages.concat(), expected(&sim));
    // Sorted by stocktakeDate, then stocktakeId.
    let docs = sim.stocktakes();
    let keys: Vec<_> = docs
        .iter()
        .map(|d| {
            (
                d["stocktakeDate"].as_str().unwrap().to_string(),
                d["stocktakeId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[tokio::test]
async fn one_based_paging_reaches_the_odd_last_page_and_page_zero_is_empty() {
    let sim = start_sim(JackyunSimConfig {
        page_base: 1,
        ..config(37)
    })
    .await;
    let pages = all_pages(&sim, 1, 7).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [7, 7, 7, 7, 7, 2]
    );
    assert_eq!(pages.concat(), expected(&sim));
    let zero = call(&sim, "wms.stocktake.get", r#"{"pageIndex":0,"pageSize":7}"#).await;
    assert!(stocktake_ids(&zero).is_empty());
    // Without pageIndex the first page (index 1) is served.
    let first = call(&sim, "wms.stocktake.get", r#"{"pageSize":7}"#).await;
    assert_eq!(stocktake_ids(&first), pages[0]);
}

#[tokio::test]
async fn one_based_lenient_mode_serves_page_zero_as_the_first_page() {
    let sim = start_sim(JackyunSimConfig {
        page_base: 1,
        below_base_page: BelowBasePage::FirstPage,
        ..config(12)
    })
    .await;
    let p0 =
        stocktake_ids(&call(&sim, "wms.stocktake.get", r#"{"pageIndex":0,"pageSize":5}"#).await);
    let p1 =
        stocktake_ids(&call(&sim, "wms.stocktake.get", r#"{"pageIndex":1,"pageSize":5}"#).await);
    assert_eq!(p0, p1);
    assert_eq!(p0.len(), 5);
}

#[tokio::test]
async fn page_params_may_be_strings_and_default_to_fifty() {
    let sim = start_sim(config(120)).await;
    let v = call(
        &sim,
        "wms.stocktake.get",
        r#"{"pageIndex":"1","pageSize":"50"}"#,
    )
    .await;
    assert_eq!(stocktake_ids(&v), expected(&sim)[50..100]);
    let v = call(&sim, "wms.stocktake.get", "{}").await;
    assert_eq!(stocktake_ids(&v).len(), 50);
}

#[tokio::test]
async fn page_size_above_the_maximum_is_clamped_or_rejected() {
    let sim = start_sim(config(150)).await;
    let v = call(
        &sim,
        "wms.stocktake.get",
        r#"{"pageIndex":0,"pageSize":500}"#,
    )
    .await;
    assert_eq!(stocktake_ids(&v).len(), 100, "clamped to the max of 100");
    let strict = start_sim(JackyunSimConfig {
        page_size_overflow: PageSizeOverflow::Reject,
        ..config(150)
    })
    .await;
    let v = call(
        &strict,
        "wms.stocktake.get",
        r#"{"pageIndex":0,"pageSize":500}"#,
    )
    .await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["subCode"], "0050030002");
    let mut cfg = config(150);
    cfg.max_page_size.insert("wms.stocktake.get".into(), 30);
    let custom = start_sim(cfg).await;
    let v = call(
        &custom,
        "wms.stocktake.get",
        r#"{"pageIndex":0,"pageSize":50}"#,
    )
    .await;
    assert_eq!(stocktake_ids(&v).len(), 30);
}

#[tokio::test]
async fn a_bare_array_data_location_serves_the_same_documents() {
    let sim = start_sim(JackyunSimConfig {
        stocktake_data_location: ferry_sim_jackyun::StocktakeDataLocation::BareArray,
        ..config(8)
    })
    .await;
    let v = call(&sim, "wms.stocktake.get", r#"{"pageIndex":0,"pageSize":5}"#).await;
    let arr = v["result"]["data"].as_array().unwrap();
    assert_eq!(arr.len(), 5);
    assert_eq!(arr[0]["stocktakeId"], sim.stocktakes()[0]["stocktakeId"]);
}
