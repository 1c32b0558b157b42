//! Ferry's pure core: the scheme model and its validation, the mapping engine, API metadata and
//! the connector traits. No IO happens here.

pub mod connector;
pub mod diag;
pub mod metadata;
pub mod yaml;
pub mod hash;
pub mod mapping;
pub mod scheme;
