//! `POST /open/openapi/do`: the gateway pipeline.
//!
//! Order of processing (each step answers and stops on failure):
//! 1. transport faults: latency, dropped connection, HTTP 5xx;
//! 2. required system params (`method appkey version contenttype timestamp bizcontent sign`),
//!    read from the form body and the query string (form wins);
//! 3. appkey known → timestamp well-formed and fresh (Beijing time) → signature → `contenttype`
//!    is `json`;
//! 4. tenant-disabled fault → method served, version `v1.0`/`V1.0`/`1.0`, method subscribed;
//! 5. daily quota (fault or configured) → throttle burst/rate → QPS limit → transient fault;
//! 6. bizcontent is a JSON object → the method's handler.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::civil::{DAY, now_beijing, parse_datetime_strict};
use crate::config::SuccessSubCodes;
use crate::conn::KillSwitch;
use crate::envelope::{self, Failure, messages, sub_codes};
use crate::methods::{self, Ctx};
use crate::params::{Biz, merge_params};
use crate::server::{SimState, lock, read};
use crate::sign;
use crate::stats::CallRecord;

/// System params every call must carry.
const REQUIRED: [&str; 7] = [
    "method",
    "appkey",
    "version",
    "contenttype",
    "timestamp",
    "bizcontent",
    "sign",
];

/// Accepted `version` values.
const VERSIONS: [&str; 3] = ["v1.0", "V1.0", "1.0"];

/// Which fault counter a failure bumps.
#[derive(Debug, Clone, Copy)]
enum FaultHit {
    Throttled,
    QpsLimited,
    Quota,
    TenantDisabled,
    Transient,
}

struct Processed {
    body: Value,
    status: StatusCode,
    record: CallRecord,
    fault: Option<FaultHit>,
    page_index_ignored: bool,
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

/// The gateway handler.
pub(crate) async fn gateway(
    State(state): State<Arc<SimState>>,
    ConnectInfo(switch): ConnectInfo<KillSwitch>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let plan = lock(&state.faults).next_request();
    let params = merge_params(
        uri.query(),
        &body,
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut record = CallRecord {
        seq: plan.seq,
        method: params.get("method").cloned(),
        appkey: params.get("appkey").cloned(),
        ..CallRecord::default()
    };
    if plan.delay_ms > 0 {
        lock(&state.stats).faults.delayed += 1;
        tokio::time::sleep(Duration::from_millis(plan.delay_ms)).await;
    }
    if plan.drop {
        switch.kill();
        record.outcome = "dropped".into();
        let mut stats = lock(&state.stats);
        stats.faults.dropped += 1;
        stats.record(record);
        tracing::debug!(
            seq = plan.seq,
            "jackyun simulator: connection dropped (fault)"
        );
        // Never reaches the client: the connection fails at its next write.
        return StatusCode::OK.into_response();
    }
    if let Some(code) = plan.http_error {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
        record.outcome = "http_error".into();
        record.http_status = Some(status.as_u16());
        let mut stats = lock(&state.stats);
        stats.faults.http_errors += 1;
        stats.record(record);
        let reason = status.canonical_reason().unwrap_or("Error");
        return (
            status,
            [(header::CONTENT_TYPE, "text/html")],
            format!(
                "<html><head><title>{code} {reason}</title></head><body><center><h1>{code} {reason}</h1></center></body></html>"
            ),
        )
            .into_response();
    }

    let p = process(&state, &params, record);
    tracing::debug!(
        method = p.record.method.as_deref().unwrap_or(""),
        appkey = p.record.appkey.as_deref().unwrap_or(""),
        sub_code = p.record.sub_code.as_deref().unwrap_or(""),
        records = p.record.records,
        "jackyun simulator: call"
    );
    let response = json_response(p.status, &p.body);
    let mut stats = lock(&state.stats);
    match p.fault {
        Some(FaultHit::Throttled) => stats.faults.throttled += 1,
        Some(FaultHit::QpsLimited) => stats.faults.qps_limited += 1,
        Some(FaultHit::Quota) => stats.faults.quota_exhausted += 1,
        Some(FaultHit::TenantDisabled) => stats.faults.tenant_disabled += 1,
        Some(FaultHit::Transient) => stats.faults.transient_errors += 1,
        None => {}
    }
    if p.page_index_ignored {
        stats.faults.page_index_ignored += 1;
    }
    stats.record(p.record);
    response
}

fn process(state: &SimState, p: &BTreeMap<String, String>, mut record: CallRecord) -> Processed {
    let cfg = &state.config;
    let context_id = p
        .get("contextid")
        .filter(|c| !c.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| state.next_context_id());
    let fail = |mut record: CallRecord, f: Failure, fault: Option<FaultHit>, status: StatusCode| {
        record.outcome = "error".into();
        record.sub_code = Some(f.sub_code.clone());
        record.http_status = Some(status.as_u16());
        Processed {
            body: envelope::failure(&f, &context_id),
            status,
            record,
            fault,
            page_index_ignored: false,
        }
    };
    let ok200 = StatusCode::OK;

    if let Some(missing) = REQUIRED
        .iter()
        .find(|k| p.get(**k).is_none_or(|v| v.trim().is_empty()))
    {
        return fail(
            record,
            Failure::new(sub_codes::UNKNOWN, format!("{missing}不能为空")),
            None,
            ok200,
        );
    }
    let method = p["method"].trim();
    let appkey = p["appkey"].as_str();
    let Some(app) = cfg.credentials.iter().find(|c| c.appkey == appkey) else {
        return fail(
            record,
            Failure::new(sub_codes::APPKEY, messages::APPKEY),
            None,
            ok200,
        );
    };
    let Some(ts) = parse_datetime_strict(&p["timestamp"]) else {
        return fail(
            record,
            Failure::new(&cfg.timestamp_sub_code, messages::TIMESTAMP_MALFORMED),
            None,
            ok200,
        );
    };
    if (now_beijing() - ts).unsigned_abs() > cfg.timestamp_window_secs {
        return fail(
            record,
            Failure::new(&cfg.timestamp_sub_code, messages::TIMESTAMP_STALE),
            None,
            ok200,
        );
    }
    if !sign::verify(p, &app.secret, &p["sign"]) {
        return fail(
            record,
            Failure::new(sub_codes::SIGN, messages::SIGN),
            None,
            ok200,
        );
    }
    if !p["contenttype"].trim().eq_ignore_ascii_case("json") {
        return fail(
            record,
            Failure::new(sub_codes::UNKNOWN, messages::CONTENT_TYPE),
            None,
            ok200,
        );
    }

    let faults = lock(&state.faults).faults.clone();
    if faults.tenant_disabled {
        return fail(
            record,
            Failure::new(sub_codes::TENANT_DISABLED, messages::TENANT_DISABLED),
            Some(FaultHit::TenantDisabled),
            ok200,
        );
    }
    let spec = methods::find(method)
        .filter(|_| VERSIONS.contains(&p["version"].trim()))
        .filter(|_| app.subscriptions.allows(method));
    let Some(spec) = spec else {
        return fail(
            record,
            Failure::new(sub_codes::NOT_SUBSCRIBED, messages::NOT_SUBSCRIBED),
            None,
            ok200,
        );
    };

    let over_quota = cfg.daily_quota.is_some_and(|limit| {
        !lock(&state.quota).take(appkey, method, now_beijing().div_euclid(DAY), limit)
    });
    if faults.quota_exhausted || over_quota {
        return fail(
            record,
            Failure::new(&cfg.quota_sub_code, messages::QUOTA),
            Some(FaultHit::Quota),
            ok200,
        );
    }
    let throttle_status = if faults.throttle_http_429 {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        ok200
    };
    let throttle = Failure::new(&cfg.throttle_sub_code, messages::THROTTLE);
    if lock(&state.faults).throttle(record.seq) {
        return fail(record, throttle, Some(FaultHit::Throttled), throttle_status);
    }
    if let Some(qps) = faults.qps_limit
        && !lock(&state.qps).allow(appkey, qps, Instant::now())
    {
        return fail(
            record,
            throttle,
            Some(FaultHit::QpsLimited),
            throttle_status,
        );
    }
    if lock(&state.faults).transient(record.seq) {
        return fail(
            record,
            Failure::new(sub_codes::UNKNOWN, messages::TRANSIENT),
            Some(FaultHit::Transient),
            ok200,
        );
    }

    let biz = match Biz::parse(&p["bizcontent"]) {
        Ok(b) => b,
        Err(f) => return fail(record, f, None, ok200),
    };
    let result = {
        let data = read(&state.data);
        let ctx = Ctx {
            config: cfg,
            data: &data,
            ignore_page_index: faults.ignore_page_index,
            spec,
        };
        (spec.handler)(&ctx, &biz)
    };
    let served = match result {
        Ok(s) => s,
        Err(f) => return fail(record, f, None, ok200),
    };

    let mut data = served.data;
    if !cfg.ids_as_strings {
        numeric_ids(&mut data);
    }
    if cfg.data_as_json_string {
        data = Value::from(data.to_string());
    }
    let (msg, sub_code) = match cfg.success_sub_codes {
        SuccessSubCodes::Realistic => envelope::realistic_success(method),
        SuccessSubCodes::Empty => ("", ""),
    };
    record.outcome = "ok".into();
    record.http_status = Some(200);
    record.records = served.records;
    record.page_index = served.page_index;
    record.keys = served.keys.into_iter().take(200).collect();
    Processed {
        body: envelope::success(msg, sub_code, data, served.result_extra, &context_id),
        status: ok200,
        record,
        fault: None,
        page_index_ignored: served.page_index_ignored,
    }
}

/// Turns all-digit string values of `id` / `…Id` fields into JSON numbers (the numeric-id mode).
fn numeric_ids(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                let is_id = k == "id" || k.ends_with("Id");
                if let (true, Value::String(s)) = (is_id, &*val)
                    && !s.is_empty()
                    && s.bytes().all(|c| c.is_ascii_digit())
                    && let Ok(n) = s.parse::<u64>()
                {
                    *val = Value::from(n);
                } else {
                    numeric_ids(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(numeric_ids),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_converts_only_digit_ids() {
        let mut v = serde_json::json!({"id":"123","stocktakeId":"PD1","skuId":"99","name":"7",
            "lines":[{"headId":"5","goodsNo":"A0001"}]});
        numeric_ids(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"id":123,"stocktakeId":"PD1","skuId":99,"name":"7",
                "lines":[{"headId":5,"goodsNo":"A0001"}]})
        );
    }
}
