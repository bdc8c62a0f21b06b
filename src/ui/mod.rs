//! The window. (Placeholder until the eframe app lands.)

/// How to start the window.
#[derive(Debug, Default)]
pub struct RunOptions {
    pub endpoint: Option<String>,
    pub lang: Option<crate::i18n::Lang>,
    pub renderer: Option<String>,
    pub exit_after_frames: Option<u32>,
    pub open: Vec<std::path::PathBuf>,
    pub screenshot: Option<std::path::PathBuf>,
}

pub fn run(_options: RunOptions) -> anyhow::Result<()> {
    anyhow::bail!("the window is not built yet; use `headcount count`")
}
