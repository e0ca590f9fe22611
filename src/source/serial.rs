//! `--serial PATH`: a board on a USB CDC port or a UART. A blocking reader on its own
//! thread (serial ports have no portable async API) feeding the same channel as every
//! source; unplug and replug are survived by dropping the port at once and reopening it
//! when the device comes back.

use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort, SerialPortType};

use crate::clock::Clock;
use crate::frame::Decoded;
use crate::link::LinkState;
use crate::vocabulary::{EventSender, SourceEvent};
use crate::wire::ByteDecoder;

/// ST Microelectronics' USB vendor id: STM32 virtual COM ports.
pub const ST_VID: u16 = 0x0483;

#[derive(Clone, Debug)]
pub struct SerialOptions {
    /// A device path, or `auto` for the first ST virtual COM port.
    pub path: String,
    pub baud: u32,
    /// A missing device at start is waited for instead of failing.
    pub wait: bool,
    /// How often a lost device is looked for.
    pub retry_every: Duration,
    /// How long a read waits for bytes; an idle input flushes gathered text instants.
    pub read_timeout: Duration,
}

impl SerialOptions {
    pub fn new(path: &str, baud: u32) -> Self {
        Self {
            path: path.to_owned(),
            baud,
            wait: false,
            retry_every: Duration::from_millis(250),
            read_timeout: Duration::from_millis(100),
        }
    }
}

/// A serial port as `--list-ports` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    pub path: String,
    pub usb: Option<UsbIdentity>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsbIdentity {
    pub vid: u16,
    pub pid: u16,
    pub serial: Option<String>,
    pub product: Option<String>,
}

impl UsbIdentity {
    /// The same board: vendor, product and serial number (the path may change on replug).
    fn same_board(&self, other: &UsbIdentity) -> bool {
        self.vid == other.vid && self.pid == other.pid && self.serial == other.serial
    }
}

impl std::fmt::Display for PortInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(usb) = &self.usb {
            write!(f, "  {:04x}:{:04x}", usb.vid, usb.pid)?;
            if let Some(serial) = &usb.serial {
                write!(f, "  serial {serial}")?;
            }
            if let Some(product) = &usb.product {
                write!(f, "  {product}")?;
            }
        }
        Ok(())
    }
}

/// The serial ports of this machine (from sysfs; no libudev needed).
pub fn list_ports() -> Vec<PortInfo> {
    // serialport panics when sysfs has no tty class (some containers): nothing to list then.
    if !Path::new("/sys/class/tty").is_dir() {
        return Vec::new();
    }
    let mut ports: Vec<PortInfo> = serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .map(|p| PortInfo {
            path: p.port_name,
            usb: match p.port_type {
                SerialPortType::UsbPort(usb) => Some(UsbIdentity {
                    vid: usb.vid,
                    pid: usb.pid,
                    serial: usb.serial_number,
                    product: usb.product,
                }),
                _ => None,
            },
        })
        .collect();
    ports.sort_by(|a, b| a.path.cmp(&b.path));
    ports
}

/// The USB serial number of the board at `path` (`auto`: the first ST virtual COM port), when
/// it is a USB port that has one: what names the board under test by default.
pub fn serial_number(path: &str) -> Option<String> {
    let ports = list_ports();
    let wanted = std::fs::canonicalize(path).ok();
    ports
        .into_iter()
        .find(|p| match (path, &p.usb) {
            ("auto", Some(usb)) => usb.vid == ST_VID,
            _ => {
                p.path == path
                    || wanted
                        .as_ref()
                        .is_some_and(|w| std::fs::canonicalize(&p.path).ok().as_ref() == Some(w))
            }
        })
        .and_then(|p| p.usb?.serial)
}

fn ports_sentence() -> String {
    let ports = list_ports();
    if ports.is_empty() {
        "no serial ports were found".into()
    } else {
        let names: Vec<String> = ports.iter().map(ToString::to_string).collect();
        format!("serial ports here: {}", names.join(", "))
    }
}

/// What to open: a fixed path, or (with `auto`) whatever path the chosen board has now.
enum Target {
    Path(String),
    Auto(Option<UsbIdentity>),
}

impl Target {
    fn resolve(&mut self) -> Option<(String, Option<String>)> {
        match self {
            Target::Path(path) => Some((path.clone(), None)),
            Target::Auto(chosen) => {
                let ports = list_ports();
                let found = ports.into_iter().find(|p| match (&p.usb, &chosen) {
                    (Some(usb), Some(board)) => usb.same_board(board),
                    (Some(usb), None) => usb.vid == ST_VID,
                    (None, _) => false,
                })?;
                let notice = chosen
                    .is_none()
                    .then(|| format!("--serial auto chose {found}"));
                *chosen = found.usb.clone();
                Some((found.path, notice))
            }
        }
    }
}

/// Why opening failed, in words, and whether waiting could help.
fn open_error(path: &str, e: &serialport::Error) -> (String, bool) {
    use serialport::ErrorKind as K;
    match e.kind() {
        K::Io(io::ErrorKind::NotFound) => (format!("no device at {path}"), true),
        K::NoDevice => (
            format!(
                "{path} is busy: another program (a serial monitor, ModemManager, another sse-tui) has it open"
            ),
            true,
        ),
        K::Io(io::ErrorKind::PermissionDenied) => (
            format!("permission denied opening {path} (is your user in the dialout group?)"),
            false,
        ),
        _ => (format!("cannot open {path}: {}", e.description), true),
    }
}

/// Runs the serial source on a thread of its own until the receiver goes away.
pub fn spawn(
    options: SerialOptions,
    new_decoder: impl Fn() -> ByteDecoder + Send + 'static,
    tx: EventSender,
    clock: Clock,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("serial".into())
        .spawn(move || run(options, new_decoder, tx, clock))
        .expect("spawn the serial reader")
}

fn run(
    options: SerialOptions,
    new_decoder: impl Fn() -> ByteDecoder,
    tx: EventSender,
    clock: Clock,
) {
    let mut target = if options.path == "auto" {
        Target::Auto(None)
    } else {
        Target::Path(options.path.clone())
    };
    let send = |event| tx.blocking_send(event).is_ok();
    let mut first_attempt = true;
    let mut last_reason = String::new();
    loop {
        let attempt = match target.resolve() {
            Some((path, notice)) => {
                if let Some(notice) = notice
                    && !send(SourceEvent::Notice(notice))
                {
                    return;
                }
                open(&path, &options)
                    .map(|port| (path.clone(), port))
                    .map_err(|e| open_error(&path, &e))
            }
            None => Err((
                format!("no ST virtual COM port (USB VID {ST_VID:04x}) is plugged in"),
                true,
            )),
        };
        match attempt {
            Ok((path, port)) => {
                last_reason.clear();
                if !send(SourceEvent::Status(LinkState::Connected))
                    || !send(SourceEvent::Notice(format!(
                        "reading {path} at {} baud",
                        options.baud
                    )))
                {
                    return;
                }
                let reason = match read_until_lost(port, new_decoder(), &tx, &clock) {
                    Some(reason) => reason,
                    None => return, // the receiver is gone
                };
                let state = LinkState::Disconnected {
                    reason: format!("{reason}, waiting for {path}"),
                    retry_at: None,
                };
                if !send(SourceEvent::Status(state)) {
                    return;
                }
            }
            Err((reason, may_come_back)) => {
                if first_attempt && !(options.wait && may_come_back) {
                    let sentence = if reason.starts_with("no ") {
                        format!("{reason}; {} (--wait waits for it)", ports_sentence())
                    } else {
                        reason
                    };
                    let _ = send(SourceEvent::Status(LinkState::Failed(sentence)));
                    return;
                }
                if reason != last_reason {
                    let state = LinkState::Disconnected {
                        reason: format!("{reason}, waiting"),
                        retry_at: None,
                    };
                    if !send(SourceEvent::Status(state)) {
                        return;
                    }
                    last_reason = reason;
                }
            }
        }
        first_attempt = false;
        if !wait_or_closed(&tx, options.retry_every) {
            return;
        }
    }
}

fn open(path: &str, options: &SerialOptions) -> serialport::Result<Box<dyn SerialPort>> {
    let port = serialport::new(path, options.baud)
        .timeout(options.read_timeout)
        .open()?;
    // Whatever waited in the driver's buffer belongs to before: start clean.
    port.clear(ClearBuffer::Input)?;
    Ok(port)
}

/// Reads until the device goes away; returns why, or `None` once nobody listens.
fn read_until_lost(
    mut port: Box<dyn SerialPort>,
    mut decoder: ByteDecoder,
    tx: &EventSender,
    clock: &Clock,
) -> Option<String> {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let mut items: Vec<Decoded> = Vec::new();
        let bytes = match port.read(&mut buffer) {
            Ok(0) => return Some("the device closed".into()),
            Ok(n) => {
                decoder.push(&buffer[..n], &mut items);
                n
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                // Quiet input: hand over text instants gathered so far.
                decoder.flush(&mut items);
                if items.is_empty() && tx.is_closed() {
                    return None;
                }
                0
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // BrokenPipe (hang-up) or EIO: the device was unplugged.
            Err(e) => return Some(format!("device lost ({e})")),
        };
        if let Some(notice) = decoder.take_notice()
            && tx.blocking_send(SourceEvent::Notice(notice)).is_err()
        {
            return None;
        }
        if bytes > 0 || !items.is_empty() {
            let event = SourceEvent::Data {
                arrival: clock.now(),
                bytes,
                items,
            };
            if tx.blocking_send(event).is_err() {
                return None;
            }
        }
    }
}

/// Sleeps `interval` unless the receiver goes away first; `false` when it did.
fn wait_or_closed(tx: &EventSender, interval: Duration) -> bool {
    let deadline = Instant::now() + interval;
    while Instant::now() < deadline {
        if tx.is_closed() {
            return false;
        }
        std::thread::sleep(interval.min(Duration::from_millis(50)));
    }
    !tx.is_closed()
}
