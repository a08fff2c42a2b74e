//! A Lambda sandbox for `cargo lambda watch`: runs one function binary as its child, between the
//! function and cargo-lambda's Runtime API, and does what Lambda does when the function's process
//! dies (it exits, crashes, or is killed from outside):
//! - the invocation it was handling is answered at once with a `Runtime.ExitError` function
//!   error (API Gateway then answers 500 / 502 as for any function error);
//! - a fresh process is started for the next invocation.
//!
//! Why it exists: `cargo lambda watch` 1.9.2 does neither. An invocation whose process died is
//! never answered (the caller waits for its own timeout) and no process is started again until a
//! watched file changes (docs/local-stack.md has the details and the upstream report).
//!
//! cargo starts it as the function's runner (`cargo lambda watch --config
//! "target.'cfg(all())'.runner=['/abs/path/lambda-sandbox']"`), so cargo runs
//! `lambda-sandbox target/debug/<function> [args]` with cargo-lambda's environment. The child gets
//! `AWS_LAMBDA_RUNTIME_API` pointing at the sandbox's own loopback port; every Runtime API call is
//! forwarded to cargo-lambda's, and the sandbox remembers which invocation the child holds.
//!
//! Written by hand: no crate on a registry this project uses does this; the AWS Lambda Runtime
//! Interface Emulator (Go) does something like it inside its own runtime API, not as a proxy.

use std::{
    collections::VecDeque,
    ffi::OsString,
    os::unix::process::ExitStatusExt,
    process::{Child, Command, ExitCode, ExitStatus},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    HeaderMap, Method, Request, Response, StatusCode,
    body::{Bytes, Incoming},
    header,
};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioIo},
};
use tokio::{
    net::TcpListener,
    signal::unix::{SignalKind, signal},
    sync::Notify,
};

/// The header that carries an invocation's id on `next`.
pub const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
/// Bodies larger than this are refused (Lambda's own limits are 6 MB each way).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Back-off before restarting a process that died before it was handed any invocation (it
/// fails at start): doubled each time up to the maximum, so a broken build does not spin.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What to run: the function binary and its arguments, and cargo-lambda's Runtime API.
pub struct Config {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// `AWS_LAMBDA_RUNTIME_API` as given: `host:port` (Lambda) or a URL (`cargo lambda watch`:
    /// `http://127.0.0.1:9000/.rt/<function>`).
    pub runtime_api: String,
}

/// The base URL of the Runtime API named by `AWS_LAMBDA_RUNTIME_API` (no trailing slash).
pub fn upstream_base(runtime_api: &str) -> Result<String, String> {
    let api = runtime_api.trim().trim_end_matches('/');
    if api.is_empty() {
        return Err("AWS_LAMBDA_RUNTIME_API is empty".into());
    }
    let url = if api.contains("://") {
        api.to_owned()
    } else {
        format!("http://{api}")
    };
    if !url.starts_with("http://") {
        return Err(format!(
            "AWS_LAMBDA_RUNTIME_API must be host:port or an http:// URL, not `{runtime_api}`"
        ));
    }
    url.parse::<hyper::Uri>()
        .map_err(|err| format!("AWS_LAMBDA_RUNTIME_API `{runtime_api}`: {err}"))?;
    Ok(url)
}

/// Which Runtime API call a request of the function is.
#[derive(Debug, PartialEq, Eq)]
pub enum Call<'a> {
    /// `GET .../runtime/invocation/next`: the function asks for work.
    Next,
    /// `POST .../runtime/invocation/{id}/response` or `/error`: it answers invocation `id`.
    Answer(&'a str),
    /// Anything else (`init/error`, the Extensions API): passed through.
    Other,
}

pub fn classify<'a>(method: &Method, path: &'a str) -> Call<'a> {
    const INVOCATION: &str = "/runtime/invocation/";
    let Some((_, rest)) = path.rsplit_once(INVOCATION) else {
        return Call::Other;
    };
    if rest == "next" && method == Method::GET {
        return Call::Next;
    }
    match rest.split_once('/') {
        Some((id, "response" | "error")) if !id.is_empty() && method == Method::POST => {
            Call::Answer(id)
        }
        _ => Call::Other,
    }
}

/// How a process ended, in the words Lambda uses after "Runtime exited with error: ".
pub fn exit_reason(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(signal) => {
            let name = match signal {
                6 => "aborted".to_owned(),
                7 => "bus error".to_owned(),
                9 => "killed".to_owned(),
                11 => "segmentation fault".to_owned(),
                15 => "terminated".to_owned(),
                other => other.to_string(),
            };
            format!("signal: {name}")
        }
        None => status.to_string(),
    }
}

/// The error document Lambda gives an invocation whose runtime exited during it.
pub fn exit_error_document(request_id: &str, reason: &str) -> Vec<u8> {
    serde_json::json!({
        "errorType": "Runtime.ExitError",
        "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {reason}"),
    })
    .to_string()
    .into_bytes()
}

/// An answer of the upstream Runtime API to `next`, kept until a live process takes it.
struct Event {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct State {
    /// Which process is running: one more for every process started.
    generation: u64,
    /// The invocation the current process was handed and has not answered yet.
    held: Option<String>,
    /// Whether the current process was handed any invocation (else it died starting up).
    handed_work: bool,
    /// `next` answers that arrived when no live process was waiting (it had just died).
    events: VecDeque<Event>,
    /// Whether a `next` long poll to the upstream is under way (never more than one).
    polling: bool,
}

struct Shared {
    upstream: String,
    client: Client<HttpConnector, Full<Bytes>>,
    state: Mutex<State>,
    event_arrived: Notify,
    /// The upstream Runtime API stopped answering: `cargo lambda watch` is gone (killed outright,
    /// it could not stop its functions), so the sandbox stops too rather than outlive it.
    upstream_gone: Notify,
}

type Reply = Response<Full<Bytes>>;

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends one request to the upstream Runtime API and reads the whole answer.
    async fn forward(
        &self,
        method: Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes), String> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.upstream));
        for (name, value) in headers {
            if !is_hop_header(name) {
                request = request.header(name, value);
            }
        }
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let mut headers = parts.headers;
        for name in [
            header::CONNECTION,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
        ] {
            headers.remove(name);
        }
        Ok((parts.status, headers, body))
    }

    /// Answers invocation `id` with a function error, as Lambda does when the process dies.
    async fn answer_exit_error(&self, id: &str, reason: &str) {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        headers.insert(
            "lambda-runtime-function-error-type",
            header::HeaderValue::from_static("Runtime.ExitError"),
        );
        let path = format!("/2018-06-01/runtime/invocation/{id}/error");
        let body = Bytes::from(exit_error_document(id, reason));
        if let Err(err) = self.forward(Method::POST, &path, &headers, body).await {
            eprintln!("lambda-sandbox: could not answer invocation {id}: {err}");
        }
    }
}

/// Headers that describe one connection or one message's framing: hyper sets its own.
fn is_hop_header(name: &header::HeaderName) -> bool {
    [
        header::HOST,
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
    ]
    .contains(name)
}

fn reply(status: StatusCode, headers: HeaderMap, body: Bytes) -> Reply {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn failure(status: StatusCode, message: &str) -> Reply {
    reply(status, HeaderMap::new(), Bytes::from(message.to_owned()))
}

/// One request of the process of `generation`.
async fn handle(shared: Arc<Shared>, generation: u64, request: Request<Incoming>) -> Reply {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    if classify(&parts.method, parts.uri.path()) == Call::Next {
        return next(&shared, generation, parts.headers).await;
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        // The process died while sending it (or it is too large): never forwarded, so the
        // invocation stays held and is answered when the process's exit is seen.
        Err(err) => return failure(StatusCode::BAD_REQUEST, &err.to_string()),
    };
    if let Call::Answer(id) = classify(&parts.method, parts.uri.path()) {
        let mut state = shared.lock();
        if state.held.as_deref() == Some(id) {
            // From here the sandbox delivers the answer, even if the process dies now.
            state.held = None;
        }
    }
    // In a task of its own: a process that dies right after answering must not cancel it.
    let forwarded = tokio::spawn(async move {
        shared
            .forward(parts.method, &path, &parts.headers, body)
            .await
    })
    .await
    .unwrap_or_else(|err| Err(err.to_string()));
    match forwarded {
        Ok((status, headers, body)) => reply(status, headers, body),
        Err(err) => {
            eprintln!("lambda-sandbox: the Runtime API call failed: {err}");
            failure(StatusCode::BAD_GATEWAY, "the Runtime API is unreachable")
        }
    }
}

/// `next`: the first event that arrived for no one, else the answer of one long poll upstream.
/// The poll runs in a task of its own and its answer is queued, so an event handed out by the
/// upstream just as the asking process died goes to the next process instead of being lost.
async fn next(shared: &Arc<Shared>, generation: u64, headers: HeaderMap) -> Reply {
    loop {
        let arrived = shared.event_arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        {
            let mut state = shared.lock();
            if state.generation != generation {
                return failure(StatusCode::GONE, "this process has been replaced");
            }
            if let Some(event) = state.events.pop_front() {
                if event.status.is_success()
                    && let Some(id) = event.headers.get(REQUEST_ID).and_then(|v| v.to_str().ok())
                {
                    state.held = Some(id.to_owned());
                    state.handed_work = true;
                }
                return reply(event.status, event.headers, event.body);
            }
            if !state.polling {
                state.polling = true;
                tokio::spawn(poll_upstream(Arc::clone(shared), headers.clone()));
            }
        }
        arrived.await;
    }
}

async fn poll_upstream(shared: Arc<Shared>, headers: HeaderMap) {
    let event = match shared
        .forward(
            Method::GET,
            "/2018-06-01/runtime/invocation/next",
            &headers,
            Bytes::new(),
        )
        .await
    {
        Ok((status, headers, body)) => Event {
            status,
            headers,
            body,
        },
        Err(err) => {
            eprintln!(
                "lambda-sandbox: the Runtime API at {} is gone ({err}): stopping",
                shared.upstream
            );
            shared.upstream_gone.notify_one();
            return;
        }
    };
    {
        let mut state = shared.lock();
        state.polling = false;
        state.events.push_back(event);
    }
    shared.event_arrived.notify_waiters();
}

/// Accepts the function's connections; each is served for the process running when it came.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: try again shortly rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let generation = shared.lock().generation;
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move {
                    Ok::<_, std::convert::Infallible>(handle(shared, generation, request).await)
                }
            });
            // A process that dies mid-request closes its connection: nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn function_name(config: &Config) -> String {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| {
        std::path::Path::new(&config.program)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    })
}

enum Ended {
    Exited(ExitStatus),
    Stopped(Stop),
}

/// Why the sandbox stops.
#[derive(Clone, Copy)]
enum Stop {
    /// SIGTERM or SIGINT: a reload, or the end of `cargo lambda watch`.
    Told,
    /// The upstream Runtime API is gone.
    UpstreamGone,
}

/// Waits for the child to exit, or for the sandbox to be told to stop (then kills the child).
async fn wait_child(
    child: &mut Child,
    exited: &mut tokio::signal::unix::Signal,
    stop: &mut (impl Future<Output = Stop> + Unpin),
) -> Ended {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ended::Exited(status),
            Ok(None) => {}
            Err(err) => {
                eprintln!("lambda-sandbox: cannot wait for the function process: {err}");
                let _ = child.kill();
                return Ended::Stopped(Stop::UpstreamGone);
            }
        }
        tokio::select! {
            _ = exited.recv() => {}
            why = &mut *stop => {
                let _ = child.kill();
                let _ = child.wait();
                return Ended::Stopped(why);
            }
        }
    }
}

/// Runs the function until the sandbox gets SIGTERM or SIGINT (a reload or the end of `cargo
/// lambda watch`) or the upstream Runtime API is gone, replacing every process that dies.
pub async fn run(config: Config) -> ExitCode {
    match run_sandbox(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lambda-sandbox: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run_sandbox(config: Config) -> Result<(), String> {
    let upstream = upstream_base(&config.runtime_api)?;
    let name = function_name(&config);
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        upstream,
        client: Client::builder(TokioExecutor::new()).build_http(),
        state: Mutex::new(State::default()),
        event_arrived: Notify::new(),
        upstream_gone: Notify::new(),
    });
    tokio::spawn(serve(listener, Arc::clone(&shared)));

    // Registered before the first child starts: no exit can go unseen.
    let mut exited = signal(SignalKind::child()).map_err(|e| e.to_string())?;
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let gone = Arc::clone(&shared);
    let mut stop = Box::pin(async move {
        tokio::select! {
            _ = terminate.recv() => Stop::Told,
            _ = interrupt.recv() => Stop::Told,
            () = gone.upstream_gone.notified() => Stop::UpstreamGone,
        }
    });
    let stopped = |why: Stop| match why {
        Stop::Told => Ok(()),
        Stop::UpstreamGone => Err("stopped: its Runtime API is gone".to_owned()),
    };
    let mut backoff = Duration::ZERO;
    loop {
        let mut child = Command::new(&config.program)
            .args(&config.args)
            .env("AWS_LAMBDA_RUNTIME_API", local.to_string())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", config.program.to_string_lossy()))?;
        let status = match wait_child(&mut child, &mut exited, &mut stop).await {
            Ended::Exited(status) => status,
            Ended::Stopped(why) => return stopped(why),
        };
        let (held, handed_work) = {
            let mut state = shared.lock();
            state.generation += 1;
            (state.held.take(), std::mem::take(&mut state.handed_work))
        };
        let reason = exit_reason(status);
        match &held {
            Some(id) => {
                shared.answer_exit_error(id, &reason).await;
                eprintln!(
                    "lambda-sandbox: {name}: the process exited ({reason}) during invocation {id}, answered with Runtime.ExitError; starting a fresh process"
                );
            }
            None => eprintln!(
                "lambda-sandbox: {name}: the process exited ({reason}); starting a fresh process"
            ),
        }
        backoff = if handed_work {
            Duration::ZERO
        } else {
            (backoff * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF)
        };
        if !backoff.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                why = &mut stop => return stopped(why),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_api_is_taken_in_both_forms() {
        assert_eq!(
            upstream_base("127.0.0.1:9001").unwrap(),
            "http://127.0.0.1:9001"
        );
        assert_eq!(
            upstream_base("http://127.0.0.1:9000/.rt/hello/").unwrap(),
            "http://127.0.0.1:9000/.rt/hello"
        );
        assert!(upstream_base("").is_err());
        assert!(upstream_base("https://example.com").is_err());
        assert!(upstream_base("http://bad host:1").is_err());
    }

    #[test]
    fn runtime_api_calls_are_told_apart() {
        let rt = "/2018-06-01/runtime/invocation";
        assert_eq!(classify(&Method::GET, &format!("{rt}/next")), Call::Next);
        assert_eq!(
            classify(&Method::POST, &format!("{rt}/abc-1/response")),
            Call::Answer("abc-1")
        );
        assert_eq!(
            classify(&Method::POST, &format!("{rt}/abc-1/error")),
            Call::Answer("abc-1")
        );
        assert_eq!(classify(&Method::POST, &format!("{rt}/next")), Call::Other);
        assert_eq!(
            classify(&Method::GET, &format!("{rt}/abc-1/response")),
            Call::Other
        );
        assert_eq!(
            classify(&Method::POST, &format!("{rt}//error")),
            Call::Other
        );
        assert_eq!(
            classify(&Method::POST, &format!("{rt}/abc/other")),
            Call::Other
        );
        assert_eq!(
            classify(&Method::POST, "/2018-06-01/runtime/init/error"),
            Call::Other
        );
        assert_eq!(
            classify(&Method::GET, "/2020-01-01/extension/event/next"),
            Call::Other
        );
    }

    #[test]
    fn exits_are_described_in_lambdas_words() {
        assert_eq!(exit_reason(ExitStatus::from_raw(3 << 8)), "exit status 3");
        assert_eq!(exit_reason(ExitStatus::from_raw(0)), "exit status 0");
        assert_eq!(exit_reason(ExitStatus::from_raw(9)), "signal: killed");
        assert_eq!(
            exit_reason(ExitStatus::from_raw(11)),
            "signal: segmentation fault"
        );
        assert_eq!(exit_reason(ExitStatus::from_raw(6)), "signal: aborted");
        assert_eq!(exit_reason(ExitStatus::from_raw(10)), "signal: 10");
    }

    #[test]
    fn the_exit_error_document_is_lambdas() {
        let doc: serde_json::Value =
            serde_json::from_slice(&exit_error_document("id-\"1", "exit status 3")).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: id-\"1 Error: Runtime exited with error: exit status 3",
            })
        );
    }
}
