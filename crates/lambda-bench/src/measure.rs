//! Cold and warm runs of one function binary against the Runtime API.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use axum::body::Bytes;
use serde_json::Value;

use crate::{
    process::{LogSink, cpu_time, peak_rss_kib, spawn},
    runtime_api::{Answer, RuntimeApi},
};

const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub binary: PathBuf,
}

/// One process start, up to its first answer.
#[derive(Debug, Clone, Copy)]
pub struct ColdSample {
    pub spawn_to_first_next: Duration,
    pub spawn_to_first_response: Duration,
    pub cpu_to_first_response: Duration,
}

/// Many invocations of one warm process.
#[derive(Debug, Clone)]
pub struct WarmRun {
    pub latencies: Vec<Duration>,
    pub wall: Duration,
    pub cpu: Duration,
    pub peak_rss_after_first_kib: u64,
    pub peak_rss_after_last_kib: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{function}: cannot start {binary}: {source}")]
    Spawn {
        function: String,
        binary: String,
        source: std::io::Error,
    },
    #[error("{function}: {message}")]
    Invoke { function: String, message: String },
    #[error("{function}: wrong answer: {message}")]
    WrongAnswer { function: String, message: String },
    #[error("{function}: cannot read /proc for pid {pid}")]
    Proc { function: String, pid: u32 },
}

/// Checks that an answer is an API Gateway response with the expected status code.
pub fn check_answer(function: &str, answer: &Answer, expected_status: u16) -> Result<(), RunError> {
    let wrong = |message: String| RunError::WrongAnswer {
        function: function.to_owned(),
        message,
    };
    if answer.is_error {
        return Err(wrong(format!(
            "function error: {}",
            String::from_utf8_lossy(&answer.body)
        )));
    }
    let response: Value =
        serde_json::from_slice(&answer.body).map_err(|e| wrong(format!("not JSON: {e}")))?;
    match response.get("statusCode").and_then(Value::as_u64) {
        Some(status) if status == u64::from(expected_status) => Ok(()),
        other => Err(wrong(format!(
            "statusCode {other:?}, expected {expected_status}"
        ))),
    }
}

pub async fn cold(
    api: &mut RuntimeApi,
    function: &Function,
    event: &Bytes,
    expected_status: u16,
) -> Result<ColdSample, RunError> {
    api.reset_first_next();
    let started = Instant::now();
    let mut child = start(api, function, LogSink::default())?;
    let pid = child.id().unwrap_or_default();
    let answer = invoke(api, function, event).await?;
    let cpu = cpu_time(pid).ok_or_else(|| RunError::Proc {
        function: function.name.clone(),
        pid,
    })?;
    let _ = child.kill().await;
    check_answer(&function.name, &answer, expected_status)?;
    let first_next = api.first_next().unwrap_or(answer.received_at);
    Ok(ColdSample {
        spawn_to_first_next: first_next.saturating_duration_since(started),
        spawn_to_first_response: answer.received_at.saturating_duration_since(started),
        cpu_to_first_response: cpu,
    })
}

pub async fn warm(
    api: &mut RuntimeApi,
    function: &Function,
    event: &Bytes,
    expected_status: u16,
    invocations: usize,
    logs: LogSink,
) -> Result<WarmRun, RunError> {
    let mut child = start(api, function, logs)?;
    let pid = child.id().unwrap_or_default();
    let proc_error = || RunError::Proc {
        function: function.name.clone(),
        pid,
    };
    let first = invoke(api, function, event).await?;
    check_answer(&function.name, &first, expected_status)?;
    let peak_rss_after_first_kib = peak_rss_kib(pid).ok_or_else(proc_error)?;
    let cpu_before = cpu_time(pid).ok_or_else(proc_error)?;
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(invocations);
    for _ in 0..invocations {
        let answer = invoke(api, function, event).await?;
        check_answer(&function.name, &answer, expected_status)?;
        latencies.push(answer.latency);
    }
    let wall = started.elapsed();
    let cpu = cpu_time(pid)
        .ok_or_else(proc_error)?
        .saturating_sub(cpu_before);
    let peak_rss_after_last_kib = peak_rss_kib(pid).ok_or_else(proc_error)?;
    let _ = child.kill().await;
    Ok(WarmRun {
        latencies,
        wall,
        cpu,
        peak_rss_after_first_kib,
        peak_rss_after_last_kib,
    })
}

fn start(
    api: &RuntimeApi,
    function: &Function,
    logs: LogSink,
) -> Result<tokio::process::Child, RunError> {
    spawn(&function.binary, &function.name, api.addr, logs).map_err(|source| RunError::Spawn {
        function: function.name.clone(),
        binary: function.binary.display().to_string(),
        source,
    })
}

async fn invoke(
    api: &mut RuntimeApi,
    function: &Function,
    event: &Bytes,
) -> Result<Answer, RunError> {
    api.invoke(event.clone(), INVOKE_TIMEOUT)
        .await
        .map_err(|message| RunError::Invoke {
            function: function.name.clone(),
            message,
        })
}
