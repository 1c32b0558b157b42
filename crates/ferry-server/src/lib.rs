//! HTTP API and web UI: not built yet (a later issue).
