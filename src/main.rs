use std::process::ExitCode;

use sse_tui::cli::{Cli, usage_sentence};
use sse_tui::config::{self, ArgsError};

fn main() -> ExitCode {
    abort_on_panic();
    let (cli, settings) = match config::parse(std::env::args_os().collect(), |name| {
        std::env::var(name).ok()
    }) {
        Ok(parsed) => parsed,
        Err(ArgsError::Clap(e)) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(ArgsError::Clap(e)) => {
            eprintln!("{}", usage_sentence(&e));
            return ExitCode::from(2);
        }
        Err(ArgsError::File(why)) => {
            eprintln!("sse-tui: {why}");
            return ExitCode::from(2);
        }
    };
    if let Err(sentence) = init_logging(&cli) {
        eprintln!("sse-tui: {sentence}");
        return ExitCode::from(1);
    }
    // A screen or a report runs on this thread alone (the analysis and the sources that
    // block have threads of their own, and one thread wakes less than several); serving many
    // watchers takes two workers.
    let mut builder = if cli.command.is_some() {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sse-tui: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(sse_tui::run::run(cli, settings));
    // Sources may sit in blocking reads; do not wait for them.
    runtime.shutdown_background();
    match result {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            eprintln!("sse-tui: {e}");
            ExitCode::from(e.exit_status())
        }
    }
}

/// A panic anywhere (the pipeline thread, a source) ends the program at once, after the
/// hooks installed before (ratatui's gives the terminal back) have run: a half-working
/// screen with a dead analysis behind it would show numbers that are no longer true.
/// Release builds abort on panic anyway; this makes debug builds and tests behave alike.
fn abort_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        std::process::abort();
    }));
}

/// Diagnostics go to `--log-file`, or to stderr in headless mode; never onto the screen.
fn init_logging(cli: &Cli) -> Result<(), String> {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = |default: &str| {
        EnvFilter::try_from_env("SSE_TUI_LOG").unwrap_or_else(|_| EnvFilter::new(default))
    };
    if let Some(path) = &cli.log_file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
        tracing_subscriber::fmt()
            .with_env_filter(filter("info"))
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init();
    } else if cli.headless || !std::io::stdout().is_terminal() {
        tracing_subscriber::fmt()
            .with_env_filter(filter("warn"))
            .with_writer(std::io::stderr)
            .init();
    }
    Ok(())
}
