//! The [`Catalog`] validation uses: the configured connections and the connectors' metadata.

use ferry_core::metadata::ApiMeta;
use ferry_core::scheme::Catalog;

use crate::connections::Connections;

pub struct EngineCatalog<'a> {
    pub connections: &'a Connections,
}

impl Catalog for EngineCatalog<'_> {
    fn connection_system(&self, connection: &str) -> Option<String> {
        self.connections.get(connection).map(|c| c.system.clone())
    }
    fn connection_names(&self) -> Vec<String> {
        self.connections.by_name.keys().cloned().collect()
    }
    fn apis(&self, system: &str) -> Vec<String> {
        ferry_connectors::connector(system).map(|c| c.apis()).unwrap_or_default()
    }
    fn api_meta(&self, system: &str, api: &str, form: Option<&str>) -> Result<Option<ApiMeta>, String> {
        match ferry_connectors::connector(system) {
            Some(c) => c.api_meta(api, form),
            None => Err(format!("no connector for system '{system}'")),
        }
    }
}
