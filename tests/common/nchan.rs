//! An nchan hub on this machine for tests and benchmarks: redis-server and nginx nodes with
//! libnginx-mod-nchan, configured from assets/deploy/nchan-node.conf.template, each on a port
//! the OS picked, in a directory of the caller's, stopped by its pid.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::ChildGuard;

pub const NCHAN: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";
pub const LIMIT: Duration = Duration::from_secs(60);

/// A port the OS has just given out and taken back: free for the program about to bind it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port` (the servers say nothing when
/// ready), or fails the test at [`LIMIT`].
pub fn wait_listening(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < LIMIT, "{what} never listened on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn redis(dir: &Path) -> (ChildGuard, u16) {
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("run redis-server");
    wait_listening(port, "redis-server");
    (ChildGuard(child), port)
}

/// One nchan node from the shipped template.
pub struct Node {
    child: Option<ChildGuard>,
    conf: PathBuf,
    prefix: PathBuf,
    pub port: u16,
}

impl Node {
    pub fn configure(dir: &Path, name: &str, redis_port: u16) -> Self {
        let prefix = dir.join(name);
        std::fs::create_dir_all(&prefix).unwrap();
        let port = free_port();
        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/deploy/nchan-node.conf.template"),
        )
        .unwrap();
        let conf = template
            .replace("${NCHAN_MODULE}", NCHAN)
            .replace("${LISTEN}", &format!("127.0.0.1:{port}"))
            .replace("${REDIS}", &format!("redis://127.0.0.1:{redis_port}"))
            .replace("${PREFIX}", prefix.to_str().unwrap());
        assert!(!conf.contains("${"), "every placeholder filled");
        let path = prefix.join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let mut node = Self {
            child: None,
            conf: path,
            prefix,
            port,
        };
        node.start();
        node
    }

    pub fn start(&mut self) {
        let child = Command::new("nginx")
            .arg("-c")
            .arg(&self.conf)
            .arg("-p")
            .arg(&self.prefix)
            .arg("-e")
            .arg(self.prefix.join("error.log"))
            .stdout(Stdio::null())
            .spawn()
            .expect("run nginx");
        self.child = Some(ChildGuard(child));
        wait_listening(self.port, "nginx");
    }

    /// Stopped by its pid (ChildGuard kills and reaps it).
    pub fn stop(&mut self) {
        self.child = None;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The pid of the running node (for its CPU).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.0.id())
    }
}
