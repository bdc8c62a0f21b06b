//! Turning drops, pastes, shortcuts and the URL field into items to count.

use super::*;

impl HeadcountApp {
    pub(super) fn handle_input(&mut self, ctx: &egui::Context) {
        let dropped: Vec<Input> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|file| {
                    let path = file.path();
                    if path.as_os_str().is_empty() {
                        Input::Bytes {
                            name: "dropped".to_owned(),
                            bytes: Arc::new(file.bytes().unwrap_or_default()),
                        }
                    } else {
                        Input::Path(path.to_owned())
                    }
                })
                .collect()
        });
        if !dropped.is_empty() {
            self.tasks.add_inputs(dropped);
        }

        let typing = ctx.egui_wants_keyboard_input();
        let (pasted_text, pasted_image, paste_key_released) = ctx.input(|i| {
            let mut text = None;
            let mut image = None;
            let mut released = false;
            for event in &i.events {
                match event {
                    egui::Event::Paste(pasted) => text = Some(pasted.clone()),
                    egui::Event::PasteImage(pasted) => image = Some(Arc::clone(pasted)),
                    egui::Event::Key {
                        key: egui::Key::V,
                        pressed: false,
                        modifiers,
                        ..
                    } if modifiers.command_only() => released = true,
                    _ => {}
                }
            }
            (text, image, released)
        });
        let now = ctx.input(|i| i.time);
        if pasted_text.is_some() || pasted_image.is_some() {
            self.last_paste_event = Some(now);
        }
        if !typing && (pasted_text.is_some() || pasted_image.is_some()) {
            self.paste_requested_at = None;
            self.paste(ctx, pasted_text, pasted_image);
        }
        // egui-winit turns Ctrl+V into a paste event only when the clipboard holds text
        // or an image, and swallows the key press either way; only the release reaches
        // us. A release with no paste just before it means the clipboard had nothing.
        if paste_key_released
            && !typing
            && self
                .last_paste_event
                .is_none_or(|pasted| now - pasted > 1.0)
        {
            self.toast(
                ctx,
                t!("ui.toast.paste_empty", locale = self.lang().code()).into(),
            );
        }
        if let Some(asked) = self.paste_requested_at {
            if now - asked > 0.5 {
                self.paste_requested_at = None;
                self.toast(
                    ctx,
                    t!("ui.toast.paste_empty", locale = self.lang().code()).into(),
                );
            } else {
                ctx.request_repaint_after(Duration::from_millis(100));
            }
        }

        if typing {
            return;
        }
        let (open, cancel, up, down) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::O),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
            )
        });
        if open {
            self.tasks.pick(false);
        }
        if cancel {
            if self.busy() {
                self.cancel();
            } else {
                self.panel.open = false;
            }
        }
        if up || down {
            self.move_selection(if up { -1 } else { 1 });
        }
    }

    fn paste(
        &mut self,
        ctx: &egui::Context,
        text: Option<String>,
        image: Option<Arc<egui::ColorImage>>,
    ) {
        if let Some(text) = text {
            let inputs = parse_pasted_text(&text);
            if inputs.is_empty() {
                self.toast(
                    ctx,
                    t!("ui.toast.paste_empty", locale = self.lang().code()).into(),
                );
            } else {
                self.tasks.add_inputs(inputs);
            }
        } else if let Some(image) = image {
            let name = t!("ui.pasted_image", locale = self.lang().code()).into_owned();
            self.tasks.add_pasted_image(image, name);
        }
    }

    fn move_selection(&mut self, step: isize) {
        let Some(index) = self
            .selected
            .and_then(|id| self.items.iter().position(|item| item.id == id))
        else {
            return;
        };
        let next = index
            .saturating_add_signed(step)
            .min(self.items.len().saturating_sub(1));
        self.selected = self.items.get(next).map(|item| item.id);
        self.follow = false;
    }

    pub(super) fn count_url(&mut self, ctx: &egui::Context) {
        let url = self.url_input.trim().to_owned();
        if crate::engine::is_http_url(&url) {
            self.add_items(ctx, vec![Input::Url(url)]);
            self.url_input.clear();
        } else {
            self.toast(
                ctx,
                t!("ui.toast.bad_url", locale = self.lang().code()).into(),
            );
        }
    }
}

/// Read pasted text as inputs: http(s) URLs, `file://` URLs (a file manager's copied
/// files) and absolute paths, one per line. Anything else means "nothing to count".
fn parse_pasted_text(text: &str) -> Vec<Input> {
    let mut inputs = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        if line.starts_with('#') {
            continue; // Comments in text/uri-list.
        }
        if crate::engine::is_http_url(line) {
            inputs.push(Input::Url(line.to_owned()));
        } else if let Some(path) = url::Url::parse(line)
            .ok()
            .filter(|url| url.scheme() == "file")
            .and_then(|url| url.to_file_path().ok())
        {
            inputs.push(Input::Path(path));
        } else if std::path::Path::new(line).is_absolute() {
            inputs.push(Input::Path(PathBuf::from(line)));
        } else {
            return Vec::new();
        }
    }
    inputs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_text_becomes_urls_and_paths_or_nothing() {
        let inputs = parse_pasted_text("https://a.example/x.jpg\nfile:///tmp/a%20b.png\n");
        assert_eq!(
            inputs,
            vec![
                Input::Url("https://a.example/x.jpg".to_owned()),
                Input::Path(PathBuf::from("/tmp/a b.png"))
            ]
        );
        assert!(parse_pasted_text("hello there").is_empty());
        assert!(parse_pasted_text("   ").is_empty());
    }
}
