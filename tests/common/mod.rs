//! Helpers shared by the end-to-end tests. Each test binary uses only part of them.
#![allow(dead_code)]

pub mod fake_api;
