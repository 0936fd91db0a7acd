//! shiplint: a security linter for the configuration that ships code to AWS.
pub mod syntax;
