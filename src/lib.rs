//! pqg: progressive quality gates.
//!
//! Data flows one way: config → plan → run → judge → report → exit code
//! (DESIGN §1). Each stage is a module; none reaches back to an earlier one.

pub mod baseline;
pub mod builtin;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diag;
pub mod files;
pub mod fmt;
pub mod git;
pub mod judge;
pub mod log;
pub mod outcome;
pub mod parsers;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod run;
pub mod schema;
pub mod settings;
pub mod sys;
