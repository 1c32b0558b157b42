//! The simulator's configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::data::{DataSet, GenerateOptions};
use crate::error::SimError;
use crate::faults::Faults;
use crate::methods;

/// The documented default appkey (a demo value, safe to print).
pub const DEFAULT_APPKEY: &str = "ferry-demo-appkey";
/// The documented default secret (a demo value, safe to print).
pub const DEFAULT_SECRET: &str = "ferry-demo-secret";

/// One app the gateway knows: its appkey, secret and subscribed APIs.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredential {
    /// The app key (`appkey` system parameter).
    pub appkey: String,
    /// The app secret used in the signature. Never logged or served.
    pub secret: String,
    /// The APIs this app has subscribed to (订购); others answer `0130020310`.
    pub subscriptions: Subscriptions,
}

impl AppCredential {
    /// An app subscribed to every API the simulator serves.
    pub fn new(appkey: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            appkey: appkey.into(),
            secret: secret.into(),
            subscriptions: Subscriptions::All,
        }
    }
}

impl std::fmt::Debug for AppCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredential")
            .field("appkey", &self.appkey)
            .field("secret", &"<redacted>")
            .field("subscriptions", &self.subscriptions)
            .finish()
    }
}

/// Which APIs an app may call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Subscriptions {
    /// Every API the simulator serves.
    #[default]
    All,
    /// Only these method names.
    Only(BTreeSet<String>),
}

impl Subscriptions {
    /// Whether `method` is subscribed.
    pub fn allows(&self, method: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.contains(method),
        }
    }
}

/// Where the simulator's data comes from.
#[derive(Debug, Clone)]
pub enum DataSource {
    /// Generated deterministically from a seed (see the crate docs for the conventions).
    Generate(GenerateOptions),
    /// Loaded from a JSON file: either a [`DataSet`] object (`{"stocktakes":[…],"goods":[…],…}`;
    /// missing collections are empty) or a bare array of stocktakes.
    File(PathBuf),
    /// A data set given in memory.
    Inline(Box<DataSet>),
}

impl Default for DataSource {
    fn default() -> Self {
        Self::Generate(GenerateOptions::default())
    }
}

/// Where `wms.stocktake.get` puts its documents in `result.data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StocktakeDataLocation {
    /// `result.data.stockTake` (default; the most likely real shape, reference §8.2).
    #[default]
    StockTakeKey,
    /// `result.data` is the bare array of documents.
    BareArray,
}

/// How `stocktakeDate` is served (the real format is unknown, reference §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// `"yyyy-MM-dd HH:mm:ss"` in Beijing time (default).
    #[default]
    DateTimeString,
    /// Milliseconds since the Unix epoch, as a JSON number.
    EpochMillis,
    /// Milliseconds since the Unix epoch, as a numeric string.
    EpochMillisString,
}

/// What the gateway does when `pageSize` exceeds the method's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageSizeOverflow {
    /// Serve the maximum silently (default): a client that stops on a short page then stops early.
    #[default]
    Clamp,
    /// Answer a `0050030002` parameter error.
    Reject,
}

/// What a page index below the page base (e.g. `pageIndex: 0` when 1-based) returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BelowBasePage {
    /// An empty page (default; like the 1-based OMS-API namespace).
    #[default]
    Empty,
    /// The first page (a lenient gateway treating 0 and 1 alike).
    FirstPage,
}

/// Which `msg`/`subCode` a successful call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuccessSubCodes {
    /// Per namespace, as observed live (default): ERP `操作成功`/`0030000004`, WMS `0000000000`,
    /// OMS `""`. Catches clients that treat any non-empty subCode as an error.
    #[default]
    Realistic,
    /// Always `msg: ""`, `subCode: ""` (the official doc samples).
    Empty,
}

/// The simulator's configuration. `Default` gives the documented demo app, generated data for
/// today's Beijing date with seed 1, 0-based paging and no faults.
#[derive(Debug, Clone)]
pub struct JackyunSimConfig {
    /// Apps the gateway accepts (default: [`DEFAULT_APPKEY`]/[`DEFAULT_SECRET`], all APIs).
    pub credentials: Vec<AppCredential>,
    /// Where the data comes from (default: generated, seed 1, anchored today in Beijing).
    pub data: DataSource,
    /// First page index of `wms.stocktake.get`: 0 (default) or 1. Its base is the only uncertain
    /// one (reference §8.3); every other flat-paged API is 0-based, as confirmed.
    pub page_base: u32,
    /// What a `wms.stocktake.get` page index below `page_base` returns.
    pub below_base_page: BelowBasePage,
    /// Maximum `pageSize` per method (default: 200 where documented, 100 for wms.stocktake.get,
    /// the largest size known to work; see [`crate::default_max_page_sizes`]).
    pub max_page_size: BTreeMap<String, u32>,
    /// What happens when `pageSize` is above the maximum (default: clamp).
    pub page_size_overflow: PageSizeOverflow,
    /// Accepted `|now - timestamp|`, in seconds (default 600 = ±10 min).
    pub timestamp_window_secs: u64,
    /// subCode of timestamp errors (the real one is unknown; default `0858030801`, the signature
    /// error code, with a message containing `时间戳`).
    pub timestamp_sub_code: String,
    /// Where wms.stocktake.get puts its documents (default `result.data.stockTake`).
    pub stocktake_data_location: StocktakeDataLocation,
    /// How wms.stocktake.get serves `stocktakeDate` (default a `yyyy-MM-dd HH:mm:ss` string).
    pub stocktake_date_format: DateFormat,
    /// Optional cap on the `startPdDate`..`endPdDate` span of wms.stocktake.get, in seconds
    /// (default none; the real cap is unknown).
    pub stocktake_window_cap_secs: Option<u64>,
    /// Success `msg`/`subCode` style (default realistic, per namespace).
    pub success_sub_codes: SuccessSubCodes,
    /// Serve large ids as strings (default true, as the real gateway); false serves all-digit
    /// `id`/`…Id` values as JSON numbers.
    pub ids_as_strings: bool,
    /// Serve `result.data` as a JSON-encoded string (as the OMS-API namespace does) for every
    /// method (default false).
    pub data_as_json_string: bool,
    /// Report `pageInfo.total` as 0 on wms.order.query-info.page, as often seen live (default false).
    pub unreliable_total: bool,
    /// Daily call quota per appkey and method (Beijing day), counted for authenticated calls
    /// (default none; the real platform publishes 1000/day for standard APIs).
    pub daily_quota: Option<u64>,
    /// subCode of quota errors (default `0130000609`, uncertain; the msg contains `额度不足`).
    pub quota_sub_code: String,
    /// subCode of throttle errors (default `0859999999`, uncertain; the msg contains `限流`).
    pub throttle_sub_code: String,
    /// Faults active from the start (default none). Also holds the per-appkey QPS limit.
    pub faults: Faults,
}

impl Default for JackyunSimConfig {
    fn default() -> Self {
        Self {
            credentials: vec![AppCredential::new(DEFAULT_APPKEY, DEFAULT_SECRET)],
            data: DataSource::default(),
            page_base: 0,
            below_base_page: BelowBasePage::default(),
            max_page_size: methods::default_max_page_sizes(),
            page_size_overflow: PageSizeOverflow::default(),
            timestamp_window_secs: 600,
            timestamp_sub_code: crate::envelope::sub_codes::SIGN.to_string(),
            stocktake_data_location: StocktakeDataLocation::default(),
            stocktake_date_format: DateFormat::default(),
            stocktake_window_cap_secs: None,
            success_sub_codes: SuccessSubCodes::default(),
            ids_as_strings: true,
            data_as_json_string: false,
            unreliable_total: false,
            daily_quota: None,
            quota_sub_code: crate::envelope::sub_codes::TENANT_DISABLED.to_string(),
            throttle_sub_code: crate::envelope::sub_codes::THROTTLE.to_string(),
            faults: Faults::default(),
        }
    }
}

impl JackyunSimConfig {
    /// Checks the configuration; every problem is reported, each naming its field.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut problems = Vec::new();
        if self.credentials.is_empty() {
            problems.push("credentials: at least one app is required".to_string());
        }
        let mut seen = BTreeSet::new();
        for (i, c) in self.credentials.iter().enumerate() {
            if c.appkey.is_empty() {
                problems.push(format!("credentials[{i}].appkey: must not be empty"));
            }
            if c.secret.is_empty() {
                problems.push(format!("credentials[{i}].secret: must not be empty"));
            }
            if !seen.insert(c.appkey.as_str()) {
                problems.push(format!(
                    "credentials[{i}].appkey: duplicate appkey {}",
                    c.appkey
                ));
            }
        }
        if self.page_base > 1 {
            problems.push(format!("page_base: must be 0 or 1, got {}", self.page_base));
        }
        for (method, max) in &self.max_page_size {
            if *max == 0 {
                problems.push(format!("max_page_size.{method}: must be at least 1"));
            }
        }
        if let DataSource::Generate(g) = &self.data
            && let Err(e) = g.validate()
        {
            problems.push(format!("data.{e}"));
        }
        if let Err(e) = self.faults.validate() {
            problems.push(format!("faults.{e}"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SimError::InvalidConfig(problems.join("; ")))
        }
    }

    /// The maximum page size of `method` (falls back to the built-in default, then 200).
    pub(crate) fn max_page_size_of(&self, method: &str) -> u32 {
        self.max_page_size
            .get(method)
            .copied()
            .or_else(|| methods::default_max_page_sizes().get(method).copied())
            .unwrap_or(200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid_and_secret_is_not_debug_printed() {
        let c = JackyunSimConfig::default();
        c.validate().unwrap();
        let dbg = format!("{:?}", c.credentials);
        assert!(dbg.contains(DEFAULT_APPKEY));
        assert!(!dbg.contains(DEFAULT_SECRET));
    }

    #[test]
    fn validate_reports_every_problem_with_its_path() {
        let c = JackyunSimConfig {
            credentials: vec![AppCredential::new("a", ""), AppCredential::new("a", "s")],
            page_base: 2,
            ..Default::default()
        };
        let msg = c.validate().unwrap_err().to_string();
        assert!(msg.contains("credentials[0].secret"), "{msg}");
        assert!(msg.contains("credentials[1].appkey: duplicate"), "{msg}");
        assert!(msg.contains("page_base"), "{msg}");
    }
}
