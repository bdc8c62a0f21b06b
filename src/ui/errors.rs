//! Errors in plain words in the user's language, each with what to do about it.

use rust_i18n::t;

use super::tasks::ItemError;
use crate::api::ApiError;
use crate::engine::JobError;
use crate::i18n::Lang;
use crate::prepare::PrepareError;

/// A one-line statement of what went wrong.
pub fn headline(lang: Lang, error: &ItemError) -> String {
    let locale = lang.code();
    match error {
        ItemError::NoAppCode => t!("ui.err.no_appcode", locale = locale).into(),
        ItemError::Keyring(err) => t!("ui.err.keyring", locale = locale, reason = err).into(),
        ItemError::BadEndpoint(err) => {
            t!("ui.err.bad_endpoint", locale = locale, reason = err).into()
        }
        ItemError::Job(err) => job_text(lang, err),
    }
}

/// What the user can do, when there is something.
pub fn advice(lang: Lang, error: &ItemError) -> Option<String> {
    let locale = lang.code();
    let key = match error {
        ItemError::NoAppCode => "ui.advice.no_appcode",
        ItemError::Keyring(_) => "ui.advice.keyring",
        ItemError::BadEndpoint(_) => "ui.advice.endpoint",
        ItemError::Job(err) => job_advice_key(err)?,
    };
    Some(t!(key, locale = locale).into())
}

/// Whether the fix is in Settings (so the error shows an "Open Settings" button).
pub fn fixed_in_settings(error: &ItemError) -> bool {
    match error {
        ItemError::NoAppCode | ItemError::Keyring(_) | ItemError::BadEndpoint(_) => true,
        ItemError::Job(err) => matches!(
            err.api_error(),
            Some(
                ApiError::InvalidAppCode | ApiError::MissingAuthorization | ApiError::NotPurchased
            )
        ),
    }
}

// TODO(ui): switch to `crate::i18n::error_text` / `error_advice` once they are on main, so
// the window and the command line word every error the same way.
fn job_text(lang: Lang, error: &JobError) -> String {
    let locale = lang.code();
    let detail = error.to_string();
    match error {
        JobError::Read(_) => t!("ui.err.unreadable", locale = locale, detail = detail).into(),
        JobError::FileTooLarge(_) => t!("ui.err.too_large", locale = locale).into(),
        JobError::Prepare(PrepareError::Unsupported { .. } | PrepareError::NotAnImage) => {
            t!("ui.err.unsupported", locale = locale).into()
        }
        JobError::Prepare(_) => t!("ui.err.bad_image", locale = locale, detail = detail).into(),
        JobError::Api(failure) => api_text(lang, &failure.error),
        JobError::Skipped(api) => api_text(lang, api),
    }
}

fn api_text(lang: Lang, error: &ApiError) -> String {
    let locale = lang.code();
    match error {
        ApiError::InvalidAppCode | ApiError::MissingAuthorization => {
            t!("ui.err.invalid_appcode", locale = locale).into()
        }
        ApiError::NotPurchased => t!("ui.err.not_purchased", locale = locale).into(),
        ApiError::QuotaExhausted | ApiError::QuotaExpired | ApiError::Arrears => {
            t!("ui.err.quota", locale = locale).into()
        }
        ApiError::Throttled => t!("ui.err.throttled", locale = locale).into(),
        ApiError::Network(_) | ApiError::Timeout => t!("ui.err.network", locale = locale).into(),
        other => t!(
            "ui.err.service",
            locale = locale,
            detail = other.to_string()
        )
        .into(),
    }
}

fn job_advice_key(error: &JobError) -> Option<&'static str> {
    Some(match error {
        JobError::Read(_) => "ui.advice.unreadable",
        JobError::FileTooLarge(_) | JobError::Prepare(_) => "ui.advice.unsupported",
        JobError::Api(failure) => api_advice_key(&failure.error)?,
        JobError::Skipped(api) => api_advice_key(api)?,
    })
}

fn api_advice_key(error: &ApiError) -> Option<&'static str> {
    Some(match error {
        ApiError::InvalidAppCode | ApiError::MissingAuthorization => "ui.advice.invalid_appcode",
        ApiError::NotPurchased => "ui.advice.not_purchased",
        ApiError::QuotaExhausted | ApiError::QuotaExpired | ApiError::Arrears => "ui.advice.quota",
        ApiError::Throttled => "ui.advice.throttled",
        ApiError::Network(_) | ApiError::Timeout => "ui.advice.network",
        ApiError::ServiceFault { .. } => "ui.advice.throttled",
        _ => return None,
    })
}
