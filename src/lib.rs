//! pqg: progressive quality gates.
//!
//! Data flows one way: config → plan → run → judge → report → exit code
//! (DESIGN §1). Each stage is a module; none reaches back to an earlier one.

pub mod app;
pub mod baseline;
pub mod builtin;
pub mod cache;
pub mod cli;
pub mod config;
pub mod diag;
pub mod git;
pub mod judge;
pub mod log;
pub mod parsers;
pub mod plan;
pub mod report;
pub mod run;
pub mod schema;
pub mod settings;
pub mod sys;
