//! The fake itself, for what the client can never send.

use super::*;

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
