//! The connection's one session: its cookies and `kdservice-sessionid`, when it was last used, and
//! the lock that makes sure exactly one login runs at a time (others wait for its result).
//!
//! Reference §2.3: clients carry the session as the cookies `kdservice-sessionid=<KDSVCSessionId>`
//! and `ASP.NET_SessionId=<Context.SessionId>` (plus whatever `Set-Cookie` the server sent), and the
//! Python/.NET SDKs also send a `kdservice-sessionid` header. Ferry sends all three.

use std::sync::Arc;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Cookie carrying Kingdee's service session.
pub const KDSVC_COOKIE: &str = "kdservice-sessionid";
/// Cookie carrying the ASP.NET session.
pub const ASPNET_COOKIE: &str = "ASP.NET_SessionId";

/// One logged-in (or, in signature mode, cookie-collecting) session. Its values are secrets: the
/// `Debug` output shows only which cookies exist.
pub struct Session {
    /// Distinguishes this session from its successors, so a stale "session lost" cannot throw
    /// away a newer session.
    pub generation: u64,
    /// Who the server says we are (from the login answer).
    pub user_name: Option<String>,
    pub data_center: Option<String>,
    jar: StdMutex<Jar>,
    last_used: StdMutex<Instant>,
}

#[derive(Default, Clone)]
struct Jar {
    cookies: Vec<(String, String)>,
    kdsvc: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.jar().cookies.into_iter().map(|(n, _)| n).collect();
        f.debug_struct("Session").field("generation", &self.generation).field("cookies", &names).finish_non_exhaustive()
    }
}

impl Session {
    fn new(generation: u64) -> Session {
        Session {
            generation,
            user_name: None,
            data_center: None,
            jar: StdMutex::new(Jar::default()),
            last_used: StdMutex::new(Instant::now()),
        }
    }

    fn jar(&self) -> Jar {
        self.jar.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The `Cookie` header value, if there is anything to send.
    pub fn cookie_header(&self) -> Option<String> {
        let jar = self.jar();
        if jar.cookies.is_empty() {
            return None;
        }
        Some(jar.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; "))
    }

    /// The `kdservice-sessionid` header value.
    pub fn kdsvc_header(&self) -> Option<String> {
        self.jar().kdsvc
    }

    /// Does this session carry anything yet (signature mode starts empty)?
    pub fn is_empty(&self) -> bool {
        let jar = self.jar();
        jar.cookies.is_empty() && jar.kdsvc.is_none()
    }

    /// Take in the cookies of an answer (`Set-Cookie` values) and a `kdservice-sessionid` header.
    pub fn absorb(&self, set_cookies: &[String], kdsvc_header: Option<&str>) {
        if set_cookies.is_empty() && kdsvc_header.is_none() {
            return;
        }
        let mut jar = self.jar.lock().unwrap_or_else(|e| e.into_inner());
        for sc in set_cookies {
            let Some((name, value)) = parse_set_cookie(sc) else { continue };
            if name.eq_ignore_ascii_case(KDSVC_COOKIE) {
                jar.kdsvc = Some(value.clone());
            }
            match jar.cookies.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => jar.cookies.push((name, value)),
            }
        }
        if let Some(h) = kdsvc_header.map(str::trim).filter(|h| !h.is_empty()) {
            jar.kdsvc = Some(h.to_owned());
        }
    }

    /// Make sure the two session cookies are present (the login body carries them too).
    fn ensure_cookie(&self, name: &str, value: Option<&str>) {
        let Some(value) = value.filter(|v| !v.is_empty()) else { return };
        let mut jar = self.jar.lock().unwrap_or_else(|e| e.into_inner());
        if name == KDSVC_COOKIE && jar.kdsvc.is_none() {
            jar.kdsvc = Some(value.to_owned());
        }
        if !jar.cookies.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            jar.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// Mark the session used now (after every answer).
    pub fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn idle(&self) -> Duration {
        self.last_used.lock().unwrap_or_else(|e| e.into_inner()).elapsed()
    }
}

/// `name=value` of a `Set-Cookie` header (attributes dropped); `None` for an empty name.
pub fn parse_set_cookie(s: &str) -> Option<(String, String)> {
    let first = s.split(';').next()?.trim();
    let (name, value) = first.split_once('=')?;
    let name = name.trim();
    (!name.is_empty()).then(|| (name.to_owned(), value.trim().trim_matches('"').to_owned()))
}

/// What a successful login hands over.
pub struct LoginGrant {
    pub set_cookies: Vec<String>,
    pub kdsvc_session_id: Option<String>,
    pub asp_session_id: Option<String>,
    pub user_name: Option<String>,
    pub data_center: Option<String>,
}

/// Holds the current session; one login at a time.
pub struct SessionManager {
    current: Mutex<Option<Arc<Session>>>,
    next_generation: AtomicU64,
    idle_ttl: Duration,
    logins: AtomicU64,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager").field("idle_ttl", &self.idle_ttl).field("logins", &self.logins()).finish_non_exhaustive()
    }
}

impl SessionManager {
    /// No session yet; sessions idle longer than `idle_ttl` are renewed before use.
    pub fn new(idle_ttl: Duration) -> SessionManager {
        SessionManager { current: Mutex::new(None), next_generation: AtomicU64::new(1), idle_ttl, logins: AtomicU64::new(0) }
    }

    /// Successful logins so far.
    pub fn logins(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// The current session, or a new one from `login` when there is none or it has been idle for
    /// longer than the TTL. `login` is `None` in signature mode: the new session then starts empty
    /// and collects the cookies the server hands out. Callers arriving while a login runs wait for
    /// it and share its session.
    pub async fn get<F, Fut>(&self, login: Option<F>) -> Result<Arc<Session>, ferry_core::connector::ConnectorError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<LoginGrant, ferry_core::connector::ConnectorError>>,
    {
        let mut cur = self.current.lock().await;
        if let Some(s) = cur.as_ref() {
            if s.idle() < self.idle_ttl {
                return Ok(s.clone());
            }
            tracing::debug!(idle_ms = s.idle().as_millis() as u64, "kingdee session idle past its TTL; renewing it");
        }
        let session = Session::new(self.next_generation.fetch_add(1, Ordering::Relaxed));
        let session = match login {
            None => session,
            Some(login) => {
                let grant = login().await?;
                let mut s = session;
                s.user_name = grant.user_name;
                s.data_center = grant.data_center;
                s.absorb(&grant.set_cookies, None);
                s.ensure_cookie(KDSVC_COOKIE, grant.kdsvc_session_id.as_deref());
                s.ensure_cookie(ASPNET_COOKIE, grant.asp_session_id.as_deref());
                self.logins.fetch_add(1, Ordering::Relaxed);
                s
            }
        };
        let session = Arc::new(session);
        *cur = Some(session.clone());
        Ok(session)
    }

    /// Forget the session `generation` (the server said it is lost). A newer session is kept.
    pub async fn invalidate(&self, generation: u64) {
        let mut cur = self.current.lock().await;
        if cur.as_ref().is_some_and(|s| s.generation == generation) {
            *cur = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use ferry_core::connector::ConnectorError;

    use super::*;

    fn grant() -> LoginGrant {
        LoginGrant {
            set_cookies: vec!["kdservice-sessionid=abc; path=/".into(), "Theme=standard".into()],
            kdsvc_session_id: Some("abc".into()),
            asp_session_id: Some("asp1".into()),
            user_name: Some("demo".into()),
            data_center: None,
        }
    }

    #[test]
    fn set_cookie_values_are_parsed() {
        assert_eq!(parse_set_cookie("ASP.NET_SessionId=xyz; path=/; HttpOnly"), Some(("ASP.NET_SessionId".into(), "xyz".into())));
        assert_eq!(parse_set_cookie("=x"), None);
        assert_eq!(parse_set_cookie("novalue"), None);
    }

    #[tokio::test]
    async fn login_fills_both_session_cookies_and_the_header() {
        let m = SessionManager::new(Duration::from_secs(60));
        let s = m.get(Some(|| async { Ok::<_, ConnectorError>(grant()) })).await.unwrap();
        assert_eq!(s.cookie_header().unwrap(), "kdservice-sessionid=abc; Theme=standard; ASP.NET_SessionId=asp1");
        assert_eq!(s.kdsvc_header().as_deref(), Some("abc"));
        assert!(!format!("{s:?}").contains("abc"));
        s.absorb(&["ASP.NET_SessionId=asp2; path=/".into()], None);
        assert!(s.cookie_header().unwrap().contains("ASP.NET_SessionId=asp2"));
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_login() {
        let m = Arc::new(SessionManager::new(Duration::from_secs(60)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (m, calls) = (m.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                m.get(Some(|| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, ConnectorError>(grant())
                }))
                .await
                .unwrap()
                .generation
            }));
        }
        let mut gens = Vec::new();
        for t in tasks {
            gens.push(t.await.unwrap());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(gens.iter().all(|g| *g == gens[0]));
        assert_eq!(m.logins(), 1);
    }

    #[tokio::test]
    async fn stale_invalidation_keeps_the_newer_session() {
        let m = SessionManager::new(Duration::from_secs(60));
        let login = || async { Ok::<_, ConnectorError>(grant()) };
        let a = m.get(Some(login)).await.unwrap();
        m.invalidate(a.generation).await;
        let b = m.get(Some(login)).await.unwrap();
        assert_ne!(a.generation, b.generation);
        m.invalidate(a.generation).await;
        let c = m.get(Some(login)).await.unwrap();
        assert_eq!(b.generation, c.generation);
        assert_eq!(m.logins(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_sessions_are_renewed() {
        let m = SessionManager::new(Duration::from_secs(900));
        let login = || async { Ok::<_, ConnectorError>(grant()) };
        let a = m.get(Some(login)).await.unwrap();
        tokio::time::advance(Duration::from_secs(600)).await;
        a.touch();
        tokio::time::advance(Duration::from_secs(600)).await;
        assert_eq!(m.get(Some(login)).await.unwrap().generation, a.generation, "used 600 s ago: still fresh");
        tokio::time::advance(Duration::from_secs(901)).await;
        assert_ne!(m.get(Some(login)).await.unwrap().generation, a.generation);
    }

    #[tokio::test]
    async fn a_failed_login_leaves_no_session() {
        let m = SessionManager::new(Duration::from_secs(60));
        let err = m.get(Some(|| async { Err::<LoginGrant, _>(ConnectorError::new(ferry_core::connector::ErrorClass::Auth, "no")) })).await;
        assert!(err.is_err());
        assert_eq!(m.logins(), 0);
    }
}
