//! The Lambda Runtime API, as a function binary sees it inside Lambda:
//! `GET /2018-06-01/runtime/invocation/next` (long poll for the next event) and
//! `POST /2018-06-01/runtime/invocation/{id}/response` (or `/error`).
//! Timestamps are taken here, in the harness, so both functions are measured the same way.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tokio::sync::{mpsc, oneshot};

/// What the function answered for one invocation.
#[derive(Debug)]
pub struct Answer {
    /// Event handed out on `/next` -> answer received.
    pub latency: Duration,
    pub received_at: Instant,
    pub body: Bytes,
    pub is_error: bool,
}

struct Queued {
    id: String,
    event: Bytes,
    reply: oneshot::Sender<Answer>,
}

struct Pending {
    handed_out_at: Instant,
    reply: oneshot::Sender<Answer>,
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::Receiver<Queued>>,
    pending: Mutex<HashMap<String, Pending>>,
    /// When the current process first asked for an event.
    first_next: Mutex<Option<Instant>>,
    function_arn: String,
}

/// A running Runtime API on 127.0.0.1.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    sender: mpsc::Sender<Queued>,
    next_id: u64,
}

impl RuntimeApi {
    pub async fn start(function_name: &str) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(receiver),
            pending: Mutex::new(HashMap::new()),
            first_next: Mutex::new(None),
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self {
            addr,
            shared,
            sender,
            next_id: 0,
        })
    }

    /// Forgets the previous process's first `/next`, before a new process starts.
    pub fn reset_first_next(&self) {
        *self
            .shared
            .first_next
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub fn first_next(&self) -> Option<Instant> {
        *self
            .shared
            .first_next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `event` for the next `/next` and waits for the function's answer.
    pub async fn invoke(&mut self, event: Bytes, timeout: Duration) -> Result<Answer, String> {
        self.next_id += 1;
        let (reply, answer) = oneshot::channel();
        let queued = Queued {
            id: format!("bench-{:08}", self.next_id),
            event,
            reply,
        };
        self.sender
            .send(queued)
            .await
            .map_err(|_| "the runtime API stopped".to_owned())?;
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err("the invocation was dropped".into()),
            Err(_) => Err(format!("no answer within {timeout:?}")),
        }
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    {
        let mut first = shared
            .first_next
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        first.get_or_insert_with(Instant::now);
    }
    let Some(queued) = shared.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        + 30_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", queued.id.clone());
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    set(
        "lambda-runtime-trace-id",
        format!("Root=1-00000000-{:024x};Sampled=0", 1),
    );
    set("content-type", "application/json".into());
    shared
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(
            queued.id,
            Pending {
                handed_out_at: Instant::now(),
                reply: queued.reply,
            },
        );
    (headers, queued.event).into_response()
}

fn complete(shared: &Shared, id: &str, body: Bytes, is_error: bool) -> StatusCode {
    let received_at = Instant::now();
    let pending = shared
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(id);
    match pending {
        Some(pending) => {
            let _ = pending.reply.send(Answer {
                latency: received_at - pending.handed_out_at,
                received_at,
                body,
                is_error,
            });
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    complete(&shared, &id, body, false)
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    complete(&shared, &id, body, true)
}

async fn init_error(body: Bytes) -> StatusCode {
    eprintln!("function init error: {}", String::from_utf8_lossy(&body));
    StatusCode::ACCEPTED
}
