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
    if let Err(sentence) = init_logging(&cli) {
        eprintln!("sse-tui: {sentence}");
        return ExitCode::from(1);
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

/// Diagnostics go to `--log-file`, or to stderr in headless mode; never onto the screen.
fn init_logging(cli: &Cli) -> Result<(), String> {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter =
        || EnvFilter::try_from_env("SSE_TUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if let Some(path) = &cli.log_file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init();
    } else if cli.headless || !std::io::stdout().is_terminal() {
        tracing_subscriber::fmt()
            .with_env_filter(
                EnvFilter::try_from_env("SSE_TUI_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
            )
            .with_writer(std::io::stderr)
            .init();
    }
    Ok(())
}
