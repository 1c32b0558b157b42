//! The inspection and control endpoints under `/__sim/` (not part of the real WebAPI):
//! `GET stats`, `GET bills?form=..`, `POST materials`, `POST reset`, `GET|POST faults`,
//! `POST sessions/expire`, `GET data`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::faults::Faults;
use crate::server::Shared;

/// `GET /__sim/stats`.
pub(crate) async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.lock().stats_snapshot()).into_response()
}

/// Query of `GET /__sim/bills`.
#[derive(Debug, Deserialize)]
pub(crate) struct BillsQuery {
    form: Option<String>,
}

/// `GET /__sim/bills?form=STK_MISCELLANEOUS`: that form's bills; without `form`, all bills by form.
pub(crate) async fn bills(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<BillsQuery>,
) -> Response {
    match q.form {
        Some(form) => match shared.bills(&form) {
            Some(list) => Json(list).into_response(),
            None => (
                StatusCode::NOT_FOUND,
                Json(json!({"error": format!("unknown form {form}")})),
            )
                .into_response(),
        },
        None => Json(shared.lock().data.bills.clone()).into_response(),
    }
}

/// Body of `POST /__sim/materials`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewMaterial {
    number: String,
    name: String,
    #[serde(default)]
    barcode: String,
    #[serde(default = "pcs")]
    unit: String,
}

fn pcs() -> String {
    "Pcs".to_string()
}

/// `POST /__sim/materials` `{"number","name","barcode","unit"}`: adds a material.
pub(crate) async fn add_material(
    State(shared): State<Arc<Shared>>,
    Json(m): Json<NewMaterial>,
) -> Response {
    match shared.add_material(&m.number, &m.name, &m.barcode, &m.unit) {
        Ok(id) => (
            StatusCode::CREATED,
            Json(json!({"id": id, "number": m.number, "name": m.name, "barcode": m.barcode, "unit": m.unit})),
        )
            .into_response(),
        Err(e) => (StatusCode::CONFLICT, Json(json!({"error": e.to_string()}))).into_response(),
    }
}

/// `POST /__sim/reset`.
pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    Json(json!({"ok": true})).into_response()
}

/// `GET /__sim/faults`.
pub(crate) async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.lock().faults.faults.clone()).into_response()
}

/// `POST /__sim/faults` with a [`Faults`] JSON: replaces the active faults.
pub(crate) async fn set_faults(
    State(shared): State<Arc<Shared>>,
    Json(f): Json<Faults>,
) -> Response {
    shared.set_faults(f.clone());
    Json(f).into_response()
}

/// `POST /__sim/sessions/expire`.
pub(crate) async fn expire_sessions(State(shared): State<Arc<Shared>>) -> Response {
    let mut st = shared.lock();
    let n = st.sessions.expire_all();
    st.stats.sessions_expired += n as u64;
    Json(json!({"expired": n})).into_response()
}

/// `GET /__sim/data`: the whole data set (usable as a `--data` file).
pub(crate) async fn data(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.lock().data.clone()).into_response()
}
