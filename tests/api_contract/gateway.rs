//! Gateway rejections, in both gateway styles.

use super::*;

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
