//! Reading Kingdee's answers: the `Result.ResponseStatus` envelope, the `[[{…}]]` wrapping of
//! query errors, `response_error:` framework faults, the WAF block, login results, and the
//! classification of `MsgCode`s (reference §1.3, §2.2, §2.8, §4).
//!
//! Parsing is lenient on purpose: keys are matched case-insensitively, booleans and numbers may come
//! as strings, `Id` may be a number or a string, `FieldName` may be null, empty or a key.

use ferry_core::connector::{ConnectorError, ErrorClass};
use serde_json::{Map, Value};

/// MsgCode 1 上下文丢失: the session is gone; log in again.
pub const MSG_SESSION_LOST: i64 = 1;
/// MsgCode 13 网控冲突: an edit lock is held by someone else; retry later.
pub const MSG_EDIT_LOCK: i64 = 13;
/// MsgCode 14 调用限制: throttled.
pub const MSG_CALL_LIMIT: i64 = 14;

/// How a MsgCode is handled (reference §4.3).
pub fn classify(msg_code: i64) -> ErrorClass {
    match msg_code {
        // Session lost, database failure (deadlock, timeout), edit lock, throttling.
        1 | 6 | 13 | 14 => ErrorClass::Transient,
        // No permission, licence, administrator login forbidden: only a person can fix these.
        2 | 7 | 15 => ErrorClass::Auth,
        // Operation id / form id empty, parameter error: our request is wrong.
        3 | 5 | 8 => ErrorClass::Config,
        // 0 default, 4 exception, 9 field/value missing, 10 no data, 11 validation, 12 not allowed, …
        _ => ErrorClass::Business,
    }
}

/// The class of one model's failure inside a (Batch)Save answer: a record fails for good
/// (Business) unless the code says "try again later".
pub fn classify_model(msg_code: i64) -> ErrorClass {
    match classify(msg_code) {
        ErrorClass::Transient => ErrorClass::Transient,
        _ => ErrorClass::Business,
    }
}

/// Get a key case-insensitively (exact match first).
pub fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    }
}

/// Text of a scalar (`Id` may be a number or a string).
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One entry of `Errors` or `SuccessMessages`.
#[derive(Debug, Clone, PartialEq)]
pub struct KdMessage {
    /// The field the message is about (`FBillNo`, `FSTOCKID`); `None` when null or empty.
    pub field_name: Option<String>,
    pub message: String,
    /// Index of the model (BatchSave) or number (multi-number operations); `None` when absent.
    pub d_index: Option<usize>,
}

impl KdMessage {
    fn parse(v: &Value) -> Option<KdMessage> {
        let o = v.as_object()?;
        Some(KdMessage {
            field_name: get_ci(o, "FieldName").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            message: get_ci(o, "Message").and_then(text_of).unwrap_or_default(),
            d_index: get_ci(o, "DIndex").and_then(as_i64).and_then(|i| usize::try_from(i).ok()),
        })
    }

    /// The server's own text, with the field it names: `FSTOCKID: 字段…不存在`.
    pub fn text(&self) -> String {
        match &self.field_name {
            Some(f) if !self.message.contains(f.as_str()) => format!("{f}: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

/// One entry of `SuccessEntitys` (sic).
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessEntity {
    /// Internal id, as text.
    pub id: Option<String>,
    /// Document number.
    pub number: Option<String>,
    pub d_index: Option<usize>,
}

impl SuccessEntity {
    fn parse(v: &Value) -> Option<SuccessEntity> {
        let o = v.as_object()?;
        Some(SuccessEntity {
            id: get_ci(o, "Id").and_then(text_of),
            number: get_ci(o, "Number").or_else(|| get_ci(o, "BillNo")).and_then(text_of),
            d_index: get_ci(o, "DIndex").and_then(as_i64).and_then(|i| usize::try_from(i).ok()),
        })
    }
}

/// `Result.ResponseStatus`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResponseStatus {
    pub error_code: Option<i64>,
    pub is_success: bool,
    pub errors: Vec<KdMessage>,
    pub success_entitys: Vec<SuccessEntity>,
    pub success_messages: Vec<KdMessage>,
    pub msg_code: i64,
}

fn list<T>(o: &Map<String, Value>, key: &str, f: impl Fn(&Value) -> Option<T>) -> Vec<T> {
    get_ci(o, key).and_then(Value::as_array).map(|a| a.iter().filter_map(f).collect()).unwrap_or_default()
}

impl ResponseStatus {
    fn parse(v: &Value) -> Option<ResponseStatus> {
        let o = v.as_object()?;
        let errors = list(o, "Errors", KdMessage::parse);
        Some(ResponseStatus {
            error_code: get_ci(o, "ErrorCode").and_then(as_i64),
            // Absent IsSuccess: success unless errors say otherwise.
            is_success: get_ci(o, "IsSuccess").and_then(as_bool).unwrap_or(errors.is_empty()),
            errors,
            success_entitys: list(o, "SuccessEntitys", SuccessEntity::parse),
            success_messages: list(o, "SuccessMessages", KdMessage::parse),
            msg_code: get_ci(o, "MsgCode").and_then(as_i64).unwrap_or(0),
        })
    }

    /// All error texts joined (the server's own words).
    pub fn error_text(&self) -> String {
        let texts: Vec<String> = self.errors.iter().map(KdMessage::text).filter(|t| !t.is_empty()).collect();
        if texts.is_empty() { format!("Kingdee refused the call (MsgCode {})", self.msg_code) } else { texts.join("; ") }
    }

    /// The whole call's failure as an error, classified by MsgCode.
    pub fn to_error(&self) -> ConnectorError {
        ConnectorError::new(classify(self.msg_code), self.error_text()).with_code(self.msg_code.to_string())
    }

    /// Session lost: MsgCode 1, or the message when a server leaves the code at 0.
    pub fn is_session_lost(&self) -> bool {
        !self.is_success && (self.msg_code == MSG_SESSION_LOST || self.errors.iter().any(|e| is_session_lost_text(&e.message)))
    }
}

/// `会话信息已丢失` / `Session information is lost` (checked after JSON decoding, reference §2.8).
pub fn is_session_lost_text(s: &str) -> bool {
    s.contains("会话信息已丢失") || s.to_ascii_lowercase().contains("session information is lost")
}

/// The `{"Result": {...}}` object of an answer: bare, or wrapped as `[[{...}]]` (query errors).
pub fn result_object(v: &Value) -> Option<&Map<String, Value>> {
    let outer = match v {
        Value::Object(o) => o,
        Value::Array(rows) => rows.first()?.as_array()?.first()?.as_object()?,
        _ => return None,
    };
    get_ci(outer, "Result")?.as_object()
}

/// The ResponseStatus of an answer (object shape or `[[…]]`-wrapped), if it has one.
pub fn status_of(v: &Value) -> Option<ResponseStatus> {
    ResponseStatus::parse(get_ci(result_object(v)?, "ResponseStatus")?)
}

/// Does this answer say the session is gone?
pub fn is_session_lost(v: &Value) -> bool {
    status_of(v).is_some_and(|s| s.is_session_lost())
}

/// A failure of the whole call that is worth retrying as is, with nothing saved: throttling
/// (MsgCode 14), and for reads an edit lock (13). A write's edit lock is about one bill: the sink
/// re-sends just the locked models, so it is not retried here. Returns the status.
pub fn whole_call_transient(v: &Value, read: bool) -> Option<ResponseStatus> {
    let s = status_of(v)?;
    let code = s.msg_code == MSG_CALL_LIMIT || (read && s.msg_code == MSG_EDIT_LOCK);
    (code && !s.is_success && s.success_entitys.is_empty()).then_some(s)
}

/// The WAF interception answer: `[{"actionname":"showConfirm","params":[{"msg":…}]}]` (§1.3).
pub fn waf_block(v: &Value) -> Option<String> {
    let first = v.as_array()?.first()?.as_object()?;
    let action = get_ci(first, "actionname")?.as_str()?;
    if !action.eq_ignore_ascii_case("showConfirm") {
        return None;
    }
    let msg = get_ci(first, "params")
        .and_then(Value::as_array)
        .and_then(|p| p.first())
        .and_then(Value::as_object)
        .and_then(|p| get_ci(p, "msg"))
        .and_then(Value::as_str)
        .unwrap_or("the request was blocked by the server's interception rules");
    Some(msg.to_owned())
}

/// `response_error:` framework fault text: the JSON `Message` after the prefix when there is one.
pub fn framework_error(body: &str) -> Option<String> {
    let rest = body.trim_start().strip_prefix("response_error:")?.trim();
    let msg = serde_json::from_str::<Value>(rest)
        .ok()
        .and_then(|v| v.as_object().and_then(|o| get_ci(o, "Message")).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| rest.chars().take(500).collect());
    Some(if msg.is_empty() { "the server raised an exception (empty message)".to_owned() } else { msg })
}

/// The answer of a login service (its own shape, reference §2.2).
#[derive(Clone, PartialEq)]
pub struct LoginResult {
    pub result_type: i64,
    pub message: Option<String>,
    /// `KDSVCSessionId` (secret: never print).
    pub kdsvc_session_id: Option<String>,
    /// `Context.SessionId` (secret: never print).
    pub asp_session_id: Option<String>,
    pub user_name: Option<String>,
    pub data_center: Option<String>,
    pub db_id: Option<String>,
}

impl std::fmt::Debug for LoginResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResult")
            .field("result_type", &self.result_type)
            .field("message", &self.message)
            .field("user_name", &self.user_name)
            .field("data_center", &self.data_center)
            .finish_non_exhaustive()
    }
}

impl LoginResult {
    /// Parse a login answer; `None` when it is not the login shape.
    pub fn parse(v: &Value) -> Option<LoginResult> {
        let o = v.as_object()?;
        let result_type = get_ci(o, "LoginResultType").and_then(as_i64)?;
        let ctx = get_ci(o, "Context").and_then(Value::as_object);
        let ctx_text = |k: &str| ctx.and_then(|c| get_ci(c, k)).and_then(text_of);
        Some(LoginResult {
            result_type,
            message: get_ci(o, "Message").and_then(text_of),
            kdsvc_session_id: get_ci(o, "KDSVCSessionId").and_then(text_of),
            asp_session_id: ctx_text("SessionId"),
            user_name: ctx_text("UserName"),
            data_center: ctx_text("DataCenterName").or_else(|| ctx_text("DataCenterNumber")),
            db_id: ctx_text("DBid"),
        })
    }

    /// A usable session: type 1 (or -5 "form interaction needed", which one client accepts) with a
    /// non-empty `KDSVCSessionId`.
    pub fn succeeded(&self) -> bool {
        matches!(self.result_type, 1 | -5) && self.kdsvc_session_id.is_some()
    }

    /// Why the login failed, in words a person can act on.
    pub fn failure(&self, acct_id: &str, user: &str) -> String {
        let msg = self.message.clone().unwrap_or_default();
        let hint = match self.result_type {
            _ if is_session_lost_text(&msg) => {
                " — check acct_id (数据中心 ID), that the app is authorised for this user (第三方系统登录授权), and the IP whitelist"
            }
            0 => " — wrong password or app secret",
            -1 => " — login failed",
            1 | -5 => " — the server returned no session id",
            _ => "",
        };
        let shown = if msg.is_empty() { format!("LoginResultType {}", self.result_type) } else { msg };
        format!("login as '{user}' to data centre '{acct_id}' refused: {shown}{hint}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_a_partial_batch_answer() {
        let v = json!({"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
            "Errors":[{"FieldName":"FSTOCKID","Message":"字段“收货仓库”(FSTOCKID)的值“CK999”不存在","DIndex":1}],
            "SuccessEntitys":[{"Id":100226,"Number":"QTRK000123","DIndex":0},{"Id":"100227","Number":"X","DIndex":"2"}],
            "SuccessMessages":[],"MsgCode":9},"NeedReturnData":[{}]}});
        let s = status_of(&v).unwrap();
        assert!(!s.is_success);
        assert_eq!(s.msg_code, 9);
        assert_eq!(s.errors[0].d_index, Some(1));
        assert_eq!(s.errors[0].text(), "字段“收货仓库”(FSTOCKID)的值“CK999”不存在");
        assert_eq!(s.success_entitys[0], SuccessEntity { id: Some("100226".into()), number: Some("QTRK000123".into()), d_index: Some(0) });
        assert_eq!(s.success_entitys[1].d_index, Some(2));
        assert_eq!(s.to_error().class, ErrorClass::Business);
    }

    #[test]
    fn field_name_is_kept_with_the_message() {
        let m = KdMessage { field_name: Some("FBillNo".into()), message: "违反字段唯一性要求".into(), d_index: Some(0) };
        assert_eq!(m.text(), "FBillNo: 违反字段唯一性要求");
    }

    #[test]
    fn session_loss_is_seen_in_both_shapes_and_when_escaped() {
        let obj = json!({"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,
            "Errors":[{"FieldName":null,"Message":"会话信息已丢失，请重新登录","DIndex":0}],"SuccessEntitys":[],"SuccessMessages":[],"MsgCode":1}}});
        assert!(is_session_lost(&obj));
        assert!(is_session_lost(&json!([[obj.clone()]])));
        let escaped: Value = serde_json::from_str(r#"{"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"\u4f1a\u8bdd\u4fe1\u606f\u5df2\u4e22\u5931","DIndex":0}],"MsgCode":0}}}"#).unwrap();
        assert!(is_session_lost(&escaped));
        assert!(!is_session_lost(&json!([["CNY"]])));
    }

    #[test]
    fn query_errors_are_not_rows() {
        let v = json!([[{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,"Errors":[{"FieldName":null,"Message":"元数据中标识为FIssueType的字段不存在","DIndex":0}],"SuccessEntitys":[],"SuccessMessages":[],"MsgCode":9}}}]]);
        let s = status_of(&v).unwrap();
        assert_eq!(s.to_error().message, "元数据中标识为FIssueType的字段不存在");
        assert!(status_of(&json!([[1, "a"]])).is_none());
        assert!(status_of(&json!([])).is_none());
    }

    #[test]
    fn msg_codes_are_classified() {
        assert_eq!(classify(1), ErrorClass::Transient);
        assert_eq!(classify(13), ErrorClass::Transient);
        assert_eq!(classify(14), ErrorClass::Transient);
        assert_eq!(classify(9), ErrorClass::Business);
        assert_eq!(classify(11), ErrorClass::Business);
        assert_eq!(classify(2), ErrorClass::Auth);
        assert_eq!(classify(8), ErrorClass::Config);
        assert_eq!(classify_model(8), ErrorClass::Business);
        assert_eq!(classify_model(13), ErrorClass::Transient);
    }

    #[test]
    fn whole_call_retries_only_throttling_and_read_locks_with_nothing_saved() {
        let lock = json!({"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"冲突，请稍候再使用。","DIndex":0}],"SuccessEntitys":[],"MsgCode":13}}});
        assert_eq!(whole_call_transient(&lock, true).map(|s| s.msg_code), Some(13));
        assert!(whole_call_transient(&lock, false).is_none(), "a write's lock is per bill");
        let limit = json!({"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"调用限制","DIndex":0}],"SuccessEntitys":[],"MsgCode":14}}});
        assert_eq!(whole_call_transient(&limit, false).map(|s| s.msg_code), Some(14));
        let mixed = json!({"Result":{"ResponseStatus":{"IsSuccess":false,"Errors":[{"Message":"调用限制","DIndex":1}],"SuccessEntitys":[{"Id":1,"Number":"a","DIndex":0}],"MsgCode":14}}});
        assert!(whole_call_transient(&mixed, true).is_none());
    }

    #[test]
    fn framework_faults_and_waf_blocks_are_recognised() {
        assert_eq!(
            framework_error(r#"response_error:{"Message":"服务器内部错误","InnerExWrapper":null,"InnerException":null}"#).as_deref(),
            Some("服务器内部错误")
        );
        assert_eq!(framework_error("response_error:boom").as_deref(), Some("boom"));
        assert!(framework_error(r#"{"Result":{}}"#).is_none());
        let waf = json!([{"actionname":"showConfirm","params":[{"title":"","msg":"请求参数存在可疑数据,当前请求已经被拦截规则[caller_in_less_Point_Bracket]阻止!","option":0,"msgType":0}]}]);
        assert!(waf_block(&waf).unwrap().contains("caller_in_less_Point_Bracket"));
        assert!(waf_block(&json!([["a"]])).is_none());
    }

    #[test]
    fn login_results() {
        let ok = json!({"Message":null,"LoginResultType":1,"Context":{"DBid":"A","SessionId":"asp","UserName":"demo","DataCenterName":"演示"},
                        "KDSVCSessionId":"guid","IsSuccessByAPI":true});
        let r = LoginResult::parse(&ok).unwrap();
        assert!(r.succeeded());
        assert_eq!((r.asp_session_id.as_deref(), r.data_center.as_deref()), (Some("asp"), Some("演示")));
        assert!(!format!("{r:?}").contains("guid") && !format!("{r:?}").contains("asp\""));
        let bad = json!({"Message":"会话信息已丢失，请重新登录","LoginResultType":-1,"KDSVCSessionId":null});
        let r = LoginResult::parse(&bad).unwrap();
        assert!(!r.succeeded());
        assert!(r.failure("A", "demo").contains("acct_id"), "{}", r.failure("A", "demo"));
        assert!(LoginResult::parse(&json!({"Result": {}})).is_none());
    }
}
