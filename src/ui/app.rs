//! The app's state and its frame: route input and background events to state, then draw
//! the panels. No I/O happens here; it is all sent to [`Tasks`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_i18n::t;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::fonts;
use super::main_view::{self, MainCommand};
use super::results_list::{self, ListCommand};
use super::settings::{self, Settings, SettingsCommand, SettingsPanel};
use super::tasks::{Event, ItemError, KeyringAction, Tasks};
use super::theme;
use crate::api::Count;
use crate::engine::{Input, JobError, UploadSummary};
use crate::i18n::Lang;
use crate::secret::{AppCode, Keyring};

mod draw;
mod input;

/// What the app needs from outside; tests inject a mock keyring and a local endpoint.
#[derive(Clone)]
pub struct Deps {
    /// The runtime that runs all background work; it must outlive the app.
    pub runtime: Arc<Runtime>,
    /// `None`: use the platform's keyring (looked up in the background).
    pub keyring: Option<Keyring>,
    /// Overrides the saved endpoint for this run.
    pub endpoint: Option<String>,
    /// Overrides the saved language.
    pub lang: Option<Lang>,
    /// Files, folders or URLs to count at start.
    pub open: Vec<PathBuf>,
    pub exit_after_frames: Option<u32>,
    pub screenshot: Option<PathBuf>,
}

impl Deps {
    /// Dependencies for tests: a given keyring, endpoint and language, a fresh runtime.
    pub fn for_tests(keyring: Keyring, endpoint: &str, lang: Lang) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a test runtime starts");
        Self {
            runtime: Arc::new(runtime),
            keyring: Some(keyring),
            endpoint: Some(endpoint.to_owned()),
            lang: Some(lang),
            open: Vec::new(),
            exit_after_frames: None,
            screenshot: None,
        }
    }
}

/// Where one input stands.
pub enum ItemStatus {
    Queued,
    Running,
    Done(Count),
    Failed(ItemError),
    Cancelled,
}

/// One input of this session and its result.
pub struct Item {
    pub id: u64,
    pub input: Input,
    pub name: String,
    pub status: ItemStatus,
    pub upload: Option<UploadSummary>,
    pub elapsed: Option<Duration>,
    /// Why there is no preview (URLs have none; undecodable files neither).
    pub preview_error: Option<String>,
    /// The count is an earlier item's: the same photo was not sent again.
    pub reused: bool,
}

/// The photo on screen: only the selected item's, to keep memory flat in long batches.
pub struct Preview {
    pub item: u64,
    pub texture: egui::TextureHandle,
}

struct Toast {
    text: String,
    until: f64,
}

#[derive(PartialEq)]
enum Screenshot {
    NotYet,
    Requested,
    Done,
}

/// The window.
pub struct HeadcountApp {
    settings: Settings,
    /// The endpoint saved before a command-line override, written back on save.
    saved_endpoint: Option<String>,
    panel: SettingsPanel,
    tasks: Tasks,
    items: Vec<Item>,
    next_id: u64,
    selected: Option<u64>,
    /// The selection follows the item being counted until the user picks a row.
    follow: bool,
    running: Option<(u64, JoinHandle<()>)>,
    preview: Option<Preview>,
    preview_loading: Option<u64>,
    url_input: String,
    toasts: Vec<Toast>,
    paste_requested_at: Option<f64>,
    /// When the last paste event arrived (typing into a field included).
    last_paste_event: Option<f64>,
    frames: u32,
    launched: Instant,
    exit_after_frames: Option<u32>,
    screenshot_path: Option<PathBuf>,
    screenshot: Screenshot,
}

impl HeadcountApp {
    pub fn new(cc: &eframe::CreationContext<'_>, deps: Deps) -> Self {
        let ctx = cc.egui_ctx.clone();
        fonts::install_fonts(&ctx, None);

        let mut settings: Settings = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        let mut saved_endpoint = None;
        if let Some(endpoint) = deps.endpoint.filter(|e| !e.trim().is_empty()) {
            saved_endpoint = Some(std::mem::replace(&mut settings.endpoint, endpoint));
        }
        if let Some(lang) = deps.lang {
            settings.lang = lang;
        }
        theme::apply(&ctx, settings.theme);

        let tasks = Tasks::new(deps.runtime, ctx);
        tasks.find_system_font();
        tasks.load_appcode(deps.keyring);
        let opened: Vec<Input> = deps
            .open
            .iter()
            .map(|arg| Input::from_arg(&arg.to_string_lossy()))
            .collect();
        if !opened.is_empty() {
            tasks.add_inputs(opened);
        }

        Self {
            settings,
            saved_endpoint,
            panel: SettingsPanel::default(),
            tasks,
            items: Vec::new(),
            next_id: 1,
            selected: None,
            follow: true,
            running: None,
            preview: None,
            preview_loading: None,
            url_input: String::new(),
            toasts: Vec::new(),
            paste_requested_at: None,
            last_paste_event: None,
            frames: 0,
            launched: Instant::now(),
            exit_after_frames: deps.exit_after_frames,
            screenshot_path: deps.screenshot,
            screenshot: Screenshot::NotYet,
        }
    }

    fn lang(&self) -> Lang {
        self.settings.lang
    }

    fn toast(&mut self, ctx: &egui::Context, text: String) {
        let now = ctx.input(|i| i.time);
        self.toasts.push(Toast {
            text,
            until: now + 4.0,
        });
    }

    fn busy(&self) -> bool {
        self.items
            .iter()
            .any(|item| matches!(item.status, ItemStatus::Queued | ItemStatus::Running))
    }

    fn item_mut(&mut self, id: u64) -> Option<&mut Item> {
        self.items.iter_mut().find(|item| item.id == id)
    }

    // ---- Background events ----

    fn handle_events(&mut self, ctx: &egui::Context) {
        for event in self.tasks.drain() {
            match event {
                Event::AppCode(state) => {
                    self.panel.appcode = Some(state);
                    self.panel.busy = false;
                }
                Event::KeyringDone { action, result } => self.keyring_done(action, result),
                Event::Inputs(inputs) => self.add_items(ctx, inputs),
                Event::Preview { item, image } => self.preview_arrived(ctx, item, image),
                Event::Finished {
                    item,
                    upload,
                    outcome,
                    elapsed,
                    reused,
                } => {
                    if self.running.as_ref().is_some_and(|(id, _)| *id == item) {
                        self.running = None;
                    }
                    self.finished(item, upload, outcome, elapsed, reused);
                }
                Event::TestDone(result) => {
                    self.panel.testing = false;
                    self.panel.test_result = Some(result);
                }
                Event::Picked { paths, available } => {
                    if !available {
                        self.toast(
                            ctx,
                            t!("ui.toast.no_dialog", locale = self.lang().code()).into(),
                        );
                    } else if !paths.is_empty() {
                        self.tasks
                            .add_inputs(paths.into_iter().map(Input::Path).collect());
                    }
                }
                Event::SystemFont(found) => {
                    if found.is_some() {
                        fonts::install_fonts(ctx, found);
                    }
                }
                Event::Screenshot(image) => {
                    if let Some(path) = self.screenshot_path.clone() {
                        self.tasks.save_screenshot(image, path);
                    }
                }
                Event::ScreenshotSaved(result) => {
                    match result {
                        Ok(path) => tracing::info!(path = %path.display(), "screenshot saved"),
                        Err(err) => tracing::error!(%err, "screenshot not saved"),
                    }
                    self.screenshot = Screenshot::Done;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    fn keyring_done(
        &mut self,
        action: KeyringAction,
        result: Result<(), crate::secret::SecretError>,
    ) {
        let locale = self.lang().code();
        match result {
            Ok(()) => {
                let (key, unusual) = match &action {
                    KeyringAction::Save(code) => {
                        self.panel.appcode_input.clear();
                        self.panel.show_appcode = false;
                        ("ui.settings.saved", !code.is_typical())
                    }
                    KeyringAction::Clear => ("ui.settings.cleared", false),
                };
                let mut notice = t!(key, locale = locale).into_owned();
                if unusual {
                    notice = format!("{notice}\n{}", t!("appcode.unusual", locale = locale));
                }
                self.panel.notice = Some(Ok(notice));
            }
            Err(err) => {
                self.panel.notice = Some(Err(t!(
                    "ui.err.keyring",
                    locale = locale,
                    reason = crate::i18n::secret_error_text(self.lang(), &err)
                )
                .into()));
            }
        }
        let keyring = self
            .panel
            .appcode
            .as_ref()
            .and_then(|state| state.keyring.clone().ok());
        self.tasks.load_appcode(keyring);
    }

    fn add_items(&mut self, ctx: &egui::Context, inputs: Vec<Input>) {
        if inputs.is_empty() {
            self.toast(
                ctx,
                t!("ui.toast.nothing_found", locale = self.lang().code()).into(),
            );
            return;
        }
        let first = self.next_id;
        for input in inputs {
            let preview_error = matches!(input, Input::Url(_)).then(|| "url".to_owned());
            self.items.push(Item {
                id: self.next_id,
                name: input.short_label(),
                input,
                status: ItemStatus::Queued,
                upload: None,
                elapsed: None,
                preview_error,
                reused: false,
            });
            self.next_id += 1;
        }
        self.selected = Some(first);
        self.follow = true;
    }

    fn finished(
        &mut self,
        item: u64,
        upload: Option<UploadSummary>,
        outcome: Result<Count, ItemError>,
        elapsed: Duration,
        reused: bool,
    ) {
        // After an answer every later call would repeat (wrong AppCode, quota used up…),
        // the rest of the queue is not sent: each call could cost money and none can
        // succeed. "Retry failed" sends them once the cause is fixed. Known shortcoming:
        // unlike the CLI, a queued file that could never be sent (missing, not an image)
        // is also marked "not sent" here; it shows its own error only after a retry.
        if let Err(ItemError::Job(JobError::Api(failure))) = &outcome
            && failure.error.stops_batch()
        {
            for queued in &mut self.items {
                if matches!(queued.status, ItemStatus::Queued) {
                    let skipped = JobError::Skipped(failure.error.clone());
                    queued.status = ItemStatus::Failed(ItemError::Job(skipped));
                }
            }
        }
        if let Some(entry) = self.item_mut(item) {
            entry.upload = upload;
            entry.elapsed = Some(elapsed);
            entry.reused = reused;
            entry.status = match outcome {
                Ok(count) => ItemStatus::Done(count),
                Err(error) => ItemStatus::Failed(error),
            };
        }
    }

    /// Queue again every item that failed for a reason a retry can change, or was
    /// cancelled. Files that cannot be read or prepared would only fail the same way.
    fn retry_failed(&mut self) {
        let mut first = None;
        for item in &mut self.items {
            let again = match &item.status {
                ItemStatus::Cancelled => true,
                ItemStatus::Failed(error) => error.may_pass_on_retry(),
                _ => false,
            };
            if again {
                item.status = ItemStatus::Queued;
                first.get_or_insert(item.id);
            }
        }
        if first.is_some() {
            self.selected = first;
            self.follow = true;
        }
    }

    fn preview_arrived(
        &mut self,
        ctx: &egui::Context,
        item: u64,
        image: Result<egui::ColorImage, crate::engine::JobError>,
    ) {
        if self.preview_loading == Some(item) {
            self.preview_loading = None;
        }
        match image {
            Ok(image) if self.selected == Some(item) => {
                let texture = ctx.load_texture(
                    format!("preview-{item}"),
                    image,
                    egui::TextureOptions::LINEAR,
                );
                self.preview = Some(Preview { item, texture });
            }
            Ok(_) => {}
            Err(err) => {
                if let Some(entry) = self.item_mut(item) {
                    entry.preview_error = Some(err.to_string());
                }
            }
        }
    }

    // ---- Work queue ----

    fn pump_queue(&mut self, ctx: &egui::Context) {
        if self.running.is_some() {
            return;
        }
        // Wait for the keyring before the first call, so "no AppCode" is never a race.
        let Some(state) = &self.panel.appcode else {
            return;
        };
        let appcode: Option<AppCode> = state
            .resolved
            .as_ref()
            .ok()
            .and_then(|found| found.as_ref().map(|(code, _)| code.clone()));
        // With no keyring at all, "no AppCode" would send the user to a Settings page
        // that cannot store one; say that the keyring is missing instead.
        let keyring_error = state
            .resolved
            .as_ref()
            .err()
            .or(state.keyring.as_ref().err())
            .cloned();
        let Some(next) = self
            .items
            .iter_mut()
            .find(|item| matches!(item.status, ItemStatus::Queued))
        else {
            return;
        };
        if let (None, Some(err)) = (&appcode, keyring_error) {
            next.status = ItemStatus::Failed(ItemError::Keyring(err));
            return;
        }
        next.status = ItemStatus::Running;
        let id = next.id;
        let input = next.input.clone();
        let side = preview_side(ctx);
        let handle = self
            .tasks
            .count(id, input, appcode, self.settings.connection(), side);
        self.running = Some((id, handle));
        if self.follow {
            self.selected = Some(id);
        }
    }

    fn cancel(&mut self) {
        if let Some((id, handle)) = self.running.take() {
            handle.abort();
            if let Some(item) = self.item_mut(id) {
                item.status = ItemStatus::Cancelled;
            }
        }
        for item in &mut self.items {
            if matches!(item.status, ItemStatus::Queued) {
                item.status = ItemStatus::Cancelled;
            }
        }
    }

    fn ensure_preview(&mut self, ctx: &egui::Context) {
        let Some(selected) = self.selected else {
            return;
        };
        if self.preview.as_ref().is_some_and(|p| p.item == selected)
            || self.preview_loading == Some(selected)
        {
            return;
        }
        let Some(item) = self.items.iter().find(|item| item.id == selected) else {
            return;
        };
        let job_brings_it = matches!(item.status, ItemStatus::Queued | ItemStatus::Running);
        if item.preview_error.is_some() || job_brings_it {
            return;
        }
        self.preview_loading = Some(selected);
        self.tasks
            .preview(selected, item.input.clone(), preview_side(ctx));
    }

    fn smoke_test_hooks(&mut self, ctx: &egui::Context) {
        self.frames = self.frames.saturating_add(1);
        if self.frames == 1 {
            tracing::info!(
                first_frame_ms = self.launched.elapsed().as_millis() as u64,
                "first frame"
            );
        }
        let Some(limit) = self.exit_after_frames else {
            return;
        };
        let waited_too_long = self.launched.elapsed() > Duration::from_secs(60);
        let no_preview_coming = self.selected.is_none_or(|id| {
            self.items
                .iter()
                .any(|item| item.id == id && item.preview_error.is_some())
        });
        let settled = !self.busy()
            && self.preview_loading.is_none()
            && self.panel.appcode.is_some()
            && (no_preview_coming || self.preview.is_some() || waited_too_long);
        if self.frames < limit || !(settled || waited_too_long) {
            ctx.request_repaint_after(Duration::from_millis(50));
            return;
        }
        if self.screenshot_path.is_none() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        } else if self.screenshot == Screenshot::NotYet {
            self.screenshot = Screenshot::Requested;
            let (sender, waker) = self.tasks.sender();
            let callback = egui::ScreenshotCallback::new(move |image| {
                let _ = sender.send(Event::Screenshot(image));
                waker.request_repaint();
            });
            ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(callback));
        }
    }
}

impl eframe::App for HeadcountApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.handle_events(&ctx);
        self.handle_input(&ctx);
        self.pump_queue(&ctx);
        self.ensure_preview(&ctx);

        self.draw(ui);

        if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            main_view::drop_overlay_ui(&ctx, self.lang());
        }
        self.toasts_ui(&ctx);
        self.smoke_test_hooks(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let mut settings = self.settings.clone();
        if let Some(saved) = &self.saved_endpoint {
            settings.endpoint = saved.clone();
        }
        eframe::set_value(storage, eframe::APP_KEY, &settings);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.cancel();
    }
}

/// The largest preview side: the GPU's limit, and no more than a screen needs.
fn preview_side(ctx: &egui::Context) -> u32 {
    let max_texture_side = ctx.input(|i| i.max_texture_side);
    max_texture_side.min(2560) as u32
}
