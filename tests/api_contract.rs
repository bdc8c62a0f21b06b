//! The real client against the local fake of the API: every row of `API.md`'s tables,
//! the form encoding, retries and their bounds, and what is kept for support.

mod common;

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

// ---------------------------------------------------------------------------------------
// Success and what travels on the wire

#[tokio::test]
async fn a_jpeg_is_counted_exactly_and_the_request_id_is_kept() {
    let fake = FakeApi::start();
    let bytes = hopper_jpeg();

    let count = count_upload(&fake, &bytes, UploadFormat::Jpeg)
        .await
        .expect("a count");

    let people = fake_api::expected_count(&bytes);
    assert_eq!(count.people, people);
    assert_eq!(count.code, "1");
    assert_eq!(count.message, format!("检测人流量为: {people}人"));
    assert_eq!(count.attempts, 1);
    assert!(count.request_id.is_some());
    assert_eq!(count.request_id, fake.last_request_id());
    assert_eq!((fake.calls(), fake.billed_calls()), (1, 1));
    assert_eq!(fake.last_image_field(), Some(data_uri("jpeg", &bytes)));
}

#[tokio::test]
async fn the_authorization_header_and_content_type_are_exactly_as_documented() {
    let fake = FakeApi::start();
    count_upload(&fake, &png(20, 20), UploadFormat::Png)
        .await
        .expect("a count");

    assert_eq!(
        fake.last_authorization(),
        Some(format!("APPCODE {DEFAULT_APPCODE}"))
    );
    let content_type = fake.last_content_type().expect("a content type was sent");
    assert_eq!(
        content_type,
        "application/x-www-form-urlencoded; charset=UTF-8"
    );
}

#[tokio::test]
async fn plus_slash_and_padding_survive_the_form_encoding() {
    // A PNG whose base64 holds all three characters a careless client would corrupt.
    let bytes = (0..500)
        .map(|seed| encoded(20, 20, seed, image::ImageFormat::Png))
        .find(|bytes| {
            let text = base64(bytes);
            text.contains('+') && text.contains('/') && text.ends_with('=')
        })
        .expect("some small PNG has `+`, `/` and padding in its base64");
    let fake = FakeApi::start();

    let count = count_upload(&fake, &bytes, UploadFormat::Png)
        .await
        .expect("a count");

    assert_eq!(count.people, fake_api::expected_count(&bytes));
    assert_eq!(fake.last_image_field(), Some(data_uri("png", &bytes)));
    let raw = String::from_utf8(fake.last_raw_body().expect("a body")).expect("ASCII body");
    assert!(
        raw.starts_with("image=data%3Aimage%2Fpng%3Bbase64%2C"),
        "{}",
        &raw[..40]
    );
    for escaped in ["%2B", "%2F", "%3D"] {
        assert!(raw.contains(escaped), "{escaped} missing from the body");
    }
    assert!(!raw.contains('+'), "a raw `+` would arrive as a space");
}

#[tokio::test]
async fn an_image_url_is_sent_as_is_and_counted() {
    let fake = FakeApi::start();
    let url = "https://example.com/photos/crowd.jpg?size=large&v=2";

    let count = client(&fake.endpoint(), 0)
        .count(&appcode(DEFAULT_APPCODE), ImageSource::Url(url))
        .await
        .expect("a count");

    assert_eq!(count.people, fake_api::expected_count_for_url(url));
    assert_eq!(fake.last_image_field().as_deref(), Some(url));
}

#[tokio::test]
async fn integer_code_and_number_are_accepted() {
    let fake = FakeApi::start();
    fake.push_fault(Fault::json_body(
        r#"{"code":1,"msg":"检测人流量为: 7人","number":7}"#,
    ));

    let count = count_upload(&fake, &png(20, 20), UploadFormat::Png)
        .await
        .expect("a count");

    assert_eq!((count.people, count.code.as_str()), (7, "1"));
}

#[tokio::test]
async fn latency_under_the_timeout_is_only_slower() {
    let fake = FakeApi::start();
    fake.set_latency(Duration::from_millis(50));

    let count = count_upload(&fake, &png(20, 20), UploadFormat::Png)
        .await
        .expect("a count");

    assert_eq!(count.attempts, 1);
}

// ---------------------------------------------------------------------------------------
// Vendor error codes

/// Sends `bytes`, expects the vendor's `code` and no retry; returns the error.
async fn vendor_failure(fake: &FakeApi, source: ImageSource<'_>, code: &str) -> ApiError {
    let calls_before = fake.calls();
    let failure = client(&fake.endpoint(), 2)
        .count(&appcode(DEFAULT_APPCODE), source)
        .await
        .expect_err("the vendor refuses this image");

    assert_eq!(failure.code.as_deref(), Some(code));
    assert_eq!(failure.attempts, 1, "a vendor error is never retried");
    assert_eq!(fake.calls() - calls_before, 1);
    assert!(failure.request_id.is_some());
    assert_eq!(failure.request_id, fake.last_request_id());
    failure.error
}

fn image_code(error: &ApiError) -> Option<VendorCode> {
    match error {
        ApiError::Image { code, .. } => Some(*code),
        _ => None,
    }
}

#[tokio::test]
async fn an_empty_image_is_vendor_code_minus_1() {
    let fake = FakeApi::start();
    let empty = upload(Vec::new(), UploadFormat::Png);
    let error = vendor_failure(&fake, ImageSource::Upload(&empty), "-1").await;
    assert_eq!(image_code(&error), Some(VendorCode::ImageEmpty));
}

#[tokio::test]
async fn bytes_that_are_not_jpeg_png_or_bmp_are_vendor_code_minus_2() {
    let fake = FakeApi::start();
    // Labelled PNG but really a GIF: the vendor sniffs the bytes, not the label.
    let gif = upload(
        encoded(20, 20, 1, image::ImageFormat::Gif),
        UploadFormat::Png,
    );
    let error = vendor_failure(&fake, ImageSource::Upload(&gif), "-2").await;
    assert_eq!(image_code(&error), Some(VendorCode::WrongFormat));
}

#[tokio::test]
async fn a_damaged_image_or_unreachable_url_is_vendor_code_minus_3() {
    let fake = FakeApi::start();

    let mut damaged = png(20, 20);
    damaged.truncate(12);
    let damaged = upload(damaged, UploadFormat::Png);
    let error = vendor_failure(&fake, ImageSource::Upload(&damaged), "-3").await;
    assert_eq!(image_code(&error), Some(VendorCode::LoadFailed));

    let url = ImageSource::Url("https://photos.invalid/crowd.jpg");
    let error = vendor_failure(&fake, url, "-3").await;
    assert_eq!(image_code(&error), Some(VendorCode::LoadFailed));
}

#[tokio::test]
async fn base64_text_of_four_million_characters_is_refused_by_the_vendor() {
    let fake = FakeApi::start();
    let mut bytes = png(20, 20);
    bytes.resize(3_000_000, 0);
    assert!(base64(&bytes).len() >= fake_api::MAX_BASE64_CHARS);

    let big = upload(bytes, UploadFormat::Png);
    let error = vendor_failure(&fake, ImageSource::Upload(&big), "-3").await;
    assert_eq!(image_code(&error), Some(VendorCode::LoadFailed));
}

#[tokio::test]
async fn sides_outside_15_to_4000_px_are_vendor_code_minus_4() {
    let fake = FakeApi::start();
    for (width, height) in [(14, 100), (100, 14), (4001, 15)] {
        let odd = upload(png(width, height), UploadFormat::Png);
        let error = vendor_failure(&fake, ImageSource::Upload(&odd), "-4").await;
        assert_eq!(
            image_code(&error),
            Some(VendorCode::RecognitionFailed),
            "{width}×{height}"
        );
    }
    // The limits themselves are allowed.
    for (width, height) in [(15, 15), (4000, 15)] {
        let edge = png(width, height);
        let count = count_upload(&fake, &edge, UploadFormat::Png)
            .await
            .expect("a count");
        assert_eq!(count.people, fake_api::expected_count(&edge));
    }
}

#[tokio::test]
async fn a_url_without_http_is_vendor_code_minus_8() {
    let fake = FakeApi::start();
    let error = vendor_failure(&fake, ImageSource::Url("ftp://example.com/a.jpg"), "-8").await;
    assert_eq!(image_code(&error), Some(VendorCode::BadImageField));
}

#[tokio::test]
async fn every_documented_vendor_code_maps_whether_sent_as_string_or_integer() {
    let fake = FakeApi::start();
    let bytes = png(20, 20);
    let image = upload(bytes, UploadFormat::Png);
    let documented = [
        (-1, VendorCode::ImageEmpty),
        (-2, VendorCode::WrongFormat),
        (-3, VendorCode::LoadFailed),
        (-4, VendorCode::RecognitionFailed),
        (-8, VendorCode::BadImageField),
        (-9, VendorCode::NoInformation),
    ];
    for (code, expected) in documented {
        for sent in [serde_json::json!(code.to_string()), serde_json::json!(code)] {
            fake.push_fault(Fault::vendor(sent.clone(), "厂商的原话"));
            let error = vendor_failure(&fake, ImageSource::Upload(&image), &code.to_string()).await;
            assert_eq!(
                error,
                ApiError::Image {
                    code: expected,
                    message: "厂商的原话".to_owned()
                },
                "code sent as {sent}"
            );
        }
    }
    assert_eq!(
        fake.billed_calls(),
        12,
        "vendor errors come at HTTP 200 and are billed"
    );
}

#[tokio::test]
async fn an_unknown_vendor_code_is_reported_with_its_raw_message() {
    let fake = FakeApi::start();
    let image = upload(png(20, 20), UploadFormat::Png);
    for (sent, text) in [
        (serde_json::json!("-7"), "-7"),
        (serde_json::json!(-7), "-7"),
        (serde_json::json!("E42"), "E42"),
    ] {
        fake.push_fault(Fault::vendor(sent, "未知错误"));
        let error = vendor_failure(&fake, ImageSource::Upload(&image), text).await;
        assert_eq!(
            error,
            ApiError::UnknownCode {
                code: text.to_owned(),
                message: "未知错误".to_owned()
            }
        );
    }
}

#[tokio::test]
async fn vendor_json_behind_a_non_200_status_is_read_as_the_vendor_answer() {
    let fake = FakeApi::start();
    fake.push_fault(Fault::RawBody {
        status: 500,
        body: r#"{"code":"-3","msg":"图片加载失败"}"#.as_bytes().to_vec(),
        headers: Vec::new(),
    });
    let image = upload(png(20, 20), UploadFormat::Png);
    let error = vendor_failure(&fake, ImageSource::Upload(&image), "-3").await;
    assert_eq!(image_code(&error), Some(VendorCode::LoadFailed));
}

// ---------------------------------------------------------------------------------------
// Gateway rejections, in both gateway styles

/// Sends a valid image, expects one non-retried, unbilled call; returns the error.
async fn gateway_failure(fake: &FakeApi, endpoint: &str, code: &str) -> ApiError {
    let (calls_before, billed_before) = (fake.calls(), fake.billed_calls());
    let image = upload(png(20, 20), UploadFormat::Png);
    let failure = client(endpoint, 3)
        .count(&appcode(code), ImageSource::Upload(&image))
        .await
        .expect_err("the gateway refuses this call");

    assert_eq!(failure.attempts, 1, "{} must not be retried", failure.error);
    assert_eq!(fake.calls() - calls_before, 1);
    assert_eq!(
        fake.billed_calls(),
        billed_before,
        "a gateway rejection is not billed"
    );
    assert_eq!(failure.code, None);
    assert!(failure.request_id.is_some());
    assert_eq!(failure.request_id, fake.last_request_id());
    failure.error
}

#[tokio::test]
async fn account_problems_are_reported_in_both_gateway_styles_without_retry() {
    const UNKNOWN: &str = "ffffffffffffffffffffffffffffffff";
    const NOT_BOUGHT: &str = "not_bought_0000000000000000000000";
    const EXPIRED: &str = "expired_000000000000000000000000";
    const ARREARS: &str = "arrears_000000000000000000000000";

    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);
        fake.add_appcode(NOT_BOUGHT, Account::in_state(AccountState::NotPurchased));
        fake.add_appcode(EXPIRED, Account::in_state(AccountState::Expired));
        fake.add_appcode(ARREARS, Account::in_state(AccountState::Arrears));
        let endpoint = fake.endpoint();

        for (code, expected) in [
            (UNKNOWN, ApiError::InvalidAppCode),
            (NOT_BOUGHT, ApiError::NotPurchased),
            (EXPIRED, ApiError::QuotaExpired),
            (ARREARS, ApiError::Arrears),
        ] {
            let error = gateway_failure(&fake, &endpoint, code).await;
            assert_eq!(error, expected, "{style:?}");
            assert!(error.stops_batch());
        }

        fake.push_fault(Fault::status(400, "Need authorization"));
        let error = gateway_failure(&fake, &endpoint, DEFAULT_APPCODE).await;
        assert_eq!(error, ApiError::MissingAuthorization, "{style:?}");
    }
}

#[tokio::test]
async fn request_shape_rejections_are_bad_requests_in_both_gateway_styles() {
    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);

        let error = gateway_failure(&fake, &fake.url("/visitorsflow"), DEFAULT_APPCODE).await;
        assert!(
            matches!(&error, ApiError::BadRequest { status: 404, message } if message.contains("Invalid Url")),
            "{style:?}: {error:?}"
        );

        for (status, message) in [
            (400, "Invalid Parameter Required image"),
            (400, "Invalid Content-Type"),
            (400, "Unsupported Multipart"),
            (405, "Unsupported Method"),
            (404, "API not found"),
        ] {
            fake.push_fault(Fault::status(status, message));
            let error = gateway_failure(&fake, &fake.endpoint(), DEFAULT_APPCODE).await;
            assert_eq!(
                error,
                ApiError::BadRequest {
                    status,
                    message: message.to_owned()
                },
                "{style:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_body_over_8_mb_is_too_large_in_both_gateway_styles() {
    // 6.5 MB of bytes become about 8.7 MB of base64: over the gateway's limit.
    let mut bytes = png(20, 20);
    bytes.resize(6_500_000, 0);
    let big = upload(bytes, UploadFormat::Png);

    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);
        let failure = client(&fake.endpoint(), 3)
            .count(&appcode(DEFAULT_APPCODE), ImageSource::Upload(&big))
            .await
            .expect_err("too large");

        assert_eq!(failure.error, ApiError::TooLarge, "{style:?}");
        assert_eq!(
            (failure.attempts, fake.calls(), fake.billed_calls()),
            (1, 1, 0)
        );
        assert_eq!(failure.request_id, fake.last_request_id());
    }
}

#[tokio::test]
async fn a_quota_of_two_allows_two_counts_then_reports_exhausted_without_retry() {
    const LIMITED: &str = "limited_000000000000000000000000";
    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);
        fake.add_appcode(LIMITED, Account::with_quota(2));
        let endpoint = fake.endpoint();
        let bytes = hopper_jpeg();
        let image = upload(bytes.clone(), UploadFormat::Jpeg);
        let client = client(&endpoint, 3);

        for left in [1, 0] {
            let count = client
                .count(&appcode(LIMITED), ImageSource::Upload(&image))
                .await
                .expect("within quota");
            assert_eq!(count.people, fake_api::expected_count(&bytes));
            assert_eq!(fake.quota_left(LIMITED), Some(left));
        }

        let error = gateway_failure(&fake, &endpoint, LIMITED).await;
        assert_eq!(error, ApiError::QuotaExhausted, "{style:?}");
        assert!(error.stops_batch());
        assert_eq!((fake.calls(), fake.billed_calls()), (3, 2));
    }
}

// ---------------------------------------------------------------------------------------
// Retried failures

async fn retried_failure(fake: &FakeApi, max_retries: u32) -> Failure {
    let image = upload(png(20, 20), UploadFormat::Png);
    client(&fake.endpoint(), max_retries)
        .count(&appcode(DEFAULT_APPCODE), ImageSource::Upload(&image))
        .await
        .expect_err("every attempt fails")
}

#[tokio::test]
async fn throttling_is_retried_then_reported_in_both_gateway_styles() {
    const THROTTLED: &str = "throttled_0000000000000000000000";
    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);
        fake.add_appcode(THROTTLED, Account::rate_limited(0));

        let image = upload(png(20, 20), UploadFormat::Png);
        let failure = client(&fake.endpoint(), 2)
            .count(&appcode(THROTTLED), ImageSource::Upload(&image))
            .await
            .expect_err("always throttled");

        assert_eq!(failure.error, ApiError::Throttled, "{style:?}");
        assert_eq!(
            (failure.attempts, fake.calls(), fake.billed_calls()),
            (3, 3, 0)
        );
        assert_eq!(failure.request_id, fake.last_request_id());
    }
}

#[tokio::test]
async fn one_throttled_call_is_retried_into_a_count() {
    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);
        fake.push_fault(Fault::Throttle);
        let bytes = png(20, 20);

        let count = count_upload(&fake, &bytes, UploadFormat::Png)
            .await
            .expect("a count");

        assert_eq!(count.people, fake_api::expected_count(&bytes));
        assert_eq!(
            (count.attempts, fake.calls(), fake.billed_calls()),
            (2, 2, 1)
        );
    }
}

#[tokio::test]
async fn server_faults_are_retried_a_bounded_number_of_times() {
    for style in STYLES {
        for (status, message) in [
            (500, "Internal Error"),
            (502, "Failed To Invoke Backend Service"),
            (503, "Service Unavailable"),
            (504, "Backend service connect failed `timeout`"),
        ] {
            let fake = FakeApi::start();
            fake.set_gateway_style(style);
            fake.push_faults(Fault::status(status, message), 10);

            let failure = retried_failure(&fake, 2).await;

            assert_eq!(
                failure.error,
                ApiError::ServiceFault {
                    status,
                    message: message.to_owned()
                },
                "{style:?}"
            );
            assert_eq!(
                (failure.attempts, fake.calls(), fake.billed_calls()),
                (3, 3, 0)
            );
            assert_eq!(fake.pending_faults(), 7);
            assert_eq!(failure.request_id, fake.last_request_id());
        }
    }
}

#[tokio::test]
async fn a_proxy_error_page_behind_a_5xx_is_a_retried_service_fault() {
    let fake = FakeApi::start();
    let page = b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec();
    fake.push_faults(
        Fault::RawBody {
            status: 502,
            body: page,
            headers: vec![("content-type".to_owned(), "text/html".to_owned())],
        },
        3,
    );

    let failure = retried_failure(&fake, 2).await;

    assert!(
        matches!(failure.error, ApiError::ServiceFault { status: 502, .. }),
        "{:?}",
        failure.error
    );
    assert_eq!(
        (failure.attempts, fake.calls(), fake.billed_calls()),
        (3, 3, 0)
    );
}

#[tokio::test]
async fn one_503_is_retried_into_a_count() {
    let fake = FakeApi::start();
    fake.push_fault(Fault::status(503, "Service Unavailable"));
    let bytes = hopper_jpeg();

    let count = count_upload(&fake, &bytes, UploadFormat::Jpeg)
        .await
        .expect("a count");

    assert_eq!(count.people, fake_api::expected_count(&bytes));
    assert_eq!(
        (count.attempts, fake.calls(), fake.billed_calls()),
        (2, 2, 1)
    );
    assert_eq!(count.request_id, fake.last_request_id());
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried_a_bounded_number_of_times() {
    let fake = FakeApi::start();
    fake.push_faults(Fault::Delay(Duration::from_secs(30)), 2);
    let image = upload(png(20, 20), UploadFormat::Png);

    let failure = client_with(&fake.endpoint(), 1, Duration::from_millis(300))
        .count(&appcode(DEFAULT_APPCODE), ImageSource::Upload(&image))
        .await
        .expect_err("every attempt is too slow");

    assert_eq!(failure.error, ApiError::Timeout);
    assert_eq!((failure.attempts, fake.calls()), (2, 2));
    assert_eq!(failure.request_id, None, "no answer, so no request id");
    // Generous: only proves the client did not wait for the 30 s answers.
    assert!(
        failure.elapsed < Duration::from_secs(15),
        "{:?}",
        failure.elapsed
    );
}

#[tokio::test]
async fn one_slow_answer_is_retried_into_a_count() {
    let fake = FakeApi::start();
    fake.push_fault(Fault::Delay(Duration::from_secs(30)));
    let bytes = png(20, 20);
    let image = upload(bytes.clone(), UploadFormat::Png);

    // The timeout leaves ample time for the normal second answer on a busy machine.
    let count = client_with(&fake.endpoint(), 1, Duration::from_secs(2))
        .count(&appcode(DEFAULT_APPCODE), ImageSource::Upload(&image))
        .await
        .expect("the second attempt is answered");

    assert_eq!(count.people, fake_api::expected_count(&bytes));
    assert_eq!((count.attempts, fake.calls()), (2, 2));
}

#[tokio::test]
async fn a_dropped_connection_is_a_network_error_retried_a_bounded_number_of_times() {
    let fake = FakeApi::start();
    fake.push_faults(Fault::Drop, 3);

    let failure = retried_failure(&fake, 2).await;

    assert!(
        matches!(failure.error, ApiError::Network(_)),
        "{:?}",
        failure.error
    );
    assert_eq!(
        (failure.attempts, fake.calls(), fake.billed_calls()),
        (3, 3, 0)
    );
    assert_eq!(failure.request_id, None);
}

#[tokio::test]
async fn one_dropped_connection_is_retried_into_a_count() {
    let fake = FakeApi::start();
    fake.push_fault(Fault::Drop);
    let bytes = png(20, 20);

    let count = count_upload(&fake, &bytes, UploadFormat::Png)
        .await
        .expect("a count");

    assert_eq!(count.people, fake_api::expected_count(&bytes));
    assert_eq!((count.attempts, fake.calls()), (2, 2));
}

#[tokio::test]
async fn a_non_json_200_answer_is_malformed_and_not_retried() {
    let fake = FakeApi::start();
    fake.push_fault(Fault::RawBody {
        status: 200,
        body: b"<html><body>Welcome to nginx!</body></html>".to_vec(),
        headers: vec![("content-type".to_owned(), "text/html".to_owned())],
    });

    let failure = retried_failure(&fake, 2).await;

    assert!(
        matches!(failure.error, ApiError::Malformed(_)),
        "{:?}",
        failure.error
    );
    assert_eq!((failure.attempts, fake.calls()), (1, 1));
    assert!(failure.request_id.is_some());
    assert_eq!(failure.request_id, fake.last_request_id());
}

#[tokio::test]
async fn a_number_that_is_not_a_count_is_malformed_and_not_retried() {
    for body in [
        r#"{"code":"1","msg":"检测人流量为: -5人","number":"-5"}"#,
        r#"{"code":"1","msg":"检测人流量为: 12.5人","number":"12.5"}"#,
        r#"{"code":1,"msg":"ok","number":-5}"#,
        r#"{"code":"1","msg":"检测人流量为: 3人"}"#,
        r#"{"code":"1","msg":"ok","number":"three"}"#,
    ] {
        let fake = FakeApi::start();
        fake.push_fault(Fault::json_body(body));

        let failure = retried_failure(&fake, 2).await;

        assert!(
            matches!(failure.error, ApiError::Malformed(_)),
            "{body}: {:?}",
            failure.error
        );
        assert_eq!((failure.attempts, fake.calls()), (1, 1), "{body}");
        assert_eq!(failure.code.as_deref(), Some("1"));
        assert_eq!(failure.request_id, fake.last_request_id());
    }
}

// ---------------------------------------------------------------------------------------
// The fake itself, for what the client can never send

/// A plain HTTP client, for requests the real client would never make.
fn raw_http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .expect("build a raw HTTP client")
}

struct RawAnswer {
    status: u16,
    error_message: Option<String>,
    error_code: Option<String>,
    request_id: Option<String>,
    body: String,
}

async fn raw_post(
    fake: &FakeApi,
    method: reqwest::Method,
    authorization: Option<&str>,
    content_type: &str,
    body: String,
) -> RawAnswer {
    let mut request = raw_http()
        .request(method, fake.endpoint())
        .header("content-type", content_type)
        .body(body);
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = request.send().await.expect("the fake answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    RawAnswer {
        status: response.status().as_u16(),
        error_message: header("x-ca-error-message"),
        error_code: header("x-ca-error-code"),
        request_id: header("x-ca-request-id"),
        body: response.text().await.expect("a body"),
    }
}

const FORM: &str = "application/x-www-form-urlencoded; charset=UTF-8";

fn vendor_code(answer: &RawAnswer) -> String {
    let json: serde_json::Value = serde_json::from_str(&answer.body).expect("vendor JSON");
    json["code"].as_str().expect("code is a string").to_owned()
}

#[tokio::test]
async fn fake_reads_an_unencoded_plus_as_a_space_and_calls_the_image_corrupt() {
    let fake = FakeApi::start();
    let bytes = (0..500)
        .map(|seed| encoded(20, 20, seed, image::ImageFormat::Png))
        .find(|bytes| base64(bytes).contains('+'))
        .expect("some small PNG has `+` in its base64");
    let auth = format!("APPCODE {DEFAULT_APPCODE}");

    // The bug of many public samples: the data URI pasted into the body unencoded.
    let body = format!("image={}", data_uri("png", &bytes));
    let answer = raw_post(&fake, reqwest::Method::POST, Some(&auth), FORM, body).await;

    assert_eq!((answer.status, vendor_code(&answer).as_str()), (200, "-3"));
    assert!(
        fake.last_image_field()
            .is_some_and(|field| field.contains(' '))
    );
}

#[tokio::test]
async fn fake_accepts_every_label_the_vendor_uses() {
    let fake = FakeApi::start();
    let auth = format!("APPCODE {DEFAULT_APPCODE}");
    let jpeg = hopper_jpeg();
    let bmp = encoded(20, 20, 3, image::ImageFormat::Bmp);
    for (label, bytes) in [
        ("jpeg", &jpeg),
        ("jpg", &jpeg),
        ("png", &png(20, 20)),
        ("bmp", &bmp),
    ] {
        let body = headcount::api::form_body(&data_uri(label, bytes));
        let answer = raw_post(&fake, reqwest::Method::POST, Some(&auth), FORM, body).await;

        assert_eq!(vendor_code(&answer), "1", "{label}");
        let json: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(
            json["number"],
            fake_api::expected_count(bytes).to_string(),
            "{label}"
        );
    }
    for bad in [
        "data:image/png,abcd",
        "image/png;base64,abcd",
        "iVBORw0KGgo=",
    ] {
        let body = headcount::api::form_body(bad);
        let answer = raw_post(&fake, reqwest::Method::POST, Some(&auth), FORM, body).await;
        assert_eq!(vendor_code(&answer), "-8", "{bad}");
    }
}

#[tokio::test]
async fn fake_gateway_rejects_malformed_requests_with_headers_in_each_style() {
    let auth = format!("APPCODE {DEFAULT_APPCODE}");
    let good_body = headcount::api::form_body(&data_uri("png", &png(20, 20)));
    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);
        let cases = [
            (
                reqwest::Method::GET,
                Some(auth.as_str()),
                FORM,
                405,
                "Unsupported Method",
            ),
            (reqwest::Method::POST, None, FORM, 400, "Need authorization"),
            (
                reqwest::Method::POST,
                Some("appcode x"),
                FORM,
                0,
                "Invalid AppCode",
            ),
            (
                reqwest::Method::POST,
                Some(&auth),
                "application/json",
                400,
                "Invalid Content-Type",
            ),
            (
                reqwest::Method::POST,
                Some(&auth),
                "multipart/form-data; boundary=x",
                400,
                "Multipart",
            ),
        ];
        for (method, authorization, content_type, status, message) in cases {
            let answer = raw_post(
                &fake,
                method,
                authorization,
                content_type,
                good_body.clone(),
            )
            .await;

            let expected_status = match (status, style) {
                (0, GatewayStyle::Old) => 400,
                (0, GatewayStyle::New) => 401,
                (status, _) => status,
            };
            assert_eq!(answer.status, expected_status, "{style:?} {message}");
            let error_message = answer.error_message.unwrap_or_default();
            assert!(
                error_message.contains(message),
                "{style:?}: {error_message}"
            );
            assert_eq!(
                answer.error_code.is_some(),
                style == GatewayStyle::New,
                "{message}"
            );
            assert!(answer.request_id.is_some());
            assert_eq!(answer.request_id, fake.last_request_id());
            assert!(answer.body.is_empty(), "gateway errors have empty bodies");
        }

        let answer = raw_post(
            &fake,
            reqwest::Method::POST,
            Some(&auth),
            FORM,
            "picture=x".into(),
        )
        .await;
        assert_eq!(answer.status, 400);
        assert!(
            answer
                .error_message
                .unwrap_or_default()
                .contains("Invalid Parameter Required")
        );
        assert_eq!((fake.calls(), fake.billed_calls()), (6, 0));
    }
}

/// One raw HTTP/1.1 exchange over a blocking socket: status line and headers.
fn blocking_exchange(addr: std::net::SocketAddr, request: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the fake");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn fake_serves_callers_without_a_runtime_and_stops_when_dropped() {
    let fake = FakeApi::start();
    let addr = fake.addr();
    let request = "GET /visitorsFlow HTTP/1.1\r\nHost: fake\r\nConnection: close\r\n\r\n";

    let answer = blocking_exchange(addr, request);

    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-ca-error-message: unsupported method")
    );
    assert_eq!(fake.calls(), 1);

    // A request still waiting on its delay must not keep the fake alive.
    fake.push_fault(Fault::Delay(Duration::from_secs(600)));
    let pending = std::thread::spawn(move || blocking_exchange(addr, request));
    // Generous bound: the request normally arrives within milliseconds.
    for _ in 0..2000 {
        if fake.calls() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(fake.calls(), 2, "the delayed request reached the fake");
    drop(fake);
    let cut_short = pending.join().expect("the pending request ends");
    assert_eq!(
        cut_short, "",
        "the delayed request is closed without an answer"
    );
}

#[tokio::test]
async fn the_services_own_words_are_kept_with_every_failure() {
    for style in STYLES {
        let fake = FakeApi::start();
        fake.set_gateway_style(style);
        fake.add_appcode(DEFAULT_APPCODE, Account::with_quota(0));
        let failure = retried_failure(&fake, 2).await;
        assert_eq!(failure.error, ApiError::QuotaExhausted);
        let message = failure.service_message.unwrap_or_default();
        assert!(message.contains("Quota Exhausted"), "{style:?}: {message}");
        assert_eq!(
            failure.gateway_code.is_some(),
            style == GatewayStyle::New,
            "{style:?}"
        );
    }

    let fake = FakeApi::start();
    fake.push_fault(Fault::json_body(
        r#"{"code":"1","msg":"检测人流量为: 3人","number":null}"#,
    ));
    let failure = retried_failure(&fake, 2).await;
    assert!(matches!(failure.error, ApiError::Malformed(_)));
    assert_eq!(
        failure.service_message.as_deref(),
        Some("检测人流量为: 3人")
    );
}

#[tokio::test]
async fn a_wrong_path_or_request_shape_stops_a_batch() {
    let fake = FakeApi::start();
    fake.push_fault(Fault::status(404, "Invalid Url"));
    let failure = retried_failure(&fake, 2).await;
    assert!(failure.error.stops_batch(), "{:?}", failure.error);
    assert!(!failure.error.is_malformed_request());

    fake.push_fault(Fault::status(400, "Invalid Content-Type"));
    let failure = retried_failure(&fake, 2).await;
    assert!(failure.error.stops_batch(), "{:?}", failure.error);
    assert!(failure.error.is_malformed_request());
}
