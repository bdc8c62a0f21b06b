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
    let failed = items
        .iter()
        .filter(|item| matches!(item.status, ItemStatus::Failed(_)))
        .count();
    // A total that silently leaves out failed photos would read as "nobody there".
    let summary = if failed == 0 {
        t!(
            "ui.list.summary",
            locale = locale,
            done = done,
            total = items.len(),
            people = people
        )
    } else {
        t!(
            "ui.list.summary_failed",
            locale = locale,
            done = done,
            total = items.len(),
            failed = failed,
            people = people
        )
    };
    if failed == 0 {
        ui.weak(summary);
    } else {
        ui.label(summary);
    }
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
        let weak_color = ui.visuals().weak_text_color();
        let inner = rect.shrink2(egui::vec2(8.0, 4.0));
        let painter = ui.painter_at(rect);
        // The status is drawn first and keeps its full width; the name and the detail
        // are cut to what is left, with an ellipsis, so long camera file names never run
        // over the count.
        // Red or accent text is hard to read on the selection's fill.
        let status_color = match color {
            Some(_) if selected => ui.visuals().strong_text_color(),
            Some(color) => color,
            None => weak_color,
        };
        let status = painter.layout_no_wrap(status, egui::FontId::proportional(14.0), status_color);
        let status_width = status.size().x;
        painter.galley(
            inner.right_top() - egui::vec2(status_width, 0.0),
            status,
            weak_color,
        );
        let name_width = (inner.width() - status_width - 10.0).max(20.0);
        let name = one_line(&painter, &name, 14.0, text_color, name_width);
        painter.galley(inner.left_top(), name, text_color);
        let detail = one_line(&painter, &detail, 12.0, weak_color, inner.width());
        painter.galley(
            inner.left_bottom() - egui::vec2(0.0, detail.size().y),
            detail,
            weak_color,
        );
    }
    response
}

/// `text` laid out on one line no wider than `width`, cut with "…" when it does not fit.
fn one_line(
    painter: &egui::Painter,
    text: &str,
    size: f32,
    color: egui::Color32,
    width: f32,
) -> std::sync::Arc<egui::Galley> {
    let mut job = egui::text::LayoutJob::simple_singleline(
        text.to_owned(),
        egui::FontId::proportional(size),
        color,
    );
    job.wrap = egui::text::TextWrapping::truncate_at_width(width);
    painter.layout_job(job)
}
