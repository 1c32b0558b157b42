//! Diagnostics: every configuration error carries the file, line, column and field path, and
//! validation collects all of them instead of stopping at the first.

use std::fmt;

/// A position in a source file (1-based; 0 means unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub line: u32,
    pub col: u32,
}

/// One problem found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub loc: Loc,
    /// Dotted field path, e.g. `targets.gain.mapping.FEntity.map.FQty`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.loc.line, self.path.is_empty()) {
            (0, true) => write!(f, "{}: {}", self.file, self.message),
            (0, false) => write!(f, "{} {}: {}", self.file, self.path, self.message),
            (_, true) => write!(f, "{}:{}:{} {}", self.file, self.loc.line, self.loc.col, self.message),
            (_, false) => {
                write!(f, "{}:{}:{} {}: {}", self.file, self.loc.line, self.loc.col, self.path, self.message)
            }
        }
    }
}

/// A collection of diagnostics for one file.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub file: String,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: impl Into<String>) -> Self {
        Diagnostics { file: file.into(), items: Vec::new() }
    }
    pub fn push(&mut self, loc: Loc, path: impl Into<String>, message: impl Into<String>) {
        self.items.push(Diagnostic { file: self.file.clone(), loc, path: path.into(), message: message.into() });
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }
    /// Sort by position so that output reads top to bottom.
    pub fn sorted(mut self) -> Self {
        self.items.sort_by(|a, b| (a.loc, &a.path).cmp(&(b.loc, &b.path)));
        self.items.dedup();
        self
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The validation failed; carries every diagnostic found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} error(s) in {}:\n{}", .0.len(), .0.file, .0)]
pub struct Invalid(pub Diagnostics);

/// Levenshtein distance, case-insensitive, on chars.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `" (did you mean 'x'?)"` or `""`.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(word, candidates) {
        Some(s) => format!(" (did you mean '{s}'?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(distance("lookup", "lookupp"), 1);
        assert_eq!(distance("FQty", "fqty"), 0);
        assert_eq!(suggest("lookupp", ["date", "lookup", "round"]), Some("lookup"));
        assert_eq!(suggest("zzzzzz", ["date", "lookup"]), None);
        assert_eq!(did_you_mean("conection", ["connection", "api"]), " (did you mean 'connection'?)");
    }

    #[test]
    fn display_forms() {
        let mut d = Diagnostics::new("s.yaml");
        d.push(Loc { line: 3, col: 5 }, "source.api", "required");
        d.push(Loc::default(), "", "empty file");
        let s = d.to_string();
        assert!(s.contains("s.yaml:3:5 source.api: required"), "{s}");
        assert!(s.contains("s.yaml: empty file"), "{s}");
    }
}
