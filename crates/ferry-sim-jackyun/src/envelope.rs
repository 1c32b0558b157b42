//! The gateway's JSON envelope and the subCodes/messages the simulator answers with.
//!
//! Success: `{"code":200,"msg":…,"subCode":…,"result":{"data":…,"contextId":"…"}}`;
//! failure: `{"code":0,"msg":…,"subCode":…,"result":{"data":null,"contextId":"…"}}` (reference §4.1).
//! Both are sent with HTTP 200.

use serde_json::{Map, Value, json};

/// The subCodes the simulator uses, with the confidence the reference gives them.
pub mod sub_codes {
    /// Generic failure `未知错误` (confirmed, official doc sample). Also used, by the simulator's
    /// choice, for a missing/empty system parameter, an unsupported `contenttype`, a bizcontent
    /// that is not a JSON object, and the Hystrix-style transient fault.
    pub const UNKNOWN: &str = "0130020001";
    /// `未查询到应用或应用未订阅此API` (confirmed): unknown method, unsupported version, or a
    /// method the app has not subscribed to.
    pub const NOT_SUBSCRIBED: &str = "0130020310";
    /// `该应用未开通开放平台…` (confirmed for that message); also the default quota subCode
    /// (uncertain, as YIMED treats it).
    pub const TENANT_DISABLED: &str = "0130000609";
    /// Business parameter error (confirmed on wms.order.query-info.page; reused by the simulator
    /// for every business-parameter error).
    pub const PARAM: &str = "0050030002";
    /// Signature error `签名错误` (likely). Also the simulator's default for timestamp errors,
    /// whose real subCode is unknown (those messages contain `时间戳`).
    pub const SIGN: &str = "0858030801";
    /// Unknown appkey (uncertain).
    pub const APPKEY: &str = "0858030802";
    /// Upstream throttle / temporarily unavailable (uncertain); the simulator's throttle subCode.
    pub const THROTTLE: &str = "0859999999";
    /// Success subCode of the ERP namespace, with msg `操作成功` (observed live).
    pub const ERP_SUCCESS: &str = "0030000004";
    /// Success subCode of the WMS namespace (reported).
    pub const WMS_SUCCESS: &str = "0000000000";
}

/// The messages the simulator uses.
pub mod messages {
    /// Unknown method / not subscribed.
    pub const NOT_SUBSCRIBED: &str = "未查询到应用或应用未订阅此API";
    /// Tenant without the open platform.
    pub const TENANT_DISABLED: &str = "该应用未开通开放平台，无法调用接口，请联系客户经理处理";
    /// Signature mismatch.
    pub const SIGN: &str = "签名错误";
    /// Unknown appkey.
    pub const APPKEY: &str = "appkey不存在";
    /// Timestamp outside the freshness window.
    pub const TIMESTAMP_STALE: &str = "时间戳已过期或超出允许的时间范围，请使用北京时间(UTC+8)";
    /// Timestamp not `yyyy-MM-dd HH:mm:ss`.
    pub const TIMESTAMP_MALFORMED: &str = "时间戳格式错误，格式应为yyyy-MM-dd HH:mm:ss";
    /// Throttled.
    pub const THROTTLE: &str = "调用过于频繁，触发限流，请稍后再试";
    /// Daily quota exhausted.
    pub const QUOTA: &str = "接口调用额度不足，请明日再试或联系客户经理";
    /// Hystrix-style transient failure.
    pub const TRANSIENT: &str = "short-circuited and fallback failed.";
    /// Unsupported `contenttype`.
    pub const CONTENT_TYPE: &str = "contenttype只支持json";
    /// bizcontent is not a JSON object.
    pub const BIZCONTENT: &str = "bizcontent不是合法的JSON对象";
}

/// A failed call: the subCode and message of a `code: 0` envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `subCode`.
    pub sub_code: String,
    /// `msg`.
    pub msg: String,
}

impl Failure {
    /// A failure with these parts.
    pub(crate) fn new(sub_code: impl Into<String>, msg: impl Into<String>) -> Self {
        Self {
            sub_code: sub_code.into(),
            msg: msg.into(),
        }
    }

    /// A business-parameter error (`0050030002`).
    pub(crate) fn param(msg: impl Into<String>) -> Self {
        Self::new(sub_codes::PARAM, msg)
    }
}

/// A success envelope. `result_extra` holds extra members of `result` (e.g. `pageInfo`).
pub(crate) fn success(
    msg: &str,
    sub_code: &str,
    data: Value,
    result_extra: Map<String, Value>,
    context_id: &str,
) -> Value {
    let mut result = Map::new();
    result.insert("data".into(), data);
    result.extend(result_extra);
    result.insert("contextId".into(), Value::from(context_id));
    json!({"code": 200, "msg": msg, "subCode": sub_code, "result": Value::Object(result)})
}

/// A failure envelope.
pub(crate) fn failure(f: &Failure, context_id: &str) -> Value {
    json!({
        "code": 0,
        "msg": f.msg,
        "subCode": f.sub_code,
        "result": {"data": null, "contextId": context_id},
    })
}

/// The success `(msg, subCode)` of a method in the realistic mode: ERP `操作成功`/`0030000004`,
/// WMS `""`/`0000000000`, OMS-API `""`/`200`, anything else (OMS) `""`/`""`.
pub(crate) fn realistic_success(method: &str) -> (&'static str, &'static str) {
    if method.starts_with("omsapi-business.") {
        ("", "200")
    } else if method.starts_with("erp.") || method.starts_with("erp-") {
        ("操作成功", sub_codes::ERP_SUCCESS)
    } else if method.starts_with("wms.") {
        ("", sub_codes::WMS_SUCCESS)
    } else {
        ("", "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_have_the_documented_shape() {
        let ok = success("", "", json!([1]), Map::new(), "2378284552512635520");
        assert_eq!(
            ok.to_string(),
            r#"{"code":200,"msg":"","subCode":"","result":{"data":[1],"contextId":"2378284552512635520"}}"#
        );
        let bad = failure(&Failure::new(sub_codes::UNKNOWN, "未知错误"), "1");
        assert_eq!(
            bad.to_string(),
            r#"{"code":0,"msg":"未知错误","subCode":"0130020001","result":{"data":null,"contextId":"1"}}"#
        );
    }

    #[test]
    fn realistic_success_codes_follow_the_namespace() {
        assert_eq!(realistic_success("erp.storage.goodslist").1, "0030000004");
        assert_eq!(
            realistic_success("erp-busiorder.goodsdocin.search").1,
            "0030000004"
        );
        assert_eq!(realistic_success("wms.stocktake.get").1, "0000000000");
        assert_eq!(realistic_success("omsapi-business.order.get").1, "200");
        assert_eq!(realistic_success("oms.trade.fullinfoget").1, "");
    }
}
