//! Named connections, from a `connections.yaml` file: each has a `system` and that system's
//! settings. Values may name environment variables (`${JACKYUN_APPSECRET}`) so that secrets stay
//! out of files. The connection `file` always exists.

use std::collections::BTreeMap;
use std::path::Path;

use ferry_connectors::ConnectionConfig;
use ferry_core::diag::{Diagnostics, Invalid, Loc, did_you_mean};
use ferry_core::yaml::{self, Kind, Node};
use serde_json::Value;

/// All configured connections by name.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    pub by_name: BTreeMap<String, ConnectionConfig>,
}

impl Connections {
    /// Only the built-in `file` connection.
    pub fn builtin() -> Self {
        let mut c = Connections::default();
        c.insert_builtin();
        c
    }

    fn insert_builtin(&mut self) {
        self.by_name.entry("file".into()).or_insert_with(|| ConnectionConfig {
            name: "file".into(),
            system: "file".into(),
            settings: Value::Object(Default::default()),
        });
    }

    /// Parse a connections file. `env` resolves `${NAME}` references (the process environment in
    /// production; a map in tests).
    pub fn parse(file: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Connections, Invalid> {
        let root = yaml::parse(file, text).map_err(Invalid)?;
        let mut d = Diagnostics::new(file);
        let mut out = Connections::default();
        let systems: Vec<&str> = ferry_connectors::registry().iter().map(|c| c.system()).collect();
        let body = match root.get("connections") {
            Some(b) => b,
            None => {
                d.push(root.loc, "connections", "required: a mapping of connection name → { system, settings… }");
                return Err(Invalid(d));
            }
        };
        for (k, v) in body.as_map().unwrap_or_default() {
            let path = format!("connections.{}", k.name);
            let Some(sys) = v.get("system").and_then(Node::as_str) else {
                d.push(v.loc, format!("{path}.system"), format!("required: one of {}", systems.join(", ")));
                continue;
            };
            if !systems.contains(&sys) {
                let loc = v.get("system").map_or(v.loc, |n| n.loc);
                d.push(loc, format!("{path}.system"), format!(
                    "unknown system '{sys}'{} (known: {})",
                    did_you_mean(sys, systems.iter().copied()),
                    systems.join(", ")
                ));
                continue;
            }
            let mut settings = serde_json::Map::new();
            for (sk, sv) in v.as_map().unwrap_or_default() {
                if sk.name == "system" {
                    continue;
                }
                match expand(sv, env, &format!("{path}.{}", sk.name), &mut d) {
                    Some(val) => {
                        settings.insert(sk.name.clone(), val);
                    }
                    None => continue,
                }
            }
            let cfg = ConnectionConfig { name: k.name.clone(), system: sys.to_owned(), settings: Value::Object(settings) };
            // Settings are checked by the connector itself (it knows its fields).
            if let Some(conn) = ferry_connectors::connector(sys)
                && let Err(e) = conn.connect(&cfg)
                    && e.class == ferry_core::connector::ErrorClass::Config && !e.message.contains("not built yet") {
                        d.push(v.loc, path.clone(), e.message);
                    }
            out.by_name.insert(k.name.clone(), cfg);
        }
        out.insert_builtin();
        if d.is_empty() { Ok(out) } else { Err(Invalid(d.sorted())) }
    }

    /// Load `path` if given, else `connections.yaml` beside the scheme if it exists, else only `file`.
    pub fn discover(explicit: Option<&Path>, scheme_dir: &Path) -> Result<Connections, ConnectionsError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = scheme_dir.join("connections.yaml");
                if !p.exists() {
                    return Ok(Connections::builtin());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| ConnectionsError::Read(path.display().to_string(), e))?;
        Connections::parse(&path.display().to_string(), &text, &|name| std::env::var(name).ok()).map_err(ConnectionsError::Invalid)
    }

    pub fn get(&self, name: &str) -> Option<&ConnectionConfig> {
        self.by_name.get(name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectionsError {
    #[error("cannot read {0}: {1}")]
    Read(String, #[source] std::io::Error),
    #[error(transparent)]
    Invalid(Invalid),
}

/// JSON of a settings value with `${NAME}` expanded in strings.
fn expand(n: &Node, env: &dyn Fn(&str) -> Option<String>, path: &str, d: &mut Diagnostics) -> Option<Value> {
    match &n.kind {
        Kind::Str(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                out.push_str(&rest[..i]);
                let Some(j) = rest[i..].find('}') else {
                    d.push(n.loc, path, "'${' without a closing '}'");
                    return None;
                };
                let name = &rest[i + 2..i + j];
                match env(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        d.push(n.loc, path, format!("the environment variable {name} is not set"));
                        return None;
                    }
                }
                rest = &rest[i + j + 1..];
            }
            out.push_str(rest);
            Some(Value::String(out))
        }
        Kind::Map(entries) => {
            let mut m = serde_json::Map::new();
            for (k, v) in entries {
                m.insert(k.name.clone(), expand(v, env, &format!("{path}.{}", k.name), d)?);
            }
            Some(Value::Object(m))
        }
        Kind::Seq(items) => items.iter().enumerate().map(|(i, v)| expand(v, env, &format!("{path}[{i}]"), d)).collect::<Option<Vec<_>>>().map(Value::Array),
        _ => Some(n.to_json()),
    }
}

/// Where a diagnostic with no better place should point.
pub const NOWHERE: Loc = Loc { line: 0, col: 0 };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_references_are_expanded_and_missing_ones_reported() {
        let text = "connections:\n  files:\n    system: file\n    note: \"${HOME_X}/x\"\n  bad:\n    system: fle\n  worse:\n    note: ${NOPE}\n    system: file\n";
        let env = |n: &str| (n == "HOME_X").then(|| "/home/x".to_owned());
        let err = Connections::parse("connections.yaml", text, &env).unwrap_err();
        let s = err.0.to_string();
        assert!(s.contains("connections.yaml:6:13 connections.bad.system: unknown system 'fle' (did you mean 'file'?)"), "{s}");
        assert!(s.contains("connections.worse.note: the environment variable NOPE is not set"), "{s}");
        let ok = Connections::parse("c.yaml", "connections:\n  files:\n    system: file\n    note: \"${HOME_X}/x\"\n", &env).unwrap();
        assert_eq!(ok.get("files").unwrap().settings["note"], "/home/x/x");
        assert!(ok.get("file").is_some());
    }
}
