//! The window: eframe/egui panels that draw state and send commands to the engine.
//!
//! [`run`] opens the window; [`HeadcountApp`] is the app itself, which tests build with
//! injected dependencies ([`Deps`]). Each panel lives in its own file and is a free
//! function `*_ui(ui, state, ...)`; background work (reading, decoding, calls, the
//! keyring, file dialogs) goes through [`tasks`] and never runs on the UI thread.

mod app;
mod errors;
mod fonts;
mod main_view;
mod results_list;
mod settings;
mod tasks;
mod theme;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::i18n::Lang;

pub use app::{Deps, HeadcountApp};
pub use fonts::install_fonts;
pub use settings::Settings;
pub use theme::ThemePref;

/// Environment variable that forces a renderer: `wgpu` or `glow`.
pub const RENDERER_ENV: &str = "HEADCOUNT_RENDERER";
/// Set to `1` to use native Wayland instead of XWayland (file drops do not work there).
pub const WAYLAND_ENV: &str = "HEADCOUNT_WAYLAND";
/// Environment variable with the API endpoint, like the command line's `--endpoint`.
pub const ENDPOINT_ENV: &str = "HEADCOUNT_ENDPOINT";

/// How the window is started. Everything is optional; `Default` opens a plain window.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The API's full URL for this run; `None` keeps the saved setting (or
    /// `HEADCOUNT_ENDPOINT`, or the vendor's endpoint).
    pub endpoint: Option<String>,
    /// The language for this run; `None` keeps the saved setting (or the system's).
    pub lang: Option<Lang>,
    /// `"wgpu"` or `"glow"` forces one renderer; `None` tries wgpu, then glow.
    pub renderer: Option<String>,
    /// Draw this many frames, then close cleanly (smoke tests).
    pub exit_after_frames: Option<u32>,
    /// Save a PNG of the window here once the work started at launch has finished, then
    /// close. Counts as `exit_after_frames` of 10 when that is not given.
    pub screenshot: Option<PathBuf>,
    /// Files, folders or http(s) URLs (given as paths) to count as soon as the window opens.
    pub open: Vec<PathBuf>,
}

/// The renderers eframe is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Wgpu,
    Glow,
}

impl Backend {
    fn renderer(self) -> eframe::Renderer {
        match self {
            Self::Wgpu => eframe::Renderer::Wgpu,
            Self::Glow => eframe::Renderer::Glow,
        }
    }
}

/// Which renderers to try, in order.
fn backends(forced: Option<&str>) -> anyhow::Result<Vec<Backend>> {
    match forced
        .map(|name| name.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("auto") => Ok(vec![Backend::Wgpu, Backend::Glow]),
        Some("wgpu") => Ok(vec![Backend::Wgpu]),
        Some("glow" | "gl" | "opengl") => Ok(vec![Backend::Glow]),
        Some(other) => anyhow::bail!("unknown renderer {other:?}; use \"wgpu\" or \"glow\""),
    }
}

/// Open the window and run until it is closed.
///
/// Tries wgpu first and falls back to glow (OpenGL) when wgpu cannot start; when neither
/// can, says so on stderr and returns the error.
pub fn run(options: RunOptions) -> anyhow::Result<()> {
    let forced = options
        .renderer
        .clone()
        .or_else(|| std::env::var(RENDERER_ENV).ok());
    let backends = backends(forced.as_deref())?;

    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("headcount-worker")
            .enable_all()
            .build()
            .context("cannot start the background runtime")?,
    );
    let deps = Deps {
        runtime: Arc::clone(&runtime),
        keyring: None,
        endpoint: options
            .endpoint
            .clone()
            .or_else(|| std::env::var(ENDPOINT_ENV).ok()),
        lang: options.lang,
        open: options.open.clone(),
        exit_after_frames: options
            .exit_after_frames
            .or(options.screenshot.as_ref().map(|_| 10)),
        screenshot: options.screenshot.clone(),
    };

    let mut failures = Vec::new();
    let mut hook = Some(event_loop_hook());
    for backend in backends {
        let started = std::time::Instant::now();
        let native_options = native_options(backend, hook.take());
        let deps = deps.clone();
        let result = eframe::run_native(
            "Headcount",
            native_options,
            Box::new(move |cc| {
                tracing::info!(
                    ?backend,
                    startup_ms = started.elapsed().as_millis() as u64,
                    "window created"
                );
                Ok(Box::new(HeadcountApp::new(cc, deps)))
            }),
        );
        match result {
            Ok(()) => return Ok(()),
            Err(err) => {
                tracing::warn!(?backend, %err, "renderer failed to start");
                eprintln!("headcount: the {backend:?} renderer could not start: {err}");
                failures.push(format!("{backend:?}: {err}"));
            }
        }
    }
    let message = format!(
        "the window could not be opened with any renderer ({}). Try `--renderer glow` or \
         `--renderer wgpu`, update the graphics driver, or use the command line \
         (`headcount count FILE`).",
        failures.join("; ")
    );
    eprintln!("headcount: {message}");
    anyhow::bail!(message)
}

fn native_options(
    backend: Backend,
    event_loop_builder: Option<eframe::EventLoopBuilderHook>,
) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Headcount")
        .with_app_id("headcount")
        .with_inner_size([1100.0, 720.0])
        .with_min_inner_size([640.0, 420.0])
        .with_drag_and_drop(true);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(err) => tracing::warn!(%err, "the built-in icon could not be decoded"),
    }
    eframe::NativeOptions {
        viewport,
        renderer: backend.renderer(),
        event_loop_builder,
        ..Default::default()
    }
}

/// On Linux under Wayland, use XWayland: winit delivers no file drops natively on Wayland.
/// `HEADCOUNT_WAYLAND=1` keeps native Wayland.
#[cfg(target_os = "linux")]
fn event_loop_hook() -> eframe::EventLoopBuilderHook {
    Box::new(|builder| {
        use winit::platform::x11::EventLoopBuilderExtX11 as _;

        let on_wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty());
        let has_x11 = std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty());
        let opted_out = std::env::var(WAYLAND_ENV).as_deref() == Ok("1");
        if on_wayland && has_x11 && !opted_out {
            tracing::info!(
                "using XWayland so that dropped files arrive ({WAYLAND_ENV}=1 to opt out)"
            );
            builder.with_x11();
        }
    })
}

#[cfg(not(target_os = "linux"))]
fn event_loop_hook() -> eframe::EventLoopBuilderHook {
    Box::new(|_builder| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renderer_names_are_read_leniently() {
        assert_eq!(
            backends(None).expect("auto"),
            vec![Backend::Wgpu, Backend::Glow]
        );
        assert_eq!(backends(Some(" GLOW ")).expect("glow"), vec![Backend::Glow]);
        assert_eq!(backends(Some("wgpu")).expect("wgpu"), vec![Backend::Wgpu]);
        assert!(backends(Some("vulkan")).is_err());
    }
}
