//! The kdsvc endpoint: `POST {base}/{ServiceFullName}.common.kdsvc` (service names matched
//! case-insensitively), faults, authentication, and routing to the operations.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::auth::{self, Auth, LoginOp};
use crate::body::{Args, as_text, data_object, get_ci};
use crate::conn::ConnHandle;
use crate::envelope::{
    MSG_CALL_LIMIT, MSG_EXCEPTION, MSG_FORM_EMPTY, MSG_PARAM, failure, response_error_text,
    session_lost, waf_block, wrap_query,
};
use crate::faults::FaultKind;
use crate::forms::{FormDef, find_form};
use crate::lifecycle::{self, Action};
use crate::query::{self, Shape};
use crate::server::Shared;
use crate::sessions::Session;
use crate::state::{OpCtx, State};
use crate::{metadata, save, view};

const AUTH_PREFIX: &str = "kingdee.bos.webapi.servicesstub.authservice.";
const FORM_PREFIX: &str = "kingdee.bos.webapi.servicesstub.dynamicformservice.";
const ACCOUNT_PREFIX: &str = "kingdee.bos.servicefacade.servicesstub.account.accountservice.";
const SUFFIX: &str = ".common.kdsvc";

/// DynamicFormService operations (canonical spelling). The ones not routed below answer
/// "not implemented by the simulator" (MsgCode 4).
const FORM_OPS: &[&str] = &[
    "Save",
    "BatchSave",
    "Draft",
    "Submit",
    "Audit",
    "UnAudit",
    "Delete",
    "View",
    "ExecuteBillQuery",
    "BillQuery",
    "QueryBusinessInfo",
    "ExcuteOperation",
    "ExecuteOperation",
    "QueryAsyncResult",
    "Push",
    "Allocate",
    "CancelAllocate",
    "CancelAssign",
    "FlexSave",
    "GroupSave",
    "Disassembly",
    "GetSysReportData",
    "QueryGroupInfo",
    "GroupDelete",
    "WorkflowAudit",
    "SendMsg",
    "SwitchOrg",
    "AttachmentUpload",
    "AttachmentDownLoad",
];

/// Which stub a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Service {
    Auth(String),
    Form(&'static str),
    Account(String),
    Unknown(String),
}

/// `None` when the path is not a kdsvc service at all.
fn parse_service(path: &str) -> Option<Service> {
    let last = path.rsplit('/').next()?;
    let lower = last.to_ascii_lowercase();
    let name = lower.strip_suffix(SUFFIX)?;
    let original = &last[..name.len()];
    let op = |prefix: &str| original[prefix.len()..].to_string();
    Some(if name.starts_with(AUTH_PREFIX) {
        Service::Auth(op(AUTH_PREFIX))
    } else if name.starts_with(FORM_PREFIX) {
        let op = op(FORM_PREFIX);
        match FORM_OPS.iter().find(|o| o.eq_ignore_ascii_case(&op)) {
            Some(o) => Service::Form(o),
            None => Service::Unknown(original.to_string()),
        }
    } else if name.starts_with(ACCOUNT_PREFIX) {
        Service::Account(op(ACCOUNT_PREFIX))
    } else {
        Service::Unknown(original.to_string())
    })
}

/// What a business call produced.
enum Outcome {
    Json(Value, Option<Session>),
    Text(String),
    Http500,
    Drop,
}

fn json_response(v: &Value, session: Option<&Session>) -> Response {
    let mut resp = (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        v.to_string(),
    )
        .into_response();
    if let Some(s) = session {
        let h = resp.headers_mut();
        for cookie in [
            format!("kdservice-sessionid={}; path=/", s.kd_id),
            format!("ASP.NET_SessionId={}; path=/; HttpOnly", s.aspnet_id),
        ] {
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                h.append(header::SET_COOKIE, v);
            }
        }
        if let Ok(v) = HeaderValue::from_str(&s.kd_id) {
            h.insert("kdservice-sessionid", v);
        }
    }
    resp
}

fn text_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

fn http_500() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><head><title>500 - 内部服务器错误。</title></head><body><h2>500 - 内部服务器错误。</h2></body></html>",
    )
        .into_response()
}

/// The handler of every non-`/__sim` path.
pub(crate) async fn kdsvc(
    AxState(shared): AxState<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(service) = parse_service(uri.path()) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    if method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, "Only POST is supported").into_response();
    }
    let stat_name = match &service {
        Service::Auth(op) | Service::Account(op) | Service::Unknown(op) => op.clone(),
        Service::Form(op) => (*op).to_string(),
    };
    let latency = {
        let mut st = shared.lock();
        st.stats.call(&stat_name);
        st.faults.faults.latency_ms
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let args = match Args::parse(&body) {
        Ok(a) => a,
        Err(e) => return text_response(response_error_text(&e.0)),
    };
    let outcome = match service {
        Service::Unknown(name) => {
            Outcome::Text(response_error_text(&format!("未找到服务：{name}")))
        }
        Service::Account(op) if op.eq_ignore_ascii_case("GetDataCenterList") => {
            Outcome::Json(auth::data_centers(&shared.cfg), None)
        }
        Service::Account(op) => Outcome::Text(response_error_text(&format!("未找到服务：{op}"))),
        Service::Auth(op) => login_call(&shared, &op, &args, &headers),
        Service::Form(op) => {
            let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
            business(&shared, op, &args, &headers, path, &body)
        }
    };
    match outcome {
        Outcome::Json(v, s) => json_response(&v, s.as_ref()),
        Outcome::Text(t) => text_response(t),
        Outcome::Http500 => http_500(),
        Outcome::Drop => {
            tracing::debug!(peer = %conn.remote, "kingdee simulator: dropping the connection");
            conn.switch.kill();
            http_500()
        }
    }
}

fn login_call(shared: &Shared, op: &str, args: &Args, headers: &HeaderMap) -> Outcome {
    let mut st = shared.lock();
    if op.eq_ignore_ascii_case("Logout") || op.eq_ignore_ascii_case("LogOut") {
        for id in auth::session_ids(headers) {
            st.sessions.remove(&id);
        }
        return Outcome::Json(json!(true), None);
    }
    let Some((_, login_op)) = LoginOp::from_op(op) else {
        st.stats.logins_failed += 1;
        return Outcome::Json(
            json!({"Message": format!("金蝶云星空模拟器不支持登录方式{op}"), "LoginResultType": -1,
                   "Context": null, "KDSVCSessionId": null, "IsSuccessByAPI": false}),
            None,
        );
    };
    let out = auth::login(&mut st, &shared.cfg, login_op, args);
    tracing::debug!(op, ok = out.session.is_some(), "kingdee simulator: login");
    Outcome::Json(out.body, out.session)
}

fn business(
    shared: &Shared,
    op: &'static str,
    args: &Args,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Outcome {
    let is_write = matches!(op, "Save" | "BatchSave");
    let is_query = matches!(op, "ExecuteBillQuery" | "BillQuery");
    let wrap = |v: Value| if is_query { wrap_query(v) } else { v };
    let mut st = shared.lock();
    let mut decision = st.faults.decide(op, is_write);
    if st.faults.faults.waf_block_less_than && body.contains(&b'<') {
        decision.pre = Some(FaultKind::Waf);
    }
    if let Some(kind) = decision.pre {
        st.stats.fault(kind.name());
        tracing::debug!(op, fault = kind.name(), "kingdee simulator: fault injected");
        match kind {
            FaultKind::Drop => return Outcome::Drop,
            FaultKind::Http5xx => return Outcome::Http500,
            FaultKind::ResponseError => {
                return Outcome::Text(response_error_text(
                    "Timeout expired.  The timeout period elapsed prior to completion of the operation or the server is not responding.(模拟故障)",
                ));
            }
            FaultKind::CallLimit => {
                // Template text; MsgCode 14 调用限制 is documented.
                return Outcome::Json(
                    wrap(failure(
                        None,
                        "WebAPI调用次数超出限制，请稍后再试",
                        MSG_CALL_LIMIT,
                    )),
                    None,
                );
            }
            FaultKind::Waf => return Outcome::Json(waf_block(), None),
            FaultKind::ExpireSessions => {
                let n = st.sessions.expire_all();
                st.stats.sessions_expired += n as u64;
            }
            FaultKind::EditLock | FaultKind::CommitThenDrop | FaultKind::CommitThen5xx => {}
        }
    }
    let (session, new_session) = match auth::authenticate(&mut st, &shared.cfg, headers, path) {
        Auth::Session(s) => (s, None),
        Auth::NewSession(s) => (s.clone(), Some(s)),
        Auth::Lost => {
            st.stats.session_lost_responses += 1;
            if op == "View" && shared.cfg.view_without_session_returns_empty {
                return Outcome::Json(
                    json!({"Result": {"ResponseStatus": null, "Result": {}}}),
                    None,
                );
            }
            return Outcome::Json(wrap(session_lost()), None);
        }
        Auth::Rejected(message, code) => {
            return Outcome::Json(wrap(failure(None, message, code)), None);
        }
    };
    let ctx = OpCtx::new(&shared.cfg);
    let result = execute(&mut st, &ctx, op, args, decision.lock_all, session.lcid);
    let asynchronous = [
        args.named(&["beginmethod"]).and_then(as_text),
        headers
            .get("beginmethod")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    ]
    .into_iter()
    .flatten()
    .any(|m| m.eq_ignore_ascii_case("BeginQueryImpl"));
    let result = if asynchronous && op != "QueryAsyncResult" {
        let task_id = st.sessions.create_task_id();
        st.keep_task(task_id.clone(), result.clone());
        task_json(&task_id, Some(result))
    } else {
        result
    };
    let dirty = std::mem::take(&mut st.dirty);
    if let Some(kind) = decision.post {
        st.stats.fault(kind.name());
    }
    drop(st);
    if dirty {
        shared.changed();
    }
    match decision.post {
        Some(FaultKind::CommitThenDrop) => Outcome::Drop,
        Some(FaultKind::CommitThen5xx) => Outcome::Http500,
        _ => Outcome::Json(result, new_session),
    }
}

/// The async-mode task object (reference §1.5); always complete in the simulator.
fn task_json(task_id: &str, result: Option<Value>) -> Value {
    let found = result.is_some();
    json!({
        "TaskId": task_id, "Status": 2, "Result": result, "Cancelled": false, "IsFaulted": !found,
        "FaultedException": null, "Successful": found, "Message": if found { Value::Null } else { json!("任务不存在") },
        "Progress": 100, "ProgressDesc": null
    })
}

/// The form (argument `formid`) and the `data` object (argument `data_idx`).
fn form_and_data(
    args: &Args,
    data_idx: usize,
) -> Result<(&'static FormDef, Map<String, Value>), Value> {
    let form_id = args
        .get(0, &["formid"])
        .and_then(as_text)
        .unwrap_or_default();
    if form_id.trim().is_empty() {
        return Err(failure(None, "单据标识(formid)为空", MSG_FORM_EMPTY));
    }
    let form = find_form(&form_id).ok_or_else(|| failure(None, "业务对象不存在", MSG_EXCEPTION))?;
    let data =
        data_object(args.get(data_idx, &["data"])).map_err(|m| failure(None, m, MSG_PARAM))?;
    Ok((form, data))
}

fn execute(
    st: &mut State,
    ctx: &OpCtx<'_>,
    op: &str,
    args: &Args,
    lock_all: bool,
    lcid: u32,
) -> Value {
    let with_form =
        |data_idx: usize, f: &mut dyn FnMut(&'static FormDef, Map<String, Value>) -> Value| {
            match form_and_data(args, data_idx) {
                Ok((form, data)) => f(form, data),
                Err(e) => e,
            }
        };
    match op {
        "Save" | "BatchSave" => with_form(1, &mut |form, data| {
            save::save(st, ctx, form, &data, op == "BatchSave", lock_all)
        }),
        "Submit" | "Audit" | "UnAudit" | "Delete" => {
            with_form(1, &mut |form, data| match Action::from_name(op) {
                Some(a) => lifecycle::run(st, ctx, form, &data, a),
                None => failure(None, "操作标识为空", MSG_PARAM),
            })
        }
        "ExcuteOperation" | "ExecuteOperation" => {
            let op_number = args
                .get(1, &["opNumber"])
                .and_then(as_text)
                .unwrap_or_default();
            with_form(
                2,
                &mut |form, data| match Action::from_name(op_number.trim()) {
                    Some(a) => lifecycle::run(st, ctx, form, &data, a),
                    None if op_number.trim().is_empty() => {
                        failure(None, "操作标识(opNumber)为空", 3)
                    }
                    None => failure(
                        None,
                        format!("金蝶云星空模拟器未实现操作{op_number}"),
                        MSG_EXCEPTION,
                    ),
                },
            )
        }
        "View" => with_form(1, &mut |form, data| view::view(st, form, &data, lcid)),
        "ExecuteBillQuery" | "BillQuery" => {
            let shape = if op == "BillQuery" {
                Shape::Objects
            } else {
                Shape::Arrays
            };
            match data_object(args.get(0, &["data"])) {
                Ok(data) => query::query(&st.data, ctx, &data, shape),
                Err(m) => wrap_query(failure(None, m, MSG_PARAM)),
            }
        }
        "QueryBusinessInfo" => match data_object(args.get(0, &["data"])) {
            Ok(data) => metadata::business_info(&data, lcid),
            Err(m) => failure(None, m, MSG_PARAM),
        },
        "QueryAsyncResult" => {
            let info = match args.get(0, &["queryInfo"]) {
                Some(Value::String(s)) => serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            };
            let task_id = info
                .as_object()
                .and_then(|o| get_ci(o, "TaskId"))
                .and_then(as_text)
                .unwrap_or_default();
            let found = st
                .tasks
                .iter()
                .find(|(id, _)| *id == task_id)
                .map(|(_, v)| v.clone());
            task_json(&task_id, found)
        }
        _ => failure(
            None,
            format!("金蝶云星空模拟器未实现操作{op}"),
            MSG_EXCEPTION,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_match_case_insensitively() {
        let p =
            "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.batchsave.common.kdsvc";
        assert_eq!(parse_service(p), Some(Service::Form("BatchSave")));
        let p = "/K3Cloud/kingdee.bos.webapi.servicesstub.AuthService.ValidateUser.Common.KDSVC";
        assert_eq!(parse_service(p), Some(Service::Auth("ValidateUser".into())));
        let p = "/k3cloud/Kingdee.BOS.ServiceFacade.ServicesStub.Account.AccountService.GetDataCenterList.common.kdsvc";
        assert_eq!(
            parse_service(p),
            Some(Service::Account("GetDataCenterList".into()))
        );
        let p = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteOperation.common.kdsvc";
        assert_eq!(parse_service(p), Some(Service::Form("ExecuteOperation")));
        assert!(matches!(
            parse_service("/k3cloud/Foo.Bar.common.kdsvc"),
            Some(Service::Unknown(_))
        ));
        assert_eq!(parse_service("/k3cloud/index.html"), None);
    }
}
