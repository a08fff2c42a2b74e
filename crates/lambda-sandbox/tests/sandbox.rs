//! The sandbox as cargo runs it: its binary, a real function process (tests/fixtures/function.sh,
//! speaking the Runtime API with curl), and a Runtime API on loopback standing in for
//! `cargo lambda watch`'s (lambda-bench's, which serves one invocation at a time, as cargo-lambda
//! does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use lambda_bench::runtime_api::{Answer, RuntimeApi};

struct Sandbox {
    child: Child,
    dir: PathBuf,
}

impl Sandbox {
    fn start(api: &RuntimeApi, name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("lambda-sandbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/function.sh");
        let child = Command::new(env!("CARGO_BIN_EXE_lambda-sandbox"))
            .arg("sh")
            .arg(fixture)
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("FUNCTION_DIR", &dir)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, dir }
    }

    /// The function processes running under this sandbox.
    fn function_processes(&self) -> Vec<u32> {
        children_of(self.child.id())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let functions = self.function_processes();
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in functions {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    // pid (comm) state ppid ...: comm may hold spaces, so split after the ')'.
                    let (_, rest) = stat.rsplit_once(')')?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

async fn invoke(api: &mut RuntimeApi, event: &str) -> (Answer, Duration) {
    let started = Instant::now();
    let answer = api
        .invoke(event.as_bytes().to_vec().into(), Duration::from_secs(10))
        .await
        .unwrap_or_else(|err| panic!("{event}: {err}"));
    (answer, started.elapsed())
}

async fn pid_of_a_fresh_call(api: &mut RuntimeApi) -> String {
    let (answer, _) = invoke(api, "pid").await;
    assert!(!answer.is_error, "{:?}", answer.body);
    String::from_utf8(answer.body.to_vec()).unwrap()
}

fn assert_exit_error(answer: &Answer, reason: &str) {
    assert!(answer.is_error, "answered as an error");
    let doc: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(doc["errorType"], "Runtime.ExitError", "{doc}");
    let message = doc["errorMessage"].as_str().unwrap();
    assert!(
        message.starts_with("RequestId: ")
            && message.ends_with(&format!("Error: Runtime exited with error: {reason}")),
        "{message}"
    );
}

fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text.trim().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test]
async fn a_crash_mid_invocation_is_answered_at_once_and_a_fresh_process_serves_the_next() {
    let mut api = RuntimeApi::start("crashy").await.unwrap();
    let _sandbox = Sandbox::start(&api, "crash");
    let mut pids = vec![pid_of_a_fresh_call(&mut api).await];
    assert_eq!(
        pid_of_a_fresh_call(&mut api).await,
        pids[0],
        "a live process is kept"
    );
    for _ in 0..3 {
        let (answer, took) = invoke(&mut api, "crash").await;
        assert_exit_error(&answer, "exit status 3");
        assert!(took < Duration::from_secs(1), "answered after {took:?}");
        let pid = pid_of_a_fresh_call(&mut api).await;
        assert!(
            !pids.contains(&pid),
            "a fresh process: {pid} after {pids:?}"
        );
        pids.push(pid);
    }
}

#[tokio::test]
async fn a_process_killed_from_outside_mid_invocation_is_answered_and_replaced() {
    let mut api = RuntimeApi::start("killed").await.unwrap();
    let sandbox = Sandbox::start(&api, "killed");
    let before = pid_of_a_fresh_call(&mut api).await;
    let pid_file = sandbox.dir.join("hanging.pid");
    let event = format!("hang {}", pid_file.display());
    let (answer, killed_at) = tokio::join!(invoke(&mut api, &event), async {
        let pid = tokio::task::spawn_blocking({
            let pid_file = pid_file.clone();
            move || wait_for_file(&pid_file)
        })
        .await
        .unwrap();
        assert_eq!(pid, before, "the call runs in the live process");
        let status = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(status.success());
        Instant::now()
    });
    let (answer, _) = answer;
    assert_exit_error(&answer, "signal: killed");
    let after_kill = answer.received_at.saturating_duration_since(killed_at);
    assert!(
        after_kill < Duration::from_millis(500),
        "answered {after_kill:?} after the kill"
    );
    let after = pid_of_a_fresh_call(&mut api).await;
    assert_ne!(after, before, "a fresh process");
}

#[tokio::test]
async fn a_process_killed_while_idle_is_replaced_before_the_next_invocation_needs_it() {
    let mut api = RuntimeApi::start("idle").await.unwrap();
    let sandbox = Sandbox::start(&api, "idle");
    let before = pid_of_a_fresh_call(&mut api).await;
    // Waiting for its next invocation (the long poll is under way) when it is killed.
    std::thread::sleep(Duration::from_millis(100));
    let status = Command::new("kill")
        .args(["-KILL", &before])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while sandbox.function_processes() == [before.parse::<u32>().unwrap()] {
        assert!(
            Instant::now() < deadline,
            "the killed process was not replaced"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let (answer, took) = invoke(&mut api, "pid").await;
    assert!(!answer.is_error, "{:?}", answer.body);
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_ne!(String::from_utf8(answer.body.to_vec()).unwrap(), before);
}

#[tokio::test]
async fn a_handler_error_passes_through_and_the_process_is_kept() {
    let mut api = RuntimeApi::start("failing").await.unwrap();
    let _sandbox = Sandbox::start(&api, "failing");
    let before = pid_of_a_fresh_call(&mut api).await;
    let (answer, _) = invoke(&mut api, "fail").await;
    assert!(answer.is_error);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&answer.body).unwrap(),
        serde_json::json!({"errorType": "Failing", "errorMessage": "on purpose"})
    );
    assert_eq!(pid_of_a_fresh_call(&mut api).await, before);
}

#[tokio::test]
async fn stopping_the_sandbox_stops_its_function_process() {
    let mut api = RuntimeApi::start("stopped").await.unwrap();
    let mut sandbox = Sandbox::start(&api, "stopped");
    let pid: u32 = pid_of_a_fresh_call(&mut api).await.parse().unwrap();
    assert_eq!(sandbox.function_processes(), [pid]);
    let status = Command::new("kill")
        .args(["-TERM", &sandbox.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exited = sandbox.child.wait().unwrap();
    assert!(exited.success(), "{exited}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}")).exists() {
        // A zombie until its parent is gone: read its state.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if state
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the function process outlived the sandbox"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test]
async fn a_process_that_dies_at_start_is_restarted_with_a_back_off() {
    let api = RuntimeApi::start("broken").await.unwrap();
    let dir = std::env::temp_dir().join(format!("lambda-sandbox-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let starts = dir.join("starts");
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_lambda-sandbox"))
        .args([
            "sh",
            "-c",
            &format!("echo started >>{}; exit 1", starts.display()),
        ])
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let count = std::fs::read_to_string(&starts)
        .unwrap_or_default()
        .lines()
        .count();
    let _ = std::fs::remove_dir_all(&dir);
    // At 0, 250, 750 ms (then 1750): not hundreds.
    assert!((2..=4).contains(&count), "{count} starts in 1.2 s");
}

#[test]
fn the_sandbox_stops_when_its_runtime_api_is_gone() {
    // cargo lambda watch killed outright cannot stop its functions: they must not outlive it
    // (nor serve the next one started on the same port). Its own runtime, so that dropping it
    // really closes the Runtime API's listener and connections.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut api = runtime.block_on(RuntimeApi::start("orphaned")).unwrap();
    let mut sandbox = Sandbox::start(&api, "orphaned");
    let pid: u32 = runtime
        .block_on(pid_of_a_fresh_call(&mut api))
        .parse()
        .unwrap();
    drop(api);
    drop(runtime);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = sandbox.child.try_wait().unwrap() {
            assert!(!status.success(), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sandbox outlived its Runtime API"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Its child is gone (or a zombie its dead parent left to init).
    let gone = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
    };
    while !gone(pid) {
        assert!(
            Instant::now() < deadline,
            "its function process outlived it"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
