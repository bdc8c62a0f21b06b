//! Headcount: count the people in a photo with a paid cloud API.
//!
//! The layers, each depending only on those above it:
//! - [`api`]: the cloud contract (request, answer, typed errors, retry policy);
//! - [`prepare`]: bytes to an upload that meets the API's limits, plus previews;
//! - [`secret`]: the AppCode in the OS keyring, behind a redacted type;
//! - [`engine`]: inputs, jobs and batches on a tokio runtime;
//! - [`cli`]: the command line over the engine;
//! - [`ui`]: the eframe window, which draws state and sends commands.

pub mod api;
pub mod cli;
pub mod engine;
pub mod i18n;
pub mod prepare;
pub mod secret;
pub mod ui;

rust_i18n::i18n!("locales", fallback = "en");
