//! CPU time and memory of processes and threads, from /proc (for the benchmarks).

use std::path::Path;

/// User + system CPU seconds from a `/proc/…/stat` file.
pub fn cpu_seconds(stat: &Path) -> Option<f64> {
    Some(stat_seconds(stat, UTIME)? + stat_seconds(stat, STIME)?)
}

/// CPU seconds a process spent in the kernel (its system time) so far.
pub fn process_kernel_cpu(pid: u32) -> Option<f64> {
    stat_seconds(Path::new(&format!("/proc/{pid}/stat")), STIME)
}

/// utime and stime, fields 14 and 15 of a stat file: 11 and 12 after the command name.
const UTIME: usize = 11;
const STIME: usize = 12;

/// Field `field` (counted after the command name, which is in parentheses) of a stat file,
/// clock ticks as seconds.
fn stat_seconds(stat: &Path, field: usize) -> Option<f64> {
    let text = std::fs::read_to_string(stat).ok()?;
    let ticks: f64 = text[text.rfind(')')? + 2..]
        .split(' ')
        .nth(field)?
        .parse()
        .ok()?;
    Some(ticks / rustix::param::clock_ticks_per_second() as f64)
}

pub fn process_cpu(pid: u32) -> Option<f64> {
    cpu_seconds(Path::new(&format!("/proc/{pid}/stat")))
}

/// CPU seconds of the thread of this process named `name` (0 if there is none).
pub fn thread_cpu(name: &str) -> f64 {
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            return cpu_seconds(&task.path().join("stat")).unwrap_or(0.0);
        }
    }
    0.0
}

/// A memory figure of `/proc/PID/status` (`VmRSS`, `VmHWM`, …) in MB.
pub fn memory_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}
