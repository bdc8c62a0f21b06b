//! Reading an answer: the vendor's JSON, or the gateway's status and headers.

use serde_json::Value;

use super::error::{ApiError, VendorCode};

/// The vendor's JSON answer: `{"code":"1","msg":"...","number":"102"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// `code`, normalised to text whether it came as a string or an integer.
    pub code: String,
    pub message: String,
    /// `number` as it was sent, still unchecked.
    number: Option<Value>,
}

impl Answer {
    /// The count, message and code of a successful answer; otherwise the error, the code
    /// and the service's message.
    #[allow(clippy::result_large_err)]
    pub fn into_count(self) -> Result<(u64, String, String), (ApiError, String, String)> {
        let Ok(code) = self.code.trim().parse::<i64>() else {
            return Err((
                ApiError::UnknownCode {
                    code: self.code.clone(),
                    message: self.message.clone(),
                },
                self.code,
                self.message,
            ));
        };
        if code != 1 {
            let error = match VendorCode::from_code(code) {
                Some(code) => ApiError::Image {
                    code,
                    message: self.message.clone(),
                },
                None => ApiError::UnknownCode {
                    code: self.code.clone(),
                    message: self.message.clone(),
                },
            };
            return Err((error, self.code, self.message));
        }
        match self.number.as_ref().and_then(people_count) {
            Some(people) => Ok((people, self.message, self.code)),
            None => Err((
                ApiError::Malformed(format!("`number` is {:?}", self.number)),
                self.code,
                self.message,
            )),
        }
    }
}

/// A non-negative integer, given as a JSON integer or as a string of digits.
fn people_count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => {
            let text = text.trim();
            let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
            digits_only.then(|| text.parse().ok()).flatten()
        }
        _ => None,
    }
}

/// Read the vendor's JSON, if the body is one.
fn vendor_answer(body: &[u8]) -> Option<Answer> {
    let Value::Object(mut fields) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    let code = match fields.remove("code")? {
        Value::String(text) => text,
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let message = match fields.remove("msg") {
        Some(Value::String(text)) => text,
        Some(other) if !other.is_null() => other.to_string(),
        _ => String::new(),
    };
    Some(Answer {
        code,
        message,
        number: fields.remove("number"),
    })
}

/// Turn one HTTP answer into the vendor's answer or a typed error.
///
/// `error_code` and `error_message` are the gateway's `X-Ca-Error-Code` and
/// `X-Ca-Error-Message`. Newer gateways send the code only when they rejected the call;
/// older ones send only the message. Whether the vendor ever answers with a non-200
/// status is undocumented, so such a body is read as vendor JSON first.
pub fn interpret(
    status: u16,
    error_code: Option<&str>,
    error_message: Option<&str>,
    body: &[u8],
) -> Result<Answer, ApiError> {
    if error_code.is_none() {
        if let Some(answer) = vendor_answer(body) {
            return Ok(answer);
        }
        if status == 200 {
            let preview: String = String::from_utf8_lossy(body).chars().take(80).collect();
            return Err(ApiError::Malformed(if preview.is_empty() {
                "empty body".to_owned()
            } else {
                format!("not the expected JSON: {preview}")
            }));
        }
    }
    Err(gateway_error(status, error_message.unwrap_or_default()))
}

/// Classify a gateway rejection by its message (matched by substring: the gateway adds
/// suffixes such as ``Invalid AppCode `not exists` ``), falling back to the status.
fn gateway_error(status: u16, message: &str) -> ApiError {
    let lower = message.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    let owned = || message.to_owned();

    if has("invalid appcode") {
        ApiError::InvalidAppCode
    } else if has("need authorization") {
        ApiError::MissingAuthorization
    } else if has("quota exhausted") {
        ApiError::QuotaExhausted
    } else if has("expired") {
        ApiError::QuotaExpired
    } else if has("arrears") {
        ApiError::Arrears
    } else if has("throttled") || has("flow control") {
        ApiError::Throttled
    } else if has("unauthorized") {
        ApiError::NotPurchased
    } else if has("too large") {
        ApiError::TooLarge
    } else if [
        "invalid url",
        "api not found",
        "invalid parameter",
        "invalid content-type",
        "unsupported multipart",
        "unsupported method",
    ]
    .iter()
    .any(|needle| has(needle))
    {
        ApiError::BadRequest {
            status,
            message: owned(),
        }
    } else {
        match status {
            401 => ApiError::InvalidAppCode,
            413 => ApiError::TooLarge,
            429 => ApiError::Throttled,
            500..=599 => ApiError::ServiceFault {
                status,
                message: owned(),
            },
            _ => ApiError::Unexpected {
                status,
                message: owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_of(body: &str) -> Result<u64, ApiError> {
        let answer = interpret(200, None, None, body.as_bytes())?;
        answer
            .into_count()
            .map(|(people, ..)| people)
            .map_err(|(error, _, _)| error)
    }

    #[test]
    fn success_with_strings_or_integers() {
        assert_eq!(
            count_of(r#"{"code":"1","msg":"检测人流量为: 102人","number":"102"}"#),
            Ok(102)
        );
        assert_eq!(count_of(r#"{"code":1,"msg":"ok","number":7}"#), Ok(7));
        assert_eq!(count_of(r#"{"code":"1","msg":"ok","number":"0"}"#), Ok(0));
    }

    #[test]
    fn a_number_that_is_not_a_count_is_malformed() {
        for number in [
            r#""-3""#,
            "-3",
            r#""12.5""#,
            "12.5",
            r#""""#,
            r#""abc""#,
            "null",
            "[]",
        ] {
            let body = format!(r#"{{"code":"1","msg":"ok","number":{number}}}"#);
            assert!(
                matches!(count_of(&body), Err(ApiError::Malformed(_))),
                "number {number} was accepted"
            );
        }
        assert!(matches!(
            count_of(r#"{"code":"1","msg":"ok"}"#),
            Err(ApiError::Malformed(_))
        ));
    }

    #[test]
    fn vendor_codes_map_to_their_variants() {
        for (code, expected) in [
            (-1, VendorCode::ImageEmpty),
            (-2, VendorCode::WrongFormat),
            (-3, VendorCode::LoadFailed),
            (-4, VendorCode::RecognitionFailed),
            (-8, VendorCode::BadImageField),
            (-9, VendorCode::NoInformation),
        ] {
            for body in [
                format!(r#"{{"code":"{code}","msg":"m"}}"#),
                format!(r#"{{"code":{code},"msg":"m"}}"#),
            ] {
                assert_eq!(
                    count_of(&body),
                    Err(ApiError::Image {
                        code: expected,
                        message: "m".into()
                    })
                );
            }
        }
    }

    #[test]
    fn unknown_vendor_codes_keep_the_raw_message() {
        assert_eq!(
            count_of(r#"{"code":"-7","msg":"奇怪"}"#),
            Err(ApiError::UnknownCode {
                code: "-7".into(),
                message: "奇怪".into()
            })
        );
        assert_eq!(
            count_of(r#"{"code":"x","msg":"?"}"#),
            Err(ApiError::UnknownCode {
                code: "x".into(),
                message: "?".into()
            })
        );
    }

    #[test]
    fn non_json_success_is_malformed() {
        assert!(matches!(
            count_of("<html>oops</html>"),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(count_of(""), Err(ApiError::Malformed(_))));
        assert!(matches!(count_of("[1,2]"), Err(ApiError::Malformed(_))));
    }

    #[test]
    fn gateway_messages_classify_with_and_without_error_code() {
        let cases = [
            (
                400,
                "Invalid AppCode `not exists`",
                ApiError::InvalidAppCode,
            ),
            (401, "Invalid AppCode", ApiError::InvalidAppCode),
            (400, "Need authorization", ApiError::MissingAuthorization),
            (403, "Unauthorized", ApiError::NotPurchased),
            (403, "Quota Exhausted", ApiError::QuotaExhausted),
            (403, "quota exhausted", ApiError::QuotaExhausted),
            (403, "Quota Expired", ApiError::QuotaExpired),
            (403, "User Arrears", ApiError::Arrears),
            (403, "Throttled by APP Flow Control", ApiError::Throttled),
            (429, "Throttled by API Flow Control", ApiError::Throttled),
            (413, "Request Body too Large", ApiError::TooLarge),
        ];
        for (status, message, expected) in cases {
            for code in [None, Some("X")] {
                assert_eq!(
                    interpret(status, code, Some(message), b"").map(|_| ()),
                    Err(expected.clone()),
                    "{status} {message} {code:?}"
                );
            }
        }
        for (status, message) in [
            (500, "Internal Error"),
            (502, "Failed To Invoke Backend Service"),
            (503, "Service Unavailable"),
            (504, "Backend service connect failed `timeout`"),
        ] {
            let error =
                interpret(status, Some("E"), Some(message), b"").expect_err("an error status");
            assert!(
                matches!(error, ApiError::ServiceFault { .. }),
                "{status} {message}"
            );
            assert!(error.is_retryable());
        }
        for (status, message) in [
            (404, "Invalid Url"),
            (400, "Invalid Parameter Required image"),
            (400, "Invalid Content-Type"),
            (405, "Unsupported Method"),
        ] {
            let error = interpret(status, None, Some(message), b"").expect_err("an error status");
            assert!(
                matches!(error, ApiError::BadRequest { .. }),
                "{status} {message}"
            );
            assert!(!error.is_retryable());
        }
    }

    #[test]
    fn non_200_vendor_json_is_read_as_the_vendor_answer() {
        let answer = interpret(500, None, None, br#"{"code":"-3","msg":"load failed"}"#);
        assert_eq!(answer.map(|a| a.code), Ok("-3".to_owned()));
    }

    #[test]
    fn a_bare_status_still_classifies() {
        assert_eq!(interpret(429, None, None, b""), Err(ApiError::Throttled));
        assert!(matches!(
            interpret(502, None, None, b""),
            Err(ApiError::ServiceFault { .. })
        ));
        assert!(matches!(
            interpret(418, None, None, b""),
            Err(ApiError::Unexpected { .. })
        ));
    }
}
