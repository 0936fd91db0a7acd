//! shiplint: a security linter for the configuration that ships code to AWS.
//!
//! Data flows one way: [`discover`] finds and classifies files, [`syntax`]
//! parses them into span-carrying trees, [`rules`] report findings against
//! those trees, [`engine`] locates, suppresses and sorts them, and [`report`]
//! renders the result.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod diff;
pub mod discover;
pub mod engine;
pub mod eval;
pub mod finding;
pub mod fix;
pub mod hook;
pub mod model;
pub mod program;
pub mod repo;
pub mod report;
pub mod rules;
pub mod shell;
pub mod source;
pub mod suppress;
pub mod syntax;
