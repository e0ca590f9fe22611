//! A pseudo-terminal standing in for a board on a serial port: the test writes on the
//! master side; the program opens the slave side through a symlink, as it would
//! /dev/ttyACM0. Dropping the board is an unplug.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};

pub struct Board {
    pub master: File,
    pub slave: PathBuf,
}

impl Board {
    /// A new pseudo-terminal in raw mode (so bytes written before the reader sets it up
    /// are not translated), reachable through `link`.
    pub fn plug_in(link: &Path) -> Self {
        // Close-on-exec: a child started later (the binary under test) must not hold the master
        // open, or dropping the board would not unplug it.
        let master =
            openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let slave = PathBuf::from(ptsname(&master, Vec::new()).unwrap().into_string().unwrap());
        {
            let fd = File::options()
                .read(true)
                .write(true)
                .open(&slave)
                .expect("open slave");
            let mut termios = rustix::termios::tcgetattr(fd.as_fd()).unwrap();
            termios.make_raw();
            rustix::termios::tcsetattr(fd.as_fd(), rustix::termios::OptionalActions::Now, &termios)
                .unwrap();
        }
        let _ = std::fs::remove_file(link);
        std::os::unix::fs::symlink(&slave, link).expect("symlink");
        Self {
            master: File::from(master),
            slave,
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.master.write_all(bytes)
    }
}
