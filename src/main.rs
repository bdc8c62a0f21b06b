//! `headcount`: the window, or a command-line tool when given a command.

use std::process::ExitCode;

use clap::Parser;
use headcount::cli::{self, Cli};
use headcount::i18n::Lang;

fn main() -> ExitCode {
    let args = Cli::parse();
    cli::init_logging();
    let lang = args.lang.unwrap_or_else(Lang::from_system);

    match args.command {
        Some(command) => cli::run(command, lang),
        None => {
            let options = headcount::ui::RunOptions {
                endpoint: args.endpoint,
                lang: args.lang,
                renderer: args.renderer,
                exit_after_frames: args.exit_after_frames,
                open: args.files,
                ..Default::default()
            };
            match headcount::ui::run(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("headcount: {err:#}");
                    ExitCode::from(cli::EXIT_USAGE)
                }
            }
        }
    }
}
