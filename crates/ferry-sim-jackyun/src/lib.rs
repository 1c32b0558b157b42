//! A faithful local simulator of the Jackyun (吉客云) open-platform gateway, for tests, demos and
//! benchmarks. It shares no code with Ferry's Jackyun connector: signing, envelope and paging
//! are implemented here independently from the reference (`reference/jackyun-open-api.md`).
//!
//! # Quick start
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use ferry_sim_jackyun::{JackyunSimConfig, start};
//! let sim = start(JackyunSimConfig::default(), "127.0.0.1:0".parse().unwrap())
//!     .await
//!     .unwrap();
//! // A POST without parameters is answered like the real gateway: HTTP 200, code 0.
//! let addr = sim.local_addr();
//! let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! stream
//!     .write_all(b"POST /open/openapi/do HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
//!     .await
//!     .unwrap();
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer).await.unwrap();
//! assert!(answer.starts_with("HTTP/1.1 200"));
//! assert!(answer.contains(r#""code":0"#) && answer.contains("method不能为空"));
//! assert_eq!(sim.stats().requests, 1);
//! sim.shutdown().await;
//! # }
//! ```
//!
//! # The gateway (`POST /open/openapi/do`)
//!
//! Parameters come from the `application/x-www-form-urlencoded` body and the query string (the
//! body wins). Every answer is HTTP 200 JSON,
//! `{"code":200|0,"msg":…,"subCode":…,"result":{"data":…,"contextId":"<19 digits>"}}`, except
//! injected HTTP faults. `contextid` is echoed; otherwise one is generated. The checks, in order
//! (see [`envelope::sub_codes`] and [`envelope::messages`] for the exact texts):
//!
//! | check | failure `subCode` / `msg` |
//! |---|---|
//! | `method appkey version contenttype timestamp bizcontent sign` present and non-blank | `0130020001` / `{param}不能为空` |
//! | appkey known | `0858030802` / `appkey不存在` |
//! | `timestamp` is `yyyy-MM-dd HH:mm:ss` | configurable, default `0858030801` / `时间戳格式错误…` |
//! | `timestamp` within ±`timestamp_window_secs` of now, read in Beijing time | same subCode / `时间戳已过期…` |
//! | signature: `md5_hex(lowercase(secret + Σ(key+value) + secret))`, keys sorted, all params except `sign contextid token` | `0858030801` / `签名错误` |
//! | `contenttype` is `json` | `0130020001` / `contenttype只支持json` |
//! | tenant-disabled fault off | `0130000609` / `该应用未开通开放平台…` |
//! | method served, `version` ∈ {`v1.0`,`V1.0`,`1.0`}, method subscribed | `0130020310` / `未查询到应用或应用未订阅此API` |
//! | daily quota / quota fault | configurable, default `0130000609` / `接口调用额度不足…` |
//! | throttle burst, rate, per-appkey QPS | configurable, default `0859999999` / `调用过于频繁，触发限流…` (HTTP 200, or 429 on request) |
//! | transient fault | `0130020001` / `short-circuited and fallback failed.` |
//! | `bizcontent` is a JSON object | `0130020001` / `bizcontent不是合法的JSON对象` |
//! | business parameters (windows, required params, page size when rejecting) | `0050030002` / per API |
//!
//! Unknown bizcontent keys are ignored (a misspelt filter returns unfiltered data); keys match
//! exactly, then ASCII case-insensitively. Success carries, by default, the realistic per-namespace
//! `msg`/`subCode` (ERP `操作成功`/`0030000004`, WMS `""`/`0000000000`, OMS `""`/`""`).
//!
//! # Served APIs
//!
//! | method | data node | paging | filters / windows |
//! |---|---|---|---|
//! | `wms.stocktake.get` | `result.data.stockTake` (or a bare array) | `pageIndex` from `page_base` (0 default), size 50, max 100 | `warehouseCode`, `skuBarcode` (comma list, any line; documents served whole), `startPdDate`/`endPdDate` |
//! | `erp.storage.goodslist` | `goods` | `maxSkuId` cursor + 0-based `pageIndex`, max 200 | `startDateModifiedSku`…, `startDateModifiedGoods`…, `startDate`/`endDate`, `goodsNo`, `skuBarcode` |
//! | `erp.warehouse.get` | `warehouseInfo` | 0-based | `warehouseCode`, `includeDeleteAndBlockup=1` |
//! | `erp.stockquantity.get` | `goodsStockQuantity` | `maxQuantityId` cursor + 0-based | `gmtModifiedStart`/`End`, `warehouseCode`, `goodsNo`, `skuBarcode` |
//! | `oms.trade.fullinfoget` | `trades` (+ `scrollId`) | `scrollId` cursor (send `""` first; `pageIndex` then ignored) or 0-based; max 200 | `fields` required; `tradeNo`/`onlineTradeNo` or a window (≤ 7 days) required |
//! | `wms.order.query-info.page` | bare array + `result.pageInfo` | 0-based, max 200 | one of create/finish/modify windows required, each ≤ 24 h (`0050030002`) |
//! | `erp-busiorder.goodsdocin.search`, `…goodsdocout.search` | bare array of detail rows | 0-based | `inouttypes`, `archived`, `cols`, `inOutDateStart`/`End`, `gmtModifiedDateStart`/`End` |
//! | `erp.purch.search` | bare array of detail rows | 0-based | `startDate`/`endDate`, `startModifyDate`/`endModifyDate`, `cols` |
//! | `erp.allocate.search` | `stockAllocate` detail rows | 0-based | `startCreateTime`/`endCreateTime`, `cols` |
//! | `erp.vend.get` | `vendInfo` | 0-based | `gmtModifiedStart`/`End` |
//!
//! Windows are inclusive at both ends and read in Beijing time (`yyyy-MM-dd HH:mm:ss`, or a
//! bare date meaning midnight); record dates may be strings or ms-epoch numbers. Rows are served
//! in a stable order: stocktakes by (`stocktakeDate`, `stocktakeId`), everything else in
//! generation order (by time or id). `pageSize` above the maximum is clamped (or rejected).
//!
//! # Generated data (deterministic)
//!
//! [`DataSet::generate`] uses only SplitMix64 streams seeded from [`GenerateOptions::seed`] and
//! the anchor date: the same seed, anchor and sizes always give identical data. Conventions
//! shared with the Kingdee simulator:
//!
//! - warehouses `CK01` 成品仓, `CK02` 原料仓, `CK03` 半成品仓, `CK04` 电商仓, and `CK09` 退货仓
//!   (no Kingdee mapping); `CK08` 旧成品仓 is blocked and only listed by erp.warehouse.get with
//!   `includeDeleteAndBlockup=1`;
//! - goods `A0001`..`A0200` (count configurable, `A{n:04}`), barcode `format!("69{:011}", n)`,
//!   unit by `(n-1) % 5` from 个, 件, 箱, 瓶, kg (瓶 and kg goods are batch-managed, kg quantities
//!   have one decimal); goods master data depends on `n` and the anchor only, not the seed;
//! - goods `X0001`..`X0003`, barcode `format!("68{:011}", n)`, which exist in Jackyun only;
//! - stocktakes (default 300) `PD{yyyyMMdd}{seq:04}` (per-day sequence in time order), dated
//!   08:00–19:00 over the 56 days before the anchor; statuses 1–6 all present, ≈80% 5 (已审核),
//!   recent ones (≤ 3 days) mostly 2–4; 1–12 lines each with gain, loss and zero
//!   `variQuan = takeQuan − stockQuan`, `price` with 2 decimals, `value = variQuan × price`,
//!   `batchNo` for batch goods, bins `positionName` like `A-03-07`; ≈1.5% of documents
//!   (rounded; alternately) are in CK09 or contain one line of an `X` good — always status 5
//!   with a non-zero variance on that line, so they fail on the Kingdee side;
//! - trades, shipments, purchases, transfers, vendors and in/out documents consistent with them
//!   (103 盘盈入库 / 203 盘亏出库 documents mirror audited stocktakes).
//!
//! # Faults
//!
//! See [`Faults`]: throttling (rate or burst), quota exhausted, HTTP 5xx, latency with jitter,
//! dropped connections (a real TCP reset, see the `conn` module), the "ignores pageIndex" bug,
//! tenant disabled, Hystrix-style transient errors and a per-appkey QPS limit. Fractions are
//! decided from the fault seed and the request sequence number, so tests are reproducible.
//!
//! # Inspection
//!
//! `GET /__sim/stats`, `GET|POST /__sim/faults`, `GET /__sim/data`, `GET /__sim/data/stocktakes`,
//! `POST /__sim/stocktakes`, `POST /__sim/stocktakes/status`, `POST /__sim/reset`.

mod civil;
mod config;
mod conn;
mod control;
mod data;
pub mod envelope;
mod error;
mod faults;
mod gateway;
mod limits;
mod methods;
mod paging;
mod params;
mod prng;
mod server;
mod sign;
mod stats;

pub use config::{
    AppCredential, BelowBasePage, DEFAULT_APPKEY, DEFAULT_SECRET, DataSource, DateFormat,
    JackyunSimConfig, PageSizeOverflow, StocktakeDataLocation, Subscriptions, SuccessSubCodes,
};
pub use data::{DataSet, GenerateOptions};
pub use error::SimError;
pub use faults::Faults;
pub use jiff::civil::Date as CivilDate;
pub use methods::{default_max_page_sizes, served_methods};
pub use server::{GATEWAY_PATH, JackyunSim, start};
pub use stats::{CallRecord, FaultStats, MethodStats, RECENT_CALLS, SimStats};
