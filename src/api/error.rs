//! What can go wrong with one call, in terms of what the user can do about it.

use std::fmt;

/// A failed call to the people-count API.
///
/// Each variant maps one documented failure of the vendor or of Alibaba Cloud's API
/// gateway; [`ApiError::is_retryable`] tells whether trying again can help, and the UI
/// and CLI turn the variant into advice in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The gateway does not know this AppCode (`Invalid AppCode`).
    #[error("the AppCode was rejected")]
    InvalidAppCode,
    /// No `Authorization` header reached the gateway (`Need authorization`).
    #[error("the request carried no AppCode")]
    MissingAuthorization,
    /// The AppCode has not bought this API, or the host/path is wrong (`Unauthorized`).
    #[error("this AppCode has not purchased the people-count API (or the endpoint is wrong)")]
    NotPurchased,
    /// Every call of the package has been used (`Quota Exhausted`).
    #[error("the call quota is used up")]
    QuotaExhausted,
    /// The package has expired (`Quota Expired`).
    #[error("the API package has expired")]
    QuotaExpired,
    /// The buyer's Alibaba Cloud account is in arrears (`User Arrears`).
    #[error("the Alibaba Cloud account is in arrears")]
    Arrears,
    /// Rate limited by the gateway (`Throttled by ... Flow Control`).
    #[error("too many requests; the service is throttling")]
    Throttled,
    /// The body or URL was over the gateway's limit (413).
    #[error("the image is too large for the service")]
    TooLarge,
    /// The gateway rejected the request's shape: wrong path, method, content type or a
    /// missing field. Seeing this means a wrong endpoint or a client bug.
    #[error("the service rejected the request ({status}: {message})")]
    BadRequest { status: u16, message: String },
    /// The vendor answered with one of its documented error codes.
    #[error("{}", .code.describe())]
    Image { code: VendorCode, message: String },
    /// The vendor answered with a code it never documented.
    #[error("the service answered with unknown code {code}: {message}")]
    UnknownCode { code: String, message: String },
    /// A 5xx from the gateway or the backend.
    #[error("the service failed ({status}: {message})")]
    ServiceFault { status: u16, message: String },
    /// No answer within the configured time.
    #[error("the service did not answer in time")]
    Timeout,
    /// The connection could not be made or broke.
    #[error("network error reaching {host}: {detail}")]
    Network {
        /// The endpoint's host, so the user can tell which address failed.
        host: String,
        detail: String,
    },
    /// An answer that does not follow the contract.
    #[error("the service's answer could not be understood ({0})")]
    Malformed(String),
    /// A rejection with a status and message this client does not know.
    #[error("the service refused the request ({status}: {message})")]
    Unexpected { status: u16, message: String },
}

impl ApiError {
    /// Whether repeating the same call can succeed. False for everything that would only
    /// burn money or quota: authentication, quota, and input errors.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttled | Self::ServiceFault { .. } | Self::Timeout | Self::Network { .. }
        )
    }

    /// Whether every further call with the same AppCode will fail the same way, so a batch
    /// should stop instead of trying the remaining images.
    pub fn stops_batch(&self) -> bool {
        matches!(
            self,
            Self::InvalidAppCode
                | Self::MissingAuthorization
                | Self::NotPurchased
                | Self::QuotaExhausted
                | Self::QuotaExpired
                | Self::Arrears
                // A wrong path, method or request shape: every call would be refused alike.
                | Self::BadRequest { .. }
        )
    }

    /// A rejection of the request's shape rather than its address: a missing field or a
    /// wrong content type. Only a bug, or a proxy that rewrites requests, causes it.
    pub fn is_malformed_request(&self) -> bool {
        let Self::BadRequest { message, .. } = self else {
            return false;
        };
        let lower = message.to_ascii_lowercase();
        ["parameter", "content-type", "multipart"]
            .iter()
            .any(|needle| lower.contains(needle))
    }

    /// A short stable identifier, for JSON/CSV output and for choosing a translation.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidAppCode => "invalid_appcode",
            Self::MissingAuthorization => "missing_authorization",
            Self::NotPurchased => "not_purchased",
            Self::QuotaExhausted => "quota_exhausted",
            Self::QuotaExpired => "quota_expired",
            Self::Arrears => "arrears",
            Self::Throttled => "throttled",
            Self::TooLarge => "too_large",
            Self::BadRequest { .. } => "bad_request",
            Self::Image { code, .. } => code.kind(),
            Self::UnknownCode { .. } => "unknown_code",
            Self::ServiceFault { .. } => "service_fault",
            Self::Timeout => "timeout",
            Self::Network { .. } => "network",
            Self::Malformed(_) => "malformed_answer",
            Self::Unexpected { .. } => "unexpected",
        }
    }

    /// The vendor's or gateway's own words, when the answer carried any.
    pub fn service_message(&self) -> Option<&str> {
        match self {
            Self::BadRequest { message, .. }
            | Self::Image { message, .. }
            | Self::UnknownCode { message, .. }
            | Self::ServiceFault { message, .. }
            | Self::Unexpected { message, .. } => Some(message).filter(|m| !m.is_empty()),
            _ => None,
        }
        .map(String::as_str)
    }
}

/// The vendor's documented business error codes (HTTP 200 with `code` ≠ 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VendorCode {
    /// -1: the image was empty.
    ImageEmpty,
    /// -2: the image format is wrong.
    WrongFormat,
    /// -3: the image could not be loaded (bad data or unreachable URL).
    LoadFailed,
    /// -4: recognition failed.
    RecognitionFailed,
    /// -8: the URL lacks `http`, or the base64 lacks its data-URI header.
    BadImageField,
    /// -9: no information.
    NoInformation,
}

impl VendorCode {
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            -1 => Self::ImageEmpty,
            -2 => Self::WrongFormat,
            -3 => Self::LoadFailed,
            -4 => Self::RecognitionFailed,
            -8 => Self::BadImageField,
            -9 => Self::NoInformation,
            _ => return None,
        })
    }

    pub fn code(self) -> i64 {
        match self {
            Self::ImageEmpty => -1,
            Self::WrongFormat => -2,
            Self::LoadFailed => -3,
            Self::RecognitionFailed => -4,
            Self::BadImageField => -8,
            Self::NoInformation => -9,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Self::ImageEmpty => "image_empty",
            Self::WrongFormat => "image_format",
            Self::LoadFailed => "image_load_failed",
            Self::RecognitionFailed => "recognition_failed",
            Self::BadImageField => "bad_image_field",
            Self::NoInformation => "no_information",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::ImageEmpty => "the service received an empty image",
            Self::WrongFormat => "the service does not accept this image format",
            Self::LoadFailed => "the service could not load the image",
            Self::RecognitionFailed => "the service could not analyse this photo",
            Self::BadImageField => "the image was sent in a form the service does not accept",
            Self::NoInformation => "the service returned no information",
        }
    }
}

impl fmt::Display for VendorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}
