//! Retried failures: what is retried, how often, and what is not.

use super::*;

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
        matches!(failure.error, ApiError::Network { .. }),
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
