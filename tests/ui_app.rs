//! The window driven through egui_kittest, against the local fake of the service.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_api::{Account, FakeApi, expected_count};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use headcount::i18n::Lang;
use headcount::secret::{AppCode, Keyring};
use headcount::ui::{Deps, HeadcountApp};

const GOOD_CODE: &str = "0123456789abcdef0123456789abcdef";
const WRONG_CODE: &str = "ffffffffffffffffffffffffffffffff";

fn corpus_photo() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/photos/people/hopper.jpg"
    ))
}

/// The local fake of the service, with the good AppCode registered (the wrong one is not).
fn start_fake() -> (FakeApi, String) {
    let fake = FakeApi::start();
    fake.add_appcode(GOOD_CODE, Account::unlimited());
    let endpoint = fake.endpoint();
    (fake, endpoint)
}

fn expected_people() -> String {
    expected_count(&std::fs::read(corpus_photo()).expect("read photo")).to_string()
}

#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|err| err.to_string())
    }
}

fn keyring_with(code: Option<&str>) -> Keyring {
    let keyring = Keyring::mock();
    if let Some(code) = code {
        keyring
            .save(&AppCode::parse(code).expect("valid code"))
            .expect("mock save");
    }
    keyring
}

fn app(keyring: Keyring, endpoint: &str, lang: Lang) -> Harness<'static, HeadcountApp> {
    let deps = Deps::for_tests(keyring, endpoint, lang);
    Harness::builder()
        .with_size([1100.0, 720.0])
        .build_eframe(move |cc| HeadcountApp::new(cc, deps))
}

/// Step the app (its work runs on other threads) until `done` holds, for at most 10 s.
fn step_until(
    harness: &mut Harness<'static, HeadcountApp>,
    what: &str,
    done: impl Fn(&Harness<'static, HeadcountApp>) -> bool,
) {
    let started = Instant::now();
    while !done(harness) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

// Buttons are pressed through AccessKit, by widget id: a pointer click aims at where the
// widget was in the last frame, and a background event (the keyring's answer, a system
// font arriving) can move it before the click lands. Ids can shift too (egui numbers
// widgets without an explicit id by their order), so a click whose effect matters is
// repeated until the effect shows.

/// Press the widget labelled `label` until `done` holds, for at most 10 s.
fn click_until(
    harness: &mut Harness<'static, HeadcountApp>,
    label: &str,
    done: impl Fn(&Harness<'static, HeadcountApp>) -> bool,
) {
    let started = Instant::now();
    while !done(harness) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "pressing {label:?} had no effect"
        );
        if let Some(node) = harness.query_by_label(label) {
            node.click_accesskit();
        }
        harness.run_steps(3);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn drop_file(harness: &mut Harness<'static, HeadcountApp>, path: PathBuf) {
    harness.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(path.clone()),
        mime: String::new(),
    });
    harness.run_steps(2);
    harness.input_mut().hovered_files.clear();
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(path)));
    harness.step();
}

#[test]
fn a_dropped_photo_shows_its_count_and_request_id() {
    let (fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(Some(GOOD_CODE)), &endpoint, Lang::En);
    drop_file(&mut harness, corpus_photo());

    let people = expected_people();
    step_until(&mut harness, "the count", |h| {
        h.query_by_label(&people).is_some()
    });
    assert!(
        harness
            .query_by_label(&format!("检测人流量为: {people}人"))
            .is_some()
    );
    let request_id = fake.last_request_id().expect("the fake answered");
    assert!(harness.query_by_label(&request_id).is_some());
    assert!(harness.query_by_label("Copy").is_some());
    assert_eq!(fake.calls(), 1);
}

#[test]
fn in_chinese_a_dropped_photo_shows_its_count() {
    let (_fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(Some(GOOD_CODE)), &endpoint, Lang::Zh);
    drop_file(&mut harness, corpus_photo());

    let people = expected_people();
    step_until(&mut harness, "the count", |h| {
        h.query_by_label(&format!("检测人流量为: {people}人"))
            .is_some()
    });
    assert!(harness.query_by_label("复制").is_some());
}

#[test]
fn an_exhausted_quota_is_said_plainly() {
    let (fake, endpoint) = start_fake();
    fake.add_appcode(GOOD_CODE, Account::with_quota(0));
    let mut harness = app(keyring_with(Some(GOOD_CODE)), &endpoint, Lang::En);
    drop_file(&mut harness, corpus_photo());

    step_until(&mut harness, "the quota message", |h| {
        h.query_by_label_contains("quota exhausted").is_some()
    });
    assert_eq!(fake.calls(), 1, "a used-up quota is not retried");
}

#[test]
fn without_an_appcode_the_error_offers_to_open_settings() {
    let (_fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(None), &endpoint, Lang::En);
    drop_file(&mut harness, corpus_photo());

    step_until(&mut harness, "the no-AppCode prompt", |h| {
        h.query_by_label("No AppCode is set.").is_some()
    });
    click_until(&mut harness, "Open Settings", |h| {
        h.query_by_label("Save to keyring").is_some()
    });
}

#[test]
fn a_wrong_appcode_says_so() {
    let (_fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(Some(WRONG_CODE)), &endpoint, Lang::En);
    drop_file(&mut harness, corpus_photo());

    step_until(&mut harness, "the wrong-AppCode message", |h| {
        h.query_by_label_contains("AppCode was rejected").is_some()
    });
    assert!(harness.query_by_label("Open Settings").is_some());
}

#[test]
fn saving_an_appcode_stores_it_in_the_keyring_and_never_shows_it() {
    let (_fake, endpoint) = start_fake();
    let keyring = keyring_with(None);
    let mut harness = app(keyring.clone(), &endpoint, Lang::En);
    harness.run_steps(2);
    click_until(&mut harness, "Settings", |h| {
        h.query_by_label("Save to keyring").is_some()
    });
    step_until(&mut harness, "the keyring status", |h| {
        h.query_by_label("No AppCode is stored.").is_some()
    });

    harness
        .get_by_role_and_label(egui::Role::PasswordInput, "AppCode")
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(egui::Role::PasswordInput, "AppCode")
        .type_text(GOOD_CODE);
    harness.step();
    assert!(
        harness.query_by_label_contains(GOOD_CODE).is_none(),
        "the typed code is masked"
    );
    click_until(&mut harness, "Save to keyring", |h| {
        h.query_by_label("An AppCode is stored (…cdef).").is_some()
    });
    let stored = keyring.load().expect("mock load");
    assert_eq!(stored.as_ref().map(AppCode::expose), Some(GOOD_CODE));
    assert!(harness.query_by_label_contains(GOOD_CODE).is_none());
    assert!(
        harness.query_by_value(GOOD_CODE).is_none(),
        "the field no longer holds the code"
    );
}

#[test]
fn switching_to_chinese_renders_chinese_labels() {
    let (_fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(None), &endpoint, Lang::En);
    harness.run_steps(2);
    click_until(&mut harness, "Settings", |h| {
        h.query_by_label("中文").is_some()
    });
    click_until(&mut harness, "中文", |h| {
        h.query_by_label("语言").is_some()
    });
    assert!(harness.query_by_label("将照片或文件夹拖放到这里").is_some());
}

#[test]
fn a_wrong_appcode_stops_a_batch_and_retry_sends_the_rest_once_it_is_fixed() {
    let (fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(Some(WRONG_CODE)), &endpoint, Lang::En);
    harness.run_steps(2);
    for name in ["hopper.jpg", "kodim12.png", "kodim14.png"] {
        let path = corpus_photo().with_file_name(name);
        harness
            .input_mut()
            .dropped_files
            .push(Arc::new(DroppedPath(path)));
    }
    harness.step();

    step_until(&mut harness, "three failed rows", |h| {
        h.query_all_by_label_contains(": Failed").count() == 3
    });
    assert_eq!(fake.calls(), 1, "the other two are not sent");

    click_until(&mut harness, "Settings", |h| {
        h.query_by_label("Save to keyring").is_some()
    });
    step_until(&mut harness, "the keyring status", |h| {
        h.query_by_label("An AppCode is stored (…ffff).").is_some()
    });
    harness
        .get_by_role_and_label(egui::Role::PasswordInput, "AppCode")
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(egui::Role::PasswordInput, "AppCode")
        .type_text(GOOD_CODE);
    harness.step();
    click_until(&mut harness, "Save to keyring", |h| {
        h.query_by_label("An AppCode is stored (…cdef).").is_some()
    });

    click_until(&mut harness, "Retry failed", |h| {
        h.query_by_label("Retry failed").is_none()
    });
    let rows: Vec<String> = ["hopper.jpg", "kodim12.png", "kodim14.png"]
        .iter()
        .map(|name| {
            let bytes = std::fs::read(corpus_photo().with_file_name(name)).expect("read");
            format!("{name}: {} people", expected_count(&bytes))
        })
        .collect();
    step_until(&mut harness, "three counts", |h| {
        rows.iter().all(|row| h.query_by_label(row).is_some())
    });
    assert_eq!(fake.calls(), 4);
    assert!(harness.query_by_label("Retry failed").is_none());
}

fn press_ctrl_v(harness: &mut Harness<'static, HeadcountApp>, clipboard: Option<&str>) {
    let modifiers = egui::Modifiers::COMMAND;
    // What egui-winit sends: the press becomes a paste event (only when the clipboard
    // holds something); the release arrives as a key event.
    if let Some(text) = clipboard {
        harness
            .input_mut()
            .events
            .push(egui::Event::Paste(text.to_owned()));
    }
    harness.step();
    harness.input_mut().events.push(egui::Event::Key {
        key: egui::Key::V,
        physical_key: Some(egui::Key::V),
        pressed: false,
        repeat: false,
        modifiers,
    });
    harness.step();
}

#[test]
fn ctrl_v_with_nothing_on_the_clipboard_says_so_and_with_a_path_counts_it() {
    let (fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(Some(GOOD_CODE)), &endpoint, Lang::En);
    harness.run_steps(2);

    press_ctrl_v(&mut harness, None);
    step_until(&mut harness, "the empty-clipboard toast", |h| {
        h.query_by_label("The clipboard holds no image, file or image URL.")
            .is_some()
    });

    let path = corpus_photo().display().to_string();
    press_ctrl_v(&mut harness, Some(&path));
    let people = expected_people();
    step_until(&mut harness, "the count", |h| {
        h.query_by_label(&people).is_some()
    });
    assert_eq!(fake.calls(), 1);
}

#[test]
fn a_photo_dropped_again_is_not_paid_for_again() {
    let (fake, endpoint) = start_fake();
    let mut harness = app(keyring_with(Some(GOOD_CODE)), &endpoint, Lang::En);
    harness.run_steps(2);
    for _ in 0..2 {
        harness
            .input_mut()
            .dropped_files
            .push(Arc::new(DroppedPath(corpus_photo())));
    }
    harness.step();

    let row = format!("hopper.jpg: {} people", expected_people());
    step_until(&mut harness, "two counts", |h| {
        h.query_all_by_label(&row).count() == 2
    });
    assert_eq!(fake.calls(), 1);
    // The second row is selected at the end and says why nothing was sent.
    assert!(
        harness
            .query_by_label_contains("nothing was sent again")
            .is_some()
    );
}
