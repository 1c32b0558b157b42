//! The APIs the simulator serves: a registry of method name → handler, default and maximum page
//! sizes.

mod docs;
mod list;
mod master;
mod stocktake;
mod trade;
mod wms_order;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::config::JackyunSimConfig;
use crate::data::DataSet;
use crate::envelope::Failure;
use crate::params::Biz;

/// What a handler needs to serve one call.
pub(crate) struct Ctx<'a> {
    /// The simulator's configuration.
    pub config: &'a JackyunSimConfig,
    /// The data (read-locked for the duration of the call).
    pub data: &'a DataSet,
    /// The "ignores pageIndex" fault is on.
    pub ignore_page_index: bool,
    /// The method's registry entry.
    pub spec: &'static MethodSpec,
}

/// What a handler served.
#[derive(Debug, Default)]
pub(crate) struct Served {
    /// `result.data`.
    pub data: Value,
    /// Extra members of `result` (e.g. `pageInfo`).
    pub result_extra: Map<String, Value>,
    /// Number of top-level records served.
    pub records: u64,
    /// Business keys of the served records (e.g. `stocktakeId`), for the stats.
    pub keys: Vec<String>,
    /// The page index requested, for flat-paged methods.
    pub page_index: Option<i64>,
    /// The "ignores pageIndex" fault changed what was served.
    pub page_index_ignored: bool,
}

type Handler = fn(&Ctx, &Biz) -> Result<Served, Failure>;

/// One served API.
pub(crate) struct MethodSpec {
    /// Method name.
    pub name: &'static str,
    /// `pageSize` when absent.
    pub default_page_size: u32,
    /// Largest `pageSize` (overridable in the config).
    pub max_page_size: u32,
    /// The handler.
    pub handler: Handler,
}

/// Every served API. Page sizes: 50 default everywhere; max 200 where documented
/// (wms.order.query-info.page, oms.trade.fullinfoget, erp.storage.goodslist) and, by the
/// simulator's choice, for the APIs without a documented maximum; 100 for wms.stocktake.get
/// (its maximum is unknown; 100 is the largest size known to work).
static METHODS: &[MethodSpec] = &[
    MethodSpec {
        name: "wms.stocktake.get",
        default_page_size: 50,
        max_page_size: 100,
        handler: stocktake::serve,
    },
    MethodSpec {
        name: "erp.storage.goodslist",
        default_page_size: 50,
        max_page_size: 200,
        handler: master::goods_list,
    },
    MethodSpec {
        name: "erp.warehouse.get",
        default_page_size: 50,
        max_page_size: 200,
        handler: master::warehouses,
    },
    MethodSpec {
        name: "erp.stockquantity.get",
        default_page_size: 50,
        max_page_size: 200,
        handler: master::stock_quantities,
    },
    MethodSpec {
        name: "erp.vend.get",
        default_page_size: 50,
        max_page_size: 200,
        handler: master::vendors,
    },
    MethodSpec {
        name: "oms.trade.fullinfoget",
        default_page_size: 50,
        max_page_size: 200,
        handler: trade::serve,
    },
    MethodSpec {
        name: "wms.order.query-info.page",
        default_page_size: 50,
        max_page_size: 200,
        handler: wms_order::serve,
    },
    MethodSpec {
        name: "erp-busiorder.goodsdocin.search",
        default_page_size: 50,
        max_page_size: 200,
        handler: docs::goods_docs_in,
    },
    MethodSpec {
        name: "erp-busiorder.goodsdocout.search",
        default_page_size: 50,
        max_page_size: 200,
        handler: docs::goods_docs_out,
    },
    MethodSpec {
        name: "erp.purch.search",
        default_page_size: 50,
        max_page_size: 200,
        handler: docs::purchases,
    },
    MethodSpec {
        name: "erp.allocate.search",
        default_page_size: 50,
        max_page_size: 200,
        handler: docs::allocations,
    },
];

/// The registry entry of `method`.
pub(crate) fn find(method: &str) -> Option<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name == method)
}

/// The names of every API the simulator serves.
pub fn served_methods() -> Vec<&'static str> {
    METHODS.iter().map(|m| m.name).collect()
}

/// The built-in maximum page size of every served API.
pub fn default_max_page_sizes() -> BTreeMap<String, u32> {
    METHODS
        .iter()
        .map(|m| (m.name.to_string(), m.max_page_size))
        .collect()
}
