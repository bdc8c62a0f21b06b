//! Drawing the frame: the top bar, the panels and the toasts.

use super::*;

impl HeadcountApp {
    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        let locale = self.lang().code();
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label(
                egui::RichText::new("Headcount")
                    .size(20.0)
                    .strong()
                    .color(theme::accent(ui)),
            );
            ui.add_space(12.0);
            if ui
                .button(t!("ui.menu.open", locale = locale))
                .on_hover_text("Ctrl+O")
                .clicked()
            {
                self.tasks.pick(false);
            }
            if ui
                .button(t!("ui.menu.open_folder", locale = locale))
                .clicked()
            {
                self.tasks.pick(true);
            }
            if ui
                .button(t!("ui.menu.paste", locale = locale))
                .on_hover_text("Ctrl+V")
                .clicked()
            {
                ui.ctx()
                    .send_viewport_cmd(egui::ViewportCommand::RequestPaste);
                self.paste_requested_at = Some(ui.input(|i| i.time));
            }
            ui.separator();

            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .selectable_label(self.panel.open, t!("ui.menu.settings", locale = locale))
                    .clicked()
                {
                    self.panel.open = !self.panel.open;
                }
                ui.separator();
                let count = ui.button(t!("ui.url.count", locale = locale));
                let field = egui::TextEdit::singleline(&mut self.url_input)
                    .hint_text(t!("ui.url.hint", locale = locale))
                    .desired_width(ui.available_width().clamp(120.0, 360.0));
                let field = ui.add(field).labelled_by(count.id);
                let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if count.clicked() || entered {
                    let ctx = ui.ctx().clone();
                    self.count_url(&ctx);
                }
            });
        });
        ui.add_space(4.0);
    }

    pub(super) fn draw(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();

        egui::Panel::top("top-bar").show(ui, |ui| self.top_bar_ui(ui));

        if self.panel.open {
            let mut commands = Vec::new();
            egui::Panel::right("settings")
                .resizable(true)
                .default_size(380.0)
                .show(ui, |ui| {
                    commands = settings::settings_ui(ui, &mut self.settings, &mut self.panel);
                });
            self.settings_commands(ui.ctx(), commands);
        }

        if self.items.len() > 1 {
            let mut commands = Vec::new();
            egui::Panel::left("results")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| {
                    commands = results_list::results_list_ui(ui, lang, &self.items, self.selected);
                });
            for command in commands {
                match command {
                    ListCommand::Select(id) => {
                        self.selected = Some(id);
                        self.follow = false;
                    }
                    ListCommand::RetryFailed => self.retry_failed(),
                    ListCommand::Clear => {
                        self.items.clear();
                        self.selected = None;
                        self.preview = None;
                    }
                }
            }
        }

        let mut commands = Vec::new();
        egui::CentralPanel::default().show(ui, |ui| {
            let selected = self
                .selected
                .and_then(|id| self.items.iter().find(|item| item.id == id));
            match selected {
                Some(item) => {
                    main_view::item_ui(ui, lang, item, self.preview.as_ref(), &mut commands)
                }
                None => main_view::drop_zone_ui(ui, lang),
            }
        });
        for command in commands {
            match command {
                MainCommand::OpenSettings => self.panel.open = true,
                MainCommand::Cancel => self.cancel(),
                MainCommand::Retry(id) => {
                    if let Some(item) = self.item_mut(id) {
                        item.status = ItemStatus::Queued;
                    }
                    self.follow = true;
                }
            }
        }
    }

    fn settings_commands(&mut self, ctx: &egui::Context, commands: Vec<SettingsCommand>) {
        let keyring = self
            .panel
            .appcode
            .as_ref()
            .and_then(|state| state.keyring.clone().ok());
        for command in commands {
            match command {
                SettingsCommand::Save(code) => {
                    if let Some(keyring) = keyring.clone() {
                        self.panel.busy = true;
                        self.panel.notice = None;
                        self.tasks
                            .change_keyring(keyring, KeyringAction::Save(code));
                    }
                }
                SettingsCommand::Clear => {
                    if let Some(keyring) = keyring.clone() {
                        self.panel.busy = true;
                        self.panel.notice = None;
                        self.tasks.change_keyring(keyring, KeyringAction::Clear);
                    }
                }
                SettingsCommand::Test(code) => {
                    self.tasks.test_call(code, self.settings.connection());
                }
                SettingsCommand::ThemeChanged => theme::apply(ctx, self.settings.theme),
            }
        }
    }

    pub(super) fn toasts_ui(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        self.toasts.retain(|toast| toast.until > now);
        let Some(last) = self.toasts.iter().map(|toast| toast.until).reduce(f64::max) else {
            return;
        };
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -24.0))
            .order(egui::Order::Tooltip)
            .show(ctx, |ui| {
                for toast in &self.toasts {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.label(egui::RichText::new(&toast.text).size(15.0));
                    });
                }
            });
        ctx.request_repaint_after(Duration::from_secs_f64((last - now).max(0.05)));
    }
}
