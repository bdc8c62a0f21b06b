//! `headcount appcode set|status|clear`.

use std::io::{IsTerminal, Read};

use rust_i18n::t;

use super::{AppcodeAction, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::i18n;
use crate::i18n::Lang;
use crate::secret::{self, APPCODE_ENV, AppCode, Keyring, Source};

pub fn run(action: AppcodeAction, lang: Lang) -> u8 {
    match action {
        AppcodeAction::Set => set(lang),
        AppcodeAction::Status => status(lang),
        AppcodeAction::Clear => clear(lang),
    }
}

fn keyring_or_report(lang: Lang) -> Option<Keyring> {
    match Keyring::native() {
        Ok(keyring) => Some(keyring),
        Err(err) => {
            eprintln!(
                "{}",
                t!(
                    "cli.keyring_unavailable",
                    locale = lang.code(),
                    reason = i18n::secret_error_text(lang, &err)
                )
            );
            None
        }
    }
}

/// Read the code from standard input: without echo at a terminal, else the first line.
fn read_code(lang: Lang) -> std::io::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(t!("cli.appcode_prompt", locale = lang.code()));
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .to_owned())
}

fn set(lang: Lang) -> u8 {
    let locale = lang.code();
    let Some(keyring) = keyring_or_report(lang) else {
        return EXIT_USAGE;
    };
    let text = match read_code(lang) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("{}", t!("cli.stdin_failed", locale = locale, reason = err));
            return EXIT_USAGE;
        }
    };
    let code = match AppCode::parse(&text) {
        Ok(code) => code,
        Err(err) => {
            eprintln!(
                "{}",
                t!(
                    "cli.appcode_invalid",
                    locale = locale,
                    reason = i18n::appcode_error_text(lang, &err)
                )
            );
            return EXIT_USAGE;
        }
    };
    if let Err(err) = keyring.save(&code) {
        eprintln!(
            "{}",
            t!(
                "cli.keyring_failed",
                locale = locale,
                reason = i18n::secret_error_text(lang, &err)
            )
        );
        return EXIT_USAGE;
    }
    println!(
        "{}",
        t!(
            "cli.appcode_saved",
            locale = locale,
            store = keyring.description(lang),
            hint = code.hint()
        )
    );
    if !code.is_typical() {
        eprintln!("{}", t!("appcode.unusual", locale = locale));
    }
    if std::env::var_os(APPCODE_ENV).is_some() {
        eprintln!(
            "{}",
            t!("cli.env_overrides", locale = locale, var = APPCODE_ENV)
        );
    }
    EXIT_OK
}

fn status(lang: Lang) -> u8 {
    let locale = lang.code();
    let keyring = Keyring::native();
    match secret::resolve(keyring.as_ref().ok()) {
        Ok(Some((code, Source::Environment))) => {
            println!(
                "{}",
                t!(
                    "cli.status_env",
                    locale = locale,
                    var = APPCODE_ENV,
                    hint = code.hint()
                )
            );
            EXIT_OK
        }
        Ok(Some((code, Source::Keyring))) => {
            let store = keyring
                .as_ref()
                .map(|keyring| keyring.description(lang))
                .unwrap_or_default();
            println!(
                "{}",
                t!(
                    "cli.status_keyring",
                    locale = locale,
                    store = store,
                    hint = code.hint()
                )
            );
            EXIT_OK
        }
        Ok(None) => match keyring {
            Ok(_) => {
                println!("{}", t!("cli.status_none", locale = locale));
                EXIT_FAILED
            }
            Err(err) => {
                eprintln!(
                    "{}",
                    t!(
                        "cli.keyring_unavailable",
                        locale = locale,
                        reason = i18n::secret_error_text(lang, &err)
                    )
                );
                EXIT_USAGE
            }
        },
        Err(err) => {
            eprintln!(
                "{}",
                t!(
                    "cli.keyring_failed",
                    locale = locale,
                    reason = i18n::secret_error_text(lang, &err)
                )
            );
            EXIT_USAGE
        }
    }
}

fn clear(lang: Lang) -> u8 {
    let locale = lang.code();
    let Some(keyring) = keyring_or_report(lang) else {
        return EXIT_USAGE;
    };
    match keyring.clear() {
        Ok(()) => {
            println!(
                "{}",
                t!(
                    "cli.appcode_cleared",
                    locale = locale,
                    store = keyring.description(lang)
                )
            );
            EXIT_OK
        }
        Err(err) => {
            eprintln!(
                "{}",
                t!(
                    "cli.keyring_failed",
                    locale = locale,
                    reason = i18n::secret_error_text(lang, &err)
                )
            );
            EXIT_USAGE
        }
    }
}
