//! The ocrchat service: HTTP API (poem + poem-openapi), configuration, wiring, and the `ocrchat`
//! command line.
//!
//! This is the only crate that sees every other one: it reads the `Config`, builds the store,
//! queue and engines, and hands each crate its small options struct. `error.rs` is the one place
//! where errors of other crates become HTTP statuses.

pub mod allow;
pub mod app;
pub mod auth;
pub mod chat;
pub mod cli;
pub mod config;
pub mod connection;
pub mod error;
pub mod export;
pub mod gate;
pub mod job_cache;
pub mod rate_limit;
pub mod request_log;
pub mod routes;
pub mod spec_shape;
pub mod views;
pub mod wait;
pub mod web;

pub use app::{start, Roles, Running};
pub use config::Config;
