//! A faithful local simulator of the Kingdee K3Cloud (金蝶云星空) WebAPI, for tests, demos and
//! benchmarks. Written from `reference/kingdee-webapi.md` and sharing no protocol code with the
//! Kingdee connector (a bug in one must not hide the same bug in the other).
//!
//! What it serves (see `README.md` of this crate for the details and the message catalogue):
//! - `POST {base}/Kingdee.BOS.WebApi.ServicesStub.<Service>.<Op>.common.kdsvc`, service names
//!   case-insensitive, all four body shapes (positional, legacy envelope, named, form-urlencoded);
//! - logins `ValidateUser`, `LoginByAppSecret(2)`, `LoginBySign(2)`, `LoginBySimplePassport`,
//!   `Logout`, and the official SDK's per-request `X-Kd-*` signature headers (`X-Api-*` optional);
//! - sessions carried by the `kdservice-sessionid` / `ASP.NET_SessionId` cookies or the
//!   `kdservice-sessionid` / `SID` headers, idle-expiring with the real MsgCode 1 answer;
//! - a small account: base data and the forms `STK_MISCELLANEOUS`, `STK_MisDelivery`,
//!   `STK_StockCountGain`, `STK_StockCountLoss` with Save, BatchSave, Submit, Audit, UnAudit,
//!   Delete, View, ExecuteBillQuery, BillQuery, QueryBusinessInfo;
//! - faults on demand, including really dropped connections and "commit then fail";
//! - inspection endpoints under `/__sim/`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferry_sim_kingdee::SimError> {
//! let sim = ferry_sim_kingdee::start(Default::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("{}", sim.base_url()); // http://127.0.0.1:PORT/k3cloud/
//! sim.shutdown().await
//! # }
//! ```

mod auth;
mod body;
mod clock;
mod config;
mod conn;
mod dispatch;
mod envelope;
mod error;
mod faults;
mod filter;
mod forms;
mod inspect;
mod lifecycle;
mod metadata;
mod model;
mod persist;
mod query;
mod rng;
mod save;
mod seed;
mod server;
mod sessions;
mod signing;
mod state;
mod stats;
mod view;

pub use config::KingdeeSimConfig;
pub use error::SimError;
pub use faults::{FaultKind, Faults, ScriptedFault};
pub use model::{BaseRecord, Bill, Entry, RefVal, SimData, Val};
pub use seed::{material_barcode, material_number};
pub use server::{KingdeeSim, start};
pub use stats::SimStats;
