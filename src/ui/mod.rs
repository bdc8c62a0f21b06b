//! The window: eframe/egui panels that draw state and send commands to the engine.

use std::path::PathBuf;

use crate::i18n::Lang;

/// How the window is started. Everything is optional; `Default` opens a plain window.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The API's full URL; `None` keeps the saved setting (or the vendor's endpoint).
    pub endpoint: Option<String>,
    /// The language for this run; `None` keeps the saved setting (or the system's).
    pub lang: Option<Lang>,
    /// `"wgpu"` or `"glow"` forces one renderer; `None` tries wgpu, then glow.
    pub renderer: Option<String>,
    /// Draw this many frames, then close cleanly (smoke tests).
    pub exit_after_frames: Option<u32>,
    /// Save a screenshot of the window here, then close (used with `exit_after_frames`).
    pub screenshot: Option<PathBuf>,
    /// Files, folders or URLs to count as soon as the window opens.
    pub open: Vec<String>,
}

/// Open the window and run until it is closed.
pub fn run(options: RunOptions) -> anyhow::Result<()> {
    let _ = options;
    anyhow::bail!("the window is not built yet")
}
