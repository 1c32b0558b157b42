//! Logins (`AuthService.*`, reference §1.2, §2.2, §2.5) and the authentication of business calls:
//! session carriers (§2.3) or per-request signature headers (§2.6).

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::body::{Args, as_i64, as_text};
use crate::config::KingdeeSimConfig;
use crate::envelope::{MSG_SESSION_LOST, MSG_VALIDATION, SESSION_LOST_TEXT};
use crate::sessions::{Refused, Session};
use crate::signing::{api_string_to_sign, decode_sec, kd_hmac, login_sign, same};
use crate::state::State;

/// The login services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginOp {
    /// `[acctID, username, password, lcid]`.
    ValidateUser,
    /// `[acctID, userName, appId, appSecret, lcid]`.
    AppSecret,
    /// `[dbId, userName, appId, appSecret, isKickOff, lcid]`.
    AppSecret2,
    /// `[acctID, userName, appId, timestamp, sign, lcid]`.
    Sign,
    /// `[dbId, userName, appId, timestamp, sign, isKickOff, lcid]`.
    Sign2,
    /// `[passportForBase64, lcid]`.
    SimplePassport,
}

impl LoginOp {
    /// The canonical service name and the login op of an AuthService operation name.
    pub(crate) fn from_op(op: &str) -> Option<(&'static str, LoginOp)> {
        [
            ("ValidateUser", LoginOp::ValidateUser),
            ("LoginByAppSecret", LoginOp::AppSecret),
            ("LoginByAppSecret2", LoginOp::AppSecret2),
            ("LoginBySign", LoginOp::Sign),
            ("LoginBySign2", LoginOp::Sign2),
            ("LoginBySimplePassport", LoginOp::SimplePassport),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(op))
    }
}

const ACCT: &[&str] = &["acctid", "acctID", "dbid", "dbId"];
const USER: &[&str] = &["username", "userName", "user"];
const APP_ID: &[&str] = &["appid", "appId"];
const LCID: &[&str] = &["lcid"];
/// Template for a refused app login (the real text is unknown).
const APP_REFUSED: &str = "第三方系统登录授权验证失败，请检查应用ID、应用密钥及集成用户";

fn text(args: &Args, idx: usize, names: &[&str]) -> String {
    args.get(idx, names)
        .and_then(as_text)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The answer to a login call.
#[derive(Debug)]
pub(crate) struct LoginOutcome {
    /// The login result object (§2.2).
    pub body: Value,
    /// The session opened, on success.
    pub session: Option<Session>,
}

fn refused(result_type: i64, message: &str) -> LoginOutcome {
    LoginOutcome {
        body: json!({
            "Message": message, "MessageCode": null, "LoginResultType": result_type, "Context": null,
            "KDSVCSessionId": null, "FormId": null, "RedirectFormParam": null, "FormInputObject": null,
            "ErrorStackTrace": null, "Lcid": 0, "AccessToken": null, "CustomParam": {},
            "KdAccessResult": null, "IsSuccessByAPI": false
        }),
        session: None,
    }
}

fn login_body(cfg: &KingdeeSimConfig, s: &Session) -> Value {
    let locale = match s.lcid {
        1033 => "en-US",
        3076 => "zh-TW",
        _ => "zh-CN",
    };
    let zone = json!({"OffsetTicks": 288_000_000_000_i64, "StandardName": "(UTC+08:00)北京，重庆，香港特别行政区，乌鲁木齐",
                      "Id": 230, "Number": "1078_SYS", "CanBeUsed": true});
    json!({
        "Message": null,
        "MessageCode": null,
        "LoginResultType": 1,
        "Context": {
            "UserLocale": locale, "LogLocale": locale, "DBid": cfg.acct_id, "DatabaseType": 3,
            "SessionId": s.aspnet_id,
            "UseLanguages": [{"LocaleId": 2052, "LocaleName": "中文(简体)", "Alias": "CN", "LicenseType": 0}],
            "UserId": 100_008, "UserName": cfg.user, "CustomName": cfg.acct_name,
            "DisplayVersion": "8.2.0.20240520", "DataCenterName": cfg.acct_name,
            "UserToken": s.user_token,
            "CurrentOrganizationInfo": {"ID": 1, "AcctOrgType": "1", "Name": "总公司",
                                        "FunctionIds": [101, 102, 103, 104, 107, 108, 109, 110, 111, 112, 113, 114]},
            "IsCH_ZH_AutoTrans": false, "ClientType": 32,
            "WeiboAuthInfo": {"WeiboUrl": null, "NetWorkID": null, "CompanyNetworkID": null, "Account": " @",
                              "AppKey": "", "AppSecret": "", "TokenKey": " ",
                              "TokenSecret": " ", "Verify": null, "CallbackUrl": null, "UserId": " ", "Charset": {}},
            "UTimeZone": zone, "STimeZone": zone, "GDCID": "", "Gsid": null, "TRLevel": 0,
            "ProductEdition": 0, "DataCenterNumber": "ferry"
        },
        "KDSVCSessionId": s.kd_id,
        "FormId": null, "RedirectFormParam": null, "FormInputObject": null, "ErrorStackTrace": null,
        "Lcid": 0, "AccessToken": null, "CustomParam": {}, "KdAccessResult": null,
        "IsSuccessByAPI": true
    })
}

/// Handles one login call: checks the credentials and opens a session on success.
pub(crate) fn login(
    st: &mut State,
    cfg: &KingdeeSimConfig,
    op: LoginOp,
    args: &Args,
) -> LoginOutcome {
    let outcome = check_login(cfg, op, args);
    let outcome = match outcome {
        Ok(lcid) => {
            let session = st.sessions.create(lcid);
            st.stats.sessions_created += 1;
            LoginOutcome {
                body: login_body(cfg, &session),
                session: Some(session),
            }
        }
        Err((result_type, message)) => refused(result_type, message),
    };
    if outcome.session.is_some() {
        st.stats.logins_ok += 1;
    } else {
        st.stats.logins_failed += 1;
    }
    outcome
}

/// Checks the credentials of a login; the locale of the session on success.
fn check_login(
    cfg: &KingdeeSimConfig,
    op: LoginOp,
    args: &Args,
) -> Result<u32, (i64, &'static str)> {
    let lcid_at = |idx: usize| {
        as_i64(args.get(idx, LCID))
            .filter(|l| *l > 0)
            .map_or(cfg.lcid, |l| l as u32)
    };
    // Template texts except 会话信息已丢失 (reference §2.2: a wrong acctID or a disabled app).
    let (acct, user) = match op {
        LoginOp::SimplePassport => {
            let passport = text(args, 0, &["passportForBase64", "passport"]);
            let decoded = STANDARD
                .decode(passport.as_bytes())
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
            let Some(p) = decoded else {
                return Err((-1, "集成密钥(passport)格式不正确"));
            };
            let field = |k: &str| p.get(k).and_then(as_text).unwrap_or_default();
            if field("AcctID") != cfg.acct_id || field("AppID") != cfg.app_id {
                return Err((-1, SESSION_LOST_TEXT));
            }
            if !field("UserName").eq_ignore_ascii_case(&cfg.user)
                || !same(&field("AppSecret"), &cfg.app_secret)
            {
                return Err((-1, APP_REFUSED));
            }
            return Ok(lcid_at(1));
        }
        _ => (text(args, 0, ACCT), text(args, 1, USER)),
    };
    if acct != cfg.acct_id {
        return Err((-1, SESSION_LOST_TEXT));
    }
    match op {
        LoginOp::ValidateUser => {
            let password = args
                .get(2, &["password", "pwd"])
                .and_then(as_text)
                .unwrap_or_default();
            if !user.eq_ignore_ascii_case(&cfg.user) || !same(&password, &cfg.password) {
                return Err((0, "用户名或密码错误！"));
            }
            Ok(lcid_at(3))
        }
        LoginOp::AppSecret | LoginOp::AppSecret2 => {
            let app_id = text(args, 2, APP_ID);
            let secret = args
                .get(3, &["appsecret", "appSecret", "appsec"])
                .and_then(as_text)
                .unwrap_or_default();
            if app_id != cfg.app_id {
                return Err((-1, SESSION_LOST_TEXT));
            }
            if !user.eq_ignore_ascii_case(&cfg.user) || !same(&secret, &cfg.app_secret) {
                return Err((-1, APP_REFUSED));
            }
            Ok(lcid_at(if op == LoginOp::AppSecret { 4 } else { 5 }))
        }
        LoginOp::Sign | LoginOp::Sign2 => {
            let app_id = text(args, 2, APP_ID);
            let ts = text(args, 3, &["timestamp"]);
            let sign = text(args, 4, &["sign"]).to_ascii_lowercase();
            if app_id != cfg.app_id {
                return Err((-1, SESSION_LOST_TEXT));
            }
            if let Some(max) = cfg.sign_max_skew {
                let now = jiff::Timestamp::now().as_second();
                let ok = ts
                    .parse::<i64>()
                    .is_ok_and(|t| (now - t).unsigned_abs() <= max.as_secs());
                if !ok {
                    return Err((-1, "签名时间戳(timestamp)已失效，请检查客户端时间"));
                }
            }
            let expected = login_sign(&acct, &user, &app_id, &cfg.app_secret, &ts);
            if !user.eq_ignore_ascii_case(&cfg.user) || !same(&sign, &expected) {
                return Err((-1, APP_REFUSED));
            }
            Ok(lcid_at(if op == LoginOp::Sign { 5 } else { 6 }))
        }
        LoginOp::SimplePassport => Err((-1, APP_REFUSED)),
    }
}

/// The session ids a request carries: header `kdservice-sessionid`, header `SID` (Java SDK),
/// cookies `kdservice-sessionid` and `ASP.NET_SessionId`.
pub(crate) fn session_ids(headers: &HeaderMap) -> Vec<String> {
    let mut ids: Vec<String> = ["kdservice-sessionid", "sid"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .map(|v| v.trim().to_string())
        .collect();
    for cookie in headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for part in cookie.split(';') {
            if let Some((k, v)) = part.split_once('=')
                && (k.trim().eq_ignore_ascii_case("kdservice-sessionid")
                    || k.trim().eq_ignore_ascii_case("ASP.NET_SessionId"))
            {
                ids.push(v.trim().to_string());
            }
        }
    }
    ids.retain(|s| !s.is_empty());
    ids
}

/// How a business call is authenticated.
#[derive(Debug)]
pub(crate) enum Auth {
    /// A live session carried by a cookie or header.
    Session(Session),
    /// Valid signature headers and no session: a session was opened for the client.
    NewSession(Session),
    /// No usable session (missing, unknown or expired): MsgCode 1.
    Lost,
    /// Signature headers present but refused: (message, MsgCode).
    Rejected(String, i64),
}

/// Authenticates a business call. A carried session decides (a stale one is lost even when
/// signature headers are present: clients clear their cookies and call again, reference §2.8);
/// without one, valid `X-Kd-*` headers open a session.
pub(crate) fn authenticate(
    st: &mut State,
    cfg: &KingdeeSimConfig,
    headers: &HeaderMap,
    path: &str,
) -> Auth {
    let ids = session_ids(headers);
    if !ids.is_empty() {
        let mut expired = false;
        for id in &ids {
            match st.sessions.touch(id) {
                Ok(s) => return Auth::Session(s),
                Err(Refused::Expired) => expired = true,
                Err(Refused::Unknown) => {}
            }
        }
        if expired {
            st.stats.sessions_expired += 1;
        }
        return Auth::Lost;
    }
    match verify_signature(cfg, headers, path) {
        None => Auth::Lost,
        Some(Err((m, c))) => Auth::Rejected(m, c),
        Some(Ok(lcid)) => {
            st.stats.sessions_created += 1;
            Auth::NewSession(st.sessions.create(lcid))
        }
    }
}

/// Checks `X-Kd-*` (and `X-Api-*` when configured). `None` when the request is not signed.
fn verify_signature(
    cfg: &KingdeeSimConfig,
    headers: &HeaderMap,
    path: &str,
) -> Option<Result<u32, (String, i64)>> {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let parts = [h("x-kd-appkey"), h("x-kd-appdata"), h("x-kd-signature")];
    if parts.iter().all(Option::is_none) {
        return None;
    }
    let [Some(app_key), Some(app_data), Some(signature)] = parts else {
        return Some(Err((
            "签名信息不完整：需要X-Kd-Appkey、X-Kd-Appdata和X-Kd-Signature".to_string(),
            MSG_VALIDATION,
        )));
    };
    Some(check_signature(cfg, h, path, app_key, app_data, signature))
}

fn check_signature<'a>(
    cfg: &KingdeeSimConfig,
    h: impl Fn(&str) -> Option<&'a str>,
    path: &str,
    app_key: &str,
    app_data: &str,
    signature: &str,
) -> Result<u32, (String, i64)> {
    // Templates, except 会话信息已丢失 for an unknown account or app (reference §2.2).
    let lost = || (SESSION_LOST_TEXT.to_string(), MSG_SESSION_LOST);
    if app_key != cfg.app_id {
        return Err(lost());
    }
    let plain = STANDARD
        .decode(app_data)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ("X-Kd-Appdata格式不正确".to_string(), MSG_VALIDATION))?;
    let fields: Vec<&str> = plain.split(',').collect();
    if fields.len() < 2 {
        return Err(("X-Kd-Appdata格式不正确".to_string(), MSG_VALIDATION));
    }
    if fields[0] != cfg.acct_id {
        return Err(lost());
    }
    if !fields[1].eq_ignore_ascii_case(&cfg.user) {
        return Err((
            "集成用户与第三方系统登录授权不匹配".to_string(),
            MSG_VALIDATION,
        ));
    }
    let expected = kd_hmac(&format!("{app_key}{plain}"), &cfg.app_secret);
    if !same(signature, &expected) {
        return Err(("签名(X-Kd-Signature)校验失败".to_string(), MSG_VALIDATION));
    }
    if cfg.verify_api_signature
        && let Some((_, encoded)) = app_key.split_once('_')
    {
        let ts = h("x-api-timestamp").unwrap_or_default();
        let nonce = h("x-api-nonce").unwrap_or_default();
        let given = h("x-api-signature").unwrap_or_default();
        let s = api_string_to_sign(path, nonce, ts);
        // Java keeps a non-32-character secret as is, Python signs with "": accept both.
        let keys = match decode_sec(encoded) {
            Some(k) => vec![k],
            None => vec![encoded.to_string(), String::new()],
        };
        if !keys.iter().any(|k| same(given, &kd_hmac(&s, k))) {
            // Text reported by an integrator (reference §2.6).
            return Err((
                "授权密钥校验失败，请获取最新密钥加密".to_string(),
                MSG_VALIDATION,
            ));
        }
    }
    let lcid = fields
        .get(2)
        .and_then(|l| l.trim().parse::<u32>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(cfg.lcid);
    Ok(lcid)
}

/// `AccountService.GetDataCenterList`.
pub(crate) fn data_centers(cfg: &KingdeeSimConfig) -> Value {
    json!([{
        "Id": cfg.acct_id, "Number": "ferry", "Name": cfg.acct_name, "Version": "8.2.0.20240520",
        "GDCID": "",
        "AuthenticationMethods": [
            {"AuthenticationMethodType": 1, "Name": "用户名+密码"},
            {"AuthenticationMethodType": 8, "Name": "第三方系统登录授权"}
        ]
    }])
}
