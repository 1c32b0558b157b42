//! The inspection and control endpoints under `/__sim/` (not part of the real gateway).
//!
//! | endpoint | what |
//! |---|---|
//! | `GET /__sim/stats` | [`crate::SimStats`] |
//! | `GET /__sim/faults`, `POST /__sim/faults` | the [`crate::Faults`] in force; POST replaces them (JSON, missing fields = defaults) |
//! | `GET /__sim/data` | the whole [`crate::DataSet`] |
//! | `GET /__sim/data/stocktakes` | the stocktakes as stored |
//! | `POST /__sim/stocktakes` | upsert one stocktake (JSON object) → `{"stocktakeId","created"}` |
//! | `POST /__sim/stocktakes/status` | `{"stocktakeId":"PD…","status":5}` sets a status |
//! | `POST /__sim/reset` | initial data and faults, empty stats and counters |
//!
//! Errors answer HTTP 400 (404 for an unknown stocktake) with `{"error":"…"}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::SimError;
use crate::faults::Faults;
use crate::server::{SimState, lock, read};

fn bad(status: StatusCode, msg: impl std::fmt::Display) -> Response {
    (status, Json(json!({"error": msg.to_string()}))).into_response()
}

fn sim_error(e: SimError) -> Response {
    let status = match e {
        SimError::StocktakeNotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    bad(status, e)
}

fn parse_json(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))
}

/// `GET /__sim/stats`.
pub(crate) async fn stats(State(s): State<Arc<SimState>>) -> Response {
    let stats = lock(&s.stats).clone();
    Json(stats).into_response()
}

/// `GET /__sim/faults`.
pub(crate) async fn get_faults(State(s): State<Arc<SimState>>) -> Response {
    let f = lock(&s.faults).faults.clone();
    Json(f).into_response()
}

/// `POST /__sim/faults`.
pub(crate) async fn set_faults(State(s): State<Arc<SimState>>, body: Bytes) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let faults: Faults = match serde_json::from_value(v) {
        Ok(f) => f,
        Err(e) => return bad(StatusCode::BAD_REQUEST, format!("invalid faults: {e}")),
    };
    match s.set_faults(faults.clone()) {
        Ok(()) => Json(faults).into_response(),
        Err(e) => sim_error(e),
    }
}

/// `GET /__sim/data`.
pub(crate) async fn data(State(s): State<Arc<SimState>>) -> Response {
    let d = read(&s.data).clone();
    Json(d).into_response()
}

/// `GET /__sim/data/stocktakes`.
pub(crate) async fn stocktakes(State(s): State<Arc<SimState>>) -> Response {
    let d = read(&s.data).stocktakes.clone();
    Json(d).into_response()
}

/// `POST /__sim/stocktakes`.
pub(crate) async fn upsert_stocktake(State(s): State<Arc<SimState>>, body: Bytes) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let id = v.get("stocktakeId").cloned().unwrap_or(Value::Null);
    match s.upsert_stocktake(v) {
        Ok(created) => Json(json!({"stocktakeId": id, "created": created})).into_response(),
        Err(e) => sim_error(e),
    }
}

/// `POST /__sim/stocktakes/status`.
pub(crate) async fn set_status(State(s): State<Arc<SimState>>, body: Bytes) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let (Some(id), Some(status)) = (
        v.get("stocktakeId").and_then(Value::as_str),
        v.get("status").and_then(Value::as_u64),
    ) else {
        return bad(
            StatusCode::BAD_REQUEST,
            "expected {\"stocktakeId\": string, \"status\": 1..=6}",
        );
    };
    let status = u8::try_from(status).unwrap_or(u8::MAX);
    match s.set_stocktake_status(id, status) {
        Ok(()) => Json(json!({"stocktakeId": id, "status": status})).into_response(),
        Err(e) => sim_error(e),
    }
}

/// `POST /__sim/reset`.
pub(crate) async fn reset(State(s): State<Arc<SimState>>) -> Response {
    s.reset();
    Json(json!({"reset": true})).into_response()
}
