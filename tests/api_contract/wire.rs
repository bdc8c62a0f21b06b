//! Success and what travels on the wire.

use super::*;

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
