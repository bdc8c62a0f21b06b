//! The list of everything dropped in this session: name, status or count, and message.
//! Selecting a row shows its photo and result in the main view.

use rust_i18n::t;

use super::app::{Item, ItemStatus};
use super::errors;
use super::theme;
use crate::i18n::Lang;

/// What the list asked for.
pub enum ListCommand {
    Select(u64),
    Clear,
    RetryFailed,
}

pub fn results_list_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    items: &[Item],
    selected: Option<u64>,
) -> Vec<ListCommand> {
    let locale = lang.code();
    let mut commands = Vec::new();

    let done = items
        .iter()
        .filter(|item| matches!(item.status, ItemStatus::Done(_) | ItemStatus::Failed(_)))
        .count();
    let people: u64 = items
        .iter()
        .filter_map(|item| match &item.status {
            ItemStatus::Done(count) => Some(count.people),
            _ => None,
        })
        .sum();

    ui.horizontal(|ui| {
        ui.heading(t!("ui.list.title", locale = locale));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let busy = items
                .iter()
                .any(|item| matches!(item.status, ItemStatus::Queued | ItemStatus::Running));
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(t!("ui.list.clear", locale = locale)).small(),
                )
                .clicked()
            {
                commands.push(ListCommand::Clear);
            }
            let retryable = items.iter().any(|item| match &item.status {
                ItemStatus::Cancelled => true,
                ItemStatus::Failed(error) => error.may_pass_on_retry(),
                _ => false,
            });
            if retryable
                && ui
                    .add_enabled(
                        !busy,
                        egui::Button::new(t!("ui.list.retry_failed", locale = locale)).small(),
                    )
                    .clicked()
            {
                commands.push(ListCommand::RetryFailed);
            }
        });
    });
    ui.weak(t!(
        "ui.list.summary",
        locale = locale,
        done = done,
        total = items.len(),
        people = people
    ));
    let busy = items
        .iter()
        .any(|item| matches!(item.status, ItemStatus::Queued | ItemStatus::Running));
    if busy {
        ui.add(egui::ProgressBar::new(done as f32 / items.len().max(1) as f32).desired_height(6.0));
    }
    ui.separator();

    let row_height = 44.0;
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(
        ui,
        row_height,
        items.len(),
        |ui, range| {
            for item in &items[range] {
                if row_ui(ui, lang, item, selected == Some(item.id), row_height).clicked() {
                    commands.push(ListCommand::Select(item.id));
                }
            }
        },
    );
    commands
}

fn row_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    item: &Item,
    selected: bool,
    height: f32,
) -> egui::Response {
    let locale = lang.code();
    let (status, detail, color) = match &item.status {
        ItemStatus::Queued => (
            t!("ui.status.queued", locale = locale).into_owned(),
            String::new(),
            None,
        ),
        ItemStatus::Running => (
            t!("ui.status.running", locale = locale).into_owned(),
            String::new(),
            None,
        ),
        ItemStatus::Done(count) => (
            t!("ui.list.people", locale = locale, n = count.people).into_owned(),
            count.message.clone(),
            Some(theme::accent(ui)),
        ),
        ItemStatus::Failed(error) => (
            t!("ui.status.failed", locale = locale).into_owned(),
            errors::headline(lang, error),
            Some(theme::error_color(ui)),
        ),
        ItemStatus::Cancelled => (
            t!("ui.status.cancelled", locale = locale).into_owned(),
            String::new(),
            None,
        ),
    };

    let width = ui.available_width();
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::click());
    let name = item.name.clone();
    let label = format!("{name}: {status}");
    response
        .widget_info(|| egui::WidgetInfo::selected(egui::Role::ListItem, true, selected, &label));

    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&response, selected);
        if selected || response.hovered() {
            ui.painter().rect_filled(rect, 6.0, visuals.weak_bg_fill);
        }
        let text_color = ui.visuals().text_color();
        let inner = rect.shrink2(egui::vec2(8.0, 4.0));
        let painter = ui.painter_at(rect);
        painter.text(
            inner.left_top(),
            egui::Align2::LEFT_TOP,
            &name,
            egui::FontId::proportional(14.0),
            text_color,
        );
        painter.text(
            inner.right_top(),
            egui::Align2::RIGHT_TOP,
            &status,
            egui::FontId::proportional(14.0),
            color.unwrap_or(ui.visuals().weak_text_color()),
        );
        painter.text(
            inner.left_bottom(),
            egui::Align2::LEFT_BOTTOM,
            &detail,
            egui::FontId::proportional(12.0),
            ui.visuals().weak_text_color(),
        );
    }
    response
}
