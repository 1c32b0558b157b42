//! Server-side sessions: one `KDSVCSessionId` (cookie `kdservice-sessionid`) and one ASP.NET
//! session id (cookie `ASP.NET_SessionId`) per login, idle-expiring after the TTL.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::rng::SplitMix64;

/// A logged-in session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// `KDSVCSessionId`.
    pub kd_id: String,
    /// `Context.SessionId` (the ASP.NET session id).
    pub aspnet_id: String,
    /// `Context.UserToken`.
    pub user_token: String,
    /// Locale of the session.
    pub lcid: u32,
    last_used: Instant,
}

/// Why a session id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Never issued, logged out, or already purged.
    Unknown,
    /// Idle for longer than the TTL (now removed).
    Expired,
}

/// All sessions of the simulator.
#[derive(Debug)]
pub(crate) struct Sessions {
    by_kd: HashMap<String, Session>,
    kd_of_aspnet: HashMap<String, String>,
    ttl: Duration,
    ids: SplitMix64,
}

impl Sessions {
    pub(crate) fn new(ttl: Duration) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self {
            by_kd: HashMap::new(),
            kd_of_aspnet: HashMap::new(),
            ttl,
            ids: SplitMix64::new(nanos ^ 0x5EED_CAFE),
        }
    }

    fn guid(&mut self) -> String {
        let a = self.ids.next_u64();
        let b = self.ids.next_u64();
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }

    fn aspnet(&mut self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz012345";
        (0..24)
            .map(|_| ALPHABET[self.ids.below(ALPHABET.len())] as char)
            .collect()
    }

    /// A fresh GUID-shaped id (async task ids).
    pub(crate) fn create_task_id(&mut self) -> String {
        self.guid()
    }

    /// Opens a session and returns it.
    pub(crate) fn create(&mut self, lcid: u32) -> Session {
        if self.by_kd.len() >= 64 {
            self.purge_expired();
        }
        let session = Session {
            kd_id: self.guid(),
            aspnet_id: self.aspnet(),
            user_token: self.guid(),
            lcid,
            last_used: Instant::now(),
        };
        self.kd_of_aspnet
            .insert(session.aspnet_id.clone(), session.kd_id.clone());
        self.by_kd.insert(session.kd_id.clone(), session.clone());
        session
    }

    /// Uses the session with this id (either id form): refreshes its idle timer, or refuses it.
    pub(crate) fn touch(&mut self, id: &str) -> Result<Session, Refused> {
        let kd = if self.by_kd.contains_key(id) {
            id.to_string()
        } else {
            self.kd_of_aspnet.get(id).cloned().ok_or(Refused::Unknown)?
        };
        let now = Instant::now();
        let expired = self
            .by_kd
            .get(&kd)
            .is_none_or(|s| now.duration_since(s.last_used) > self.ttl);
        if expired {
            self.remove(&kd);
            return Err(Refused::Expired);
        }
        let s = self.by_kd.get_mut(&kd).ok_or(Refused::Unknown)?;
        s.last_used = now;
        Ok(s.clone())
    }

    /// Ends a session (Logout); either id form.
    pub(crate) fn remove(&mut self, id: &str) {
        let kd = self
            .kd_of_aspnet
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string());
        if let Some(s) = self.by_kd.remove(&kd) {
            self.kd_of_aspnet.remove(&s.aspnet_id);
        }
    }

    /// Expires every session; returns how many there were.
    pub(crate) fn expire_all(&mut self) -> usize {
        let n = self.by_kd.len();
        self.by_kd.clear();
        self.kd_of_aspnet.clear();
        n
    }

    /// Live sessions (not yet purged).
    pub(crate) fn len(&self) -> usize {
        self.by_kd.len()
    }

    fn purge_expired(&mut self) {
        let now = Instant::now();
        let ttl = self.ttl;
        let dead: Vec<String> = self
            .by_kd
            .values()
            .filter(|s| now.duration_since(s.last_used) > ttl)
            .map(|s| s.kd_id.clone())
            .collect();
        for id in dead {
            self.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ids_find_the_session_and_ttl_expires_it() {
        let mut s = Sessions::new(Duration::from_millis(30));
        let a = s.create(2052);
        assert_eq!(a.kd_id.len(), 36);
        assert_eq!(a.aspnet_id.len(), 24);
        assert!(s.touch(&a.kd_id).is_ok());
        assert!(s.touch(&a.aspnet_id).is_ok());
        assert_eq!(s.touch("nope").unwrap_err(), Refused::Unknown);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(s.touch(&a.aspnet_id).unwrap_err(), Refused::Expired);
        assert_eq!(s.touch(&a.kd_id).unwrap_err(), Refused::Unknown);
    }

    #[test]
    fn use_keeps_a_session_alive_and_logout_ends_it() {
        let mut s = Sessions::new(Duration::from_millis(80));
        let a = s.create(2052);
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(30));
            assert!(s.touch(&a.kd_id).is_ok());
        }
        let b = s.create(1033);
        assert_ne!(a.kd_id, b.kd_id);
        s.remove(&b.aspnet_id);
        assert!(s.touch(&b.kd_id).is_err());
        assert_eq!(s.expire_all(), 1);
        assert_eq!(s.len(), 0);
    }
}
