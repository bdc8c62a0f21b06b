//! The gateway's checks and the vendor's answers, as API.md describes them.

use super::server::Reply;
use super::*;
use std::io::Cursor;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper::Method;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::http::request::Parts;
use serde_json::{Value, json};

/// The gateway's checks in order, then the vendor.
pub(super) fn answer(state: &mut State, parts: &Parts, body: &[u8], fault: Option<Fault>) -> Reply {
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
