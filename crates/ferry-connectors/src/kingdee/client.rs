//! The HTTP client of one connection: rate limit, concurrency cap, session (login, re-login once
//! on MsgCode 1, renewal after the idle TTL), signature headers, and the classification of every
//! way a call can fail (reference §1.3, §2.8, §7).
//!
//! A failure *before* the request left (connection refused, DNS) is `Transient`. For a write, a
//! failure *after* it left (timeout, dropped connection, 5xx, `response_error:`) is `Unknown`: the
//! server may have committed it, so the caller must reconcile before resending. Reads are simply
//! retried.

use std::sync::Arc;
use std::time::Duration;

use ferry_core::connector::{ConnectorError, ErrorClass};
use reqwest::header::{ACCEPT_CHARSET, CONTENT_TYPE, COOKIE, HeaderMap, SET_COOKIE};
use serde_json::Value;

use super::auth::{self, AUTH_SERVICE, SignInput};
use super::config::{AuthMode, Credentials, KingdeeConfig};
use super::envelope::{self, LoginResult, MSG_CALL_LIMIT};
use super::session::{LoginGrant, Session, SessionManager};
use crate::limit::{ConcurrencyLimit, RateLimiter, backoff};

/// Prefix of the business services.
pub const DYNAMIC_SERVICE: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.";

/// May a call be repeated when its outcome is unknown?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Reading: repeating is harmless.
    Read,
    /// Writing: once sent, a failure leaves the outcome unknown.
    Write,
}

/// A failed HTTP exchange, with whether the request reached the server.
struct Failure {
    error: ConnectorError,
    sent: bool,
}

/// An answer: parsed JSON plus the session carriers the server handed out.
struct Reply {
    value: Value,
    set_cookies: Vec<String>,
    kdsvc_header: Option<String>,
}

/// Longest pause between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The client of one Kingdee connection. Cheap to share (`Arc`); all limits are per client.
pub struct KingdeeClient {
    cfg: KingdeeConfig,
    http: reqwest::Client,
    /// URL path of the site root (`/k3cloud/`), for the signature string.
    base_path: String,
    sessions: SessionManager,
    rate: RateLimiter,
    concurrency: ConcurrencyLimit,
}

impl std::fmt::Debug for KingdeeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KingdeeClient").field("cfg", &self.cfg).field("sessions", &self.sessions).finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The path part of a URL (`http://h:1/k3cloud/` → `/k3cloud/`).
fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    match after_scheme.find('/') {
        Some(i) => after_scheme[i..].to_owned(),
        None => "/".to_owned(),
    }
}

/// A short, secret-free description of a transport error.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "the connection failed"
    };
    let mut cause = String::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if cause.is_empty() { what.to_owned() } else { format!("{what} ({cause})") }
}

impl KingdeeClient {
    /// Build the client (no network traffic).
    pub fn new(cfg: KingdeeConfig) -> Result<KingdeeClient, ConnectorError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(30)))
            .http1_only()
            .user_agent("Ferry/Kingdee WebApi connector")
            .build()
            .map_err(|e| ConnectorError::config(format!("cannot build the HTTP client: {e}")))?;
        let burst = u32::try_from(cfg.max_concurrency).unwrap_or(1);
        Ok(KingdeeClient {
            base_path: url_path(&cfg.server),
            sessions: SessionManager::new(cfg.session_idle_ttl),
            rate: RateLimiter::new(cfg.rate_limit, burst),
            concurrency: ConcurrencyLimit::new(cfg.max_concurrency),
            http,
            cfg,
        })
    }

    /// The validated settings.
    pub fn config(&self) -> &KingdeeConfig {
        &self.cfg
    }

    /// Successful logins so far (a diagnostic, and how tests see re-logins).
    pub fn login_count(&self) -> u64 {
        self.sessions.logins()
    }

    fn backoff(&self, attempt: u32) -> Duration {
        backoff(attempt, self.cfg.retry_base, MAX_BACKOFF)
    }

    /// One POST of `service` (full name without `.common.kdsvc`).
    async fn post(&self, service: &str, body: &Value, session: Option<&Session>) -> Result<Reply, Failure> {
        let url = format!("{}{service}.common.kdsvc", self.cfg.server);
        self.rate.acquire().await;
        let _permit = self.concurrency.acquire().await;
        let mut req = self
            .http
            .post(&url)
            .header(CONTENT_TYPE, "application/json;charset=UTF-8")
            .header(ACCEPT_CHARSET, "utf-8")
            .body(body.to_string());
        if let Some(s) = session {
            if let Some(c) = s.cookie_header() {
                req = req.header(COOKIE, c);
            }
            if let Some(h) = s.kdsvc_header() {
                req = req.header("kdservice-sessionid", h);
            }
        }
        if let (AuthMode::ApiSignature, Credentials::App { app_id, app_secret }) = (self.cfg.auth, &self.cfg.credentials) {
            let ts = now_secs();
            let nonce = ts.to_string();
            let path = format!("{}{service}.common.kdsvc", self.base_path);
            for (name, value) in auth::signature_headers(&SignInput {
                app_id,
                app_secret: app_secret.expose(),
                acct_id: &self.cfg.acct_id,
                user: &self.cfg.user,
                lcid: self.cfg.lcid,
                org: &self.cfg.org,
                path: &path,
                timestamp: ts,
                nonce: &nonce,
            }) {
                req = req.header(name, value);
            }
        }
        let resp = req.send().await.map_err(|e| Failure {
            sent: !e.is_connect(),
            error: ConnectorError::transient(format!("{}: {}", self.cfg.server, describe(&e))),
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.map_err(|e| Failure {
            sent: true,
            error: ConnectorError::transient(format!("reading Kingdee's answer: {}", describe(&e))),
        })?;
        if !(status.as_u16() == 200 || status.as_u16() == 206) {
            let snippet: String = text.chars().take(200).collect();
            let msg = format!("Kingdee answered HTTP {status}: {snippet}");
            return Err(match status.as_u16() {
                // Refused outright: nothing happened.
                429 | 503 => Failure { sent: false, error: ConnectorError::transient(msg).with_code(status.as_u16().to_string()) },
                401 | 403 => Failure { sent: false, error: ConnectorError::new(ErrorClass::Auth, msg).with_code(status.as_u16().to_string()) },
                404 => Failure {
                    sent: false,
                    error: ConnectorError::config(format!("{msg} — check the server setting (it ends in /k3cloud/)")).with_code("404"),
                },
                s if s >= 500 => Failure { sent: true, error: ConnectorError::transient(msg).with_code(s.to_string()) },
                s => Failure { sent: false, error: ConnectorError::config(msg).with_code(s.to_string()) },
            });
        }
        let set_cookies: Vec<String> = headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect();
        let kdsvc_header = header_text(&headers, "kdservice-sessionid");
        if let Some(msg) = envelope::framework_error(&text) {
            return Err(Failure {
                sent: true,
                error: ConnectorError::transient(format!("Kingdee framework error: {msg}")).with_code("response_error"),
            });
        }
        let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|_| {
            let snippet: String = text.chars().take(200).collect();
            Failure { sent: true, error: ConnectorError::transient(format!("Kingdee's answer is not JSON: {snippet}")) }
        })?;
        if let Some(msg) = envelope::waf_block(&value) {
            return Err(Failure { sent: false, error: ConnectorError::business(format!("blocked by the server's WAF: {msg}")).with_code("WAF") });
        }
        Ok(Reply { value, set_cookies, kdsvc_header })
    }

    /// Log in with the configured session mode (retrying transport failures).
    async fn login(&self) -> Result<LoginGrant, ConnectorError> {
        let mut attempt = 0;
        loop {
            let Some((name, body)) = auth::login_request(&self.cfg, now_secs()) else {
                return Err(ConnectorError::config("this auth mode has no login"));
            };
            let started = std::time::Instant::now();
            match self.post(&format!("{AUTH_SERVICE}{name}"), &body, None).await {
                Ok(reply) => {
                    let Some(r) = LoginResult::parse(&reply.value) else {
                        // Not shown: an odd login answer may still carry a session id.
                        return Err(ConnectorError::new(
                            ErrorClass::Auth,
                            format!("{name}: the answer is not a login result (no LoginResultType) — is the server a K3Cloud site?"),
                        ));
                    };
                    if !r.succeeded() {
                        tracing::warn!(connection = %self.cfg.name, service = name, result_type = r.result_type, "kingdee login refused");
                        return Err(ConnectorError::new(ErrorClass::Auth, r.failure(&self.cfg.acct_id, &self.cfg.user))
                            .with_code(format!("LoginResultType {}", r.result_type)));
                    }
                    if r.result_type != 1 {
                        tracing::warn!(connection = %self.cfg.name, result_type = r.result_type, "kingdee login answered LoginResultType -5 (form interaction needed); using its session");
                    }
                    tracing::info!(connection = %self.cfg.name, service = name, elapsed_ms = started.elapsed().as_millis() as u64, "kingdee login");
                    return Ok(LoginGrant {
                        set_cookies: reply.set_cookies,
                        kdsvc_session_id: r.kdsvc_session_id.or(reply.kdsvc_header),
                        asp_session_id: r.asp_session_id,
                        user_name: r.user_name,
                        data_center: r.data_center.or(r.db_id),
                    });
                }
                Err(f) if f.error.class == ErrorClass::Transient && attempt < self.cfg.max_retries => {
                    let wait = self.backoff(attempt);
                    tracing::warn!(connection = %self.cfg.name, attempt, wait_ms = wait.as_millis() as u64, error = %f.error, "kingdee login failed; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(f) => {
                    let mut e = f.error;
                    e.message = format!("{name}: {}", e.message);
                    return Err(e);
                }
            }
        }
    }

    /// The current session (logging in when needed).
    pub(crate) async fn session(&self) -> Result<Arc<Session>, ConnectorError> {
        if self.cfg.auth == AuthMode::ApiSignature {
            self.sessions.get(None::<fn() -> std::future::Ready<Result<LoginGrant, ConnectorError>>>).await
        } else {
            self.sessions.get(Some(|| self.login())).await
        }
    }

    /// Log in now (a fresh session), for [`crate::Connection::test`].
    pub(crate) async fn fresh_session(&self) -> Result<Arc<Session>, ConnectorError> {
        let s = self.session().await?;
        if s.is_empty() || self.cfg.auth == AuthMode::ApiSignature {
            return Ok(s);
        }
        self.sessions.invalidate(s.generation).await;
        self.session().await
    }

    /// Call a business service (short name, e.g. `BatchSave`) with a prepared body. Handles the
    /// session (re-login once and replay on MsgCode 1), retries transient failures with backoff,
    /// and returns the parsed answer — which may still be a business failure for the caller to read.
    pub async fn call(&self, op: &str, body: &Value, safety: Safety) -> Result<Value, ConnectorError> {
        let service = format!("{DYNAMIC_SERVICE}{op}");
        let mut attempt = 0u32;
        let mut relogged = false;
        loop {
            let session = self.session().await?;
            let started = std::time::Instant::now();
            let result = self.post(&service, body, Some(&session)).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let error = match result {
                Ok(reply) => {
                    let was_empty = session.is_empty();
                    let got_session = !reply.set_cookies.is_empty() || reply.kdsvc_header.is_some();
                    session.absorb(&reply.set_cookies, reply.kdsvc_header.as_deref());
                    session.touch();
                    let v = reply.value;
                    if self.cfg.auth == AuthMode::ApiSignature && was_empty && !got_session {
                        // A signed call the server accepts opens a session (and says so with its
                        // cookie); a refusal without one is the signature being refused.
                        if let Some(s) = envelope::status_of(&v).filter(|s| !s.is_success && s.success_entitys.is_empty()) {
                            return Err(ConnectorError::new(
                                ErrorClass::Auth,
                                format!("{op}: the server refused the signature headers: {} (check app_id, app_secret, acct_id and user)", s.error_text()),
                            )
                            .with_code(s.msg_code.to_string()));
                        }
                    }
                    if envelope::is_session_lost(&v) {
                        self.sessions.invalidate(session.generation).await;
                        if !relogged {
                            relogged = true;
                            tracing::info!(connection = %self.cfg.name, op, "kingdee session lost (MsgCode 1); logging in again and replaying");
                            continue;
                        }
                        let msg = envelope::status_of(&v).map(|s| s.error_text()).unwrap_or_default();
                        return Err(ConnectorError::transient(format!("{op}: the session was lost again right after logging in: {msg}")).with_code("1"));
                    }
                    match envelope::whole_call_transient(&v, safety == Safety::Read) {
                        None => {
                            tracing::debug!(connection = %self.cfg.name, op, attempt, elapsed_ms, "kingdee call");
                            return Ok(v);
                        }
                        Some(status) => {
                            if status.msg_code == MSG_CALL_LIMIT {
                                self.rate.penalize(self.backoff(attempt)).await;
                            }
                            status.to_error()
                        }
                    }
                }
                Err(Failure { error, sent }) => {
                    if error.class != ErrorClass::Transient {
                        return Err(error);
                    }
                    if sent && safety == Safety::Write {
                        tracing::warn!(connection = %self.cfg.name, op, elapsed_ms, error = %error, "kingdee write failed after it was sent; outcome unknown");
                        let mut e = error;
                        e.class = ErrorClass::Unknown;
                        e.message = format!("{op}: {} (the request was sent: it may or may not have been applied)", e.message);
                        return Err(e);
                    }
                    error
                }
            };
            if attempt >= self.cfg.max_retries {
                let mut e = error;
                e.message = format!("{op}: {} (after {} attempts)", e.message, attempt + 1);
                return Err(e);
            }
            let wait = self.backoff(attempt);
            tracing::warn!(connection = %self.cfg.name, op, attempt, wait_ms = wait.as_millis() as u64, code = error.code.as_deref().unwrap_or(""), error = %error, "kingdee call failed; retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

fn header_text(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths() {
        assert_eq!(url_path("http://127.0.0.1:8080/k3cloud/"), "/k3cloud/");
        assert_eq!(url_path("https://h/K3Cloud/x/"), "/K3Cloud/x/");
        assert_eq!(url_path("http://h"), "/");
    }
}
