//! Integration tests of the Kingdee simulator over real sockets on 127.0.0.1, with a small
//! test-only client written from the reference (`client.rs`).

mod body_shapes;
mod client;
mod faults;
mod inspect;
mod lifecycle;
mod login;
mod query;
mod save;
mod sessions;
