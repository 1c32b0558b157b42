//! Response shapes of reference §4: the `Result`/`ResponseStatus` envelope, the lost-session
//! object (§2.8), the `[[...]]` wrapping of query errors, `response_error:` faults and the WAF array.

use serde_json::{Value, json};

/// MsgCode 1: 上下文丢失 (session lost).
pub(crate) const MSG_SESSION_LOST: i64 = 1;
/// MsgCode 4: 异常 (exception).
pub(crate) const MSG_EXCEPTION: i64 = 4;
/// MsgCode 5: 单据标识为空 (form id empty).
pub(crate) const MSG_FORM_EMPTY: i64 = 5;
/// MsgCode 8: 参数错误 (parameter error).
pub(crate) const MSG_PARAM: i64 = 8;
/// MsgCode 9: 指定字段/值不存在 (field or value does not exist).
pub(crate) const MSG_NOT_EXIST: i64 = 9;
/// MsgCode 10: 未找到对应数据 (data not found).
pub(crate) const MSG_NOT_FOUND: i64 = 10;
/// MsgCode 11: 验证失败 (validation failed).
pub(crate) const MSG_VALIDATION: i64 = 11;
/// MsgCode 13: 网控冲突 (edit-lock conflict).
pub(crate) const MSG_LOCK: i64 = 13;
/// MsgCode 14: 调用限制 (call limit).
pub(crate) const MSG_CALL_LIMIT: i64 = 14;

/// The verbatim lost-session message.
pub(crate) const SESSION_LOST_TEXT: &str = "会话信息已丢失，请重新登录";

/// One entry of `Errors` or `SuccessMessages`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KdMsg {
    /// `FieldName`: `null`, `""` or a field key.
    pub field_name: Option<String>,
    /// `Message`.
    pub message: String,
    /// `DIndex`.
    pub dindex: usize,
    /// The MsgCode this error stands for (the first error's code becomes the response's).
    pub msg_code: i64,
}

impl KdMsg {
    /// An error or message.
    pub(crate) fn new(
        field: Option<&str>,
        message: impl Into<String>,
        dindex: usize,
        msg_code: i64,
    ) -> Self {
        Self {
            field_name: field.map(str::to_string),
            message: message.into(),
            dindex,
            msg_code,
        }
    }

    fn to_json(&self) -> Value {
        json!({"FieldName": self.field_name, "Message": self.message, "DIndex": self.dindex})
    }
}

/// One `SuccessEntitys` item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SuccessEntity {
    /// `Id`.
    pub id: i64,
    /// `Number`.
    pub number: String,
    /// `DIndex`.
    pub dindex: usize,
}

/// A `ResponseStatus` object. `ErrorCode: 500` is present exactly when `is_success` is false.
pub(crate) fn status(
    is_success: bool,
    errors: &[KdMsg],
    successes: &[SuccessEntity],
    messages: &[KdMsg],
) -> Value {
    let msg_code = errors.first().map_or(0, |e| e.msg_code);
    let mut s = serde_json::Map::new();
    if !is_success {
        s.insert("ErrorCode".into(), json!(500));
    }
    s.insert("IsSuccess".into(), json!(is_success));
    s.insert("Errors".into(), errors.iter().map(KdMsg::to_json).collect());
    s.insert(
        "SuccessEntitys".into(),
        successes
            .iter()
            .map(|e| json!({"Id": e.id, "Number": e.number, "DIndex": e.dindex}))
            .collect(),
    );
    s.insert(
        "SuccessMessages".into(),
        messages.iter().map(KdMsg::to_json).collect(),
    );
    s.insert("MsgCode".into(), json!(msg_code));
    Value::Object(s)
}

/// `{"Result":{"ResponseStatus":<failure>}}` with one error.
pub(crate) fn failure(field: Option<&str>, message: impl Into<String>, msg_code: i64) -> Value {
    failure_of(&[KdMsg::new(field, message, 0, msg_code)])
}

/// `{"Result":{"ResponseStatus":<failure>}}` with these errors.
pub(crate) fn failure_of(errors: &[KdMsg]) -> Value {
    json!({"Result": {"ResponseStatus": status(false, errors, &[], &[])}})
}

/// The lost-session object of §2.8 (captured from a real server).
pub(crate) fn session_lost() -> Value {
    failure(None, SESSION_LOST_TEXT, MSG_SESSION_LOST)
}

/// A query error wrapped the way ExecuteBillQuery returns it: `[[{...}]]`.
pub(crate) fn wrap_query(v: Value) -> Value {
    json!([[v]])
}

/// The plain-text body of a framework fault.
pub(crate) fn response_error_text(message: &str) -> String {
    format!(
        "response_error:{}",
        json!({"Message": message, "InnerExWrapper": null, "InnerException": null})
    )
}

/// The WAF interception array (§1.3).
pub(crate) fn waf_block() -> Value {
    json!([{"actionname": "showConfirm", "params": [{
        "title": "",
        "msg": "请求参数存在可疑数据,当前请求已经被拦截规则[caller_in_less_Point_Bracket]阻止!",
        "option": 0,
        "msgType": 0
    }]}])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_lost_is_byte_exact() {
        assert_eq!(
            session_lost().to_string(),
            r#"{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,"Errors":[{"FieldName":null,"Message":"会话信息已丢失，请重新登录","DIndex":0}],"SuccessEntitys":[],"SuccessMessages":[],"MsgCode":1}}}"#
        );
    }

    #[test]
    fn success_has_no_error_code_and_msg_code_zero() {
        let s = status(
            true,
            &[],
            &[SuccessEntity {
                id: 1,
                number: "N".into(),
                dindex: 0,
            }],
            &[],
        );
        assert_eq!(
            s.to_string(),
            r#"{"IsSuccess":true,"Errors":[],"SuccessEntitys":[{"Id":1,"Number":"N","DIndex":0}],"SuccessMessages":[],"MsgCode":0}"#
        );
    }

    #[test]
    fn response_error_prefix() {
        let t = response_error_text("boom");
        assert!(t.starts_with("response_error:{\"Message\":\"boom\""));
    }
}
