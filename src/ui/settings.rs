//! The Settings panel: the AppCode (kept in the keyring only), the connection, language
//! and theme. Everything but the AppCode persists in eframe's storage.

use std::time::Duration;

use rust_i18n::t;
use serde::{Deserialize, Serialize};

use super::errors;
use super::tasks::{AppCodeState, Connection, ItemError};
use super::theme::{self, ThemePref};
use crate::api::{Count, DEFAULT_ENDPOINT};
use crate::i18n::Lang;
use crate::i18n::appcode_error_text;
use crate::secret::{APPCODE_ENV, AppCode, Source};

/// The saved settings. Never holds the AppCode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub endpoint: String,
    pub timeout_secs: u32,
    pub lang: Lang,
    pub theme: ThemePref,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            timeout_secs: 30,
            lang: Lang::from_system(),
            theme: ThemePref::System,
        }
    }
}

impl Settings {
    pub fn connection(&self) -> Connection {
        Connection {
            endpoint: self.endpoint.clone(),
            timeout: Duration::from_secs(u64::from(self.timeout_secs.clamp(1, 600))),
        }
    }
}

/// What the Settings panel shows besides the saved settings.
#[derive(Default)]
pub struct SettingsPanel {
    pub open: bool,
    /// What is typed in the AppCode field; cleared as soon as it is saved.
    pub appcode_input: String,
    pub show_appcode: bool,
    /// `None` while the keyring is being read.
    pub appcode: Option<AppCodeState>,
    pub busy: bool,
    /// The last thing the panel has to say (saved, cleared, a refusal…).
    pub notice: Option<Result<String, String>>,
    pub testing: bool,
    pub test_result: Option<Result<Count, ItemError>>,
}

/// What the user asked the panel to do.
pub enum SettingsCommand {
    Save(AppCode),
    Clear,
    Test(AppCode),
    ThemeChanged,
}

pub fn settings_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    panel: &mut SettingsPanel,
) -> Vec<SettingsCommand> {
    let mut commands = Vec::new();
    let lang = settings.lang;
    let locale = lang.code();

    ui.horizontal(|ui| {
        ui.heading(t!("ui.settings.title", locale = locale));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button(t!("ui.settings.close", locale = locale))
                .clicked()
            {
                panel.open = false;
            }
        });
    });
    ui.separator();

    egui::ScrollArea::vertical().show(ui, |ui| {
        appcode_section_ui(ui, lang, panel, &mut commands);
        ui.add_space(12.0);
        connection_section_ui(ui, settings);
        ui.add_space(12.0);
        appearance_section_ui(ui, settings, &mut commands);
    });
    commands
}

fn appcode_section_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    panel: &mut SettingsPanel,
    commands: &mut Vec<SettingsCommand>,
) {
    let locale = lang.code();
    ui.label(egui::RichText::new("AppCode").strong().size(17.0));

    match &panel.appcode {
        None => {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new());
                ui.label(t!("ui.settings.loading", locale = locale));
            });
        }
        Some(state) => stored_status_ui(ui, lang, state),
    }

    let keyring_ok = panel
        .appcode
        .as_ref()
        .is_some_and(|state| state.keyring.is_ok());
    ui.horizontal(|ui| {
        let label = ui.label(t!("ui.settings.appcode_field", locale = locale));
        let field = egui::TextEdit::singleline(&mut panel.appcode_input)
            .password(!panel.show_appcode)
            .hint_text(t!("ui.settings.appcode_hint", locale = locale))
            .desired_width(260.0);
        ui.add(field).labelled_by(label.id);
        let toggle = if panel.show_appcode {
            t!("ui.settings.hide", locale = locale)
        } else {
            t!("ui.settings.show", locale = locale)
        };
        if ui.button(toggle).clicked() {
            panel.show_appcode = !panel.show_appcode;
        }
    });

    ui.horizontal(|ui| {
        let can_save = keyring_ok && !panel.busy && !panel.appcode_input.trim().is_empty();
        if ui
            .add_enabled(
                can_save,
                egui::Button::new(t!("ui.settings.save", locale = locale)),
            )
            .clicked()
        {
            match AppCode::parse(&panel.appcode_input) {
                Ok(code) => commands.push(SettingsCommand::Save(code)),
                Err(err) => panel.notice = Some(Err(appcode_error_text(lang, &err))),
            }
        }
        let has_stored = matches!(
            panel.appcode.as_ref().map(|state| &state.resolved),
            Some(Ok(Some((_, Source::Keyring))))
        );
        if ui
            .add_enabled(
                keyring_ok && !panel.busy && has_stored,
                egui::Button::new(t!("ui.settings.clear", locale = locale)),
            )
            .clicked()
        {
            commands.push(SettingsCommand::Clear);
        }
    });

    match &panel.notice {
        Some(Ok(text)) => {
            ui.colored_label(theme::accent(ui), text);
        }
        Some(Err(text)) => {
            ui.colored_label(theme::error_color(ui), text);
        }
        None => {}
    }

    ui.add_space(6.0);
    test_ui(ui, lang, panel, commands);
}

fn stored_status_ui(ui: &mut egui::Ui, lang: Lang, state: &AppCodeState) {
    let locale = lang.code();
    match &state.resolved {
        Ok(Some((code, Source::Environment))) => {
            ui.label(t!(
                "ui.settings.env_override",
                locale = locale,
                var = APPCODE_ENV,
                hint = code.hint()
            ));
        }
        Ok(Some((code, Source::Keyring))) => {
            ui.label(t!(
                "ui.settings.stored",
                locale = locale,
                hint = code.hint()
            ));
        }
        Ok(None) => {
            ui.label(t!("ui.settings.none_stored", locale = locale));
        }
        Err(err) => {
            ui.colored_label(
                theme::error_color(ui),
                errors::headline(lang, &ItemError::Keyring(err.clone())),
            );
        }
    }
    match &state.keyring {
        Ok(keyring) => {
            ui.weak(t!(
                "ui.settings.where",
                locale = locale,
                place = keyring.description(lang)
            ));
        }
        Err(err) => {
            ui.colored_label(
                theme::error_color(ui),
                t!(
                    "ui.settings.keyring_unavailable",
                    locale = locale,
                    reason = crate::i18n::secret_error_text(lang, err),
                    var = APPCODE_ENV
                ),
            );
        }
    }
}

fn test_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    panel: &mut SettingsPanel,
    commands: &mut Vec<SettingsCommand>,
) {
    let locale = lang.code();
    let code = panel
        .appcode
        .as_ref()
        .and_then(|state| state.resolved.as_ref().ok().cloned().flatten())
        .map(|(code, _)| code);
    ui.horizontal(|ui| {
        let button = egui::Button::new(t!("ui.settings.test", locale = locale));
        let clicked = ui
            .add_enabled(code.is_some() && !panel.testing, button)
            .on_hover_text(t!("ui.settings.test_cost", locale = locale))
            .clicked();
        if clicked && let Some(code) = code {
            panel.testing = true;
            panel.test_result = None;
            commands.push(SettingsCommand::Test(code));
        }
        if panel.testing {
            ui.add(egui::Spinner::new());
        }
    });
    ui.weak(t!("ui.settings.test_cost", locale = locale));
    match &panel.test_result {
        Some(Ok(count)) => {
            ui.colored_label(
                theme::accent(ui),
                t!(
                    "ui.settings.test_ok",
                    locale = locale,
                    n = count.people,
                    msg = count.message
                ),
            );
        }
        Some(Err(err)) => {
            ui.colored_label(theme::error_color(ui), errors::headline(lang, err));
            if let Some(advice) = errors::advice(lang, err) {
                ui.label(advice);
            }
        }
        None => {}
    }
}

fn connection_section_ui(ui: &mut egui::Ui, settings: &mut Settings) {
    let locale = settings.lang.code();
    ui.label(
        egui::RichText::new(t!("ui.settings.connection", locale = locale))
            .strong()
            .size(17.0),
    );
    egui::Grid::new("connection-grid")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            let label = ui.label(t!("ui.settings.endpoint", locale = locale));
            ui.add(egui::TextEdit::singleline(&mut settings.endpoint).desired_width(320.0))
                .labelled_by(label.id);
            ui.end_row();

            let label = ui.label(t!("ui.settings.timeout", locale = locale));
            ui.add(egui::DragValue::new(&mut settings.timeout_secs).range(1..=600))
                .labelled_by(label.id);
            ui.end_row();
        });
    if url::Url::parse(settings.endpoint.trim()).is_err() {
        ui.colored_label(
            theme::error_color(ui),
            t!("ui.settings.endpoint_invalid", locale = locale),
        );
    }
    if ui
        .small_button(t!("ui.settings.endpoint_default", locale = locale))
        .clicked()
    {
        settings.endpoint = DEFAULT_ENDPOINT.to_owned();
    }
}

fn appearance_section_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    commands: &mut Vec<SettingsCommand>,
) {
    let locale = settings.lang.code();
    ui.label(
        egui::RichText::new(t!("ui.settings.appearance", locale = locale))
            .strong()
            .size(17.0),
    );
    ui.horizontal(|ui| {
        ui.label(t!("ui.settings.language", locale = locale));
        for lang in Lang::ALL {
            ui.selectable_value(&mut settings.lang, lang, lang.native_name());
        }
    });
    ui.horizontal(|ui| {
        ui.label(t!("ui.settings.theme", locale = locale));
        for choice in ThemePref::ALL {
            let key = match choice {
                ThemePref::System => "ui.theme.system",
                ThemePref::Light => "ui.theme.light",
                ThemePref::Dark => "ui.theme.dark",
            };
            if ui
                .selectable_value(&mut settings.theme, choice, t!(key, locale = locale))
                .changed()
            {
                commands.push(SettingsCommand::ThemeChanged);
            }
        }
    });
}
