//! The gateway's answer (reference §4): success iff `code` is 200 (number or string), whatever
//! `subCode` says; failures classified from `subCode` and `msg` into auth, throttle (transient),
//! quota, parameter (config) and business errors, keeping the server's own message.

use ferry_core::connector::{ConnectorError, ErrorClass};
use serde_json::Value;

use super::normalize::parse_json_keeping_big_ints;

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `result.data`, parsed a second time when the gateway sent it as a JSON string.
    pub data: Value,
    /// The whole `result` object (it may carry `pageInfo`, `contextId`, …).
    pub result: Value,
}

/// A refused call: the classified error, and whether the gateway asked us to slow down.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub error: ConnectorError,
    /// A throttle (HTTP 429, `0859999999`, `限流`, `频繁`): the connection's limiter should back off.
    pub throttled: bool,
}

impl Refusal {
    fn new(error: ConnectorError) -> Self {
        Refusal { error, throttled: false }
    }
    fn throttle(error: ConnectorError) -> Self {
        Refusal { error, throttled: true }
    }
}

/// Reads one HTTP answer of the gateway for `method`.
pub fn parse_answer(method: &str, status: u16, body: &str) -> Result<Answer, Refusal> {
    if status == 429 {
        return Err(Refusal::throttle(ConnectorError::transient(format!("{method}: the gateway answered HTTP 429 (too many requests)"))));
    }
    if (500..=599).contains(&status) {
        return Err(Refusal::new(ConnectorError::transient(format!("{method}: the gateway answered HTTP {status}{}", snippet(body)))));
    }
    if !(200..=299).contains(&status) {
        return Err(Refusal::new(ConnectorError::config(format!(
            "{method}: the gateway answered HTTP {status}{} (check the connection's gateway URL)",
            snippet(body)
        ))));
    }
    let v: Value = parse_json_keeping_big_ints(body).map_err(|e| {
        // An HTML maintenance page or a truncated body: the gateway is having a moment.
        Refusal::new(ConnectorError::transient(format!("{method}: the gateway's answer is not JSON ({e}){}", snippet(body))))
    })?;
    let code_ok = match v.get("code") {
        Some(Value::Number(n)) => n.as_i64() == Some(200),
        Some(Value::String(s)) => s.trim() == "200",
        _ => false,
    };
    let msg = v.get("msg").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    let sub_code = match v.get("subCode") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if !code_ok {
        if v.get("code").is_none() {
            return Err(Refusal::new(ConnectorError::transient(format!(
                "{method}: the gateway's answer has no 'code'{}",
                snippet(body)
            ))));
        }
        return Err(classify(method, &sub_code, &msg));
    }
    let result = v.get("result").cloned().unwrap_or(Value::Null);
    let data = match result.get("data") {
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.starts_with('{') || t.starts_with('[') {
                parse_json_keeping_big_ints(t).map_err(|e| {
                    Refusal::new(ConnectorError::transient(format!("{method}: result.data is a string that is not valid JSON ({e})")))
                })?
            } else if t.is_empty() {
                Value::Null
            } else {
                Value::String(s.clone())
            }
        }
        Some(other) => other.clone(),
        None => Value::Null,
    };
    Ok(Answer { data, result })
}

fn snippet(body: &str) -> String {
    let t = body.trim();
    if t.is_empty() {
        return String::new();
    }
    let cut: String = t.chars().take(200).collect();
    format!(": {cut}{}", if cut.len() < t.len() { "…" } else { "" })
}

/// Classifies a `code != 200` answer (reference §4.3).
pub fn classify(method: &str, sub_code: &str, msg: &str) -> Refusal {
    let text = if msg.is_empty() { format!("jackyun refused {method} without a message") } else { msg.to_owned() };
    let with = |class: ErrorClass, hint: &str| {
        let message = match (sub_code.is_empty(), hint.is_empty()) {
            (true, true) => text.clone(),
            (true, false) => format!("{text} ({hint})"),
            (false, true) => format!("{text} [subCode {sub_code}]"),
            (false, false) => format!("{text} [subCode {sub_code}] ({hint})"),
        };
        let e = ConnectorError::new(class, message);
        if sub_code.is_empty() { e } else { e.with_code(sub_code) }
    };
    let lower = msg.to_lowercase();
    if msg.contains("额度不足") {
        return Refusal::new(with(
            ErrorClass::Quota,
            &format!("the daily call quota of {method} is used up; the next run resumes from the checkpoint"),
        ));
    }
    if sub_code == "0859999999" || msg.contains("限流") || msg.contains("频繁") {
        return Refusal::throttle(with(ErrorClass::Transient, "throttled by the gateway"));
    }
    if lower.contains("short-circuited") || lower.contains("fallback failed") || msg.contains("系统繁忙") {
        return Refusal::new(with(ErrorClass::Transient, "a temporary failure inside the gateway"));
    }
    if msg.contains("时间戳") {
        return Refusal::new(with(
            ErrorClass::Auth,
            "timestamp refused: this machine's clock is off; requests are stamped in Beijing time (UTC+8), so check the host clock",
        ));
    }
    match sub_code {
        "0858030801" => return Refusal::new(with(ErrorClass::Auth, "signature refused: the connection's appsecret is wrong")),
        "0858030802" => return Refusal::new(with(ErrorClass::Auth, "unknown appkey: check the connection's appkey")),
        "0858030803" => return Refusal::new(with(ErrorClass::Auth, "the token is invalid or expired: renew the connection's token")),
        "0130020310" => {
            return Refusal::new(with(
                ErrorClass::Auth,
                &format!("the app does not exist or has not subscribed to {method}: subscribe it in the Jackyun developer console (应用管理 → API 订阅)"),
            ));
        }
        "0130000609" => {
            return Refusal::new(with(
                ErrorClass::Auth,
                "the tenant has not enabled the open platform: contact the Jackyun account manager",
            ));
        }
        _ => {}
    }
    if msg.contains("签名") || lower.contains("signature") {
        return Refusal::new(with(ErrorClass::Auth, "signature refused: the connection's appsecret is wrong"));
    }
    if lower.contains("appkey") && !msg.contains("不能为空") {
        return Refusal::new(with(ErrorClass::Auth, "check the connection's appkey"));
    }
    if sub_code == "0050030002" || msg.contains("不能为空") || msg.contains("必传") || msg.contains("不能超过") || msg.contains("参数") {
        return Refusal::new(with(ErrorClass::Config, &format!("the request parameters of {method} were refused; fix the scheme's params or window")));
    }
    Refusal::new(with(ErrorClass::Business, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(status: u16, body: &str) -> (ErrorClass, bool, String) {
        let r = parse_answer("wms.stocktake.get", status, body).unwrap_err();
        (r.error.class, r.throttled, r.error.message)
    }

    #[test]
    fn success_is_code_200_whatever_the_sub_code() {
        for body in [
            r#"{"code":200,"msg":"","subCode":"","result":{"data":{"stockTake":[]},"contextId":"1"}}"#,
            r#"{"code":"200","msg":"操作成功","subCode":"0030000004","result":{"data":{"stockTake":[]}}}"#,
            r#"{"code":200,"subCode":"0000000000","result":{"data":"{\"stockTake\":[]}"}}"#,
        ] {
            let a = parse_answer("m", 200, body).unwrap();
            assert!(a.data["stockTake"].is_array(), "{body}");
        }
        let bare = parse_answer("m", 200, r#"{"code":200,"result":{"data":"[{\"id\":12345678901234567890123}]"}}"#).unwrap();
        assert_eq!(bare.data[0]["id"], "12345678901234567890123");
    }

    #[test]
    fn errors_are_classified_with_the_servers_message() {
        let cases: [(&str, ErrorClass, bool, &str); 12] = [
            (r#"{"code":0,"msg":"签名错误","subCode":"0858030801"}"#, ErrorClass::Auth, false, "签名错误"),
            (r#"{"code":0,"msg":"时间戳已过期","subCode":"0858030801"}"#, ErrorClass::Auth, false, "clock"),
            (r#"{"code":0,"msg":"appkey不存在","subCode":"0858030802"}"#, ErrorClass::Auth, false, "appkey不存在"),
            (r#"{"code":0,"msg":"未查询到应用或应用未订阅此API","subCode":"0130020310"}"#, ErrorClass::Auth, false, "API 订阅"),
            (r#"{"code":0,"msg":"该应用未开通开放平台，无法调用接口，请联系客户经理处理","subCode":"0130000609"}"#, ErrorClass::Auth, false, "未开通"),
            (r#"{"code":0,"msg":"接口调用额度不足","subCode":"0130000609"}"#, ErrorClass::Quota, false, "额度不足"),
            (r#"{"code":0,"msg":"调用过于频繁，触发限流","subCode":"0859999999"}"#, ErrorClass::Transient, true, "限流"),
            (r#"{"code":0,"msg":"","subCode":"0859999999"}"#, ErrorClass::Transient, true, "0859999999"),
            (r#"{"code":0,"msg":"short-circuited and fallback failed.","subCode":"0130020001"}"#, ErrorClass::Transient, false, "short-circuited"),
            (r#"{"code":0,"msg":"修改时间起止时间差不能超过24小时","subCode":"0050030002"}"#, ErrorClass::Config, false, "24小时"),
            (r#"{"code":0,"msg":"未知错误","subCode":"0130020001"}"#, ErrorClass::Business, false, "未知错误"),
            (r#"{"code":"0","msg":"当前报表不支持开放平台查询","subCode":""}"#, ErrorClass::Business, false, "当前报表"),
        ];
        for (body, want, throttled, text) in cases {
            let (c, t, m) = class(200, body);
            assert_eq!((c, t), (want, throttled), "{body}");
            assert!(m.contains(text), "{body}: {m}");
        }
        let e = parse_answer("m", 200, r#"{"code":0,"msg":"签名错误","subCode":"0858030801"}"#).unwrap_err().error;
        assert_eq!(e.code.as_deref(), Some("0858030801"));
        // Words that merely contain "sign" or "appkey" are not auth errors.
        let e = parse_answer("m", 200, r#"{"code":0,"msg":"startConsignTime不能为空","subCode":"0130020001"}"#).unwrap_err().error;
        assert_eq!(e.class, ErrorClass::Config);
        let e = parse_answer("m", 200, r#"{"code":0,"msg":"appkey不能为空","subCode":"0130020001"}"#).unwrap_err().error;
        assert_eq!(e.class, ErrorClass::Config);
    }

    #[test]
    fn http_and_body_failures() {
        assert_eq!(class(502, "Bad Gateway").0, ErrorClass::Transient);
        assert_eq!(class(429, "").0, ErrorClass::Transient);
        assert!(class(429, "").1);
        assert_eq!(class(404, "not found").0, ErrorClass::Config);
        assert_eq!(class(200, "<html>maintenance</html>").0, ErrorClass::Transient);
        assert_eq!(class(200, r#"{"msg":"?"}"#).0, ErrorClass::Transient);
    }
}
