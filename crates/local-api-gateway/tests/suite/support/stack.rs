//! Runs `scripts/local-stack.sh` (what `make local` runs) on free ports, and drives the aws CLI
//! and HTTP against it. A stack is always stopped when its handle is dropped, even when a test
//! fails, and the test can check that nothing it started is left running.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::HashMap,
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn tools() -> PathBuf {
    repo_root().join(".tools")
}

pub fn aws_cli() -> PathBuf {
    let aws = tools().join("aws/bin/aws");
    assert!(
        aws.exists(),
        "{} is missing: run `make tools` (or `make e2e`)",
        aws.display()
    );
    aws
}

/// An HTTP client for the tests. The crate builds reqwest without a default TLS provider (it
/// passes its own rustls set-up), so a plain client needs ring installed as the default first.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A port nobody listens on right now, for a server a test starts: see [`free_ports`].
pub fn free_port() -> u16 {
    free_ports(1)
}

/// The first of `count` consecutive ports nobody listens on right now, below the kernel's
/// ephemeral range. A free port inside that range (what binding port 0 hands out) can be taken
/// by any outgoing connection, the stack's own readiness probes included, between the moment a
/// test finds it free and the moment a server binds it: CI saw the gateway's sixth API fail to
/// listen that way. Each call takes the next block, so the tests of one process never share a
/// port; where the blocks start depends on the process id, to keep two test runs apart too.
pub fn free_ports(count: u16) -> u16 {
    const LOWEST: u32 = 10_000;
    static NEXT: Mutex<Option<u32>> = Mutex::new(None);
    let highest = ephemeral_range_start().max(LOWEST + 1_000);
    let span = highest - LOWEST;
    let count = u32::from(count);
    let mut cursor = NEXT.lock().unwrap_or_else(PoisonError::into_inner);
    let mut next = cursor.unwrap_or(LOWEST + std::process::id().wrapping_mul(7_919) % span);
    for _ in 0..span {
        if next + count > highest {
            next = LOWEST;
        }
        let first = next;
        next += count;
        if (first..first + count).all(|port| port_is_free(port as u16)) {
            *cursor = Some(next);
            return first as u16;
        }
    }
    panic!("no {count} free ports in a row between {LOWEST} and {highest}");
}

/// Where the kernel starts handing out ports for outgoing connections (Linux's default, 32768,
/// where it does not say).
fn ephemeral_range_start() -> u32 {
    fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Polls `check` every 50 ms until it holds or `timeout` passes.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many ports from API_PORT upward a stack may take (the examples' template has six APIs).
const API_PORTS: u16 = 16;

pub struct Ports {
    pub api: u16,
    pub rest_api: u16,
    pub cognito: u16,
    pub function: u16,
}

pub struct Stack {
    child: Option<Child>,
    pub state_dir: PathBuf,
    /// Every process of this stack carries `E2E_STACK_MARKER=<marker>` in its environment.
    pub marker: String,
    pub ports: Ports,
    pub env: HashMap<String, String>,
}

impl Stack {
    /// Starts the local stack and waits until it is ready. `extra_env` goes to the script.
    pub fn start(name: &str, extra_env: &[(&str, &str)]) -> Self {
        let root = repo_root();
        let state_dir = root
            .join("target/e2e")
            .join(format!("{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&state_dir);
        fs::create_dir_all(&state_dir).unwrap();
        let ports = Ports {
            // The template's APIs take API_PORT upward: room for all of them.
            api: free_ports(API_PORTS),
            rest_api: free_port(),
            cognito: free_port(),
            function: free_port(),
        };
        let marker = format!("{name}-{}-{}", std::process::id(), ports.api);
        let path = format!(
            "{}:{}",
            tools().join("lambda/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let log = fs::File::create(state_dir.join("stack.log")).unwrap();
        // Ctrl-C is sent as SIGINT, which a shell cannot trap if it started with SIGINT ignored,
        // as every background job of a script does (`make test &`): restore it, as a terminal has it.
        let mut command = Command::new("env");
        command
            .arg("--default-signal=INT")
            .arg(root.join("scripts/local-stack.sh"))
            .current_dir(&root)
            .env("PATH", path)
            .env("API_PORT", ports.api.to_string())
            .env("REST_API_PORT", ports.rest_api.to_string())
            .env("COGNITO_PORT", ports.cognito.to_string())
            .env("FUNCTION_PORT", ports.function.to_string())
            .env("STATE_DIR", &state_dir)
            .env("E2E_STACK_MARKER", &marker)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (key, value) in extra_env {
            command.env(key, value);
        }
        // Its own process group, as a shell gives a foreground job: Ctrl-C goes to the group.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("scripts/local-stack.sh starts");
        let mut stack = Self {
            child: Some(child),
            state_dir,
            marker,
            ports,
            env: HashMap::new(),
        };
        let env_file = stack.state_dir.join("stack.env");
        wait_until(
            "the local stack to be ready",
            Duration::from_secs(600),
            || {
                if let Some(status) = stack.child.as_mut().unwrap().try_wait().unwrap() {
                    panic!(
                        "the local stack exited ({status}) before it was ready:\n{}",
                        stack.log()
                    );
                }
                env_file.exists()
            },
        );
        stack.env = read_env(&env_file);
        stack
    }

    pub fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from stack.env"))
    }

    /// A URL of the HTTP API.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.var("API_URL"))
    }

    /// A URL of the REST API (below its stage).
    pub fn rest_url(&self, path: &str) -> String {
        format!("{}{path}", self.var("REST_API_URL"))
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.state_dir.join("stack.log")).unwrap_or_default()
    }

    /// Every log the stack wrote: the script's and each process's.
    pub fn all_logs(&self) -> String {
        let mut text = self.log();
        if let Ok(entries) = fs::read_dir(self.state_dir.join("logs")) {
            for entry in entries.flatten() {
                text.push_str(&fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        text
    }

    /// The aws CLI against the stack's Cognito emulator.
    pub fn aws(&self, args: &[&str]) -> Output {
        Command::new(aws_cli())
            .arg("--endpoint-url")
            .arg(self.var("COGNITO_ENDPOINT"))
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_DEFAULT_REGION", self.var("REGION"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    }

    /// Like [`Stack::aws`], asserting success and returning stdout, trimmed.
    pub fn aws_ok(&self, args: &[&str]) -> String {
        aws_ok(&self.env, args)
    }

    /// `make call STACK=local` (`scripts/walkthrough.sh call`) with `env` (`API`, `USER_PASSWORD`):
    /// asserts it succeeds and prints a 401 then a 200, and returns what it printed.
    pub fn walkthrough_call(&self, env: &[(&str, &str)]) -> String {
        let call = Command::new(repo_root().join("scripts/walkthrough.sh"))
            .arg("call")
            .current_dir(repo_root())
            .env("STACK", "local")
            .env("STACK_ENV", self.state_dir.join("stack.env"))
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&call.stdout).into_owned();
        assert!(
            call.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&call.stderr)
        );
        let statuses: Vec<&str> = printed
            .lines()
            .filter(|l| l.starts_with("-> HTTP"))
            .collect();
        assert_eq!(statuses, ["-> HTTP 401", "-> HTTP 200"], "{printed}");
        printed
    }

    /// Sends `signal` (INT, TERM) to the stack's process group, as a terminal's Ctrl-C does,
    /// and waits for the script to exit.
    pub fn stop_with(&mut self, signal: &str) -> ExitStatus {
        let mut child = self.child.take().expect("the stack is running");
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg("--")
            .arg(format!("-{}", child.id()))
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the stack did not stop within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the stack with `signal` (INT or TERM) and checks the script exited with 128 + the
    /// signal's number, no process it started is left, and every port is free again.
    pub fn stop_and_check_clean(&mut self, signal: &str) {
        let expected = match signal {
            "INT" => 130,
            "TERM" => 143,
            other => panic!("no expected exit code for SIG{other}"),
        };
        assert_eq!(
            self.stop_with(signal).code(),
            Some(expected),
            "exit code after SIG{signal}"
        );
        assert_eq!(
            self.leftover_processes(),
            Vec::<u32>::new(),
            "processes left running"
        );
        for port in [
            self.ports.api,
            self.ports.rest_api,
            self.ports.cognito,
            self.ports.function,
        ] {
            assert!(port_is_free(port), "port {port} is still taken");
        }
    }

    /// Processes still carrying this stack's marker.
    pub fn leftover_processes(&self) -> Vec<u32> {
        marked_processes(&self.marker)
    }

    /// This stack's processes whose command line contains `needle`.
    pub fn processes_running(&self, needle: &str) -> Vec<u32> {
        marked_processes(&self.marker)
            .into_iter()
            .filter(|pid| {
                fs::read(format!("/proc/{pid}/cmdline"))
                    .map(|cmd| {
                        String::from_utf8_lossy(&cmd)
                            .replace('\0', " ")
                            .contains(needle)
                    })
                    .unwrap_or(false)
            })
            .collect()
    }

    /// This stack's processes named `name` (exactly, as `ps -o comm` shows them): a function's
    /// own process, not the sandbox that runs it (whose command line also holds the name).
    pub fn processes_named(&self, name: &str) -> Vec<u32> {
        named(marked_processes(&self.marker), name)
    }

    /// Sends `signal` to each of `pids`.
    pub fn signal(&self, signal: &str, pids: &[u32]) {
        signal_pids(signal, pids);
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg("--")
                .arg(format!("-{}", child.id()))
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for pid in marked_processes(&self.marker) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// Processes whose environment holds `E2E_STACK_MARKER=<marker>`.
pub fn marked_processes(marker: &str) -> Vec<u32> {
    let needle = format!("E2E_STACK_MARKER={marker}");
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(environ) = fs::read(entry.path().join("environ"))
            && environ
                .split(|b| *b == 0)
                .any(|var| var == needle.as_bytes())
        {
            found.push(pid);
        }
    }
    found
}

/// How a person starts `make local` in a stop test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Launch {
    /// `make local >log 2>&1`: in a terminal's foreground process group, output to a file.
    Foreground,
    /// `make local 2>&1 | tee log`: output piped; Ctrl-C reaches tee too.
    Tee,
    /// `make local 2>&1 | tee log` in a real terminal (a pty of `script`), which a test closes.
    Terminal,
}

/// `make local` started as a person starts it (see [`Launch`]), in a process group of its own,
/// as a shell gives a foreground job, with default signal dispositions (a test binary ignores
/// SIGPIPE, which every child would inherit). Every process carries `E2E_STACK_MARKER`.
pub struct MakeLocal {
    child: Option<Child>,
    pub launch: Launch,
    pub state_dir: PathBuf,
    pub marker: String,
    pub ports: Ports,
    pub web_port: u16,
    pub env: HashMap<String, String>,
    log: PathBuf,
}

impl MakeLocal {
    pub fn start(name: &str, launch: Launch, extra_env: &[(&str, &str)]) -> Self {
        let root = repo_root();
        let state_dir = root
            .join("target/e2e")
            .join(format!("{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&state_dir);
        fs::create_dir_all(&state_dir).unwrap();
        let ports = Ports {
            // The template's APIs take API_PORT upward: room for all of them.
            api: free_ports(API_PORTS),
            rest_api: free_port(),
            cognito: free_port(),
            function: free_port(),
        };
        let web_port = free_port();
        let marker = format!("{name}-{}-{}", std::process::id(), ports.api);
        let log = state_dir.join("make.log");
        let pipeline = match launch {
            Launch::Foreground => r#"exec make local >"$MAKE_LOG" 2>&1"#,
            Launch::Tee | Launch::Terminal => r#"make local 2>&1 | tee "$MAKE_LOG""#,
        };
        let mut command = Command::new("env");
        // Every signal back to its default, as in a terminal's shell.
        command.arg("--default-signal");
        let interactive = format!("bash --norc --noprofile -i -c '{pipeline}'");
        match launch {
            // script(1) makes a pty; in it an interactive bash, as in a terminal window: it runs
            // the pipeline as a job of its own and, when the terminal goes, sends that job
            // SIGHUP too (the kernel already sent SIGHUP to the terminal's foreground job).
            Launch::Terminal => command.args(["script", "-qfec", &interactive, "/dev/null"]),
            Launch::Foreground | Launch::Tee => command.args(["sh", "-c", pipeline]),
        };
        command
            .current_dir(&root)
            .env("MAKE_LOG", &log)
            .env("API_PORT", ports.api.to_string())
            .env("REST_API_PORT", ports.rest_api.to_string())
            .env("COGNITO_PORT", ports.cognito.to_string())
            .env("FUNCTION_PORT", ports.function.to_string())
            .env("WEB_PORT", web_port.to_string())
            .env("WEB_PUBLIC_DIR", state_dir.join("web-public"))
            .env("STATE_DIR", &state_dir)
            .env("E2E_STACK_MARKER", &marker)
            // What the Makefile sets from the command line, not from a caller's environment.
            .env_remove("TEMPLATE")
            .env_remove("WEB")
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS")
            .env_remove("MAKELEVEL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in extra_env {
            command.env(key, value);
        }
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("make local starts");
        let mut stack = Self {
            child: Some(child),
            launch,
            state_dir,
            marker,
            ports,
            web_port,
            env: HashMap::new(),
            log,
        };
        let env_file = stack.state_dir.join("stack.env");
        wait_until("make local to be ready", Duration::from_secs(600), || {
            if let Some(status) = stack.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "make local exited ({status}) before it was ready:\n{}",
                    stack.output()
                );
            }
            env_file.exists()
        });
        stack.env = read_env(&env_file);
        stack
    }

    /// What make and the stack printed (as far as the pipe carried it).
    pub fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from stack.env"))
    }

    /// The process group of the launch (sh, make, tee, the stack's script), as a terminal
    /// addresses its foreground job.
    pub fn signal_group(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg("--")
            .arg(format!("-{pid}"))
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} -{pid}");
    }

    /// This launch's processes named `name` (exactly, as `ps -o comm` shows them).
    pub fn processes_named(&self, name: &str) -> Vec<u32> {
        named(marked_processes(&self.marker), name)
    }

    /// This launch's processes whose command line contains `needle`.
    pub fn processes_running(&self, needle: &str) -> Vec<u32> {
        marked_processes(&self.marker)
            .into_iter()
            .filter(|pid| command_line(*pid).contains(needle))
            .collect()
    }

    /// Whether the launch (its first process: sh, make or script) is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| child.try_wait().unwrap().is_none())
    }

    /// Closes the terminal ([`Launch::Terminal`]): its emulator is gone, so the pty's controlling
    /// process and foreground process group get SIGHUP from the kernel.
    pub fn close_terminal(&mut self) {
        assert_eq!(self.launch, Launch::Terminal);
        let child = self.child.as_mut().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Waits for the launch to end and checks that nothing it started is left: no process with
    /// its marker, every port free, and no `stack.env` or `stack.pid` left in its STATE_DIR.
    pub fn assert_stopped_cleanly(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        if let Some(mut child) = self.child.take() {
            loop {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "make local did not stop within {within:?}:\n{}",
                    self.output()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        loop {
            let left = marked_processes(&self.marker);
            if left.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "processes left running: {}\n{}",
                describe(&left),
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        for port in [
            self.ports.api,
            self.ports.rest_api,
            self.ports.cognito,
            self.ports.function,
            self.web_port,
        ] {
            assert!(port_is_free(port), "port {port} is still taken");
        }
        for file in ["stack.env", "stack.pid"] {
            assert!(
                !self.state_dir.join(file).exists(),
                "{file} left in {}",
                self.state_dir.display()
            );
        }
    }
}

impl Drop for MakeLocal {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg("--")
                .arg(format!("-{}", child.id()))
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // Whatever a failed stop left behind, so the next test starts clean.
        for pid in marked_processes(&self.marker) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

fn read_env(path: &Path) -> HashMap<String, String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Sends `signal` to each of `pids`.
pub fn signal_pids(signal: &str, pids: &[u32]) {
    for pid in pids {
        let _ = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status();
    }
}

fn command_line(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .unwrap_or_default()
}

fn named(pids: Vec<u32>, name: &str) -> Vec<u32> {
    pids.into_iter()
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim_end() == name)
        })
        .collect()
}

/// `pid command line` for each of `pids`, for failure messages.
pub fn describe(pids: &[u32]) -> String {
    pids.iter()
        .map(|pid| format!("\n  {pid} {}", command_line(*pid)))
        .collect()
}

/// The aws CLI against a local stack's Cognito emulator (`env`: its stack.env), asserting
/// success; stdout, trimmed.
pub fn aws_ok(env: &HashMap<String, String>, args: &[&str]) -> String {
    let out = Command::new(aws_cli())
        .arg("--endpoint-url")
        .arg(&env["COGNITO_ENDPOINT"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_DEFAULT_REGION", &env["REGION"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
