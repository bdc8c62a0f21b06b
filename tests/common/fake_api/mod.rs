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

mod gateway;
mod server;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

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
            .spawn(move || server::serve(listener, server_state, stop))
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
