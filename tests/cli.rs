//! The command line end to end: the real binary against the local fake API.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::fake_api::{Account, FakeApi, expected_count};
use serde_json::Value;

const CODE: &str = "0123456789abcdef0123456789abcdef";

fn corpus(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(path)
}

fn hopper() -> PathBuf {
    corpus("photos/people/hopper.jpg")
}

/// An AppCode the fake does not know.
const UNKNOWN_CODE: &str = "ffffffffffffffffffffffffffffffff";

/// The binary with a clean environment: an AppCode from the variable, no keyring.
fn headcount(fake: &FakeApi, args: &[&str]) -> Output {
    headcount_as(fake, CODE, args)
}

fn headcount_as(fake: &FakeApi, code: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(args)
        .env("HEADCOUNT_APPCODE", code)
        .env("HEADCOUNT_ENDPOINT", fake.endpoint())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/headcount-test-bus",
        )
        .env_remove("HEADCOUNT_LOG")
        .output()
        .expect("run headcount")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect()
}

fn started() -> FakeApi {
    let fake = FakeApi::start();
    fake.add_appcode(CODE, Account::unlimited());
    fake
}

#[test]
fn count_prints_the_exact_count_of_a_photo() {
    let fake = started();
    let photo = hopper();
    let output = headcount(
        &fake,
        &["--lang", "en", "count", photo.to_str().expect("utf-8")],
    );

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = expected_count(&std::fs::read(&photo).expect("read photo"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("检测人流量为: {expected}人")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{expected} people in total")),
        "{stdout}"
    );
    assert_eq!(fake.calls(), 1);
}

#[test]
fn json_has_one_object_per_input_with_the_documented_fields() {
    let fake = started();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("empty.jpg"), b"").expect("write");
    let photo = hopper();
    let output = headcount(
        &fake,
        &[
            "count",
            "--format",
            "json",
            photo.to_str().expect("utf-8"),
            dir.path().join("empty.jpg").to_str().expect("utf-8"),
        ],
    );

    assert_eq!(output.status.code(), Some(1), "one input failed");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2);
    let expected = expected_count(&std::fs::read(&photo).expect("read photo"));
    assert_eq!(lines[0]["count"], expected);
    assert_eq!(lines[0]["code"], "1");
    assert_eq!(lines[0]["error"], Value::Null);
    assert_eq!(
        lines[0]["request_id"].as_str(),
        fake.last_request_id().as_deref()
    );
    assert!(
        lines[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("人"))
    );
    assert_eq!(lines[1]["count"], Value::Null);
    assert_eq!(lines[1]["error"], "empty_file");
    assert!(
        lines[1]["input"]
            .as_str()
            .is_some_and(|i| i.ends_with("empty.jpg"))
    );
    assert_eq!(fake.calls(), 1, "the empty file was never sent");
}

#[test]
fn folders_are_searched_recursively_in_natural_order() {
    let fake = started();
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(hopper()).expect("read photo");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    for name in ["img10.jpg", "img2.jpg", "sub/img1.jpg"] {
        std::fs::write(dir.path().join(name), &bytes).expect("write");
    }
    std::fs::write(dir.path().join("notes.txt"), b"not a photo").expect("write");

    let output = headcount(
        &fake,
        &[
            "count",
            "--format",
            "json",
            dir.path().to_str().expect("utf-8"),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let inputs: Vec<String> = json_lines(&output)
        .iter()
        .map(|line| {
            let input = line["input"].as_str().expect("input");
            input
                .trim_start_matches(&dir.path().display().to_string())
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(inputs, ["/img2.jpg", "/img10.jpg", "/sub/img1.jpg"]);
}

#[test]
fn a_wrong_appcode_stops_the_batch_after_one_paid_call() {
    let fake = FakeApi::start();
    let photo = hopper();
    let photo = photo.to_str().expect("utf-8");
    let output = headcount_as(
        &fake,
        UNKNOWN_CODE,
        &[
            "--lang",
            "en",
            "count",
            "--format",
            "json",
            "--concurrency",
            "1",
            photo,
            photo,
            photo,
        ],
    );

    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines[0]["error"], "invalid_appcode");
    assert_eq!(lines[1]["error"], "skipped");
    assert_eq!(lines[2]["error"], "skipped");
    assert_eq!(
        fake.calls(),
        1,
        "a rejected AppCode is neither retried nor repeated"
    );
}

#[test]
fn an_exhausted_quota_is_said_plainly_and_the_rest_is_not_sent() {
    let fake = FakeApi::start();
    fake.add_appcode(CODE, Account::with_quota(1));
    // Three different photos: copies of one would be counted once and then reused.
    let photos = [
        hopper(),
        corpus("photos/people/kodim12.png"),
        corpus("photos/people/kodim14.png"),
    ];
    let photos: Vec<&str> = photos.iter().map(|p| p.to_str().expect("utf-8")).collect();
    let mut args = vec!["--lang", "en", "count", "--concurrency", "1"];
    args.extend(&photos);
    let output = headcount(&fake, &args);

    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("quota exhausted"), "{stdout}");
    assert!(stdout.contains("1 counted, 2 failed"), "{stdout}");
    assert_eq!(fake.calls(), 2);
}

#[test]
fn messages_follow_the_chosen_language() {
    let fake = FakeApi::start();
    let photo = hopper();
    let output = headcount_as(
        &fake,
        UNKNOWN_CODE,
        &["--lang", "zh", "count", photo.to_str().expect("utf-8")],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("服务拒绝了该 AppCode"), "{stdout}");
    assert!(stdout.contains("共 1 项"), "{stdout}");
}

#[test]
fn csv_starts_with_a_bom_and_a_header() {
    let fake = started();
    let photo = hopper();
    let output = headcount(
        &fake,
        &["count", "--format", "csv", photo.to_str().expect("utf-8")],
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "\u{feff}input,count,code,message,request_id,error,error_message,elapsed_ms,attempts,advice"
        )
    );
    assert!(lines.next().is_some_and(|row| row.contains(",1,")));
}

#[test]
fn no_appcode_and_no_keyring_is_a_configuration_error_that_says_what_to_do() {
    let fake = started();
    let photo = hopper();
    let output = Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(["--lang", "en", "count", photo.to_str().expect("utf-8")])
        .args(["--endpoint", &fake.endpoint()])
        .env_remove("HEADCOUNT_APPCODE")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/headcount-test-bus",
        )
        .output()
        .expect("run headcount");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("HEADCOUNT_APPCODE") && stderr.contains("keyring"),
        "{stderr}"
    );
    // `appcode set` needs the keyring that is missing; suggesting it would mislead.
    assert!(!stderr.contains("appcode set"), "{stderr}");
    assert_eq!(fake.calls(), 0);
}

#[test]
fn usage_errors_exit_with_status_2() {
    let fake = started();
    assert_eq!(headcount(&fake, &["count"]).status.code(), Some(2));
    assert_eq!(
        headcount(&fake, &["count", "--format", "xml", "a.jpg"])
            .status
            .code(),
        Some(2)
    );
    let bad_endpoint = headcount(&fake, &["count", "--endpoint", "ftp://x/y", "a.jpg"]);
    assert_eq!(bad_endpoint.status.code(), Some(2));
}

#[test]
fn prepare_writes_the_exact_upload_and_sends_nothing() {
    let fake = started();
    let out = tempfile::tempdir().expect("tempdir");
    let inputs = [
        corpus("photos/people/hopper.jpg"),
        corpus("photos/people/kodim12.png"),
        corpus("other/image-rs/multi-color.webp"),
    ];
    let mut args = vec![
        "prepare",
        "--format",
        "json",
        "--out",
        out.path().to_str().expect("utf-8"),
    ];
    let inputs: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    args.extend(inputs.iter().map(String::as_str));
    let output = headcount(&fake, &args);

    let lines = json_lines(&output);
    assert_eq!(
        lines.len(),
        3,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in &lines {
        if line["error"] != Value::Null {
            continue;
        }
        let path = line["out"].as_str().expect("written");
        let written = std::fs::read(path).expect("read upload");
        assert_eq!(written.len() as u64, line["bytes"].as_u64().expect("bytes"));
        let decoded = image::load_from_memory(&written).expect("the upload decodes");
        assert_eq!(
            u64::from(decoded.width()),
            line["width"].as_u64().expect("width")
        );
    }
    assert_eq!(
        lines[0]["reencoded"], false,
        "an upright small JPEG goes out unchanged"
    );
    let original = std::fs::read(corpus("photos/people/hopper.jpg")).expect("read");
    let sent = std::fs::read(lines[0]["out"].as_str().expect("out")).expect("read");
    assert_eq!(original, sent);
    assert_eq!(fake.calls(), 0);
}

#[test]
fn addresses_other_than_http_are_named_and_file_urls_are_read() {
    let fake = FakeApi::start();
    let photo = hopper();
    let file_url = url::Url::from_file_path(&photo).expect("absolute path");
    let output = headcount(
        &fake,
        &[
            "--lang",
            "en",
            "count",
            "--format",
            "json",
            "ftp://files.example/crowd.jpg",
            file_url.as_str(),
        ],
    );

    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines[0]["error"], "unsupported_address");
    let message = lines[0]["message"].as_str().unwrap_or_default().to_owned()
        + lines[0]["error_message"].as_str().unwrap_or_default();
    assert!(message.contains("ftp://"), "{}", lines[0]);
    assert_eq!(lines[1]["error"], Value::Null, "{}", lines[1]);
    assert_eq!(fake.calls(), 1, "only the file was sent");
}

#[test]
fn when_the_reader_goes_away_the_rest_of_the_batch_is_not_sent() {
    use std::io::BufRead as _;

    let fake = FakeApi::start();
    fake.set_latency(std::time::Duration::from_millis(300));
    let photo = hopper();
    let photo = photo.to_str().expect("utf-8");
    let mut child = Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(["count", "--format", "json", "--concurrency", "1"])
        .args([photo; 6])
        .env("HEADCOUNT_APPCODE", CODE)
        .env("HEADCOUNT_ENDPOINT", fake.endpoint())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start headcount");

    // Read one line, then close the pipe, as `| head -1` does.
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut first).expect("one line");
    drop(stdout);
    let output = child.wait_with_output().expect("headcount ends");

    assert!(first.contains("\"count\""), "{first}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(fake.calls() < 6, "calls: {}", fake.calls());
}

#[test]
fn a_photo_given_twice_is_sent_once_and_marked_as_reused() {
    let fake = FakeApi::start();
    let photo = hopper();
    let photo = photo.to_str().expect("utf-8");
    let output = headcount(&fake, &["count", "--format", "json", photo, photo]);

    assert_eq!(output.status.code(), Some(0));
    let lines = json_lines(&output);
    assert_eq!(lines[0]["count"], lines[1]["count"]);
    // Both are prepared at once (concurrency 2); whichever calls first is the original.
    let reused: Vec<&Value> = lines.iter().filter(|line| line["reused"] == true).collect();
    assert_eq!(reused.len(), 1, "{lines:?}");
    assert_eq!(reused[0]["attempts"], 0);
    assert_eq!(fake.calls(), 1);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_sending_and_says_how_far_the_batch_got() {
    use std::io::BufRead as _;

    let fake = FakeApi::start();
    fake.set_latency(std::time::Duration::from_millis(300));
    let photos = [
        hopper(),
        corpus("photos/people/kodim12.png"),
        corpus("photos/people/kodim14.png"),
        corpus("photos/people/Manifestazione_antifascista.jpg"),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_headcount"))
        .args(["--lang", "en", "count", "--concurrency", "1"])
        .args(&photos)
        .env("HEADCOUNT_APPCODE", CODE)
        .env("HEADCOUNT_ENDPOINT", fake.endpoint())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start headcount");

    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("one line");
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(interrupted.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("the rest");
    let output = child.wait_with_output().expect("headcount ends");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("Interrupted:"), "{stderr}");
    assert!(stderr.contains("of 4 done"), "{stderr}");
    assert!(fake.calls() < 4, "calls: {}", fake.calls());
}
