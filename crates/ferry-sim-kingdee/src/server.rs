//! Starting the simulator, its handle, and the shared state behind both.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use crate::config::KingdeeSimConfig;
use crate::conn::{ConnHandle, ConnRegistry, KillableListener};
use crate::error::SimError;
use crate::faults::{FaultState, Faults};
use crate::forms::{DEPT, MATERIAL, STOCK, SUPPLIER, find_form};
use crate::model::{Bill, SimData};
use crate::state::State;
use crate::stats::SimStats;
use crate::{dispatch, inspect, persist, seed};

/// Largest accepted request body (BatchSave packages can be large).
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// State shared by the handle and the request handlers.
pub(crate) struct Shared {
    /// Configuration (immutable while running).
    pub cfg: KingdeeSimConfig,
    /// The data at start (seed or data file), restored by reset.
    initial: SimData,
    state: Mutex<State>,
    pub(crate) conns: Arc<ConnRegistry>,
    persist_notify: Notify,
}

impl Shared {
    /// The state; a panic in another handler does not poison the simulator.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Data changed: schedule a write of the persistence file.
    pub(crate) fn changed(&self) {
        if self.cfg.persist_file.is_some() {
            self.persist_notify.notify_one();
        }
    }

    /// Writes the persistence file now (no-op without one).
    pub(crate) fn flush(&self) -> Result<(), SimError> {
        let Some(path) = &self.cfg.persist_file else {
            return Ok(());
        };
        let bytes = serde_json::to_vec(&self.lock().data).map_err(|e| SimError::Persist {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        persist::write(path, &bytes)
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.lock().faults = FaultState::new(faults);
    }

    pub(crate) fn reset(&self) {
        {
            let mut st = self.lock();
            *st = State::new(&self.cfg, self.initial.clone());
        }
        self.changed();
    }

    pub(crate) fn bills(&self, form_id: &str) -> Option<Vec<Bill>> {
        let form = find_form(form_id)?;
        Some(self.lock().data.bills_of(form.id).to_vec())
    }

    pub(crate) fn add_base(
        &self,
        form: &str,
        make: impl FnOnce(i64) -> crate::model::BaseRecord,
    ) -> Result<i64, SimError> {
        let id = {
            let mut st = self.lock();
            let rec = make(0);
            if st.data.find_base(form, &rec.number).is_some() {
                return Err(SimError::Invalid(format!(
                    "{form} {} already exists",
                    rec.number
                )));
            }
            if rec.number.trim().is_empty() {
                return Err(SimError::Invalid(format!(
                    "{form}: the number must not be empty"
                )));
            }
            let id = st.data.take_id();
            let rec = crate::model::BaseRecord { id, ..rec };
            st.data.base.entry(form.to_string()).or_default().push(rec);
            id
        };
        self.changed();
        Ok(id)
    }

    pub(crate) fn add_material(
        &self,
        number: &str,
        name: &str,
        barcode: &str,
        unit: &str,
    ) -> Result<i64, SimError> {
        if !seed::is_known_unit(unit) {
            return Err(SimError::Invalid(format!(
                "unknown unit {unit:?} (known: Pcs, Jian, Xiang, Ping, kg)"
            )));
        }
        self.add_base(MATERIAL, |id| {
            seed::material_record(id, number, name, barcode, unit, "")
        })
    }
}

/// A running simulator. Dropping it stops the server (like [`KingdeeSim::shutdown`], without
/// waiting).
pub struct KingdeeSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    flusher: Option<JoinHandle<()>>,
}

/// The data at start: the data file when configured, otherwise the seeded account.
fn initial_data(cfg: &KingdeeSimConfig) -> Result<SimData, SimError> {
    match &cfg.data_file {
        Some(path) => seed::load_data_file(path, cfg.seed, cfg.materials),
        None => Ok(seed::generate(cfg.seed, cfg.materials)),
    }
}

/// Binds `addr` (port 0 picks a free port) and serves the simulated WebAPI in a tokio task.
pub async fn start(config: KingdeeSimConfig, addr: SocketAddr) -> Result<KingdeeSim, SimError> {
    let initial = initial_data(&config)?;
    let data = match &config.persist_file {
        Some(path) => persist::load(path)?.unwrap_or_else(|| initial.clone()),
        None => initial.clone(),
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let shared = Arc::new(Shared {
        state: Mutex::new(State::new(&config, data)),
        cfg: config,
        initial,
        conns: Arc::new(ConnRegistry::default()),
        persist_notify: Notify::new(),
    });
    shared.flush()?;

    let router = Router::new()
        .route("/__sim/stats", get(inspect::stats))
        .route("/__sim/bills", get(inspect::bills))
        .route("/__sim/materials", post(inspect::add_material))
        .route("/__sim/reset", post(inspect::reset))
        .route(
            "/__sim/faults",
            get(inspect::get_faults).post(inspect::set_faults),
        )
        .route("/__sim/sessions/expire", post(inspect::expire_sessions))
        .route("/__sim/data", get(inspect::data))
        .fallback(dispatch::kdsvc)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let listener = KillableListener::new(listener, shared.conns.clone());
    let server = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<ConnHandle>();
        let graceful = async move {
            let _ = stopped.await;
        };
        if let Err(e) = axum::serve(listener, service)
            .with_graceful_shutdown(graceful)
            .await
        {
            tracing::warn!(error = %e, "kingdee simulator: server ended with an error");
        }
    });
    let flusher = shared.cfg.persist_file.is_some().then(|| {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                shared.persist_notify.notified().await;
                tokio::time::sleep(persist::DEBOUNCE).await;
                if let Err(e) = shared.flush() {
                    tracing::warn!(error = %e, "kingdee simulator: cannot persist data");
                }
            }
        })
    });
    tracing::info!(addr = %local, "kingdee simulator listening");
    Ok(KingdeeSim {
        shared,
        addr: local,
        stop: Some(stop),
        server: Some(server),
        flusher,
    })
}

impl std::fmt::Debug for KingdeeSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KingdeeSim").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl KingdeeSim {
    /// The WebAPI base URL, ending in `/k3cloud/` (e.g. `http://127.0.0.1:40123/k3cloud/`).
    pub fn base_url(&self) -> String {
        format!("http://{}/k3cloud/", self.addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &KingdeeSimConfig {
        &self.shared.cfg
    }

    /// Replaces the active faults (the fault draws restart from `faults.seed`).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// The active faults (scripted faults not yet consumed, lock counters left).
    pub fn faults(&self) -> Faults {
        self.shared.lock().faults.faults.clone()
    }

    /// Counters since start or the last reset.
    pub fn stats(&self) -> SimStats {
        self.shared.lock().stats_snapshot()
    }

    /// The bills of a form as stored (raw saved models, status, number, id); empty for an
    /// unknown form.
    pub fn bills(&self, form_id: &str) -> Vec<Bill> {
        self.shared.bills(form_id).unwrap_or_default()
    }

    /// One bill by number (case-insensitive).
    pub fn bill(&self, form_id: &str, number: &str) -> Option<Bill> {
        let form = find_form(form_id)?;
        self.shared
            .lock()
            .data
            .bill_by_number(form.id, number)
            .cloned()
    }

    /// A copy of the whole data set.
    pub fn data(&self) -> SimData {
        self.shared.lock().data.clone()
    }

    /// Adds a material (used by org 100); `unit` is one of `Pcs`, `Jian`, `Xiang`, `Ping`, `kg`.
    /// Returns its internal id.
    pub fn add_material(
        &self,
        number: &str,
        name: &str,
        barcode: &str,
        unit: &str,
    ) -> Result<i64, SimError> {
        self.shared.add_material(number, name, barcode, unit)
    }

    /// Adds a stock (BD_STOCK) used by org 100.
    pub fn add_stock(&self, number: &str, name: &str) -> Result<i64, SimError> {
        self.shared
            .add_base(STOCK, |id| seed::scoped_record(id, number, name))
    }

    /// Adds a department (BD_Department) used by org 100.
    pub fn add_department(&self, number: &str, name: &str) -> Result<i64, SimError> {
        self.shared
            .add_base(DEPT, |id| seed::scoped_record(id, number, name))
    }

    /// Adds a supplier (BD_Supplier) used by org 100.
    pub fn add_supplier(&self, number: &str, name: &str) -> Result<i64, SimError> {
        self.shared
            .add_base(SUPPLIER, |id| seed::scoped_record(id, number, name))
    }

    /// Disables (`FForbidStatus = B`) or enables a base-data record. `IsVerifyBaseDataField`
    /// saves then refuse references to it.
    pub fn set_forbidden(
        &self,
        form_id: &str,
        number: &str,
        forbidden: bool,
    ) -> Result<(), SimError> {
        let form = find_form(form_id)
            .ok_or_else(|| SimError::Invalid(format!("unknown form {form_id}")))?;
        {
            let mut st = self.shared.lock();
            let rec = st
                .data
                .base
                .get_mut(form.id)
                .and_then(|list| {
                    list.iter_mut()
                        .find(|r| r.number.eq_ignore_ascii_case(number))
                })
                .ok_or_else(|| SimError::Invalid(format!("{} {number} does not exist", form.id)))?;
            rec.forbid_status = if forbidden { "B" } else { "A" }.to_string();
        }
        self.shared.changed();
        Ok(())
    }

    /// Expires every session now (their next call gets MsgCode 1); returns how many there were.
    pub fn expire_all_sessions(&self) -> usize {
        let mut st = self.shared.lock();
        let n = st.sessions.expire_all();
        st.stats.sessions_expired += n as u64;
        n
    }

    /// Back to the start: initial data, no sessions, configured faults, zeroed stats.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops the server, closes every connection and writes the persistence file.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        self.signal_stop();
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
        }
        if let Some(f) = self.flusher.take() {
            f.abort();
        }
        self.shared.flush()
    }

    fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.shared.conns.kill_all();
    }
}

impl Drop for KingdeeSim {
    fn drop(&mut self) {
        let running = self.server.is_some();
        self.signal_stop();
        if let Some(server) = self.server.take() {
            server.abort();
        }
        if let Some(f) = self.flusher.take() {
            f.abort();
        }
        if running && let Err(e) = self.shared.flush() {
            tracing::warn!(error = %e, "kingdee simulator: cannot persist data at drop");
        }
    }
}
