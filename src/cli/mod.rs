//! The command line: the same engine as the window, for scripts and batch work.

mod appcode;
mod count;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::api::{self, ClientConfig, RetryPolicy};
use crate::i18n::Lang;

/// Exit status when every input succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit status when any input failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status for usage or configuration errors (also clap's own).
pub const EXIT_USAGE: u8 = 2;
/// Stopped by Ctrl+C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Count the people in photos with the Alibaba Cloud marketplace people-count API.
///
/// Without a command, opens the window (with any FILES already loaded).
#[derive(Debug, Parser)]
#[command(name = "headcount", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Language of messages: zh or en (default: the system's).
    #[arg(long, global = true, value_parser = parse_lang)]
    pub lang: Option<Lang>,

    /// Photos to open in the window.
    pub files: Vec<PathBuf>,

    /// The window's API endpoint (the window's Settings otherwise).
    #[arg(long, env = "HEADCOUNT_ENDPOINT", hide_env_values = true)]
    pub endpoint: Option<String>,

    /// Force a renderer for the window: wgpu or glow.
    #[arg(long, hide = true, env = "HEADCOUNT_RENDERER")]
    pub renderer: Option<String>,

    /// Close the window after drawing this many frames (smoke tests).
    #[arg(long, hide = true)]
    pub exit_after_frames: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Count the people in files, folders (recursively) and http(s) URLs.
    Count(CountArgs),
    /// Show what would be uploaded for each input; sends nothing.
    Prepare(PrepareArgs),
    /// Store, inspect or remove the AppCode in the OS keyring.
    Appcode {
        #[command(subcommand)]
        action: AppcodeAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppcodeAction {
    /// Read the AppCode from standard input and store it in the OS keyring.
    Set,
    /// Say whether an AppCode is available and where it comes from.
    Status,
    /// Remove the AppCode from the OS keyring.
    Clear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct CountArgs {
    /// Image files, folders and http(s) URLs.
    #[arg(required = true)]
    pub inputs: Vec<String>,

    /// The API's full URL.
    #[arg(long, env = "HEADCOUNT_ENDPOINT", default_value = api::DEFAULT_ENDPOINT)]
    pub endpoint: String,

    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// How many images to count at the same time.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub concurrency: u16,

    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,

    /// Retries for throttling, server faults and network errors (never for paid failures).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
}

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// Image files and folders.
    #[arg(required = true)]
    pub inputs: Vec<String>,

    /// Also write each upload here: the exact image bytes that would be sent.
    #[arg(long)]
    pub out: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn parse_lang(text: &str) -> Result<Lang, String> {
    Lang::from_tag(text).ok_or_else(|| format!("unknown language {text:?}; use zh or en"))
}

impl CountArgs {
    fn client_config(&self) -> Result<ClientConfig, String> {
        // An empty HEADCOUNT_ENDPOINT (set but blank in a script) means the default.
        let given = self.endpoint.trim();
        let given = if given.is_empty() {
            api::DEFAULT_ENDPOINT
        } else {
            given
        };
        let endpoint = url::Url::parse(given)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                format!("{given:?} (--endpoint or HEADCOUNT_ENDPOINT) is not an http(s) URL")
            })?;
        Ok(ClientConfig {
            endpoint,
            timeout: Duration::from_secs(self.timeout),
            retry: RetryPolicy {
                max_retries: self.retries,
                ..RetryPolicy::default()
            },
            ..ClientConfig::default()
        })
    }
}

/// Run a subcommand and return the process exit status.
pub fn run(command: Command, lang: Lang) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("headcount: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let status = match command {
        Command::Count(args) => runtime.block_on(count::count(args, lang)),
        Command::Prepare(args) => runtime.block_on(count::prepare(args, lang)),
        Command::Appcode { action } => appcode::run(action, lang),
    };
    ExitCode::from(status)
}

/// Send logs to standard error; `HEADCOUNT_LOG` sets the filter (default: warnings).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HEADCOUNT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only help a terminal; in a redirected log they are noise.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
