//! The simulator's configuration.

use std::path::PathBuf;
use std::time::Duration;

use crate::faults::Faults;

/// How the simulated Kingdee K3Cloud account behaves. `Default` gives the documented demo account.
#[derive(Debug, Clone)]
pub struct KingdeeSimConfig {
    /// Data-center (账套) id accepted by every login mode. Default `ferry-demo-acct`.
    pub acct_id: String,
    /// Data-center name shown in the login context and `GetDataCenterList`. Default `Ferry 演示账套`.
    pub acct_name: String,
    /// The integration user. Default `demo`.
    pub user: String,
    /// The user's password (ValidateUser). Default `demo123`.
    pub password: String,
    /// The third-party app id (LoginByAppSecret, LoginBySign, signature headers). Default
    /// `ferry-demo-app`. The real format is `<clientId>_<encodedSec>`; both are accepted.
    pub app_id: String,
    /// The app secret. Default `ferry-demo-secret`.
    pub app_secret: String,
    /// Default locale id when a login does not give one. Default 2052 (zh-CN).
    pub lcid: u32,
    /// Idle expiry of sessions. Default 20 min (the ASP.NET default the reference names).
    pub session_ttl: Duration,
    /// Seed of the demo data. Default 1.
    pub seed: u64,
    /// Number of materials `A0001`.. generated from the seed. Default 200.
    pub materials: usize,
    /// A JSON data file that replaces the seeded base data (see [`crate::SimData`] and the README).
    pub data_file: Option<PathBuf>,
    /// Keep the data (bills, base data, counters) in this JSON file: loaded at start when it exists,
    /// written shortly after every change and at shutdown.
    pub persist_file: Option<PathBuf>,
    /// Faults active from the start.
    pub faults: Faults,
    /// MsgCode of "base data value not found" on Save (9 or 11; the reference is unsure). Default 9.
    pub missing_base_data_msg_code: i64,
    /// Top-level `IsSuccess` of a BatchSave where some models failed and some were saved
    /// (unknown in the reference). Default `false` (with `ErrorCode: 500`).
    pub mixed_batch_is_success: bool,
    /// Also verify `X-Api-Signature` in signature mode (private deployments appear not to). Default off.
    pub verify_api_signature: bool,
    /// Largest accepted distance between a LoginBySign timestamp and now; `None` disables the check.
    /// Default 10 min.
    pub sign_max_skew: Option<Duration>,
    /// Queries of base data without a `FUseOrgId` condition return only the rows of the user's
    /// organisation `100` (reference §5.5). Default on.
    pub org_isolation: bool,
    /// `View` without a session answers an empty `Result.Result` (`{}`) instead of MsgCode 1, as
    /// some servers do for clients without a cookie jar. Default off.
    pub view_without_session_returns_empty: bool,
}

impl Default for KingdeeSimConfig {
    fn default() -> Self {
        Self {
            acct_id: "ferry-demo-acct".to_string(),
            acct_name: "Ferry 演示账套".to_string(),
            user: "demo".to_string(),
            password: "demo123".to_string(),
            app_id: "ferry-demo-app".to_string(),
            app_secret: "ferry-demo-secret".to_string(),
            lcid: 2052,
            session_ttl: Duration::from_secs(20 * 60),
            seed: 1,
            materials: 200,
            data_file: None,
            persist_file: None,
            faults: Faults::default(),
            missing_base_data_msg_code: 9,
            mixed_batch_is_success: false,
            verify_api_signature: false,
            sign_max_skew: Some(Duration::from_secs(600)),
            org_isolation: true,
            view_without_session_returns_empty: false,
        }
    }
}

impl KingdeeSimConfig {
    /// The passport accepted by `LoginBySimplePassport`. The real passport is the base64 of an
    /// exported `.cnf` integration-key file whose content the reference does not know; the simulator's
    /// convention is base64 of the JSON `{"AcctID","UserName","AppID","AppSecret"}`.
    pub fn simple_passport(&self) -> String {
        use base64::Engine;
        let json = serde_json::json!({
            "AcctID": self.acct_id,
            "UserName": self.user,
            "AppID": self.app_id,
            "AppSecret": self.app_secret,
        });
        base64::engine::general_purpose::STANDARD.encode(json.to_string())
    }
}
