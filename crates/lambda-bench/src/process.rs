//! A function binary started the way Lambda starts one, and what Linux says about it.

use std::{net::SocketAddr, path::Path, process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// The environment Lambda gives a `provided.al2023` function.
pub fn spawn(
    binary: &Path,
    name: &str,
    runtime_api: SocketAddr,
    logs: LogSink,
) -> std::io::Result<Child> {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/26/[$LATEST]bench")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("_HANDLER", "bootstrap")
        .env(
            "LAMBDA_TASK_ROOT",
            binary.parent().unwrap_or(Path::new("/")),
        )
        .env("TZ", ":UTC")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    // Lambda reads the function's output through a pipe; so does this, line by line.
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(drain(BufReader::new(stdout), logs.clone()));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(drain(BufReader::new(stderr), logs));
    }
    Ok(child)
}

/// Where the function's log lines go: nowhere, or kept for checks.
#[derive(Clone, Default)]
pub struct LogSink(pub Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>);

async fn drain<R: tokio::io::AsyncRead + Unpin>(reader: BufReader<R>, sink: LogSink) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(kept) = &sink.0
            && let Ok(mut kept) = kept.lock()
        {
            kept.push(line);
        }
    }
}

/// CPU time the process has used, all threads: the first field of each thread's schedstat
/// (nanoseconds, unlike the 10 ms ticks of /proc/<pid>/stat).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// Peak resident set size (VmHWM), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}
