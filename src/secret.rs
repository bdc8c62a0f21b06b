//! The AppCode: kept in the OS keyring, never in a file, never in a log.

use std::fmt;
use std::sync::Arc;

use keyring_core::CredentialStore;

/// Environment variable that supplies the AppCode without a keyring.
pub const APPCODE_ENV: &str = "HEADCOUNT_APPCODE";

const SERVICE: &str = "headcount";
const ACCOUNT: &str = "aliyun-market-appcode";

/// A marketplace AppCode. Its `Debug` and `Display` never show the code.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCode(String);

impl AppCode {
    /// Check what the user typed or pasted: surrounding whitespace is dropped; what cannot
    /// be an AppCode is refused with the reason.
    pub fn parse(input: &str) -> Result<Self, AppCodeError> {
        let code = input.trim();
        // People paste the whole header value from the console's example.
        let code = code
            .strip_prefix("APPCODE ")
            .or_else(|| code.strip_prefix("AppCode "))
            .map(str::trim)
            .unwrap_or(code);

        if code.is_empty() {
            return Err(AppCodeError::Empty);
        }
        if code.chars().any(char::is_whitespace) {
            return Err(AppCodeError::Whitespace);
        }
        // It travels in an HTTP header: visible ASCII only.
        if !code.chars().all(|c| c.is_ascii_graphic()) {
            return Err(AppCodeError::Characters);
        }
        // Marketplace AppCodes are 32 hex digits, but a company gateway may issue its own
        // codes; only what cannot be a code at all is refused (see `is_typical`).
        if code.len() > MAX_APPCODE_LEN {
            return Err(AppCodeError::Length(code.len()));
        }
        Ok(Self(code.to_owned()))
    }

    /// Whether this looks like an Alibaba Cloud marketplace AppCode (32 hex digits).
    /// Others are accepted, with a gentle note, for gateways that issue their own.
    pub fn is_typical(&self) -> bool {
        self.0.len() == 32 && self.0.chars().all(|c| c.is_ascii_hexdigit())
    }

    /// The code itself, for the `Authorization` header and the keyring only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A hint that lets a person recognise which code is stored without revealing it.
    pub fn hint(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

impl fmt::Debug for AppCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppCode(<redacted>)")
    }
}

impl fmt::Display for AppCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why typed text is not an AppCode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppCodeError {
    #[error("the AppCode is empty")]
    Empty,
    #[error("an AppCode has no spaces inside it")]
    Whitespace,
    #[error("an AppCode has only ASCII letters, digits and symbols")]
    Characters,
    #[error("{0} characters is far too long for an AppCode (they have 32)")]
    Length(usize),
}

/// Where the AppCode in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Environment,
    Keyring,
}

/// Longer than any AppCode could be; 32 is usual.
const MAX_APPCODE_LEN: usize = 256;

/// Why the keyring could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No keyring service is reachable (e.g. no D-Bus session or Secret Service). The
    /// platform's detail is kept for logs; people get the plain sentence.
    #[error("no OS keyring is reachable on this desktop")]
    Unavailable(String),
    /// The keyring exists but is locked or refused access.
    #[error("the OS keyring is locked or refused access")]
    Locked(String),
    /// `HEADCOUNT_APPCODE` is set to something that is not an AppCode.
    #[error("{APPCODE_ENV} is set but is not a valid AppCode: {0}")]
    InvalidEnv(AppCodeError),
    /// The stored entry is not a valid AppCode (edited by another tool?).
    #[error("the stored AppCode is not valid ({0}); store it again")]
    Invalid(String),
    #[error("the OS keyring failed: {0}")]
    Failed(String),
}

impl From<keyring_core::Error> for SecretError {
    fn from(err: keyring_core::Error) -> Self {
        use keyring_core::Error as E;
        match err {
            E::NoDefaultStore => Self::Unavailable("no default credential store".to_owned()),
            E::NoStorageAccess(inner) => Self::Locked(inner.to_string()),
            E::PlatformFailure(inner) => Self::Unavailable(inner.to_string()),
            E::BadEncoding(_) | E::BadDataFormat(..) => Self::Invalid(err.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// One credential store holding at most one AppCode.
#[derive(Clone)]
pub struct Keyring {
    store: Arc<CredentialStore>,
    /// A locale key naming the store.
    description: &'static str,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("store", &self.description)
            .finish()
    }
}

impl Keyring {
    /// The platform's keyring: Secret Service on Linux, Keychain on macOS, Credential
    /// Manager on Windows.
    pub fn native() -> Result<Self, SecretError> {
        if let Err(err) = keyring::Entry::store_status() {
            tracing::debug!(reason = %err, "no OS keyring");
            return Err(SecretError::Unavailable(err.to_string()));
        }
        let store = keyring_core::get_default_store()
            .ok_or_else(|| SecretError::Unavailable("no default credential store".to_owned()))?;
        // Keys into the locale files: the name is shown in the user's language.
        let description = if cfg!(target_os = "macos") {
            "keyring.macos"
        } else if cfg!(windows) {
            "keyring.windows"
        } else {
            "keyring.secret_service"
        };
        Ok(Self::with_store(store, description))
    }

    /// An in-memory store, for tests and for running without any keyring.
    pub fn mock() -> Self {
        let store = keyring_core::mock::Store::new().expect("the mock store always builds");
        Self::with_store(store, "keyring.memory")
    }

    fn with_store(store: Arc<CredentialStore>, description: &'static str) -> Self {
        Self { store, description }
    }

    /// The store's name in `lang`, for "where is my AppCode kept".
    pub fn description(&self, lang: crate::i18n::Lang) -> String {
        crate::i18n::text(lang, self.description)
    }

    fn entry(&self) -> Result<keyring_core::Entry, SecretError> {
        Ok(keyring_core::Entry::new_in_store(
            &self.store,
            SERVICE,
            ACCOUNT,
        )?)
    }

    /// The stored AppCode, or `None` when nothing is stored.
    pub fn load(&self) -> Result<Option<AppCode>, SecretError> {
        match self.entry()?.get_password() {
            Ok(text) => AppCode::parse(&text)
                .map(Some)
                .map_err(|err| SecretError::Invalid(err.to_string())),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    pub fn save(&self, code: &AppCode) -> Result<(), SecretError> {
        self.entry()?.set_password(code.expose())?;
        tracing::info!(store = %self.description, "AppCode stored");
        Ok(())
    }

    /// Remove the stored AppCode; removing nothing is not an error.
    pub fn clear(&self) -> Result<(), SecretError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

/// The AppCode to use: `HEADCOUNT_APPCODE` first, then the keyring.
///
/// An environment variable that is set but invalid is an error rather than silently
/// skipped, so a typo does not make the app fall back to another code.
pub fn resolve(keyring: Option<&Keyring>) -> Result<Option<(AppCode, Source)>, SecretError> {
    if let Some(value) = std::env::var_os(APPCODE_ENV) {
        let value = value.to_string_lossy();
        if !value.trim().is_empty() {
            return AppCode::parse(&value)
                .map(|code| Some((code, Source::Environment)))
                .map_err(SecretError::InvalidEnv);
        }
    }
    let Some(keyring) = keyring else {
        return Ok(None);
    };
    Ok(keyring.load()?.map(|code| (code, Source::Keyring)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_store_is_named_in_the_users_language() {
        use crate::i18n::Lang;
        let keyring = Keyring::mock();
        assert_eq!(keyring.description(Lang::En), "an in-memory store");
        let chinese = keyring.description(Lang::Zh);
        assert!(
            !chinese.is_ascii() && !chinese.contains("store"),
            "{chinese}"
        );
    }

    #[test]
    fn debug_and_display_never_show_the_code() {
        let code = AppCode::parse(CODE).expect("valid");
        assert!(!format!("{code:?}").contains("0123"));
        assert!(!format!("{code}").contains("0123"));
        assert!(!format!("{:?}", Some(&code)).contains("0123"));
    }

    #[test]
    fn parse_trims_and_accepts_a_pasted_header_value() {
        assert_eq!(
            AppCode::parse(&format!("  {CODE}\n")).map(|c| c.0),
            Ok(CODE.to_owned())
        );
        assert_eq!(
            AppCode::parse(&format!("APPCODE {CODE}")).map(|c| c.0),
            Ok(CODE.to_owned())
        );
    }

    #[test]
    fn parse_refuses_what_cannot_be_an_appcode() {
        assert_eq!(AppCode::parse("  \n"), Err(AppCodeError::Empty));
        assert_eq!(
            AppCode::parse("abcd efgh ijkl mnop qrst"),
            Err(AppCodeError::Whitespace)
        );
        assert_eq!(
            AppCode::parse("0123456789abcdef\u{7f}"),
            Err(AppCodeError::Characters)
        );
        assert_eq!(AppCode::parse("站台"), Err(AppCodeError::Characters));
        assert_eq!(
            AppCode::parse(&"a".repeat(300)),
            Err(AppCodeError::Length(300))
        );
    }

    #[test]
    fn unusual_but_possible_codes_are_accepted_and_told_apart() {
        let typical = AppCode::parse(CODE).expect("valid");
        assert!(typical.is_typical());
        for other in ["abc", "test-appcode", "Gateway.Key_1"] {
            let code = AppCode::parse(other).expect("accepted");
            assert!(!code.is_typical(), "{other}");
        }
    }

    #[test]
    fn the_mock_keyring_stores_loads_and_clears() {
        let keyring = Keyring::mock();
        assert_eq!(keyring.load(), Ok(None));
        let code = AppCode::parse(CODE).expect("valid");
        keyring.save(&code).expect("save");
        assert_eq!(keyring.load(), Ok(Some(code)));
        keyring.clear().expect("clear");
        assert_eq!(keyring.load(), Ok(None));
        keyring.clear().expect("clearing nothing is fine");
    }

    #[test]
    fn a_hint_shows_only_the_last_four_characters() {
        let code = AppCode::parse(CODE).expect("valid");
        assert_eq!(code.hint(), "…cdef");
    }
}
