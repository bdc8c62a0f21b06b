//! The people-count API on Alibaba Cloud's marketplace: request, answer, errors, retries.
//!
//! One call is a form-encoded POST of a single `image` field (a data URI or an http(s)
//! URL) with `Authorization: APPCODE <code>`. Answers come from two places: the vendor
//! (HTTP 200 with a JSON body) and the API gateway in front of it (a status and
//! `X-Ca-Error-*` headers, often with an empty body). [`answer`] reads both.

mod answer;
mod error;
mod retry;

use std::time::{Duration, Instant};

use base64::Engine as _;
use url::Url;

use crate::prepare::Upload;
use crate::secret::AppCode;

pub use answer::Answer;
pub use error::{ApiError, VendorCode};
pub use retry::RetryPolicy;

/// The vendor's endpoint. HTTPS, because the AppCode travels in a header.
pub const DEFAULT_ENDPOINT: &str = "https://vitsflow.market.alicloudapi.com/visitorsFlow";

/// How to reach the service.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub endpoint: Url,
    pub connect_timeout: Duration,
    /// Limit for one whole request, from connecting to the last byte of the answer.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            endpoint: Url::parse(DEFAULT_ENDPOINT).expect("the default endpoint is a valid URL"),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// What to count: prepared image bytes, or the address of an image the service fetches.
#[derive(Clone, Copy, Debug)]
pub enum ImageSource<'a> {
    Upload(&'a Upload),
    Url(&'a str),
}

impl ImageSource<'_> {
    /// The value of the `image` form field, before form encoding.
    fn field_value(&self) -> String {
        match self {
            Self::Upload(upload) => {
                let mut value = format!("data:image/{};base64,", upload.format.mime_subtype());
                base64::engine::general_purpose::STANDARD.encode_string(&upload.bytes, &mut value);
                value
            }
            Self::Url(url) => (*url).to_owned(),
        }
    }
}

/// A successful count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Count {
    /// The number of people, from the answer's `number` field.
    pub people: u64,
    /// The service's own words, e.g. `检测人流量为: 102人`.
    pub message: String,
    /// The vendor's `code` as it was sent ("1" on success).
    pub code: String,
    /// `X-Ca-Request-Id`, which support asks for.
    pub request_id: Option<String>,
    /// How many calls it took, retries included.
    pub attempts: u32,
    pub elapsed: Duration,
}

/// A call that did not produce a count.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct Failure {
    pub error: ApiError,
    /// The vendor's `code`, when the answer had one.
    pub code: Option<String>,
    pub request_id: Option<String>,
    /// The service's own words: the vendor's `msg`, or the gateway's
    /// `X-Ca-Error-Message`, as sent.
    pub service_message: Option<String>,
    /// The gateway's `X-Ca-Error-Code`, when it sent one.
    pub gateway_code: Option<String>,
    pub attempts: u32,
    pub elapsed: Duration,
}

/// A client for the API, cheap to clone (connections are pooled and shared).
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

/// What one HTTP exchange gave, before retries are considered.
struct Attempt {
    result: Result<Answer, ApiError>,
    request_id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

impl Client {
    /// Build a client. Certificates are checked against the platform's trust store.
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        // reqwest is built without a bundled crypto provider; `ring` is installed once for
        // the process. A second install is refused harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("headcount/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| ApiError::Network {
                host: config.endpoint.host_str().unwrap_or_default().to_owned(),
                detail: err.to_string(),
            })?;
        Ok(Self { http, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Count the people in `image`, retrying what can succeed on a second try.
    pub async fn count(&self, appcode: &AppCode, image: ImageSource<'_>) -> Result<Count, Failure> {
        let started = Instant::now();
        let body = form_body(&image.field_value());
        let mut attempts = 0;

        loop {
            attempts += 1;
            let attempt = self.send(appcode, body.clone()).await;
            let (error, code, vendor_message) = match attempt.result {
                Ok(answer) => match answer.into_count() {
                    Ok((people, message, code)) => {
                        return Ok(Count {
                            people,
                            message,
                            code,
                            request_id: attempt.request_id,
                            attempts,
                            elapsed: started.elapsed(),
                        });
                    }
                    Err((error, code, message)) => (error, Some(code), Some(message)),
                },
                Err(error) => (error, None, None),
            };

            let delay = (error.is_retryable())
                .then(|| self.config.retry.delay_before_retry(attempts))
                .flatten();
            let Some(delay) = delay else {
                let service_message = vendor_message
                    .or(attempt.error_message)
                    .filter(|message| !message.trim().is_empty());
                return Err(Failure {
                    error,
                    code,
                    request_id: attempt.request_id,
                    service_message,
                    gateway_code: attempt.error_code,
                    attempts,
                    elapsed: started.elapsed(),
                });
            };
            tracing::debug!(kind = error.kind(), attempts, ?delay, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP exchange with no retry.
    async fn send(&self, appcode: &AppCode, body: String) -> Attempt {
        let started = Instant::now();
        let sent = self
            .http
            .post(self.config.endpoint.clone())
            .header(
                reqwest::header::AUTHORIZATION,
                format!("APPCODE {}", appcode.expose()),
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => {
                return Attempt {
                    result: Err(transport_error(&err)),
                    request_id: None,
                    error_code: None,
                    error_message: None,
                };
            }
        };

        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("x-ca-request-id");
        let error_code = header("x-ca-error-code");
        let error_message = header("x-ca-error-message");

        let result = match response.bytes().await {
            Ok(body) => answer::interpret(
                status,
                error_code.as_deref(),
                error_message.as_deref(),
                &body,
            ),
            Err(err) => Err(transport_error(&err)),
        };
        tracing::info!(
            status,
            request_id = request_id.as_deref().unwrap_or("-"),
            latency_ms = started.elapsed().as_millis() as u64,
            outcome = match &result {
                Ok(_) => "answer",
                Err(err) => err.kind(),
            },
            "api call"
        );
        Attempt {
            result,
            request_id,
            error_code,
            error_message,
        }
    }
}

/// `image=<value>`, form-encoded exactly once: `+` becomes `%2B`, `/` `%2F`, `=` `%3D`.
pub fn form_body(image_value: &str) -> String {
    let mut body = String::with_capacity(image_value.len() + image_value.len() / 8 + 6);
    body.push_str("image=");
    body.extend(form_urlencoded::byte_serialize(image_value.as_bytes()));
    body
}

fn transport_error(err: &reqwest::Error) -> ApiError {
    if err.is_timeout() {
        return ApiError::Timeout;
    }
    // The full chain says what broke ("connection refused", "certificate ..."), which the
    // top-level message alone does not.
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    let host = err
        .url()
        .and_then(|url| url.host_str())
        .unwrap_or_default()
        .to_owned();
    ApiError::Network {
        host,
        detail: message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_encodes_base64_punctuation_once() {
        let body = form_body("data:image/png;base64,ab+/cd==");
        assert_eq!(body, "image=data%3Aimage%2Fpng%3Bbase64%2Cab%2B%2Fcd%3D%3D");
    }

    #[test]
    fn form_body_keeps_a_url_readable_after_decoding() {
        let url = "https://example.com/a b.jpg?x=1&y=2";
        let body = form_body(url);
        let decoded: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(decoded, vec![("image".to_owned(), url.to_owned())]);
    }
}
