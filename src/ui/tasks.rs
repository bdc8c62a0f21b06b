//! Background work for the window: everything that reads files, decodes, calls the
//! service, touches the keyring or opens a dialog runs on the app's tokio runtime and
//! reports back as an [`Event`], waking the UI with `request_repaint`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::api::{Client, ClientConfig, Count};
use crate::engine::{self, Input, JobError, UploadSummary};
use crate::secret::{self, AppCode, Keyring, SecretError, Source};

/// The bundled photo sent by Settings' "Test" button.
const TEST_PHOTO: &[u8] = include_bytes!("../../assets/test-photo.jpg");

/// Why an item has no count.
#[derive(Clone, Debug)]
pub enum ItemError {
    /// No AppCode is set: the user has to open Settings.
    NoAppCode,
    /// The AppCode could not be read from the keyring.
    Keyring(SecretError),
    /// The endpoint in Settings is not a URL.
    BadEndpoint(String),
    Job(JobError),
}

impl ItemError {
    /// Whether trying again can give another answer: not for a file that cannot be read
    /// or prepared, which fails the same way without reaching the service.
    pub fn may_pass_on_retry(&self) -> bool {
        match self {
            Self::NoAppCode | Self::Keyring(_) | Self::BadEndpoint(_) => true,
            Self::Job(JobError::Api(_) | JobError::Skipped(_)) => true,
            Self::Job(
                JobError::Read(_)
                | JobError::FileTooLarge(_)
                | JobError::UnsupportedAddress(_)
                | JobError::Prepare(_),
            ) => false,
        }
    }
}

/// The AppCode in use and where it came from, as read by the last keyring task.
#[derive(Clone, Debug)]
pub struct AppCodeState {
    /// The keyring, or why there is none.
    pub keyring: Result<Keyring, SecretError>,
    /// The code in use: from `HEADCOUNT_APPCODE` or the keyring.
    pub resolved: Result<Option<(AppCode, Source)>, SecretError>,
}

/// A change to the stored AppCode.
#[derive(Clone, Debug)]
pub enum KeyringAction {
    Save(AppCode),
    Clear,
}

/// What background work reports back.
pub enum Event {
    AppCode(AppCodeState),
    KeyringDone {
        action: KeyringAction,
        result: Result<(), SecretError>,
    },
    /// Inputs to append to the list (folders already expanded).
    Inputs(Vec<Input>),
    Preview {
        item: u64,
        image: Result<egui::ColorImage, JobError>,
    },
    Finished {
        item: u64,
        upload: Option<UploadSummary>,
        outcome: Result<Count, ItemError>,
        elapsed: Duration,
        /// The count came from an earlier item with the same bytes; nothing was sent.
        reused: bool,
    },
    TestDone(Result<Count, ItemError>),
    /// The file dialog closed; `available` is false when no dialog could be shown.
    Picked {
        paths: Vec<PathBuf>,
        available: bool,
    },
    /// A system CJK font (file bytes and face index), when one was found.
    SystemFont(Option<(Vec<u8>, u32)>),
    /// The window's pixels, for `RunOptions::screenshot`.
    Screenshot(Arc<egui::ColorImage>),
    ScreenshotSaved(Result<PathBuf, String>),
}

/// Where the service is and how long to wait for it.
#[derive(Clone, Debug)]
pub struct Connection {
    pub endpoint: String,
    pub timeout: Duration,
}

impl Connection {
    fn client(&self) -> Result<Client, ItemError> {
        let endpoint = url::Url::parse(self.endpoint.trim())
            .map_err(|err| ItemError::BadEndpoint(err.to_string()))?;
        let config = ClientConfig {
            endpoint,
            timeout: self.timeout,
            ..ClientConfig::default()
        };
        Client::new(config).map_err(|err| ItemError::Job(JobError::from(failure(err))))
    }
}

fn failure(error: crate::api::ApiError) -> crate::api::Failure {
    crate::api::Failure {
        error,
        code: None,
        request_id: None,
        service_message: None,
        gateway_code: None,
        attempts: 0,
        elapsed: Duration::ZERO,
    }
}

/// The runtime and the channel back to the UI.
pub struct Tasks {
    runtime: Arc<Runtime>,
    ctx: egui::Context,
    sender: Sender<Event>,
    receiver: Receiver<Event>,
    /// Counts of this session by upload, so a photo dropped again is not paid for again.
    counted: engine::CountCache,
}

impl Tasks {
    pub fn new(runtime: Arc<Runtime>, ctx: egui::Context) -> Self {
        let (sender, receiver) = channel();
        Self {
            runtime,
            ctx,
            sender,
            receiver,
            counted: engine::CountCache::default(),
        }
    }

    /// The events that arrived since the last frame.
    pub fn drain(&self) -> Vec<Event> {
        self.receiver.try_iter().collect()
    }

    fn spawn<F>(&self, work: F) -> JoinHandle<()>
    where
        F: Future<Output = Event> + Send + 'static,
    {
        let (sender, ctx) = (self.sender.clone(), self.ctx.clone());
        self.runtime.spawn(async move {
            let event = work.await;
            // The window may be gone; then nobody needs the answer.
            let _ = sender.send(event);
            ctx.request_repaint();
        })
    }

    /// Find the keyring (unless one is given) and the AppCode in use.
    pub fn load_appcode(&self, keyring: Option<Keyring>) {
        self.spawn(async move {
            let found = tokio::task::spawn_blocking(move || {
                let keyring = keyring.map_or_else(Keyring::native, Ok);
                let resolved = secret::resolve(keyring.as_ref().ok());
                AppCodeState { keyring, resolved }
            })
            .await;
            Event::AppCode(found.unwrap_or_else(|err| AppCodeState {
                keyring: Err(SecretError::Failed(err.to_string())),
                resolved: Err(SecretError::Failed(err.to_string())),
            }))
        });
    }

    pub fn change_keyring(&self, keyring: Keyring, action: KeyringAction) {
        self.spawn(async move {
            let task_action = action.clone();
            let result = tokio::task::spawn_blocking(move || match &task_action {
                KeyringAction::Save(code) => keyring.save(code),
                KeyringAction::Clear => keyring.clear(),
            })
            .await
            .unwrap_or_else(|err| Err(SecretError::Failed(err.to_string())));
            Event::KeyringDone { action, result }
        });
    }

    /// Expand folders into the images inside them (a walk of the file system).
    pub fn add_inputs(&self, inputs: Vec<Input>) {
        self.spawn(async move {
            let expanded = tokio::task::spawn_blocking(move || engine::expand(inputs)).await;
            Event::Inputs(expanded.unwrap_or_default())
        });
    }

    /// Turn a pasted bitmap into PNG bytes, then add it like a dropped file.
    pub fn add_pasted_image(&self, image: Arc<egui::ColorImage>, name: String) {
        self.spawn(async move {
            let encoded = tokio::task::spawn_blocking(move || encode_png(&image)).await;
            match encoded {
                Ok(Ok(bytes)) => Event::Inputs(vec![Input::Bytes {
                    name,
                    bytes: Arc::new(bytes),
                }]),
                _ => Event::Inputs(Vec::new()),
            }
        });
    }

    /// Count one item: read, preview and prepare, then call the service.
    pub fn count(
        &self,
        item: u64,
        input: Input,
        appcode: Option<AppCode>,
        connection: Connection,
        preview_side: u32,
    ) -> JoinHandle<()> {
        let (sender, ctx) = (self.sender.clone(), self.ctx.clone());
        let cache = self.counted.clone();
        self.spawn(async move {
            let started = Instant::now();
            let finished = |upload, outcome| Event::Finished {
                item,
                upload,
                outcome,
                elapsed: started.elapsed(),
                reused: false,
            };

            let bytes = match engine::read(&input).await {
                Ok(bytes) => bytes,
                Err(err) => return finished(None, Err(ItemError::Job(err))),
            };
            let ready = match (appcode, connection.client()) {
                (Some(appcode), Ok(client)) => Ok((appcode, client)),
                (None, _) => Err(ItemError::NoAppCode),
                (_, Err(err)) => Err(err),
            };
            let (appcode, client) = match ready {
                Ok(ready) => ready,
                Err(err) => {
                    // Nothing will be sent, but the user still sees what they dropped.
                    if let Some(bytes) = bytes {
                        let image = decode_preview(bytes, preview_side).await;
                        let _ = sender.send(Event::Preview { item, image });
                    }
                    return finished(None, Err(err));
                }
            };
            // One decode feeds both the preview (shown at once) and the upload.
            let upload = match bytes {
                Some(bytes) => {
                    let show = move |preview: Result<image::RgbaImage, JobError>| {
                        let image = preview.map(|rgba| color_image(&rgba));
                        let _ = sender.send(Event::Preview { item, image });
                        ctx.request_repaint();
                    };
                    match engine::prepare_with_preview(bytes, preview_side, show).await {
                        Ok(upload) => Some(upload),
                        Err(err) => return finished(None, Err(ItemError::Job(err))),
                    }
                }
                None => None,
            };
            let report = engine::send(&client, &appcode, input, upload, started, &cache).await;
            Event::Finished {
                item,
                upload: report.upload,
                outcome: report.outcome.map_err(ItemError::Job),
                elapsed: started.elapsed(),
                reused: report.reused,
            }
        })
    }

    /// Decode an item's preview again (after the user selects an earlier row).
    pub fn preview(&self, item: u64, input: Input, preview_side: u32) {
        self.spawn(async move {
            let image = match engine::read(&input).await {
                Ok(Some(bytes)) => decode_preview(bytes, preview_side).await,
                Ok(None) => Err(JobError::read("a URL has no local preview")),
                Err(err) => Err(err),
            };
            Event::Preview { item, image }
        });
    }

    /// Send the bundled test photo: one paid call.
    pub fn test_call(&self, appcode: AppCode, connection: Connection) {
        self.spawn(async move {
            let client = match connection.client() {
                Ok(client) => client,
                Err(err) => return Event::TestDone(Err(err)),
            };
            let input = Input::Bytes {
                name: "test-photo.jpg".to_owned(),
                bytes: Arc::new(TEST_PHOTO.to_vec()),
            };
            // The test is a deliberate paid call: never answered from the session's counts.
            let fresh = engine::CountCache::default();
            let report = engine::count(&client, &appcode, input, &fresh).await;
            Event::TestDone(report.outcome.map_err(ItemError::Job))
        });
    }

    /// Show the system's file dialog for files (or a folder).
    pub fn pick(&self, folders: bool) {
        self.spawn(async move {
            let started = Instant::now();
            let dialog = rfd::AsyncFileDialog::new();
            let picked = if folders {
                dialog.pick_folders().await
            } else {
                dialog
                    .add_filter(
                        "Images",
                        &["jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff"],
                    )
                    .add_filter("All files", &["*"])
                    .pick_files()
                    .await
            };
            // With no portal and no zenity, rfd answers "nothing picked" at once; a person
            // who cancels a real dialog takes longer than this.
            let available = picked.is_some() || started.elapsed() > Duration::from_millis(300);
            let paths = picked
                .unwrap_or_default()
                .iter()
                .map(|handle| handle.path().to_owned())
                .collect();
            Event::Picked { paths, available }
        });
    }

    /// Read the system's CJK font, if it has one.
    pub fn find_system_font(&self) {
        self.spawn(async move {
            let found = tokio::task::spawn_blocking(super::fonts::read_system_cjk_font).await;
            Event::SystemFont(found.ok().flatten())
        });
    }

    pub fn save_screenshot(&self, image: Arc<egui::ColorImage>, path: PathBuf) {
        self.spawn(async move {
            let saved = tokio::task::spawn_blocking(move || {
                let png = encode_png(&image).map_err(|err| err.to_string())?;
                std::fs::write(&path, png).map_err(|err| format!("{}: {err}", path.display()))?;
                Ok(path)
            })
            .await
            .unwrap_or_else(|err| Err(err.to_string()));
            Event::ScreenshotSaved(saved)
        });
    }

    /// A sender for callbacks that run outside the runtime (screenshots).
    pub fn sender(&self) -> (Sender<Event>, egui::Context) {
        (self.sender.clone(), self.ctx.clone())
    }
}

async fn decode_preview(bytes: Arc<Vec<u8>>, max_side: u32) -> Result<egui::ColorImage, JobError> {
    let rgba = engine::preview_bytes(bytes, max_side).await?;
    let converted = tokio::task::spawn_blocking(move || color_image(&rgba)).await;
    converted.map_err(|err| JobError::read(format!("preview stopped: {err}")))
}

fn color_image(rgba: &image::RgbaImage) -> egui::ColorImage {
    let size = [rgba.width() as usize, rgba.height() as usize];
    egui::ColorImage::from_rgba_unmultiplied(size, rgba.as_raw())
}

fn encode_png(image: &egui::ColorImage) -> Result<Vec<u8>, image::ImageError> {
    let [width, height] = image.size;
    let rgba: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|pixel| pixel.to_srgba_unmultiplied())
        .collect();
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &rgba,
        width as u32,
        height as u32,
        image::ExtendedColorType::Rgba8,
    )?;
    Ok(png)
}
