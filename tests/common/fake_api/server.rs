//! The HTTP side: accepting connections, applying faults and latency, writing replies.

use super::gateway::answer;
use super::*;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub(super) fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Mutex<State>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the fake API runtime");
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).expect("hand the listener to tokio");
        loop {
            tokio::select! {
                _ = &mut stop => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let shared = Arc::clone(&shared);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            handle(Arc::clone(&shared), request)
                        });
                        // A connection ending in an error is how `Fault::Drop` works.
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
    });
    // Dropping the runtime here cancels connections still open, delayed ones included.
}

/// Returned by the service to make hyper abort the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    shared: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    {
        // Counted before the body is read, so a client that gives up mid-upload still
        // shows in `calls()`.
        let mut state = lock(&shared);
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        state.calls += 1;
        state.last_authorization = header(AUTHORIZATION);
        state.last_content_type = header(CONTENT_TYPE);
    }
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();

    let (fault, latency) = {
        let mut state = lock(&shared);
        state.last_raw_body = Some(body.to_vec());
        (state.faults.pop_front(), state.latency)
    };

    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = match fault {
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        other => other,
    };

    let mut state = lock(&shared);
    let reply = answer(&mut state, &parts, &body, fault);
    Ok(reply.into_response(&mut state))
}

/// What the fake decided to send, before headers are added.
pub(super) enum Reply {
    /// A gateway rejection: empty body, the reason in headers.
    Gateway { status: u16, message: String },
    /// The vendor's JSON at HTTP 200.
    Vendor(Value),
    Raw {
        status: u16,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    },
}

impl Reply {
    pub(super) fn gateway(status: u16, message: &str) -> Self {
        Self::Gateway {
            status,
            message: message.to_owned(),
        }
    }

    fn into_response(self, state: &mut State) -> Response<Full<Bytes>> {
        state.answers_sent += 1;
        let request_id = request_id(state.answers_sent);
        state.last_request_id = Some(request_id.clone());

        let builder = Response::builder().header("X-Ca-Request-Id", request_id);
        let response = match self {
            Self::Gateway { status, message } => {
                let mut builder = builder
                    .status(status)
                    .header("X-Ca-Error-Message", &message);
                if state.style == GatewayStyle::New {
                    builder = builder.header("X-Ca-Error-Code", error_code(status, &message));
                }
                builder.body(Full::new(Bytes::new()))
            }
            Self::Vendor(json) => builder
                .status(200)
                .header(CONTENT_TYPE, "application/json; charset=UTF-8")
                .body(Full::new(Bytes::from(json.to_string()))),
            Self::Raw {
                status,
                body,
                headers,
            } => headers
                .into_iter()
                .fold(builder.status(status), |builder, (name, value)| {
                    builder.header(name, value)
                })
                .body(Full::new(Bytes::from(body))),
        };
        response.expect("the fake builds valid responses")
    }
}

/// A fresh id shaped like the gateway's (`8-4-4-4-12` hex digits).
fn request_id(serial: u64) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let mut hasher = blake3::Hasher::new();
    hasher.update(&serial.to_le_bytes());
    hasher.update(&nanos.as_nanos().to_le_bytes());
    hasher.update(&std::process::id().to_le_bytes());
    let hex = hasher.finalize().to_hex().to_ascii_uppercase();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A newer-gateway error code in its `I400IA` shape: client (I) or server (S) side, the
/// status, and the initials of the message's first two words.
fn error_code(status: u16, message: &str) -> String {
    let side = if status >= 500 { 'S' } else { 'I' };
    let initials: String = message
        .split_whitespace()
        .filter_map(|word| word.chars().find(char::is_ascii_alphabetic))
        .take(2)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    format!("{side}{status}{initials}")
}
