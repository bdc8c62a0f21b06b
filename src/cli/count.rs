//! `headcount count` and `headcount prepare`.

use std::path::{Path, PathBuf};

use rust_i18n::t;
use serde_json::{Map, Value, json};

use super::output::{Printer, Record};
use super::{CountArgs, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, PrepareArgs};
use crate::api::Client;
use crate::engine::{self, Input, JobError, JobReport};
use crate::i18n::{self, Lang};
use crate::prepare::Upload;
use crate::secret::{self, AppCode, Keyring};

const COUNT_COLUMNS: &[&str] = &[
    "input",
    "count",
    "code",
    "message",
    "request_id",
    "error",
    "error_message",
    "elapsed_ms",
    "attempts",
    "advice",
];

const PREPARE_COLUMNS: &[&str] = &[
    "input",
    "format",
    "width",
    "height",
    "bytes",
    "base64_len",
    "reencoded",
    "source_format",
    "error",
    "error_message",
    "out",
];

/// The inputs named on the command line, folders expanded; `None` (after saying so) when
/// they hold no image.
fn collect_inputs(args: &[String], lang: Lang) -> Option<Vec<Input>> {
    let inputs = engine::expand(args.iter().map(|arg| Input::from_arg(arg)).collect());
    if inputs.is_empty() {
        eprintln!("{}", t!("cli.no_images", locale = lang.code()));
        return None;
    }
    Some(inputs)
}

/// The AppCode from the environment or the keyring, or the message saying how to set one.
fn appcode(lang: Lang) -> Result<AppCode, String> {
    let locale = lang.code();
    let keyring = Keyring::native();
    match secret::resolve(keyring.as_ref().ok()) {
        Ok(Some((code, _))) => Ok(code),
        // Without a keyring, `appcode set` cannot help: the variable is the only way.
        Ok(None) => match keyring {
            Ok(_) => Err(t!("cli.no_appcode", locale = locale).into_owned()),
            Err(err) => Err(t!(
                "cli.keyring_unavailable",
                locale = locale,
                reason = i18n::secret_error_text(lang, &err)
            )
            .into_owned()),
        },
        Err(err @ secret::SecretError::InvalidEnv(_)) => Err(i18n::secret_error_text(lang, &err)),
        Err(err) => Err(t!(
            "cli.keyring_failed",
            locale = locale,
            reason = i18n::secret_error_text(lang, &err)
        )
        .into_owned()),
    }
}

pub async fn count(args: CountArgs, lang: Lang) -> u8 {
    let locale = lang.code();
    let config = match args.client_config() {
        Ok(config) => config,
        Err(reason) => {
            eprintln!(
                "{}",
                t!("cli.bad_endpoint", locale = locale, reason = reason)
            );
            return EXIT_USAGE;
        }
    };
    if config.endpoint.scheme() == "http" && !is_loopback(&config.endpoint) {
        eprintln!(
            "{}",
            t!(
                "cli.plain_http",
                locale = locale,
                endpoint = config.endpoint
            )
        );
    }
    let appcode = match appcode(lang) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_USAGE;
        }
    };
    let client = match Client::new(config) {
        Ok(client) => client,
        Err(err) => {
            eprintln!("{}", i18n::api_error_text(lang, &err));
            return EXIT_USAGE;
        }
    };

    let Some(inputs) = collect_inputs(&args.inputs, lang) else {
        return EXIT_FAILED;
    };
    let total = inputs.len();
    let mut printer = Printer::new(args.format, COUNT_COLUMNS, std::io::stdout().lock());
    let concurrency = usize::from(args.concurrency);
    // When the reader of our output goes away (`headcount count dir | head -3`), the
    // rest of the batch is not sent: nobody would see the counts that were paid for.
    let reader_gone = tokio::sync::Notify::new();
    let so_far = std::cell::Cell::new(engine::BatchSummary::default());
    let batch = engine::run_batch(&client, &appcode, inputs, concurrency, |index, report| {
        let mut tally = so_far.get();
        match &report.outcome {
            Ok(count) => {
                tally.succeeded += 1;
                tally.people += count.people;
            }
            Err(_) => tally.failed += 1,
        }
        so_far.set(tally);
        printer.push(index, count_record(lang, &report));
        if printer.closed() {
            reader_gone.notify_one();
        }
    });
    let summary = tokio::select! {
        summary = batch => summary,
        () = reader_gone.notified() => {
            tracing::debug!("output closed; the rest of the batch is not sent");
            return EXIT_FAILED;
        }
        // Ctrl+C: calls in flight are abandoned, nothing more is sent, and what was
        // counted stays on record with a closing line that says the run was cut short.
        Ok(()) = tokio::signal::ctrl_c() => {
            printer.finish();
            let tally = so_far.get();
            let line = t!(
                "cli.interrupted",
                locale = locale,
                done = tally.succeeded + tally.failed,
                total = total,
                ok = tally.succeeded,
                failed = tally.failed,
                people = tally.people
            );
            eprintln!("{line}");
            return EXIT_INTERRUPTED;
        }
    };
    printer.finish();

    let line = t!(
        "cli.summary",
        locale = locale,
        total = total,
        ok = summary.succeeded,
        failed = summary.failed,
        people = summary.people
    );
    print_summary(args.format, &line);
    if summary.failed == 0 {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// People read the summary under a table; scripts reading JSON or CSV get it on stderr.
fn print_summary(format: super::Format, line: &str) {
    use std::io::Write as _;
    // A reader that went away (`| head`) is not an error worth a panic.
    if format == super::Format::Table {
        let _ = writeln!(std::io::stdout(), "{line}");
    } else {
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

fn count_record(lang: Lang, report: &JobReport) -> Record {
    let label = report.input.label();
    let mut fields = Map::new();
    fields.insert("input".into(), Value::from(label.clone()));
    let elapsed_ms = report.elapsed.as_millis() as u64;

    let table_line = match &report.outcome {
        Ok(count) => {
            fields.insert("count".into(), json!(count.people));
            fields.insert("code".into(), json!(count.code));
            fields.insert("message".into(), json!(count.message));
            fields.insert("request_id".into(), json!(count.request_id));
            fields.insert("error".into(), Value::Null);
            fields.insert("error_message".into(), Value::Null);
            fields.insert("attempts".into(), json!(count.attempts));
            if report.reused {
                fields.insert("reused".into(), json!(true));
                let note = t!("cli.reused", locale = lang.code());
                format!("{:>6}  {label}  {}  ({note})", count.people, count.message)
            } else {
                format!("{:>6}  {label}  {}", count.people, count.message)
            }
        }
        Err(error) => {
            let (code, request_id, attempts, service_message, gateway_code) = match error {
                JobError::Api(failure) => (
                    failure.code.clone(),
                    failure.request_id.clone(),
                    failure.attempts,
                    failure.service_message.as_deref(),
                    failure.gateway_code.as_deref(),
                ),
                _ => (None, None, 0, None, None),
            };
            let text = i18n::error_text_for(lang, Some(&report.input.short_label()), error);
            let advice = i18n::error_advice(lang, error);
            fields.insert("count".into(), Value::Null);
            fields.insert("code".into(), json!(code));
            fields.insert("message".into(), json!(service_message));
            fields.insert("request_id".into(), json!(request_id));
            fields.insert("error".into(), json!(error.kind()));
            fields.insert("error_message".into(), json!(text));
            fields.insert("advice".into(), json!(advice));
            fields.insert("attempts".into(), json!(attempts));
            if let Some(gateway_code) = gateway_code {
                fields.insert("gateway_code".into(), json!(gateway_code));
            }
            // The gateway's reason is often already part of the text ("HTTP 404: …").
            let detail = service_message
                .filter(|m| !text.contains(&**m))
                .map(|m| format!(" [{m}]"))
                .unwrap_or_default();
            let id = request_id
                .map(|id| format!(" (request id {id})"))
                .unwrap_or_default();
            let gap = if lang == Lang::Zh { "" } else { " " };
            format!("{:>6}  {label}  {text}{detail}{gap}{advice}{id}", "✗")
        }
    };
    fields.insert("elapsed_ms".into(), json!(elapsed_ms));
    if let Some(upload) = &report.upload {
        fields.insert(
            "upload".into(),
            json!({
                "format": upload.format.to_string(),
                "width": upload.width,
                "height": upload.height,
                "bytes": upload.bytes,
                "reencoded": upload.reencoded,
                "source_format": upload.source_format,
                "blake3": upload.hash,
            }),
        );
    }
    Record { fields, table_line }
}

pub async fn prepare(args: PrepareArgs, lang: Lang) -> u8 {
    let locale = lang.code();
    if let Some(dir) = &args.out
        && let Err(err) = std::fs::create_dir_all(dir)
    {
        eprintln!(
            "{}",
            t!(
                "cli.write_failed",
                locale = locale,
                path = dir.display(),
                reason = err
            )
        );
        return EXIT_USAGE;
    }
    let Some(inputs) = collect_inputs(&args.inputs, lang) else {
        return EXIT_FAILED;
    };

    let total = inputs.len();
    let mut failed = 0;
    let mut used_names = std::collections::HashSet::new();
    let mut printer = Printer::new(args.format, PREPARE_COLUMNS, std::io::stdout().lock());
    for (index, input) in inputs.into_iter().enumerate() {
        let prepared = match engine::read(&input).await {
            Ok(Some(bytes)) => engine::prepare_bytes(bytes).await.map(Some),
            Ok(None) => Ok(None),
            Err(error) => Err(error),
        };
        let out = match (&prepared, &args.out) {
            (Ok(Some(upload)), Some(dir)) => {
                let path = unique_out_path(dir, &input, upload, &mut used_names);
                match std::fs::write(&path, &upload.bytes) {
                    Ok(()) => Some(Ok(path)),
                    Err(err) => Some(Err(err.to_string())),
                }
            }
            _ => None,
        };
        let record = prepare_record(lang, &input, &prepared, out.as_ref());
        if prepared.is_err() || matches!(out, Some(Err(_))) {
            failed += 1;
        }
        printer.push(index, record);
    }
    printer.finish();

    let line = t!(
        "cli.prepare_summary",
        locale = locale,
        total = total,
        ok = total - failed,
        failed = failed
    );
    print_summary(args.format, &line);
    if failed == 0 { EXIT_OK } else { EXIT_FAILED }
}

/// `<stem>.<ext>` in `dir`, with `-2`, `-3`… when two inputs share a stem.
fn unique_out_path(
    dir: &Path,
    input: &Input,
    upload: &Upload,
    used: &mut std::collections::HashSet<PathBuf>,
) -> PathBuf {
    let stem = match input {
        Input::Path(path) => path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".to_owned()),
        _ => "image".to_owned(),
    };
    let ext = upload.format.extension();
    let mut candidate = dir.join(format!("{stem}.{ext}"));
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = dir.join(format!("{stem}-{n}.{ext}"));
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

fn prepare_record(
    lang: Lang,
    input: &Input,
    prepared: &Result<Option<Upload>, JobError>,
    out: Option<&Result<PathBuf, String>>,
) -> Record {
    let locale = lang.code();
    let label = input.label();
    let mut fields = Map::new();
    fields.insert("input".into(), json!(label));
    let mut table_line = match prepared {
        Ok(Some(upload)) => {
            fields.insert("format".into(), json!(upload.format.to_string()));
            fields.insert("width".into(), json!(upload.width));
            fields.insert("height".into(), json!(upload.height));
            fields.insert("bytes".into(), json!(upload.bytes.len()));
            fields.insert("base64_len".into(), json!(upload.base64_len()));
            fields.insert("reencoded".into(), json!(upload.reencoded));
            fields.insert("source_format".into(), json!(upload.source_format));
            fields.insert("source_width".into(), json!(upload.source_width));
            fields.insert("source_height".into(), json!(upload.source_height));
            fields.insert("blake3".into(), json!(upload.hash_hex()));
            let how = if upload.reencoded {
                t!(
                    "cli.reencoded_from",
                    locale = locale,
                    format = upload.source_format,
                    width = upload.source_width,
                    height = upload.source_height
                )
            } else {
                t!("cli.unchanged", locale = locale)
            };
            format!(
                "✓  {label}  {} {}×{}  {}  ({how})",
                upload.format,
                upload.width,
                upload.height,
                i18n::human_size(upload.bytes.len() as u64)
            )
        }
        Ok(None) => {
            fields.insert("format".into(), json!("URL"));
            format!("✓  {label}  {}", t!("cli.sent_as_url", locale = locale))
        }
        Err(error) => {
            let text = i18n::error_text_for(lang, Some(&input.short_label()), error);
            let advice = i18n::error_advice(lang, error);
            fields.insert("error".into(), json!(error.kind()));
            fields.insert("error_message".into(), json!(text));
            fields.insert("advice".into(), json!(advice));
            let gap = if lang == Lang::Zh { "" } else { " " };
            format!("✗  {label}  {text}{gap}{advice}")
        }
    };
    match out {
        Some(Ok(path)) => {
            fields.insert("out".into(), json!(path.display().to_string()));
            table_line.push_str(&format!("  → {}", path.display()));
        }
        Some(Err(reason)) => {
            let text = t!(
                "cli.write_failed",
                locale = locale,
                path = "",
                reason = reason
            );
            fields.insert("error".into(), json!("write_failed"));
            fields.insert("error_message".into(), json!(text));
            table_line.push_str(&format!("  ✗ {text}"));
        }
        None => {}
    }
    Record { fields, table_line }
}
