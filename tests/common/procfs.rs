//! CPU time and memory of processes and threads, from /proc (for the benchmarks).

use std::path::Path;

/// User + system CPU seconds from a `/proc/…/stat` file.
pub fn cpu_seconds(stat: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(stat).ok()?;
    // Fields after the command name, which is in parentheses; utime and stime are 14 and 15.
    let fields: Vec<&str> = text[text.rfind(')')? + 2..].split(' ').collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / rustix::param::clock_ticks_per_second() as f64)
}

/// CPU seconds a process spent in the kernel (its system time) so far.
pub fn process_kernel_cpu(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = text[text.rfind(')')? + 2..].split(' ').collect();
    let ticks = fields.get(12)?.parse::<f64>().ok()?;
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
