//! Counts already paid for in this session, so the same photo is not sent twice.
//!
//! The key is the endpoint and the BLAKE3 hash of the uploaded bytes: the same bytes get
//! the same answer, whatever the file is called or however often it was dropped. URLs are
//! never cached, because the image behind an address (a live camera) changes. Only
//! successes are kept; a failure leaves the next attempt free to try again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::api::Count;

/// Endpoint and upload hash.
type Key = (String, String);

/// Shared by every job of a batch (the CLI) or a window session; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct CountCache {
    cells: Arc<Mutex<HashMap<Key, Arc<OnceCell<Count>>>>>,
}

impl CountCache {
    /// The slot for this endpoint and upload hash. Two jobs with the same upload share
    /// it: the second waits for the first's call instead of making its own.
    pub(super) fn slot(&self, endpoint: &str, hash: &str) -> Arc<OnceCell<Count>> {
        let mut cells = self
            .cells
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            cells
                .entry((endpoint.to_owned(), hash.to_owned()))
                .or_default(),
        )
    }
}
