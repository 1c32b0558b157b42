//! Starting the simulator and the handle that drives it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{DataSource, JackyunSimConfig};
use crate::conn::{KillSwitch, SimListener};
use crate::data::DataSet;
use crate::error::SimError;
use crate::faults::{FaultState, Faults};
use crate::limits::{QpsLimiter, QuotaCounter};
use crate::stats::SimStats;
use crate::{control, gateway};

/// The gateway path.
pub const GATEWAY_PATH: &str = "/open/openapi/do";

/// Locks a mutex, ignoring poisoning (the data stays usable after a panicking handler).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks a RwLock, ignoring poisoning.
pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

/// Everything the handlers share.
pub(crate) struct SimState {
    pub config: JackyunSimConfig,
    initial_data: DataSet,
    pub data: RwLock<DataSet>,
    pub faults: Mutex<FaultState>,
    pub stats: Mutex<SimStats>,
    pub qps: Mutex<QpsLimiter>,
    pub quota: Mutex<QuotaCounter>,
    context_seq: AtomicU64,
}

impl SimState {
    fn new(config: JackyunSimConfig, data: DataSet) -> Self {
        Self {
            faults: Mutex::new(FaultState::new(config.faults.clone())),
            config,
            data: RwLock::new(data.clone()),
            initial_data: data,
            stats: Mutex::new(SimStats::default()),
            qps: Mutex::new(QpsLimiter::default()),
            quota: Mutex::new(QuotaCounter::default()),
            context_seq: AtomicU64::new(0),
        }
    }

    /// A fresh 19-digit numeric context id.
    pub(crate) fn next_context_id(&self) -> String {
        (2_378_284_552_000_000_000u64 + self.context_seq.fetch_add(1, Ordering::Relaxed))
            .to_string()
    }

    pub(crate) fn set_faults(&self, faults: Faults) -> Result<(), SimError> {
        faults
            .validate()
            .map_err(|e| SimError::InvalidConfig(format!("faults.{e}")))?;
        *lock(&self.faults) = FaultState::new(faults);
        lock(&self.qps).clear();
        Ok(())
    }

    pub(crate) fn upsert_stocktake(&self, doc: Value) -> Result<bool, SimError> {
        self.data
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .upsert_stocktake(doc)
    }

    pub(crate) fn set_stocktake_status(&self, id: &str, status: u8) -> Result<(), SimError> {
        self.data
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .set_stocktake_status(id, status)
    }

    pub(crate) fn reset(&self) {
        *self.data.write().unwrap_or_else(PoisonError::into_inner) = self.initial_data.clone();
        *lock(&self.faults) = FaultState::new(self.config.faults.clone());
        *lock(&self.stats) = SimStats::default();
        lock(&self.qps).clear();
        lock(&self.quota).clear();
    }
}

fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route(GATEWAY_PATH, post(gateway::gateway))
        .route("/__sim/stats", get(control::stats))
        .route(
            "/__sim/faults",
            get(control::get_faults).post(control::set_faults),
        )
        .route("/__sim/data", get(control::data))
        .route("/__sim/data/stocktakes", get(control::stocktakes))
        .route("/__sim/stocktakes", post(control::upsert_stocktake))
        .route("/__sim/stocktakes/status", post(control::set_status))
        .route("/__sim/reset", post(control::reset))
        .with_state(state)
}

/// Builds the data set of a config.
fn load_data(config: &JackyunSimConfig) -> Result<DataSet, SimError> {
    match &config.data {
        DataSource::Generate(opts) => Ok(DataSet::generate(opts)),
        DataSource::File(path) => DataSet::load(path),
        DataSource::Inline(set) => {
            let v = serde_json::to_value(set.as_ref())
                .map_err(|e| SimError::InvalidRecord(e.to_string()))?;
            DataSet::from_json(v)
        }
    }
}

/// Starts the simulator on `addr` (port 0 picks a free port) and serves it in a tokio task
/// until [`JackyunSim::shutdown`] or the handle is dropped.
pub async fn start(config: JackyunSimConfig, addr: SocketAddr) -> Result<JackyunSim, SimError> {
    config.validate()?;
    let data = load_data(&config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let state = Arc::new(SimState::new(config, data));
    let app = router(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(
            SimListener::new(listener),
            app.into_make_service_with_connect_info::<KillSwitch>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "jackyun simulator stopped with an error");
        }
    });
    tracing::info!(%local_addr, "jackyun simulator listening");
    Ok(JackyunSim {
        state,
        local_addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// A running simulator. Dropping it stops the server (gracefully, in the background).
pub struct JackyunSim {
    state: Arc<SimState>,
    local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for JackyunSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JackyunSim")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl JackyunSim {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://host:port` (an unspecified bind address is shown as 127.0.0.1).
    pub fn base_url(&self) -> String {
        let mut addr = self.local_addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        format!("http://{addr}")
    }

    /// The gateway URL, `{base_url}/open/openapi/do`.
    pub fn gateway_url(&self) -> String {
        format!("{}{GATEWAY_PATH}", self.base_url())
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &JackyunSimConfig {
        &self.state.config
    }

    /// Replaces the faults in force (and restarts their deterministic sequence and the QPS buckets).
    pub fn set_faults(&self, faults: Faults) -> Result<(), SimError> {
        self.state.set_faults(faults)
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        lock(&self.state.faults).faults.clone()
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> SimStats {
        lock(&self.state.stats).clone()
    }

    /// Clears the statistics.
    pub fn reset_stats(&self) {
        *lock(&self.state.stats) = SimStats::default();
    }

    /// Restores the initial data and faults and clears statistics, quotas and QPS buckets.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// A copy of the current data set.
    pub fn data(&self) -> DataSet {
        read(&self.state.data).clone()
    }

    /// A copy of the current stocktakes, in served order.
    pub fn stocktakes(&self) -> Vec<Value> {
        read(&self.state.data).stocktakes.clone()
    }

    /// Inserts or replaces a stocktake (see [`DataSet::upsert_stocktake`]); true when new.
    pub fn upsert_stocktake(&self, doc: Value) -> Result<bool, SimError> {
        self.state.upsert_stocktake(doc)
    }

    /// Sets a stocktake's `status` (1..=6), e.g. to make an old document become audited.
    pub fn set_stocktake_status(&self, stocktake_id: &str, status: u8) -> Result<(), SimError> {
        self.state.set_stocktake_status(stocktake_id, status)
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s) and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for JackyunSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
