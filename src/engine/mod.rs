//! Counting inputs on a tokio runtime: read, prepare, call, and batches of those.
//!
//! Nothing here knows about egui; the window and the command line both drive it.

mod cache;
mod input;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::api::{ApiError, Client, Count, Failure, ImageSource};
use crate::prepare::{self, PrepareError, Upload, UploadFormat};
use crate::secret::AppCode;

pub use cache::CountCache;
pub use input::{Input, MAX_FILE_BYTES, expand, is_http_url};

/// Why an input produced no count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("cannot read the file: {0}")]
    Read(ReadError),
    #[error("the file is {0} bytes, far larger than any photo the service accepts")]
    FileTooLarge(u64),
    /// An address with a scheme other than http(s): the service fetches only those.
    #[error("{0}:// addresses cannot be counted; only http and https")]
    UnsupportedAddress(String),
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// Boxed: a failure carries the service's words and ids, and most results are Ok.
    #[error(transparent)]
    Api(Box<Failure>),
    /// Not sent, because an earlier answer showed every call would fail the same way.
    #[error("not sent: {0}")]
    Skipped(ApiError),
}

/// Why an input's bytes could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("it does not exist")]
    NotFound,
    #[error("permission denied")]
    PermissionDenied,
    #[error("it is a folder with no images")]
    EmptyFolder,
    /// Anything else, in the platform's or the library's words.
    #[error("{0}")]
    Other(String),
}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::NotFound => Self::NotFound,
            std::io::ErrorKind::PermissionDenied => Self::PermissionDenied,
            _ => Self::Other(err.to_string()),
        }
    }
}

impl JobError {
    /// A read failure described in words of our own.
    pub fn read(detail: impl Into<String>) -> Self {
        Self::Read(ReadError::Other(detail.into()))
    }
}

impl From<Failure> for JobError {
    fn from(failure: Failure) -> Self {
        Self::Api(Box::new(failure))
    }
}

impl JobError {
    /// A short stable identifier for scripts (JSON/CSV `error` column).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Read(_) => "read_failed",
            Self::FileTooLarge(_) => "file_too_large",
            Self::UnsupportedAddress(_) => "unsupported_address",
            Self::Prepare(err) => match err {
                PrepareError::Empty => "empty_file",
                PrepareError::TooSmall { .. } => "image_too_small",
                PrepareError::Unsupported { .. } => "unsupported_format",
                PrepareError::NotAnImage => "not_an_image",
                PrepareError::Corrupt { .. } => "corrupt_image",
                PrepareError::TooLargeToDecode { .. } => "image_too_large",
                PrepareError::CannotShrink => "cannot_shrink",
                PrepareError::ExtremeAspect { .. } => "extreme_aspect",
                PrepareError::Internal(_) => "internal_error",
            },
            Self::Api(failure) => failure.error.kind(),
            Self::Skipped(_) => "skipped",
        }
    }

    /// The API error behind this one, if the service was involved.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(failure) => Some(&failure.error),
            Self::Skipped(error) => Some(error),
            _ => None,
        }
    }
}

/// What was (or would be) sent for one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadSummary {
    pub format: UploadFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
    pub reencoded: bool,
    pub source_format: String,
    /// BLAKE3 of the uploaded bytes (hex).
    pub hash: String,
}

impl From<&Upload> for UploadSummary {
    fn from(upload: &Upload) -> Self {
        Self {
            format: upload.format,
            width: upload.width,
            height: upload.height,
            bytes: upload.bytes.len(),
            reencoded: upload.reencoded,
            source_format: upload.source_format.clone(),
            hash: upload.hash_hex(),
        }
    }
}

/// The result of one input.
#[derive(Clone, Debug)]
pub struct JobReport {
    pub input: Input,
    pub upload: Option<UploadSummary>,
    pub outcome: Result<Count, JobError>,
    /// From the start of reading to the end of the last call.
    pub elapsed: Duration,
    /// The count is an earlier one for the same bytes: nothing was sent or paid for.
    pub reused: bool,
}

/// Read an input's bytes off the async threads. URLs have none.
pub async fn read(input: &Input) -> Result<Option<Arc<Vec<u8>>>, JobError> {
    match input {
        Input::Url(_) => Ok(None),
        Input::Bytes { bytes, .. } => Ok(Some(Arc::clone(bytes))),
        Input::Path(path) => {
            let path = path.clone();
            let read = tokio::task::spawn_blocking(move || read_file(&path)).await;
            read.map_err(|err| JobError::read(err.to_string()))?
                .map(|bytes| Some(Arc::new(bytes)))
        }
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, JobError> {
    check_file(path)?;
    std::fs::read(path).map_err(|err| JobError::Read(err.into()))
}

/// Whether `path` names a file that can be read whole, without reading it.
fn check_file(path: &std::path::Path) -> Result<(), JobError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) => {
            // `ftp://…` and the like arrive as paths; name the real problem.
            if let Some(scheme) = input::url_scheme(&path.to_string_lossy()) {
                return Err(JobError::UnsupportedAddress(scheme));
            }
            return Err(JobError::Read(err.into()));
        }
    };
    if metadata.is_dir() {
        return Err(JobError::Read(ReadError::EmptyFolder));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(JobError::FileTooLarge(metadata.len()));
    }
    Ok(())
}

/// What can be seen wrong with an input without decoding it: a missing, unreadable or
/// empty file, or one that is no image at all. A stopped batch reports these instead of
/// "not sent", since such a file could never have been sent anyway; only the first bytes
/// are read, so a long batch of good photos is skipped quickly.
async fn visible_problem(input: &Input) -> Option<JobError> {
    const HEAD: u64 = 64 * 1024;
    match input {
        Input::Url(_) => None,
        Input::Bytes { bytes, .. } => prepare::check_start(bytes).err().map(JobError::from),
        Input::Path(path) => {
            let path = path.clone();
            let checked = tokio::task::spawn_blocking(move || {
                use std::io::Read;
                check_file(&path)?;
                let mut head = Vec::new();
                std::fs::File::open(&path)
                    .and_then(|file| file.take(HEAD).read_to_end(&mut head))
                    .map_err(|err| JobError::Read(err.into()))?;
                prepare::check_start(&head).map_err(JobError::from)
            })
            .await;
            checked.ok()?.err()
        }
    }
}

/// Prepare bytes for upload on a blocking thread (decoding is CPU work).
pub async fn prepare_bytes(bytes: Arc<Vec<u8>>) -> Result<Upload, JobError> {
    let prepared = tokio::task::spawn_blocking(move || prepare::prepare(&bytes)).await;
    prepared
        .map_err(|err| JobError::read(format!("image preparation stopped: {err}")))?
        .map_err(JobError::from)
}

/// Prepare bytes for upload and make their preview from the same decode, on a blocking
/// thread. `on_preview` runs there as soon as the preview exists, before the upload is
/// encoded.
pub async fn prepare_with_preview(
    bytes: Arc<Vec<u8>>,
    max_side: u32,
    on_preview: impl FnOnce(Result<image::RgbaImage, JobError>) + Send + 'static,
) -> Result<Upload, JobError> {
    let prepared = tokio::task::spawn_blocking(move || {
        prepare::prepare_with_preview(&bytes, max_side, |preview| {
            on_preview(preview.map_err(JobError::from));
        })
    })
    .await;
    prepared
        .map_err(|err| JobError::read(format!("image preparation stopped: {err}")))?
        .map_err(JobError::from)
}

/// Decode bytes into an upright preview on a blocking thread.
pub async fn preview_bytes(
    bytes: Arc<Vec<u8>>,
    max_side: u32,
) -> Result<image::RgbaImage, JobError> {
    let decoded = tokio::task::spawn_blocking(move || prepare::preview(&bytes, max_side)).await;
    decoded
        .map_err(|err| JobError::read(format!("preview stopped: {err}")))?
        .map_err(JobError::from)
}

/// Send an already prepared upload (or a URL) and build the report. An upload whose
/// bytes were already counted in `cache` gets that count again, without a call.
pub async fn send(
    client: &Client,
    appcode: &AppCode,
    input: Input,
    upload: Option<Upload>,
    started: Instant,
    cache: &CountCache,
) -> JobReport {
    let summary = upload.as_ref().map(UploadSummary::from);
    let (outcome, reused) = match (&input, &upload, &summary) {
        (_, Some(upload), Some(summary)) => {
            let slot = cache.slot(client.config().endpoint.as_str(), &summary.hash);
            let mut called = false;
            let counted = slot
                .get_or_try_init(|| {
                    called = true;
                    client.count(appcode, ImageSource::Upload(upload))
                })
                .await;
            match counted {
                Ok(count) if called => (Ok(count.clone()), false),
                // No call this time: say so rather than repeat the first call's figures.
                Ok(count) => (
                    Ok(Count {
                        attempts: 0,
                        ..count.clone()
                    }),
                    true,
                ),
                Err(failure) => (Err(JobError::from(failure)), false),
            }
        }
        (Input::Url(url), None, _) => {
            let counted = client.count(appcode, ImageSource::Url(url)).await;
            (counted.map_err(JobError::from), false)
        }
        _ => unreachable!("inputs other than URLs are always prepared"),
    };
    if let Some(summary) = &summary {
        tracing::debug!(
            hash = &summary.hash[..12],
            bytes = summary.bytes,
            ok = outcome.is_ok(),
            reused,
            "image counted"
        );
    }
    JobReport {
        input,
        upload: summary,
        outcome,
        elapsed: started.elapsed(),
        reused,
    }
}

/// Read, prepare and count one input.
pub async fn count(
    client: &Client,
    appcode: &AppCode,
    input: Input,
    cache: &CountCache,
) -> JobReport {
    let started = Instant::now();
    let failed = |input, upload, error| JobReport {
        input,
        upload,
        outcome: Err(error),
        elapsed: started.elapsed(),
        reused: false,
    };

    let bytes = match read(&input).await {
        Ok(bytes) => bytes,
        Err(error) => return failed(input, None, error),
    };
    let upload = match bytes {
        Some(bytes) => match prepare_bytes(bytes).await {
            Ok(upload) => Some(upload),
            Err(error) => return failed(input, None, error),
        },
        None => None,
    };
    send(client, appcode, input, upload, started, cache).await
}

/// Totals of a finished batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchSummary {
    pub succeeded: usize,
    pub failed: usize,
    pub people: u64,
}

/// Count many inputs, at most `concurrency` at a time, calling `on_report` with each
/// input's index as its report arrives (in completion order).
///
/// Inputs start strictly in the order given, so a batch with `concurrency` 1 is fully
/// deterministic, and until the service has answered one call normally only one input is
/// in flight. After an answer that every later call would repeat (wrong AppCode, quota
/// used up…), inputs not yet started are reported as [`JobError::Skipped`] rather than
/// paid for (or with their own problem, when a glance shows they could never be sent);
/// the ones already in flight finish. Dropping the returned future cancels the work
/// still running.
pub async fn run_batch(
    client: &Client,
    appcode: &AppCode,
    inputs: Vec<Input>,
    concurrency: usize,
    mut on_report: impl FnMut(usize, JobReport),
) -> BatchSummary {
    let concurrency = concurrency.max(1);
    let mut pending = inputs.into_iter().enumerate();
    // Jobs in flight, by task id, with a copy of their input: a job that panics still
    // gets a row instead of vanishing from the results.
    let mut running: HashMap<tokio::task::Id, (usize, Input)> = HashMap::new();
    let mut jobs = JoinSet::new();
    // The answer that stopped the batch, once there is one. Only this task reads or
    // writes it, between jobs, so the decision to skip never races a job's start.
    let mut stop: Option<ApiError> = None;
    let mut summary = BatchSummary::default();
    // Until one call has been answered normally, inputs go one at a time: a wrong AppCode
    // or an empty quota then costs one refused call, not one per slot.
    let mut answered = false;
    // The same photo listed twice (or copied under another name) is paid for once.
    let cache = CountCache::default();

    loop {
        while jobs.len() < if answered { concurrency } else { 1 } {
            let Some((index, input)) = pending.next() else {
                break;
            };
            if let Some(error) = &stop {
                summary.failed += 1;
                let report = match visible_problem(&input).await {
                    Some(problem) => failed_early(input, problem),
                    None => skipped(input, error.clone()),
                };
                on_report(index, report);
                continue;
            }
            let (client, appcode, job_input) = (client.clone(), appcode.clone(), input.clone());
            let cache = cache.clone();
            let handle =
                jobs.spawn(async move { count(&client, &appcode, job_input, &cache).await });
            running.insert(handle.id(), (index, input));
        }

        let Some(joined) = jobs.join_next_with_id().await else {
            break;
        };
        let (index, report) = match joined {
            Ok((id, report)) => {
                // Every spawned job was recorded just above.
                let Some((index, _)) = running.remove(&id) else {
                    continue;
                };
                (index, report)
            }
            Err(err) => {
                let Some((index, input)) = running.remove(&err.id()) else {
                    continue;
                };
                let error = PrepareError::Internal(format!("the job stopped: {err}"));
                (index, failed_early(input, JobError::Prepare(error)))
            }
        };
        match &report.outcome {
            Ok(count) => {
                summary.succeeded += 1;
                summary.people += count.people;
                answered = true;
            }
            Err(JobError::Api(failure)) if failure.error.stops_batch() => {
                summary.failed += 1;
                stop.get_or_insert_with(|| failure.error.clone());
            }
            Err(JobError::Api(_)) => {
                summary.failed += 1;
                answered = true;
            }
            Err(_) => summary.failed += 1,
        }
        on_report(index, report);
    }
    summary
}

fn skipped(input: Input, error: ApiError) -> JobReport {
    failed_early(input, JobError::Skipped(error))
}

fn failed_early(input: Input, error: JobError) -> JobReport {
    JobReport {
        input,
        upload: None,
        outcome: Err(error),
        elapsed: Duration::ZERO,
        reused: false,
    }
}
