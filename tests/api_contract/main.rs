//! The real client against the local fake of the API: every row of `API.md`'s tables,
//! the form encoding, retries and their bounds, and what is kept for support.

#[path = "../common/mod.rs"]
mod common;

mod fake;
mod gateway;
mod retries;
mod vendor;
mod wire;

use std::io::Cursor;
use std::time::Duration;

use base64::Engine as _;
use headcount::api::VendorCode;
use headcount::api::{ApiError, Client, ClientConfig, Count, Failure, ImageSource, RetryPolicy};
use headcount::prepare::{Upload, UploadFormat};
use headcount::secret::AppCode;
use url::Url;

use common::fake_api::{
    self, Account, AccountState, DEFAULT_APPCODE, FakeApi, Fault, GatewayStyle,
};

const STYLES: [GatewayStyle; 2] = [GatewayStyle::Old, GatewayStyle::New];

fn appcode(code: &str) -> AppCode {
    AppCode::parse(code).expect("a well-formed test AppCode")
}

/// Retries with delays short enough to keep the suite fast, long enough to be real.
fn retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

fn client_with(endpoint: &str, max_retries: u32, timeout: Duration) -> Client {
    Client::new(ClientConfig {
        endpoint: Url::parse(endpoint).expect("the fake's endpoint is a URL"),
        connect_timeout: Duration::from_secs(5),
        timeout,
        retry: retries(max_retries),
    })
    .expect("build the client")
}

fn client(endpoint: &str, max_retries: u32) -> Client {
    client_with(endpoint, max_retries, Duration::from_secs(20))
}

async fn count_upload(
    fake: &FakeApi,
    bytes: &[u8],
    format: UploadFormat,
) -> Result<Count, Failure> {
    let upload = upload(bytes.to_vec(), format);
    client(&fake.endpoint(), 2)
        .count(&appcode(DEFAULT_APPCODE), ImageSource::Upload(&upload))
        .await
}

/// An upload of exactly these bytes, as `prepare` would hand it over unchanged.
fn upload(bytes: Vec<u8>, format: UploadFormat) -> Upload {
    let (width, height) = image::ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.into_dimensions().ok())
        .unwrap_or((0, 0));
    Upload {
        bytes,
        format,
        width,
        height,
        source_format: format.to_string(),
        source_width: width,
        source_height: height,
        reencoded: false,
    }
}

fn hopper_jpeg() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/photos/people/hopper.jpg"
    );
    std::fs::read(path).expect("the shared corpus holds hopper.jpg")
}

/// A noisy picture, so that its PNG does not compress to a few predictable bytes.
fn encoded(width: u32, height: u32, seed: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let picture = image::RgbImage::from_fn(width, height, |_, _| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut bytes = Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, format)
        .expect("encode a test image");
    bytes.into_inner()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    encoded(width, height, 7, image::ImageFormat::Png)
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn data_uri(label: &str, bytes: &[u8]) -> String {
    format!("data:image/{label};base64,{}", base64(bytes))
}

/// The failure of a call that every attempt fails, with the default AppCode.
async fn retried_failure(fake: &FakeApi, max_retries: u32) -> Failure {
    let image = upload(png(20, 20), UploadFormat::Png);
    client(&fake.endpoint(), max_retries)
        .count(&appcode(DEFAULT_APPCODE), ImageSource::Upload(&image))
        .await
        .expect_err("every attempt fails")
}
