//! Jobs and batches.
