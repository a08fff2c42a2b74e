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

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
            api: free_port(),
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
        stack.env = fs::read_to_string(&env_file)
            .unwrap()
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
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
        let out = self.aws(args);
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
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

    /// Sends `signal` to each of `pids`.
    pub fn signal(&self, signal: &str, pids: &[u32]) {
        for pid in pids {
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .status();
        }
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
