//! Connection settings of a Kingdee K3Cloud connection: parsed strictly (unknown keys refused),
//! validated into a [`KingdeeConfig`] with every mistake named by its field.
//!
//! ```yaml
//! kingdee:
//!   system: kingdee
//!   server: http://erp.example.com/k3cloud/
//!   acct_id: 5f0000000000aa          # 数据中心 ID
//!   user: demo
//!   auth: login_by_sign              # or login_by_app_secret, validate_user, api_signature
//!   app_id: 123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef
//!   app_secret: ${KINGDEE_APP_SECRET}
//! ```

use std::time::Duration;

use ferry_core::connector::ConnectorError;
use ferry_core::diag::did_you_mean;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Secret;

/// How the connector proves who it is (reference §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// `AuthService.LoginBySign`: SHA-256 over the sorted credentials (recommended by Kingdee).
    LoginBySign,
    /// `AuthService.LoginByAppSecret` (marked 不推荐 by Kingdee).
    LoginByAppSecret,
    /// `AuthService.ValidateUser` with a password (marked 不推荐; refused by newer public-cloud tenants).
    ValidateUser,
    /// The official SDK 8.x style: no login, every request carries `X-Api-*`/`X-Kd-*` signature headers.
    ApiSignature,
}

impl AuthMode {
    /// The setting's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::LoginBySign => "login_by_sign",
            AuthMode::LoginByAppSecret => "login_by_app_secret",
            AuthMode::ValidateUser => "validate_user",
            AuthMode::ApiSignature => "api_signature",
        }
    }
}

/// How business calls put their arguments in the body (reference §1.4). Login always uses the
/// positional shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BodyStyle {
    /// `{"formid": .., "data": {..}}` — the official Python SDK 8.2.
    #[default]
    Named,
    /// `{"parameters": [formid, "<data as a JSON string>"]}` — the official Java SDK.
    Positional,
}

/// The settings exactly as written. Every field is optional here so that a type error can be
/// attributed to its field (see [`parse`]); required fields are checked in [`RawSettings::validate`].
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    server: Option<String>,
    acct_id: Option<String>,
    user: Option<String>,
    auth: Option<AuthMode>,
    app_id: Option<String>,
    app_secret: Option<Secret>,
    password: Option<Secret>,
    #[serde(default, deserialize_with = "lenient_u64")]
    lcid: Option<u64>,
    org: Option<Value>,
    #[serde(default, deserialize_with = "lenient_f64")]
    rate_limit: Option<f64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    max_concurrency: Option<u64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    timeout_secs: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    session_idle_ttl_secs: Option<f64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    max_retries: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    retry_base_ms: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    max_batch: Option<u64>,
    body_style: Option<BodyStyle>,
    #[serde(default, deserialize_with = "lenient_f64")]
    base_data_ttl_secs: Option<f64>,
}

/// Every setting key, for suggestions.
const KEYS: [&str; 18] = [
    "server",
    "acct_id",
    "user",
    "auth",
    "app_id",
    "app_secret",
    "password",
    "lcid",
    "org",
    "rate_limit",
    "max_concurrency",
    "timeout_secs",
    "session_idle_ttl_secs",
    "max_retries",
    "retry_base_ms",
    "max_batch",
    "body_style",
    "base_data_ttl_secs",
];

/// Numbers may come as strings (`${ENV}` expansion gives strings).
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| serde::de::Error::custom(format!("expected a whole number ≥ 0, found {n}"))),
        Some(Value::String(s)) => {
            s.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("expected a whole number ≥ 0, found '{s}'")))
        }
        Some(other) => Err(serde::de::Error::custom(format!("expected a whole number, found {other}"))),
    }
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("expected a number, found '{s}'"))),
        Some(other) => Err(serde::de::Error::custom(format!("expected a number, found {other}"))),
    }
}

/// The credentials of the chosen auth mode.
#[derive(Clone)]
pub enum Credentials {
    /// App id + app secret (LoginBySign, LoginByAppSecret, signature headers).
    App { app_id: String, app_secret: Secret },
    /// User password (ValidateUser).
    Password(Secret),
}

/// A validated connection configuration.
#[derive(Clone)]
pub struct KingdeeConfig {
    /// The connection's name (for logs and messages).
    pub name: String,
    /// Site root, always ending in `/` (e.g. `http://host/k3cloud/`).
    pub server: String,
    /// 数据中心 (账套) id.
    pub acct_id: String,
    /// The integration user.
    pub user: String,
    pub auth: AuthMode,
    pub credentials: Credentials,
    /// Locale id; 2052 = zh-CN.
    pub lcid: u32,
    /// Organisation number for the signature headers' app data (`0` when not set).
    pub org: String,
    /// Requests per second; 0 = unlimited.
    pub rate_limit: f64,
    pub max_concurrency: usize,
    pub timeout: Duration,
    /// Log in again (or drop the signature-mode cookies) after this much idle time.
    pub session_idle_ttl: Duration,
    /// Retries of a transient failure (network, 5xx, MsgCode 13/14) before giving up.
    pub max_retries: u32,
    /// First backoff step.
    pub retry_base: Duration,
    /// Most models per BatchSave call.
    pub max_batch: usize,
    pub body_style: BodyStyle,
    /// How long a fetched base-data table is reused before it is fetched again.
    pub base_data_ttl: Duration,
}

impl KingdeeConfig {
    /// The app id, when the auth mode uses one.
    pub fn app_id(&self) -> Option<&str> {
        match &self.credentials {
            Credentials::App { app_id, .. } => Some(app_id),
            Credentials::Password(_) => None,
        }
    }

    /// The app id safe to show: only its client id part (the part after `_` encodes a secret).
    pub fn app_id_shown(&self) -> String {
        match self.app_id() {
            Some(id) => match id.split_once('_') {
                Some((client, _)) => format!("{client}_***"),
                None => id.to_owned(),
            },
            None => String::new(),
        }
    }
}

impl std::fmt::Debug for KingdeeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KingdeeConfig")
            .field("name", &self.name)
            .field("server", &self.server)
            .field("acct_id", &self.acct_id)
            .field("user", &self.user)
            .field("auth", &self.auth)
            .field("app_id", &self.app_id_shown())
            .field("lcid", &self.lcid)
            .field("org", &self.org)
            .finish_non_exhaustive()
    }
}

/// Default requests in flight per connection.
pub const DEFAULT_MAX_CONCURRENCY: usize = 2;
/// Default request timeout.
pub const DEFAULT_TIMEOUT_SECS: f64 = 60.0;
/// Default idle time after which a session is renewed before use. The server's ASP.NET session
/// times out after 1200 s idle (reference §2.4); renewing at 900 s stays clear of that edge.
pub const DEFAULT_SESSION_IDLE_TTL_SECS: f64 = 900.0;
/// Default lifetime of a cached base-data table.
pub const DEFAULT_BASE_DATA_TTL_SECS: f64 = 600.0;
/// Default most models per BatchSave (no documented maximum, reference §7.2).
pub const DEFAULT_MAX_BATCH: usize = 100;

/// Parse and validate a connection's settings. Errors are `Config` and name every bad field.
pub fn parse(name: &str, settings: &Value) -> Result<KingdeeConfig, ConnectorError> {
    let prefix = format!("connections.{name}");
    let obj = match settings {
        Value::Object(m) => m,
        Value::Null => &serde_json::Map::new(),
        other => return Err(ConnectorError::config(format!("{prefix}: expected a mapping of settings, found {other}"))),
    };
    let mut errors = Vec::new();
    for (k, v) in obj {
        if !KEYS.contains(&k.as_str()) {
            errors.push(format!("{prefix}.{k}: unknown setting{} (known: {})", did_you_mean(k, KEYS), KEYS.join(", ")));
            continue;
        }
        // Attribute type errors to their field: deserialize each key alone.
        let mut one = serde_json::Map::new();
        one.insert(k.clone(), v.clone());
        if let Err(e) = serde_json::from_value::<RawSettings>(Value::Object(one)) {
            // Serde quotes the offending value; for a secret that value is the secret itself.
            let msg = if SECRET_KEYS.contains(&k.as_str()) { "expected a string".to_owned() } else { clean_serde_error(&e.to_string()) };
            errors.push(format!("{prefix}.{k}: {msg}"));
        }
    }
    if !errors.is_empty() {
        return Err(ConnectorError::config(errors.join("; ")));
    }
    let raw: RawSettings = serde_json::from_value(Value::Object(obj.clone()))
        .map_err(|e| ConnectorError::config(format!("{prefix}: {}", clean_serde_error(&e.to_string()))))?;
    raw.validate(name, &prefix)
}

/// Settings whose values must never be echoed in a message.
const SECRET_KEYS: [&str; 3] = ["app_id", "app_secret", "password"];

/// Serde's message without the "at line … column …" tail (settings are not a text file).
fn clean_serde_error(s: &str) -> String {
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl RawSettings {
    fn validate(self, name: &str, prefix: &str) -> Result<KingdeeConfig, ConnectorError> {
        let mut errors: Vec<String> = Vec::new();
        let mut need = |v: Option<String>, key: &str, what: &str| -> String {
            match non_empty(v) {
                Some(s) => s,
                None => {
                    errors.push(format!("{prefix}.{key}: required ({what})"));
                    String::new()
                }
            }
        };
        let server = need(self.server, "server", "the site root, e.g. http://host/k3cloud/");
        let acct_id = need(self.acct_id, "acct_id", "数据中心 ID, e.g. 5f0000000000aa");
        let user = need(self.user, "user", "the integration user name");
        let server = if server.is_empty() {
            server
        } else if !(server.starts_with("http://") || server.starts_with("https://")) {
            errors.push(format!("{prefix}.server: expected an http:// or https:// URL ending in /k3cloud/, found '{server}'"));
            server
        } else if server.ends_with('/') {
            server
        } else {
            format!("{server}/")
        };
        let auth = match self.auth {
            Some(a) => a,
            None => {
                errors.push(format!(
                    "{prefix}.auth: required: login_by_sign (recommended), login_by_app_secret, validate_user or api_signature"
                ));
                AuthMode::LoginBySign
            }
        };
        let app_id = non_empty(self.app_id);
        let app_secret = self.app_secret.filter(|s| !s.expose().trim().is_empty());
        let password = self.password.filter(|s| !s.expose().is_empty());
        let credentials = match auth {
            AuthMode::ValidateUser => {
                if app_id.is_some() {
                    errors.push(format!("{prefix}.app_id: not used with auth validate_user (remove it, or choose auth login_by_sign)"));
                }
                if app_secret.is_some() {
                    errors.push(format!("{prefix}.app_secret: not used with auth validate_user (remove it, or choose auth login_by_sign)"));
                }
                match password {
                    Some(p) => Credentials::Password(p),
                    None => {
                        errors.push(format!("{prefix}.password: required with auth validate_user"));
                        Credentials::Password(Secret::new(""))
                    }
                }
            }
            mode => {
                if password.is_some() {
                    errors.push(format!("{prefix}.password: not used with auth {} (it signs with app_id and app_secret)", mode.as_str()));
                }
                if app_id.is_none() {
                    errors.push(format!("{prefix}.app_id: required with auth {} (系统管理 → 第三方系统登录授权)", mode.as_str()));
                }
                if app_secret.is_none() {
                    errors.push(format!("{prefix}.app_secret: required with auth {}", mode.as_str()));
                }
                Credentials::App { app_id: app_id.unwrap_or_default(), app_secret: app_secret.unwrap_or_else(|| Secret::new("")) }
            }
        };
        let lcid = match self.lcid {
            None => 2052,
            Some(n) if n > 0 && n <= u64::from(u32::MAX) => n as u32,
            Some(n) => {
                errors.push(format!("{prefix}.lcid: expected a locale id such as 2052 (zh-CN), found {n}"));
                2052
            }
        };
        let org = match self.org {
            None | Some(Value::Null) => "0".to_owned(),
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                errors.push(format!("{prefix}.org: expected an organisation number such as \"100\", found {other}"));
                "0".to_owned()
            }
        };
        let rate_limit = match self.rate_limit {
            None => 0.0,
            Some(r) if r.is_finite() && r >= 0.0 => r,
            Some(r) => {
                errors.push(format!("{prefix}.rate_limit: expected requests per second ≥ 0 (0 = unlimited), found {r}"));
                0.0
            }
        };
        let max_concurrency = match self.max_concurrency {
            None => DEFAULT_MAX_CONCURRENCY,
            Some(n) if (1..=64).contains(&n) => n as usize,
            Some(n) => {
                errors.push(format!("{prefix}.max_concurrency: expected 1 to 64 requests in flight, found {n}"));
                DEFAULT_MAX_CONCURRENCY
            }
        };
        let mut secs = |v: Option<f64>, key: &str, default: f64| -> Duration {
            match v {
                None => Duration::from_secs_f64(default),
                Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Duration::from_secs_f64(s),
                Some(s) => {
                    errors.push(format!("{prefix}.{key}: expected seconds > 0, found {s}"));
                    Duration::from_secs_f64(default)
                }
            }
        };
        let timeout = secs(self.timeout_secs, "timeout_secs", DEFAULT_TIMEOUT_SECS);
        let session_idle_ttl = secs(self.session_idle_ttl_secs, "session_idle_ttl_secs", DEFAULT_SESSION_IDLE_TTL_SECS);
        let base_data_ttl = secs(self.base_data_ttl_secs, "base_data_ttl_secs", DEFAULT_BASE_DATA_TTL_SECS);
        let max_retries = match self.max_retries {
            None => 3,
            Some(n) if n <= 20 => n as u32,
            Some(n) => {
                errors.push(format!("{prefix}.max_retries: expected 0 to 20, found {n}"));
                3
            }
        };
        let retry_base = Duration::from_millis(self.retry_base_ms.unwrap_or(500).min(60_000));
        let max_batch = match self.max_batch {
            None => DEFAULT_MAX_BATCH,
            Some(n) if (1..=10_000).contains(&n) => n as usize,
            Some(n) => {
                errors.push(format!("{prefix}.max_batch: expected 1 to 10000 models per call, found {n}"));
                DEFAULT_MAX_BATCH
            }
        };
        if !errors.is_empty() {
            return Err(ConnectorError::config(errors.join("; ")));
        }
        Ok(KingdeeConfig {
            name: name.to_owned(),
            server,
            acct_id,
            user,
            auth,
            credentials,
            lcid,
            org,
            rate_limit,
            max_concurrency,
            timeout,
            session_idle_ttl,
            max_retries,
            retry_base,
            max_batch,
            body_style: self.body_style.unwrap_or_default(),
            base_data_ttl,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ok(v: Value) -> KingdeeConfig {
        parse("kd", &v).unwrap()
    }
    fn err(v: Value) -> String {
        let e = parse("kd", &v).unwrap_err();
        assert_eq!(e.class, ferry_core::connector::ErrorClass::Config);
        e.message
    }

    #[test]
    fn minimal_sign_settings_get_defaults() {
        let c = ok(json!({"server": "http://h/k3cloud", "acct_id": "A", "user": "demo", "auth": "login_by_sign",
                          "app_id": "1_x", "app_secret": "s"}));
        assert_eq!(c.server, "http://h/k3cloud/");
        assert_eq!(c.lcid, 2052);
        assert_eq!(c.org, "0");
        assert_eq!(c.max_concurrency, 2);
        assert_eq!(c.session_idle_ttl, Duration::from_secs(900));
        assert_eq!(c.body_style, BodyStyle::Named);
    }

    #[test]
    fn numbers_may_be_strings() {
        let c = ok(json!({"server": "http://h/k3cloud/", "acct_id": "A", "user": "u", "auth": "validate_user",
                          "password": "p", "lcid": "1033", "max_concurrency": "4", "timeout_secs": "2.5", "org": 100}));
        assert_eq!((c.lcid, c.max_concurrency, c.org.as_str()), (1033, 4, "100"));
        assert_eq!(c.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn every_mistake_is_named_by_its_field() {
        let m = err(json!({"server": "h/k3cloud", "user": "u", "auth": "login_by_sign", "app_secret": "s", "passwrd": "x",
                           "max_concurrency": "many"}));
        for part in [
            "connections.kd.passwrd: unknown setting (did you mean 'password'?)",
            "connections.kd.max_concurrency: expected a whole number",
        ] {
            assert!(m.contains(part), "{m}");
        }
        let m = err(json!({"server": "h/k3cloud", "user": "u", "auth": "login_by_sign", "app_secret": "s"}));
        for part in ["connections.kd.server: expected an http", "connections.kd.acct_id: required", "connections.kd.app_id: required"] {
            assert!(m.contains(part), "{m}");
        }
    }

    #[test]
    fn unknown_auth_mode_is_refused_with_the_choices() {
        let m = err(json!({"server": "http://h/", "acct_id": "A", "user": "u", "auth": "oauth"}));
        assert!(m.contains("connections.kd.auth") && m.contains("login_by_sign"), "{m}");
    }

    #[test]
    fn credentials_must_fit_the_mode() {
        let m = err(json!({"server": "http://h/", "acct_id": "A", "user": "u", "auth": "validate_user", "app_id": "1_x"}));
        assert!(m.contains("connections.kd.app_id: not used with auth validate_user"), "{m}");
        assert!(m.contains("connections.kd.password: required"), "{m}");
        let m = err(json!({"server": "http://h/", "acct_id": "A", "user": "u", "auth": "api_signature", "app_id": "1_x",
                           "app_secret": "s", "password": "p"}));
        assert!(m.contains("connections.kd.password: not used with auth api_signature"), "{m}");
    }

    #[test]
    fn secrets_never_show() {
        let c = ok(json!({"server": "http://h/k3cloud/", "acct_id": "A", "user": "u", "auth": "login_by_sign",
                          "app_id": "123456_SECRETPART", "app_secret": "topsecret"}));
        let d = format!("{c:?}");
        assert!(!d.contains("topsecret") && !d.contains("SECRETPART"), "{d}");
        assert!(d.contains("123456_***"), "{d}");
        let m = err(json!({"server": "http://h/", "acct_id": "A", "user": "u", "auth": "login_by_sign", "app_id": "1_x",
                           "app_secret": 987654321, "lcid": -3}));
        assert!(!m.contains("987654321") && m.contains("connections.kd.app_secret: expected a string"), "{m}");
    }
}
