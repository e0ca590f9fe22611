//! `check`'s options (SPEC §13).

use std::path::PathBuf;

#[derive(Clone, Debug, clap::Args)]
pub struct CheckArgs {
    /// The limits file: what to measure and the limits to hold the board to
    #[arg(value_name = "LIMITS.toml")]
    pub limits: PathBuf,
    /// Write the JSON result to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the result as JUnit XML to FILE (a testsuite, a testcase per limit and the mask)
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// The name of the board under test (default: its USB serial number, on a serial port)
    #[arg(long, value_name = "NAME")]
    pub dut: Option<String>,
    /// A marginal limit fails the check
    #[arg(long)]
    pub strict: bool,
}
