//! Vendor error codes: HTTP 200 answers whose `code` is not 1.

use super::*;

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
