//! The main view: the drop zone when nothing is there yet, otherwise the selected photo
//! beside its count, the service's words, the request id and the time it took.

use rust_i18n::t;

use super::app::{Item, ItemStatus, Preview};
use super::errors;
use super::tasks::ItemError;
use super::theme;
use crate::api::Count;
use crate::i18n::Lang;

/// What the main view asked for.
pub enum MainCommand {
    OpenSettings,
    Cancel,
    Retry(u64),
}

/// The drop zone shown before anything was dropped.
pub fn drop_zone_ui(ui: &mut egui::Ui, lang: Lang) {
    let locale = lang.code();
    let rect = ui.available_rect_before_wrap().shrink(24.0);
    let accent = theme::accent(ui);
    let stroke = egui::Stroke::new(2.0, accent.gamma_multiply(0.6));
    ui.painter().rect(
        rect,
        16.0,
        accent.gamma_multiply(0.05),
        stroke,
        egui::StrokeKind::Inside,
    );

    let content = egui::Rect::from_center_size(rect.center(), egui::vec2(rect.width(), 220.0));
    ui.scope_builder(egui::UiBuilder::new().max_rect(content), |ui| {
        ui.vertical_centered(|ui| {
            people_glyph(ui, 64.0, accent);
            ui.add_space(16.0);
            ui.label(
                egui::RichText::new(t!("ui.drop.title", locale = locale))
                    .size(24.0)
                    .strong(),
            );
            ui.add_space(6.0);
            ui.label(egui::RichText::new(t!("ui.drop.hint", locale = locale)).weak());
        });
    });
    ui.allocate_rect(rect, egui::Sense::hover());
}

/// A small drawing of three people: the app's mark.
fn people_glyph(ui: &mut egui::Ui, size: f32, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 1.6, size), egui::Sense::hover());
    let painter = ui.painter();
    let person = |center_x: f32, scale: f32, color: egui::Color32| {
        let head_r = size * 0.16 * scale;
        let head = egui::pos2(
            center_x,
            rect.top() + size * 0.22 + (1.0 - scale) * size * 0.3,
        );
        painter.circle_filled(head, head_r, color);
        let body = egui::Rect::from_min_max(
            egui::pos2(center_x - size * 0.26 * scale, head.y + head_r * 1.35),
            egui::pos2(center_x + size * 0.26 * scale, rect.bottom()),
        );
        painter.rect_filled(
            body,
            egui::CornerRadius {
                nw: (size * 0.26 * scale) as u8,
                ne: (size * 0.26 * scale) as u8,
                sw: 2,
                se: 2,
            },
            color,
        );
    };
    let faint = color.gamma_multiply(0.5);
    person(rect.center().x - size * 0.5, 0.8, faint);
    person(rect.center().x + size * 0.5, 0.8, faint);
    person(rect.center().x, 1.0, color);
}

/// The selected item: its photo on the left, the result on the right.
pub fn item_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    item: &Item,
    preview: Option<&Preview>,
    commands: &mut Vec<MainCommand>,
) {
    let available = ui.available_size();
    let wide = available.x >= 760.0;
    let info_width = if wide { 340.0 } else { available.x };
    let photo_size = if wide {
        egui::vec2(available.x - info_width - 24.0, available.y)
    } else {
        egui::vec2(available.x, available.y * 0.55)
    };

    let layout = if wide {
        egui::Layout::left_to_right(egui::Align::Min)
    } else {
        egui::Layout::top_down(egui::Align::Min)
    };
    ui.with_layout(layout, |ui| {
        photo_ui(ui, lang, item, preview, photo_size);
        ui.add_space(16.0);
        ui.vertical(|ui| {
            ui.set_width(info_width);
            result_ui(ui, lang, item, commands);
        });
    });
}

fn photo_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    item: &Item,
    preview: Option<&Preview>,
    room: egui::Vec2,
) {
    let (rect, _) = ui.allocate_exact_size(room, egui::Sense::hover());
    let preview = preview.filter(|preview| preview.item == item.id);
    let Some(preview) = preview else {
        let mut inner = ui.new_child(egui::UiBuilder::new().max_rect(rect));
        inner.centered_and_justified(|ui| {
            if item.preview_error.is_some() {
                ui.weak(t!("ui.result.no_preview", locale = lang.code()));
            } else {
                ui.add(egui::Spinner::new().size(28.0));
            }
        });
        return;
    };

    let texture_size = preview.texture.size_vec2();
    let scale = (rect.width() / texture_size.x)
        .min(rect.height() / texture_size.y)
        .min(4.0);
    let size_in_ui = texture_size * scale;
    let photo_rect = egui::Rect::from_center_size(rect.center(), size_in_ui);
    let photo_rect = photo_rect.translate(egui::vec2(0.0, rect.top() - photo_rect.top()));
    egui::Image::new((preview.texture.id(), size_in_ui))
        .corner_radius(8.0)
        .paint_at(ui, photo_rect);
}

fn result_ui(ui: &mut egui::Ui, lang: Lang, item: &Item, commands: &mut Vec<MainCommand>) {
    let locale = lang.code();
    ui.label(egui::RichText::new(&item.name).strong())
        .on_hover_text(item.input.label());
    ui.add_space(8.0);

    match &item.status {
        ItemStatus::Queued | ItemStatus::Running => {
            ui.horizontal(|ui| {
                ui.add(egui::Spinner::new().size(24.0));
                let key = if matches!(item.status, ItemStatus::Running) {
                    "ui.status.running"
                } else {
                    "ui.status.queued"
                };
                ui.label(egui::RichText::new(t!(key, locale = locale)).size(18.0));
            });
            ui.add_space(8.0);
            if ui.button(t!("ui.busy.cancel", locale = locale)).clicked() {
                commands.push(MainCommand::Cancel);
            }
        }
        ItemStatus::Done(count) => count_ui(ui, lang, item, count),
        ItemStatus::Failed(error) => error_ui(ui, lang, item, error, commands),
        ItemStatus::Cancelled => {
            ui.label(t!("ui.status.cancelled", locale = locale));
            if ui.button(t!("ui.result.retry", locale = locale)).clicked() {
                commands.push(MainCommand::Retry(item.id));
            }
        }
    }
}

fn count_ui(ui: &mut egui::Ui, lang: Lang, item: &Item, count: &Count) {
    let locale = lang.code();
    ui.horizontal(|ui| {
        ui.label(
            egui::RichText::new(count.people.to_string())
                .size(96.0)
                .strong()
                .color(theme::accent(ui)),
        );
        ui.label(egui::RichText::new(t!("ui.result.people", locale = locale)).size(24.0));
    });
    ui.add_space(8.0);

    ui.weak(t!("ui.result.message", locale = locale));
    ui.label(egui::RichText::new(&count.message).size(17.0));
    ui.add_space(12.0);

    if let Some(request_id) = &count.request_id {
        request_id_ui(ui, lang, request_id);
    }
    if item.reused {
        ui.weak(t!("ui.result.reused", locale = locale));
    }
    let seconds = item.elapsed.unwrap_or(count.elapsed).as_secs_f64();
    ui.weak(t!(
        "ui.result.took",
        locale = locale,
        secs = format!("{seconds:.1}")
    ));
    if let Some(upload) = &item.upload {
        ui.weak(t!(
            "ui.result.upload",
            locale = locale,
            w = upload.width,
            h = upload.height,
            size = crate::i18n::human_size(upload.bytes as u64),
            format = upload.format
        ));
    }
}

fn request_id_ui(ui: &mut egui::Ui, lang: Lang, request_id: &str) {
    let locale = lang.code();
    ui.horizontal(|ui| {
        ui.weak(t!("ui.result.request_id", locale = locale));
        let copy = ui
            .small_button(t!("ui.result.copy", locale = locale))
            .on_hover_text(t!("ui.result.copy_hint", locale = locale));
        if copy.clicked() {
            ui.ctx().copy_text(request_id.to_owned());
        }
    });
    ui.add(egui::Label::new(egui::RichText::new(request_id).monospace()).wrap());
}

fn error_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    item: &Item,
    error: &ItemError,
    commands: &mut Vec<MainCommand>,
) {
    let locale = lang.code();
    ui.label(
        egui::RichText::new(errors::headline(lang, error))
            .size(20.0)
            .strong()
            .color(theme::error_color(ui)),
    );
    if let Some(advice) = errors::advice(lang, error) {
        ui.add_space(4.0);
        ui.label(advice);
    }
    if let ItemError::Job(job) = error {
        let message = match job {
            crate::engine::JobError::Api(failure) => failure.service_message.as_deref(),
            other => other.api_error().and_then(|api| api.service_message()),
        };
        if let Some(message) = message {
            ui.add_space(4.0);
            ui.weak(t!("ui.result.message", locale = locale));
            ui.label(message);
        }
        if let Some(request_id) = failure_request_id(job) {
            request_id_ui(ui, lang, request_id);
        }
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        if errors::fixed_in_settings(error)
            && ui
                .button(t!("ui.error.open_settings", locale = locale))
                .clicked()
        {
            commands.push(MainCommand::OpenSettings);
        }
        // A file that cannot be read or prepared would only fail the same way again.
        if error.may_pass_on_retry() && ui.button(t!("ui.result.retry", locale = locale)).clicked()
        {
            commands.push(MainCommand::Retry(item.id));
        }
    });
}

fn failure_request_id(error: &crate::engine::JobError) -> Option<&str> {
    match error {
        crate::engine::JobError::Api(failure) => failure.request_id.as_deref(),
        _ => None,
    }
}

/// The full-window overlay while files hover over the window.
pub fn drop_overlay_ui(ctx: &egui::Context, lang: Lang) {
    let rect = ctx.content_rect();
    let layer = egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop-overlay"));
    let painter = ctx.layer_painter(layer);
    let dark = ctx.global_style().visuals.dark_mode;
    let accent = if dark {
        egui::Color32::from_rgb(92, 200, 210)
    } else {
        egui::Color32::from_rgb(18, 120, 130)
    };
    painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(150));
    painter.rect_stroke(
        rect.shrink(16.0),
        16.0,
        egui::Stroke::new(3.0, accent),
        egui::StrokeKind::Inside,
    );
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        t!("ui.drop.overlay", locale = lang.code()),
        egui::FontId::proportional(32.0),
        egui::Color32::WHITE,
    );
}
