//! Paging within one window slice (reference §5): which page or cursor to ask for next, when to
//! stop, and the guards against gateways that misbehave. Pure state; no IO.
//!
//! - Flat paging starts at the base (0, or the connection's `page_base` for uncertain-base APIs)
//!   and stops on an empty or short page (`rows < pageSize`).
//! - Repeated-page guard (§5.4): a page identical to the previous one, or (with deduplication) a
//!   page that adds no new key, stops the slice with a warning. For an uncertain-base API read
//!   0-based, one such page at index 1 is tolerated: a gateway that treats 0 and 1 alike serves
//!   the first page twice and then goes on normally.
//! - Base probe (§8.3): for an uncertain-base API read 0-based, an empty page 0 is followed by one
//!   request for page 1, until the base is settled for the run; if page 1 has rows the API is
//!   1-based here, and the run continues 1-based with a warning.
//! - Cursor paging (§5.6): `maxSkuId`-like cursors take the largest id of the page; scroll
//!   cursors take the answer's `scrollId`; an unchanged or empty cursor ends the slice.
//! - A safety cap on pages per slice.
//!
//! State changes only in [`Pager::on_page`], after a page arrived: a failed request leaves the
//! pager where it was, so the same request can be made again.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

use super::metadata::Paging;

/// How one source pages.
#[derive(Debug, Clone)]
pub struct PagerConfig {
    pub paging: Paging,
    pub page_size: u64,
    /// First page index of flat paging.
    pub base: u64,
    /// Probe page 1 when page 0 of an uncertain-base API is empty.
    pub probe: bool,
    pub max_pages: u64,
    /// Deduplicate by this record field.
    pub dedupe_key: Option<&'static str>,
}

/// What one page gave.
#[derive(Debug, Default)]
pub struct Step {
    /// The records to hand on (deduplicated).
    pub records: Vec<Value>,
    /// The slice is finished.
    pub slice_done: bool,
    pub warnings: Vec<String>,
}

/// Paging state of one source.
#[derive(Debug)]
pub struct Pager {
    cfg: PagerConfig,
    /// Effective first page (may become 1 after a probe).
    base: u64,
    /// Page 0 of an uncertain-base API has served rows (no more probes).
    base_settled: bool,
    index: u64,
    cursor: Option<String>,
    pages: u64,
    prev_fingerprint: Option<u64>,
    tolerated: bool,
    probing: bool,
    seen: HashSet<String>,
}

impl Pager {
    pub fn new(cfg: PagerConfig) -> Self {
        let base = cfg.base;
        let base_settled = cfg.paging != Paging::FlatUncertainBase || base != 0 || !cfg.probe;
        let mut p = Pager {
            cfg,
            base,
            base_settled,
            index: 0,
            cursor: None,
            pages: 0,
            prev_fingerprint: None,
            tolerated: false,
            probing: false,
            seen: HashSet::new(),
        };
        p.start_slice();
        p
    }

    /// The effective first page index.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Sets the base decided earlier in the run (from a checkpoint).
    pub fn set_base(&mut self, base: u64) {
        self.base = base;
        if base != self.cfg.base {
            self.base_settled = true;
        }
    }

    /// Fresh state for a new slice.
    pub fn start_slice(&mut self) {
        self.index = self.start_index();
        self.cursor = match self.cfg.paging {
            Paging::MaxId { .. } => Some("0".into()),
            Paging::Scroll { .. } => Some(String::new()),
            Paging::Flat | Paging::FlatUncertainBase => None,
        };
        self.pages = 0;
        self.prev_fingerprint = None;
        self.tolerated = false;
        self.probing = false;
        self.seen.clear();
    }

    fn start_index(&self) -> u64 {
        match self.cfg.paging {
            Paging::FlatUncertainBase => self.base,
            _ => 0,
        }
    }

    /// Continue a slice at a checkpointed position.
    pub fn resume_at(&mut self, page: u64, cursor: Option<String>) {
        self.start_slice();
        match self.cfg.paging {
            Paging::Flat | Paging::FlatUncertainBase => self.index = page.max(self.start_index()),
            Paging::MaxId { .. } => {
                if let Some(c) = cursor.filter(|c| !c.is_empty()) {
                    self.cursor = Some(c);
                }
            }
            // A scroll id does not outlive the server's scroll session: restart the slice.
            Paging::Scroll { .. } => {}
        }
    }

    /// `pageIndex` to send.
    pub fn page_index(&self) -> u64 {
        self.index
    }

    /// The cursor parameter to send, if the API pages by cursor.
    pub fn cursor_param(&self) -> Option<(&'static str, String)> {
        match self.cfg.paging {
            Paging::MaxId { param, .. } | Paging::Scroll { param } => Some((param, self.cursor.clone().unwrap_or_default())),
            Paging::Flat | Paging::FlatUncertainBase => None,
        }
    }

    /// The position to checkpoint: the page index and the cursor worth persisting.
    pub fn position(&self) -> (u64, Option<String>) {
        match self.cfg.paging {
            Paging::MaxId { .. } => (self.index, self.cursor.clone()),
            Paging::Scroll { .. } => (self.start_index(), None),
            Paging::Flat | Paging::FlatUncertainBase => (self.index, None),
        }
    }

    /// Takes one page of rows (and the answer's scroll id, for scroll paging).
    pub fn on_page(&mut self, rows: Vec<Value>, scroll: Option<String>) -> Step {
        self.pages += 1;
        match self.cfg.paging {
            Paging::Flat | Paging::FlatUncertainBase => self.flat(rows),
            Paging::MaxId { field, .. } => self.max_id(rows, field),
            Paging::Scroll { .. } => self.scroll(rows, scroll),
        }
    }

    fn fingerprint(rows: &[Value]) -> u64 {
        let mut h = DefaultHasher::new();
        serde_json::to_string(rows).unwrap_or_default().hash(&mut h);
        h.finish()
    }

    fn key_of(record: &Value, key: &str) -> Option<String> {
        match record.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Drops records already seen in this slice; returns the new ones and whether any key was read.
    fn dedupe(&mut self, rows: Vec<Value>) -> Vec<Value> {
        let Some(key) = self.cfg.dedupe_key else { return rows };
        rows.into_iter()
            .filter(|r| match Self::key_of(r, key) {
                Some(k) => self.seen.insert(k),
                None => true,
            })
            .collect()
    }

    fn capped(&self, step: &mut Step) -> bool {
        if self.pages >= self.cfg.max_pages {
            step.warnings.push(format!(
                "stopped after {} pages (the connection's max_pages safety cap); records after them were not read",
                self.pages
            ));
            step.slice_done = true;
            return true;
        }
        false
    }

    fn flat(&mut self, rows: Vec<Value>) -> Step {
        let mut step = Step::default();
        let n = rows.len() as u64;
        let uncertain = self.cfg.paging == Paging::FlatUncertainBase;
        if n == 0 {
            if uncertain && !self.base_settled && self.index == 0 && !self.probing {
                // Page 0 is empty: the API may be 1-based here. Ask page 1 once.
                self.probing = true;
                self.index = 1;
                return step;
            }
            step.slice_done = true;
            return step;
        }
        if self.probing {
            self.probing = false;
            self.base = 1;
            self.base_settled = true;
            step.warnings.push(
                "page 0 came back empty but page 1 has records: this API is 1-based here; continuing 1-based (set page_base: 1 on the connection)"
                    .into(),
            );
        } else if uncertain && self.index == self.base {
            self.base_settled = true;
        }
        let fp = Self::fingerprint(&rows);
        let same = self.prev_fingerprint == Some(fp);
        self.prev_fingerprint = Some(fp);
        let fresh = self.dedupe(rows);
        let no_progress = same || (self.cfg.dedupe_key.is_some() && fresh.is_empty());
        if no_progress {
            if uncertain && self.base == 0 && self.index == 1 && !self.tolerated {
                // A gateway that treats 0 and 1 as the first page: go on once.
                self.tolerated = true;
                self.index += 1;
                return step;
            }
            step.warnings.push(format!(
                "pageIndex {} returned the same records as the page before: the gateway seems to ignore pageIndex; stopped this window after {} pages (later records may be missing)",
                self.index, self.pages
            ));
            step.slice_done = true;
            return step;
        }
        step.records = fresh;
        if n < self.cfg.page_size || self.capped(&mut step) {
            step.slice_done = true;
            return step;
        }
        self.index += 1;
        step
    }

    fn max_id(&mut self, rows: Vec<Value>, field: &str) -> Step {
        let mut step = Step::default();
        let n = rows.len() as u64;
        if n == 0 {
            step.slice_done = true;
            return step;
        }
        let next = rows.iter().filter_map(|r| Self::key_of(r, field)).max_by(|a, b| cmp_ids(a, b));
        let fresh = self.dedupe(rows);
        let Some(next) = next else {
            step.records = fresh;
            step.warnings.push(format!("the records carry no '{field}', so the cursor cannot move; stopped this window"));
            step.slice_done = true;
            return step;
        };
        if self.cursor.as_deref() == Some(next.as_str())
            || self.cursor.as_deref().is_some_and(|c| cmp_ids(&next, c) != std::cmp::Ordering::Greater)
        {
            step.warnings.push(format!(
                "the cursor did not advance ({field} {next}): the gateway returned the same records again; stopped this window"
            ));
            step.slice_done = true;
            return step;
        }
        step.records = fresh;
        self.cursor = Some(next);
        if n < self.cfg.page_size || self.capped(&mut step) {
            step.slice_done = true;
        }
        step
    }

    fn scroll(&mut self, rows: Vec<Value>, scroll: Option<String>) -> Step {
        let mut step = Step::default();
        let n = rows.len() as u64;
        if n == 0 {
            step.slice_done = true;
            return step;
        }
        let fp = Self::fingerprint(&rows);
        if self.prev_fingerprint == Some(fp) {
            step.warnings.push("the scroll returned the same records again; stopped this window".into());
            step.slice_done = true;
            return step;
        }
        self.prev_fingerprint = Some(fp);
        step.records = self.dedupe(rows);
        let next = scroll.unwrap_or_default();
        if next.is_empty() || self.cursor.as_deref() == Some(next.as_str()) || n < self.cfg.page_size || self.capped(&mut step) {
            step.slice_done = true;
            return step;
        }
        self.cursor = Some(next);
        step
    }
}

/// Compares ids numerically when both are all digits, else as text.
fn cmp_ids(a: &str, b: &str) -> std::cmp::Ordering {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if digits(a) && digits(b) {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(paging: Paging, size: u64, base: u64) -> PagerConfig {
        PagerConfig { paging, page_size: size, base, probe: true, max_pages: 1000, dedupe_key: None }
    }

    fn rows(ids: std::ops::Range<u64>) -> Vec<Value> {
        ids.map(|i| json!({"stocktakeId": format!("PD{i:05}"), "skuId": i.to_string()})).collect()
    }

    /// Drives a pager against a list served by `serve(index, cursor)`; returns the records and warnings.
    fn drive(p: &mut Pager, serve: impl Fn(u64, Option<String>) -> (Vec<Value>, Option<String>)) -> (Vec<Value>, Vec<String>, usize) {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for calls in 1..=1000 {
            let (r, s) = serve(p.page_index(), p.cursor_param().map(|c| c.1));
            let step = p.on_page(r, s);
            out.extend(step.records);
            warnings.extend(step.warnings);
            if step.slice_done {
                return (out, warnings, calls);
            }
        }
        panic!("did not stop");
    }

    fn flat_server(total: u64, size: u64, base: u64) -> impl Fn(u64, Option<String>) -> (Vec<Value>, Option<String>) {
        move |index, _| {
            if index < base {
                return (Vec::new(), None);
            }
            let start = (index - base) * size;
            (rows(start.min(total)..(start + size).min(total)), None)
        }
    }

    #[test]
    fn flat_pages_to_the_last_short_page() {
        for base in [0, 1] {
            let mut p = Pager::new(cfg(Paging::FlatUncertainBase, 50, base));
            let (r, w, calls) = drive(&mut p, flat_server(137, 50, base));
            assert_eq!((r.len(), calls), (137, 3), "base {base}");
            assert!(w.is_empty());
        }
        // Exactly full last page: one more (empty) call ends it.
        let mut p = Pager::new(cfg(Paging::Flat, 50, 0));
        let (r, _, calls) = drive(&mut p, flat_server(100, 50, 0));
        assert_eq!((r.len(), calls), (100, 3));
    }

    #[test]
    fn a_one_based_gateway_is_found_by_the_probe() {
        let mut p = Pager::new(PagerConfig { dedupe_key: Some("stocktakeId"), ..cfg(Paging::FlatUncertainBase, 50, 0) });
        let (r, w, calls) = drive(&mut p, flat_server(137, 50, 1));
        assert_eq!((r.len(), calls), (137, 4));
        assert!(w[0].contains("1-based"), "{w:?}");
        assert_eq!(p.base(), 1);
        // The next slice starts at 1 directly.
        p.start_slice();
        assert_eq!(p.page_index(), 1);
    }

    #[test]
    fn an_empty_window_probes_once_and_stops() {
        let mut p = Pager::new(cfg(Paging::FlatUncertainBase, 50, 0));
        let (r, w, calls) = drive(&mut p, flat_server(0, 50, 0));
        assert_eq!((r.len(), w.len(), calls), (0, 0, 2));
        // Without probing (confirmed 0-based APIs) an empty page ends at once.
        let mut p = Pager::new(cfg(Paging::Flat, 50, 0));
        assert_eq!(drive(&mut p, flat_server(0, 50, 0)).2, 1);
    }

    #[test]
    fn a_gateway_treating_0_and_1_alike_is_tolerated_once() {
        // 1-based, and page 0 serves the first page too.
        let serve = |index: u64, _| {
            let i = index.max(1) - 1;
            (rows((i * 50).min(137)..((i + 1) * 50).min(137)), None)
        };
        let mut p = Pager::new(PagerConfig { dedupe_key: Some("stocktakeId"), ..cfg(Paging::FlatUncertainBase, 50, 0) });
        let (r, w, calls) = drive(&mut p, serve);
        assert_eq!((r.len(), calls), (137, 4));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn a_gateway_ignoring_page_index_stops_with_a_warning() {
        let serve = |_: u64, _| (rows(0..50), None);
        let mut p = Pager::new(PagerConfig { dedupe_key: Some("stocktakeId"), ..cfg(Paging::FlatUncertainBase, 50, 0) });
        let (r, w, calls) = drive(&mut p, serve);
        assert_eq!((r.len(), calls), (50, 3));
        assert!(w[0].contains("ignore pageIndex"), "{w:?}");
        let mut p = Pager::new(cfg(Paging::Flat, 50, 0));
        let (r, w, calls) = drive(&mut p, serve);
        assert_eq!((r.len(), calls, w.len()), (50, 2, 1));
    }

    #[test]
    fn duplicates_are_dropped() {
        // Page 1 repeats two records of page 0 (a record moved while paging).
        let serve = |index: u64, _| match index {
            0 => (rows(0..3), None),
            1 => (rows(1..4), None),
            _ => (rows(4..5), None),
        };
        let mut p = Pager::new(PagerConfig { dedupe_key: Some("stocktakeId"), ..cfg(Paging::Flat, 3, 0) });
        let (r, _, _) = drive(&mut p, serve);
        assert_eq!(r.len(), 5);
    }

    #[test]
    fn max_id_cursor_moves_to_the_largest_id() {
        let serve = |_: u64, cursor: Option<String>| {
            let from: u64 = cursor.unwrap().parse().unwrap();
            ((rows(from + 1..(from + 51).min(138))), None)
        };
        let mut p = Pager::new(cfg(Paging::MaxId { param: "maxSkuId", field: "skuId" }, 50, 0));
        assert_eq!(p.cursor_param(), Some(("maxSkuId", "0".into())));
        let (r, w, calls) = drive(&mut p, serve);
        assert_eq!((r.len(), calls), (137, 3));
        assert!(w.is_empty());
        let stuck = |_: u64, _: Option<String>| (rows(1..51), None);
        let mut p = Pager::new(cfg(Paging::MaxId { param: "maxSkuId", field: "skuId" }, 50, 0));
        let (r, w, _) = drive(&mut p, stuck);
        assert_eq!((r.len(), w.len()), (50, 1));
    }

    #[test]
    fn scroll_follows_the_scroll_id() {
        let serve = |_: u64, cursor: Option<String>| {
            let from: u64 = cursor.unwrap().parse().unwrap_or(0);
            let to = (from + 50).min(137);
            (rows(from..to), Some(if to == 137 { String::new() } else { to.to_string() }))
        };
        let mut p = Pager::new(cfg(Paging::Scroll { param: "scrollId" }, 50, 0));
        assert_eq!(p.cursor_param(), Some(("scrollId", String::new())));
        let (r, _, calls) = drive(&mut p, serve);
        assert_eq!((r.len(), calls), (137, 3));
        assert_eq!(p.position(), (0, None));
    }

    #[test]
    fn the_page_cap_stops_with_a_warning() {
        let mut p = Pager::new(PagerConfig { max_pages: 2, ..cfg(Paging::Flat, 10, 0) });
        let (r, w, calls) = drive(&mut p, flat_server(1000, 10, 0));
        assert_eq!((r.len(), calls), (20, 2));
        assert!(w[0].contains("max_pages"));
    }

    #[test]
    fn resuming_keeps_the_position() {
        let mut p = Pager::new(cfg(Paging::Flat, 50, 0));
        p.resume_at(2, None);
        let (r, _, _) = drive(&mut p, flat_server(137, 50, 0));
        assert_eq!(r.len(), 37);
        let mut p = Pager::new(cfg(Paging::MaxId { param: "maxSkuId", field: "skuId" }, 50, 0));
        p.resume_at(0, Some("100".into()));
        assert_eq!(p.cursor_param(), Some(("maxSkuId", "100".into())));
    }

    #[test]
    fn ids_compare_numerically() {
        use std::cmp::Ordering::*;
        assert_eq!(cmp_ids("9", "10"), Less);
        assert_eq!(cmp_ids("2378284552512635520", "2378284552512635519"), Greater);
        assert_eq!(cmp_ids("b", "a"), Greater);
    }
}
