//! Open the window without the command line: for smoke tests, screenshots and timing.
//!
//! `cargo run --example window -- [--renderer wgpu|glow] [--lang zh|en]
//!  [--exit-after-frames N] [--screenshot FILE.png] [FILES or URLS...]`

use headcount::i18n::Lang;
use headcount::ui::{RunOptions, run};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "headcount=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let mut options = RunOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--renderer" => options.renderer = Some(value()?),
            "--lang" => options.lang = Lang::from_tag(&value()?),
            "--endpoint" => options.endpoint = Some(value()?),
            "--exit-after-frames" => options.exit_after_frames = Some(value()?.parse()?),
            "--screenshot" => options.screenshot = Some(value()?.into()),
            _ => options.open.push(arg.into()),
        }
    }
    run(options)
}
