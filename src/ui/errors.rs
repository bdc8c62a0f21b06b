//! Errors in plain words in the user's language, each with what to do about it.

use rust_i18n::t;

use super::tasks::ItemError;
use crate::api::ApiError;
use crate::engine::JobError;
use crate::i18n::Lang;

/// A one-line statement of what went wrong.
pub fn headline(lang: Lang, error: &ItemError) -> String {
    let locale = lang.code();
    match error {
        ItemError::NoAppCode => t!("ui.err.no_appcode", locale = locale).into(),
        ItemError::Keyring(err) => t!(
            "ui.err.keyring",
            locale = locale,
            reason = crate::i18n::secret_error_text(lang, err)
        )
        .into(),
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
        ItemError::Job(err) => return job_advice(lang, err),
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

fn job_text(lang: Lang, error: &JobError) -> String {
    crate::i18n::error_text(lang, error)
}

fn job_advice(lang: Lang, error: &JobError) -> Option<String> {
    Some(crate::i18n::error_advice(lang, error)).filter(|advice| !advice.is_empty())
}
