use std::process::ExitCode;

use clap::Parser;
use sse_tui::cli::{Cli, usage_sentence};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", usage_sentence(&e));
            return ExitCode::from(2);
        }
    };
    if let Err(sentence) = cli.check() {
        eprintln!("sse-tui: {sentence}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sse-tui: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let status = runtime.block_on(sse_tui::run::run(cli));
    // Sources may sit in blocking reads; do not wait for them.
    runtime.shutdown_background();
    ExitCode::from(status)
}
