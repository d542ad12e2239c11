//! Private Redis and Postgres servers for fault tests, which restart them mid-job: restarting the
//! shared servers would break every other test running at the same time. Same binaries as the
//! shared ones, loopback only, on free ports, removed on drop.

use anyhow::{bail, Context};
use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// A free loopback port (racy in theory; the bind fails loudly if someone takes it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for_port(port: u16, up: bool, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let open = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if open == up {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "port {port} did not become {}",
                if up { "open" } else { "closed" }
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `redis-server` of its own, without persistence (like the shared one): a restart loses
/// every queued message, which is what the fault test wants to survive.
pub struct PrivateRedis {
    /// Its port.
    pub port: u16,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    /// Starts it and waits until it accepts connections.
    pub fn start() -> anyhow::Result<PrivateRedis> {
        let mut redis = PrivateRedis {
            port: free_port(),
            child: None,
        };
        redis.spawn()?;
        Ok(redis)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--dir", "/tmp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting redis-server")?;
        self.child = Some(child);
        wait_for_port(self.port, true, Duration::from_secs(10))
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL: no save, no goodbye) and starts it again on the same port, empty.
    pub fn restart(&mut self, down_for: Duration) -> anyhow::Result<()> {
        self.stop();
        std::thread::sleep(down_for);
        self.spawn()
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = wait_for_port(self.port, false, Duration::from_secs(10));
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Postgres cluster of its own (initdb into a temp directory, run as the `postgres` user,
/// trust auth on loopback).
pub struct PrivatePostgres {
    /// Its port.
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

fn as_postgres(program: &PathBuf) -> Command {
    // Postgres refuses to run as root; the Debian package's `postgres` user runs it.
    let mut cmd = if nix_is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

impl PrivatePostgres {
    /// Creates and starts a cluster.
    pub fn start() -> anyhow::Result<PrivatePostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .context("Postgres binaries in /usr/lib/postgresql")?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()
            .context("no initdb found")?;
        let dir = std::env::temp_dir().join(crate::unique_name());
        std::fs::create_dir_all(&dir)?;
        if nix_is_root() {
            let status = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&dir)
                .status()?;
            anyhow::ensure!(status.success(), "chown of the cluster directory failed");
        }
        let status = as_postgres(&bin.join("initdb"))
            .args(["-D"])
            .arg(dir.join("data"))
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
            .status()
            .context("initdb")?;
        anyhow::ensure!(status.success(), "initdb failed");
        let pg = PrivatePostgres {
            port: free_port(),
            dir,
            bin,
        };
        pg.pg_ctl("start")?;
        Ok(pg)
    }

    fn pg_ctl(&self, action: &str) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let status = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-o", &options, "-m", "immediate", "-w", "-t", "30"])
            .arg("-l")
            .arg(self.dir.join("log"))
            .arg(action)
            .status()
            .with_context(|| format!("pg_ctl {action}"))?;
        anyhow::ensure!(status.success(), "pg_ctl {action} failed");
        Ok(())
    }

    /// `postgres://postgres@127.0.0.1:<port>`.
    pub fn server_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// Stops it hard (immediate mode: like a crash) and starts it again after `down_for`.
    pub fn restart(&self, down_for: Duration) -> anyhow::Result<()> {
        self.pg_ctl("stop")?;
        std::thread::sleep(down_for);
        self.pg_ctl("start")
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl("stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
