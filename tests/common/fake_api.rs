//! A local imitation of the people-count API and of the Alibaba Cloud API gateway in front
//! of it, following the last section of `API.md`.
//!
//! The fake runs on 127.0.0.1 on a free port, in its own thread with its own tokio
//! runtime, so synchronous tests (UI, CLI subprocesses) and async tests use it alike.
//! Dropping the [`FakeApi`] stops it.
//!
//! Choices where the contract leaves the answer open:
//! - The AppCode [`DEFAULT_APPCODE`] is registered as an active account without quota or
//!   rate limit, so most tests need no setup.
//! - Base64 text of [`MAX_BASE64_CHARS`] characters or more passes the gateway (its own
//!   limit is the 8 MB body) and is refused by the vendor with code -3, so a test can tell
//!   which of the two limits tripped.
//! - An image whose side is under [`MIN_SIDE`] or over [`MAX_SIDE`] decodes fine but
//!   cannot be analysed: vendor code -4. A header that cannot be read is -3.
//! - An unknown AppCode gets 400 from the older gateway and 401 from the newer one.
//! - Every HTTP 200 answer that reached the vendor is billed, vendor errors included, and
//!   takes one call from the account's quota.
//! - Each queued [`Fault`] is consumed by the next request, whatever that request is.
//!   `Status`, `Throttle` and `Drop` act before the gateway's checks; `Vendor` and
//!   `RawBody` replace the vendor's answer after them, as a backend would.

use std::collections::{HashMap, VecDeque};
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// Registered by [`FakeApi::start`] as an active account with unlimited calls.
pub const DEFAULT_APPCODE: &str = "0123456789abcdef0123456789abcdef";
/// The only path the gateway routes.
pub const PATH: &str = "/visitorsFlow";
/// The gateway's body limit (413 above it).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// The vendor's limit on the base64 text of an image.
pub const MAX_BASE64_CHARS: usize = 4_000_000;
/// The vendor's shortest and longest allowed image sides, in pixels.
pub const MIN_SIDE: u32 = 15;
pub const MAX_SIDE: u32 = 4000;

/// Which generation of the API gateway to imitate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GatewayStyle {
    /// Rejections carry `X-Ca-Error-Message` and `X-Ca-Error-Code`; throttling is 429.
    #[default]
    New,
    /// Rejections carry only `X-Ca-Error-Message`; throttling is 403.
    Old,
}

/// What the marketplace knows about an AppCode's purchase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccountState {
    #[default]
    Active,
    /// The AppCode exists but has not bought this API (403 `Unauthorized`).
    NotPurchased,
    /// The package has expired (403 `Quota Expired`).
    Expired,
    /// The buyer's account is in arrears (403 `User Arrears`).
    Arrears,
}

/// One AppCode's package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Billed calls left; `None` is unlimited.
    pub quota: Option<u32>,
    pub state: AccountState,
    /// Requests allowed per second; `None` is unlimited and `Some(0)` throttles every call.
    pub rate_limit: Option<u32>,
}

impl Account {
    pub fn unlimited() -> Self {
        Self::default()
    }

    pub fn with_quota(calls: u32) -> Self {
        Self {
            quota: Some(calls),
            ..Self::default()
        }
    }

    pub fn in_state(state: AccountState) -> Self {
        Self {
            state,
            ..Self::default()
        }
    }

    pub fn rate_limited(per_second: u32) -> Self {
        Self {
            rate_limit: Some(per_second),
            ..Self::default()
        }
    }
}

/// A misbehaviour for the next request to meet.
#[derive(Clone, Debug)]
pub enum Fault {
    /// A gateway rejection: this status, `X-Ca-Error-Message: message`, an empty body.
    Status { status: u16, message: String },
    /// Close the connection without answering.
    Drop,
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// A vendor error answer at HTTP 200: `{"code": code, "msg": msg}`. `code` may be a
    /// JSON string or integer, as the vendor is inconsistent.
    Vendor { code: Value, msg: String },
    /// Exactly this status, body and extra headers, e.g. HTML or a lying JSON.
    RawBody {
        status: u16,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    },
    /// The gateway's flow-control rejection, in the current style.
    Throttle,
}

impl Fault {
    pub fn status(status: u16, message: &str) -> Self {
        Self::Status {
            status,
            message: message.to_owned(),
        }
    }

    pub fn vendor(code: impl Into<Value>, msg: &str) -> Self {
        Self::Vendor {
            code: code.into(),
            msg: msg.to_owned(),
        }
    }

    /// An HTTP 200 answer with this body, labelled as JSON whether or not it is.
    pub fn json_body(body: &str) -> Self {
        Self::RawBody {
            status: 200,
            body: body.as_bytes().to_vec(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        }
    }
}

/// The count the fake reports for these decoded image bytes: the first four bytes of
/// their BLAKE3 hash, read little-endian, modulo 200.
pub fn expected_count(image_bytes: &[u8]) -> u64 {
    count_from_hash(blake3::hash(image_bytes))
}

/// The count the fake reports for an image URL: as [`expected_count`], over the URL text.
pub fn expected_count_for_url(url: &str) -> u64 {
    count_from_hash(blake3::hash(url.as_bytes()))
}

fn count_from_hash(hash: blake3::Hash) -> u64 {
    let bytes = hash.as_bytes();
    u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % 200)
}

/// A running fake. Cheap to query from any thread; stops when dropped.
pub struct FakeApi {
    addr: SocketAddr,
    shared: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeApi {
    /// Start on a free port of 127.0.0.1, with [`DEFAULT_APPCODE`] registered.
    pub fn start() -> Self {
        // Bound here rather than in the thread, so the port is known and listening before
        // `start` returns and no test can race the server.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let addr = listener.local_addr().expect("the listener has an address");

        let mut state = State::default();
        state
            .accounts
            .insert(DEFAULT_APPCODE.to_owned(), Account::unlimited());
        let shared = Arc::new(Mutex::new(state));

        let (shutdown, stop) = tokio::sync::oneshot::channel();
        let server_state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("fake-api-{}", addr.port()))
            .spawn(move || serve(listener, server_state, stop))
            .expect("spawn the fake API thread");

        Self {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/visitorsFlow`.
    pub fn endpoint(&self) -> String {
        self.url(PATH)
    }

    /// Any path on the fake, e.g. a wrong one.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn set_gateway_style(&self, style: GatewayStyle) {
        self.state().style = style;
    }

    /// Register `code`, replacing any account it had.
    pub fn add_appcode(&self, code: &str, account: Account) {
        let mut state = self.state();
        state.accounts.insert(code.to_owned(), account);
        state.windows.remove(code);
    }

    /// Billed calls left for `code`; `None` if unlimited or unknown.
    pub fn quota_left(&self, code: &str) -> Option<u32> {
        self.state()
            .accounts
            .get(code)
            .and_then(|account| account.quota)
    }

    pub fn push_fault(&self, fault: Fault) {
        self.state().faults.push_back(fault);
    }

    /// Queue `fault` for each of the next `times` requests.
    pub fn push_faults(&self, fault: Fault, times: usize) {
        self.state()
            .faults
            .extend(std::iter::repeat_n(fault, times));
    }

    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    pub fn pending_faults(&self) -> usize {
        self.state().faults.len()
    }

    /// A pause before every answer, on top of any [`Fault::Delay`].
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// Every request received, whatever its fate (dropped ones included).
    pub fn calls(&self) -> u32 {
        self.state().calls
    }

    /// Requests answered with HTTP 200 after reaching the vendor.
    pub fn billed_calls(&self) -> u32 {
        self.state().billed
    }

    /// The last `image` form value, after form decoding.
    pub fn last_image_field(&self) -> Option<String> {
        self.state().last_image_field.clone()
    }

    /// The last request body, exactly as received.
    pub fn last_raw_body(&self) -> Option<Vec<u8>> {
        self.state().last_raw_body.clone()
    }

    /// The last `Authorization` header, exactly as received.
    pub fn last_authorization(&self) -> Option<String> {
        self.state().last_authorization.clone()
    }

    /// The last `Content-Type` header, exactly as received.
    pub fn last_content_type(&self) -> Option<String> {
        self.state().last_content_type.clone()
    }

    /// The `X-Ca-Request-Id` of the last answer sent.
    pub fn last_request_id(&self) -> Option<String> {
        self.state().last_request_id.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic in the server thread already failed the test that caused it.
            let _ = thread.join();
        }
    }
}

/// Everything the fake remembers, behind one lock.
#[derive(Default)]
struct State {
    style: GatewayStyle,
    accounts: HashMap<String, Account>,
    /// Per AppCode: the start of the current one-second window and the calls in it.
    windows: HashMap<String, (Instant, u32)>,
    faults: VecDeque<Fault>,
    latency: Duration,
    calls: u32,
    billed: u32,
    answers_sent: u64,
    last_image_field: Option<String>,
    last_raw_body: Option<Vec<u8>>,
    last_authorization: Option<String>,
    last_content_type: Option<String>,
    last_request_id: Option<String>,
}

/// A test that panicked while holding the lock must not hide the fake from the next one.
fn lock(shared: &Mutex<State>) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn serve(
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
enum Reply {
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
    fn gateway(status: u16, message: &str) -> Self {
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

/// The gateway's checks in order, then the vendor.
fn answer(state: &mut State, parts: &Parts, body: &[u8], fault: Option<Fault>) -> Reply {
    match fault {
        Some(Fault::Status { status, message }) => return Reply::Gateway { status, message },
        Some(Fault::Throttle) => return throttled(state.style),
        _ => {}
    }

    if parts.uri.path() != PATH {
        return Reply::gateway(404, "Invalid Url");
    }
    if parts.method != Method::POST {
        return Reply::gateway(405, "Unsupported Method");
    }
    if body.len() > MAX_BODY_BYTES {
        return Reply::gateway(413, "Request Body too Large");
    }

    let appcode = match authorize(state, parts) {
        Ok(appcode) => appcode,
        Err(reply) => return reply,
    };

    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/") {
        return Reply::gateway(400, "Unsupported Multipart");
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Reply::gateway(400, "Invalid Content-Type");
    }

    let image = form_urlencoded::parse(body).find(|(name, _)| name == "image");
    let Some((_, image)) = image else {
        return Reply::gateway(400, "Invalid Parameter Required image");
    };
    let image = image.into_owned();
    state.last_image_field = Some(image.clone());

    let reply = match fault {
        Some(Fault::Vendor { code, msg }) => Reply::Vendor(json!({ "code": code, "msg": msg })),
        Some(Fault::RawBody {
            status,
            body,
            headers,
        }) => Reply::Raw {
            status,
            body,
            headers,
        },
        _ => Reply::Vendor(vendor_answer(&image)),
    };
    let billed = match &reply {
        Reply::Vendor(_) => true,
        Reply::Raw { status, .. } => *status == 200,
        Reply::Gateway { .. } => false,
    };
    if billed {
        state.billed += 1;
        if let Some(account) = state.accounts.get_mut(&appcode)
            && let Some(quota) = account.quota.as_mut()
        {
            *quota = quota.saturating_sub(1);
        }
    }
    reply
}

fn throttled(style: GatewayStyle) -> Reply {
    let status = match style {
        GatewayStyle::New => 429,
        GatewayStyle::Old => 403,
    };
    Reply::gateway(status, "Throttled by APP Flow Control")
}

/// The AppCode, its package and its rate; the AppCode on success.
fn authorize(state: &mut State, parts: &Parts) -> Result<String, Reply> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Err(Reply::gateway(400, "Need authorization"));
    };
    let invalid_status = match state.style {
        GatewayStyle::New => 401,
        GatewayStyle::Old => 400,
    };
    let invalid = || Reply::gateway(invalid_status, "Invalid AppCode `not exists`");
    // The gateway wants the literal word and one space; anything else is not an AppCode.
    let code = header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("APPCODE "));
    let Some(code) = code else {
        return Err(invalid());
    };
    let Some(account) = state.accounts.get(code) else {
        return Err(invalid());
    };

    match account.state {
        AccountState::Active => {}
        AccountState::NotPurchased => return Err(Reply::gateway(403, "Unauthorized")),
        AccountState::Expired => return Err(Reply::gateway(403, "Quota Expired")),
        AccountState::Arrears => return Err(Reply::gateway(403, "User Arrears")),
    }
    if account.quota == Some(0) {
        return Err(Reply::gateway(403, "Quota Exhausted"));
    }

    if let Some(limit) = account.rate_limit {
        let now = Instant::now();
        let window = state.windows.entry(code.to_owned()).or_insert((now, 0));
        if now.duration_since(window.0) >= Duration::from_secs(1) {
            *window = (now, 0);
        }
        if window.1 >= limit {
            return Err(throttled(state.style));
        }
        window.1 += 1;
    }
    Ok(code.to_owned())
}

fn vendor_error(code: i64, msg: &str) -> Value {
    json!({ "code": code.to_string(), "msg": msg })
}

/// The vendor's reading of the `image` value, strictly.
fn vendor_answer(image: &str) -> Value {
    if image.is_empty() {
        return vendor_error(-1, "图片为空");
    }
    if image.starts_with("http://") || image.starts_with("https://") {
        // `.invalid` never resolves (RFC 2606), so it stands for an unreachable URL.
        let host = image.split('/').nth(2).unwrap_or_default();
        let host = host.split(':').next().unwrap_or_default();
        if host.is_empty() || host.ends_with(".invalid") {
            return vendor_error(-3, "图片加载失败");
        }
        return success(expected_count_for_url(image));
    }

    let Some((label, base64_text)) = image
        .strip_prefix("data:image/")
        .and_then(|rest| rest.split_once(";base64,"))
    else {
        return vendor_error(-8, "URL缺少http前缀或base64缺少data:image头");
    };
    if label.is_empty() || !label.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return vendor_error(-8, "base64缺少data:image头");
    }
    if !["jpeg", "jpg", "png", "bmp"].contains(&label.to_ascii_lowercase().as_str()) {
        return vendor_error(-2, "图片格式错误");
    }
    if base64_text.is_empty() {
        return vendor_error(-1, "图片为空");
    }
    if base64_text.len() >= MAX_BASE64_CHARS {
        return vendor_error(-3, "图片加载失败: 图片超过4M");
    }
    // A space here is a `+` the client forgot to form-encode: the data is corrupt.
    let is_base64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    if !base64_text.bytes().all(is_base64) {
        return vendor_error(-3, "图片加载失败");
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(base64_text) else {
        return vendor_error(-3, "图片加载失败");
    };

    if !is_accepted_format(&bytes) {
        return vendor_error(-2, "图片格式错误");
    }
    let dimensions = image::ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.into_dimensions().ok());
    let Some((width, height)) = dimensions else {
        return vendor_error(-3, "图片加载失败");
    };
    if width.min(height) < MIN_SIDE || width.max(height) > MAX_SIDE {
        return vendor_error(-4, "识别失败");
    }
    success(expected_count(&bytes))
}

/// JPEG, PNG or BMP by magic number, whatever the data URI's label claims.
fn is_accepted_format(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(b"BM")
}

fn success(people: u64) -> Value {
    json!({
        "code": "1",
        "msg": format!("检测人流量为: {people}人"),
        "number": people.to_string(),
    })
}
