//! The user's language. Texts live in `locales/*.yml` and are looked up with `t!`.

use rust_i18n::t;
use serde::{Deserialize, Serialize};

use crate::api::ApiError;
use crate::engine::{JobError, ReadError};
use crate::prepare::PrepareError;
use crate::secret::{AppCodeError, SecretError};

/// The languages Headcount speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The locale key used by the translation files.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh-CN",
        }
    }

    /// The language's own name, for a language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Zh => "中文",
        }
    }

    /// Read a tag such as `zh`, `zh-CN`, `zh_TW.UTF-8`, `en-US` or `english`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("zh") || tag.starts_with("chinese") || tag == "中文" {
            Some(Self::Zh)
        } else if tag.starts_with("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// The system's language when it is one we speak, English otherwise.
    pub fn from_system() -> Self {
        sys_locale::get_locales()
            .find_map(|tag| Self::from_tag(&tag))
            .unwrap_or_default()
    }
}

/// What went wrong, in the user's language, naming the file when there is one.
pub fn error_text_for(lang: Lang, name: Option<&str>, error: &JobError) -> String {
    let locale = lang.code();
    let fallback_name = match lang {
        Lang::En => "The file",
        Lang::Zh => "该文件",
    };
    let name = name.unwrap_or(fallback_name);
    let key = format!("error.{}", error.kind());
    let text: std::borrow::Cow<'_, str> = match error {
        JobError::Read(detail) => {
            let detail = match detail {
                ReadError::NotFound => t!("read.not_found", locale = locale).into_owned(),
                ReadError::PermissionDenied => {
                    t!("read.permission_denied", locale = locale).into_owned()
                }
                ReadError::EmptyFolder => t!("read.empty_folder", locale = locale).into_owned(),
                ReadError::Other(other) => other.clone(),
            };
            t!(&key, locale = locale, name = name, detail = detail)
        }
        JobError::UnsupportedAddress(scheme) => {
            t!(&key, locale = locale, name = name, scheme = scheme)
        }
        JobError::FileTooLarge(bytes) => {
            t!(
                &key,
                locale = locale,
                name = name,
                size = human_size(*bytes)
            )
        }
        JobError::Prepare(prepare) => match prepare {
            PrepareError::TooSmall { width, height }
            | PrepareError::ExtremeAspect { width, height }
            | PrepareError::TooLargeToDecode { width, height, .. } => {
                t!(
                    &key,
                    locale = locale,
                    name = name,
                    width = width,
                    height = height
                )
            }
            PrepareError::Unsupported { format } | PrepareError::Corrupt { format, .. } => {
                t!(&key, locale = locale, name = name, format = format)
            }
            _ => t!(&key, locale = locale, name = name),
        },
        JobError::Api(failure) => return api_error_text(lang, &failure.error),
        JobError::Skipped(reason) => {
            t!(&key, locale = locale, reason = api_error_text(lang, reason))
        }
    };
    // Chinese templates put a space after a (Latin) file name; none belongs after 该文件.
    if lang == Lang::Zh && name == fallback_name {
        return text.replacen("该文件 ", "该文件", 1);
    }
    text.into_owned()
}

/// [`error_text_for`] without a file name.
pub fn error_text(lang: Lang, error: &JobError) -> String {
    error_text_for(lang, None, error)
}

/// What the service's refusal means, in the user's language.
pub fn api_error_text(lang: Lang, error: &ApiError) -> String {
    let locale = lang.code();
    let key = format!("error.{}", error.kind());
    // The gateway's reason in its own words ("Invalid Url"), after the status.
    let status_with = |status: &u16, message: &str| match message.trim() {
        "" => status.to_string(),
        reason => format!("{status}: {reason}"),
    };
    let text = match error {
        ApiError::ServiceFault { status: 504, .. } => t!("error.gateway_timeout", locale = locale),
        ApiError::BadRequest { status, message }
        | ApiError::ServiceFault { status, message }
        | ApiError::Unexpected { status, message } => {
            t!(&key, locale = locale, status = status_with(status, message))
        }
        ApiError::UnknownCode { code, .. } => t!(&key, locale = locale, code = code),
        ApiError::Network { host, .. } => t!(&key, locale = locale, host = host),
        _ => t!(&key, locale = locale),
    };
    text.into_owned()
}

/// What the user can do about it, in their language.
pub fn error_advice(lang: Lang, error: &JobError) -> String {
    let kind = match error {
        JobError::Skipped(_) => "skipped",
        JobError::Read(ReadError::NotFound) => "read_not_found",
        JobError::Read(ReadError::PermissionDenied) => "read_permission",
        other
            if other
                .api_error()
                .is_some_and(ApiError::is_malformed_request) =>
        {
            "malformed_request"
        }
        other => other.kind(),
    };
    let key = format!("advice.{kind}");
    t!(&key, locale = lang.code()).into_owned()
}

/// Why typed text is not an AppCode, in the user's language.
pub fn appcode_error_text(lang: Lang, error: &AppCodeError) -> String {
    let locale = lang.code();
    match error {
        AppCodeError::Empty => t!("ui.appcode.empty", locale = locale),
        AppCodeError::Whitespace => t!("ui.appcode.whitespace", locale = locale),
        AppCodeError::Characters => t!("ui.appcode.characters", locale = locale),
        AppCodeError::Length(n) => t!("ui.appcode.length", locale = locale, n = n),
    }
    .into()
}

/// Why the keyring could not be used, in the user's language. The platform's own detail
/// (always English) is shown only where there is nothing better to say.
pub fn secret_error_text(lang: Lang, error: &SecretError) -> String {
    let locale = lang.code();
    match error {
        SecretError::Unavailable(_) => t!("secret.unavailable", locale = locale),
        SecretError::Locked(_) => t!("secret.locked", locale = locale),
        SecretError::InvalidEnv(reason) => t!(
            "secret.invalid_env",
            locale = locale,
            reason = appcode_error_text(lang, reason)
        ),
        SecretError::Invalid(_) => t!("secret.invalid", locale = locale),
        SecretError::Failed(detail) => t!("secret.failed", locale = locale, detail = detail),
    }
    .into()
}

/// A text from the translation files by key.
pub fn text(lang: Lang, key: &str) -> String {
    t!(key, locale = lang.code()).into_owned()
}

/// Bytes as a person reads them: `3.2 MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Failure, VendorCode};

    fn api(error: ApiError) -> JobError {
        JobError::from(Failure {
            error,
            code: None,
            request_id: None,
            service_message: None,
            gateway_code: None,
            attempts: 1,
            elapsed: std::time::Duration::ZERO,
        })
    }

    #[test]
    fn a_network_error_names_the_host_that_failed() {
        let error = api(ApiError::Network {
            host: "gateway.example.com".into(),
            detail: "connection refused".into(),
        });
        for lang in [Lang::En, Lang::Zh] {
            assert!(error_text(lang, &error).contains("gateway.example.com"));
        }
    }

    #[test]
    fn a_missing_file_gets_its_own_advice() {
        let missing = JobError::Read(ReadError::NotFound);
        let other = JobError::read("disk on fire");
        for lang in [Lang::En, Lang::Zh] {
            assert_ne!(error_advice(lang, &missing), error_advice(lang, &other));
        }
    }

    #[test]
    fn every_error_has_text_and_advice_in_both_languages() {
        let errors = [
            JobError::Read(ReadError::NotFound),
            JobError::Read(ReadError::PermissionDenied),
            JobError::Read(ReadError::EmptyFolder),
            JobError::read("denied"),
            JobError::FileTooLarge(300_000_000),
            JobError::Prepare(PrepareError::Empty),
            JobError::Prepare(PrepareError::TooSmall {
                width: 3,
                height: 4,
            }),
            JobError::Prepare(PrepareError::Unsupported {
                format: "HEIC".into(),
            }),
            JobError::Prepare(PrepareError::NotAnImage),
            JobError::Prepare(PrepareError::Corrupt {
                format: "PNG".into(),
                reason: "x".into(),
            }),
            JobError::Prepare(PrepareError::TooLargeToDecode {
                format: "PNG".into(),
                width: 65536,
                height: 65536,
            }),
            JobError::Prepare(PrepareError::CannotShrink),
            JobError::Prepare(PrepareError::ExtremeAspect {
                width: 9000,
                height: 15,
            }),
            JobError::Prepare(PrepareError::Internal("x".into())),
            api(ApiError::InvalidAppCode),
            api(ApiError::MissingAuthorization),
            api(ApiError::NotPurchased),
            api(ApiError::QuotaExhausted),
            api(ApiError::QuotaExpired),
            api(ApiError::Arrears),
            api(ApiError::Throttled),
            api(ApiError::TooLarge),
            api(ApiError::BadRequest {
                status: 404,
                message: "Invalid Url".into(),
            }),
            api(ApiError::UnknownCode {
                code: "-7".into(),
                message: "?".into(),
            }),
            api(ApiError::ServiceFault {
                status: 503,
                message: String::new(),
            }),
            api(ApiError::Timeout),
            api(ApiError::Network {
                host: "example.com".into(),
                detail: "refused".into(),
            }),
            api(ApiError::Malformed("x".into())),
            api(ApiError::Unexpected {
                status: 418,
                message: String::new(),
            }),
            JobError::Skipped(ApiError::QuotaExhausted),
            JobError::UnsupportedAddress("ftp".into()),
        ]
        .into_iter()
        .chain(
            [-1, -2, -3, -4, -8, -9]
                .into_iter()
                .filter_map(VendorCode::from_code)
                .map(|code| {
                    api(ApiError::Image {
                        code,
                        message: "m".into(),
                    })
                }),
        );
        for error in errors {
            for lang in Lang::ALL {
                let text = error_text_for(lang, Some("a.jpg"), &error);
                let advice = error_advice(lang, &error);
                for shown in [&text, &advice] {
                    assert!(
                        !shown.is_empty()
                            && !shown.contains("error.")
                            && !shown.contains("advice."),
                        "{lang:?} {error:?}: untranslated {shown:?}"
                    );
                    assert!(
                        !shown.contains("%{"),
                        "{lang:?} {error:?}: unfilled {shown:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn error_texts_name_the_file_and_its_numbers() {
        let error = JobError::Prepare(PrepareError::TooSmall {
            width: 3,
            height: 4,
        });
        assert_eq!(
            error_text_for(Lang::En, Some("tiny.png"), &error),
            "tiny.png is only 3×4 px; the service needs at least 15 px on each side."
        );
        assert!(error_text_for(Lang::Zh, Some("tiny.png"), &error).contains("3×4 像素"));
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(3_200_000), "3.2 MB");
    }

    #[test]
    fn tags_map_to_languages() {
        assert_eq!(Lang::from_tag("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::from_tag("zh-Hant-TW"), Some(Lang::Zh));
        assert_eq!(Lang::from_tag("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de-DE"), None);
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        let en = include_str!("../locales/en.yml");
        let zh = include_str!("../locales/zh-CN.yml");
        let keys = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|line| !line.starts_with(' ') && !line.starts_with('#'))
                .filter_map(|line| line.split_once(':').map(|(key, _)| key.trim().to_owned()))
                .collect()
        };
        assert_eq!(
            keys(en),
            keys(zh),
            "locales/en.yml and locales/zh-CN.yml differ in keys"
        );
    }
}
