//! The user's language. Texts live in `locales/*.yml` and are looked up with `t!`.

use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

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
