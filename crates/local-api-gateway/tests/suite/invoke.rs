//! The Lambda Invoke API client against servers on loopback that answer as `cargo lambda watch`
//! and the real Invoke API do: results, function errors, unknown functions, oversized results,
//! no answer, nothing listening.
use std::time::{Duration, Instant};

use axum::{
    Router,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use local_api_gateway::invoke::{Invoke, InvokeError, LambdaInvokeClient};

const PATH: &str = "/2015-03-31/functions/{name}/invocations";

async fn endpoint(app: Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

async fn invoke(url: &str, function: &str, timeout: Duration) -> Result<Vec<u8>, InvokeError> {
    LambdaInvokeClient::new(url)
        .unwrap()
        .invoke(function, b"{}".to_vec(), timeout)
        .await
}

#[tokio::test]
async fn the_result_the_function_errors_and_unknown_functions() {
    let app = Router::new().route(
        PATH,
        post(
            |axum::extract::Path(name): axum::extract::Path<String>, body: String| async move {
                let mut headers = HeaderMap::new();
                match name.as_str() {
                    "echo" => (StatusCode::OK, headers, body),
                    // The real Invoke API: 200 with X-Amz-Function-Error.
                    "unhandled" => {
                        headers.insert("x-amz-function-error", "Unhandled".parse().unwrap());
                        (
                            StatusCode::OK,
                            headers,
                            r#"{"errorType":"Runtime.ExitError","errorMessage":"exit status 1"}"#
                                .into(),
                        )
                    }
                    // cargo lambda watch: 500 with the error document.
                    "failing" => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        headers,
                        r#"{"errorType":"&alloc::boxed::Box<dyn core::error::Error>"}"#.into(),
                    ),
                    "broken" => (StatusCode::BAD_GATEWAY, headers, "not json".into()),
                    _ => (StatusCode::NOT_FOUND, headers, String::new()),
                }
            },
        ),
    );
    let (url, server) = endpoint(app).await;
    let second = Duration::from_secs(1);
    assert_eq!(invoke(&url, "echo", second).await.unwrap(), b"{}");
    assert_eq!(
        invoke(&url, "unhandled", second).await,
        Err(InvokeError::FunctionError {
            error_type: "Runtime.ExitError".into(),
            message: Some("exit status 1".into()),
        })
    );
    assert_eq!(
        invoke(&url, "failing", second).await,
        Err(InvokeError::FunctionError {
            error_type: "&alloc::boxed::Box<dyn core::error::Error>".into(),
            message: None,
        })
    );
    assert_eq!(
        invoke(&url, "broken", second).await,
        Err(InvokeError::FunctionError {
            error_type: "HTTP 502 Bad Gateway".into(),
            message: None,
        })
    );
    assert_eq!(
        invoke(&url, "nope", second).await,
        Err(InvokeError::NoSuchFunction("nope".into()))
    );
    server.abort();
}

/// A raw HTTP server: answers every connection with `head` (status line and headers) and
/// `body`, then either keeps the connection open (`hang`) or closes it.
async fn raw_endpoint(head: &'static str, body: &'static str, hang: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(format!("{head}\r\n\r\n{body}").as_bytes())
                    .await;
                if hang {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn a_result_cut_short_is_a_timeout_when_it_stalls_and_unreachable_when_it_breaks() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100";
    let timeout = Duration::from_millis(300);
    let stalled = raw_endpoint(head, "{\"partial\":", true).await;
    assert_eq!(
        invoke(&stalled, "f", timeout).await,
        Err(InvokeError::Timeout(timeout))
    );
    let broken = raw_endpoint(head, "{\"partial\":", false).await;
    let err = invoke(&broken, "f", timeout).await.unwrap_err();
    assert!(matches!(err, InvokeError::Unreachable { .. }), "{err}");
}

/// Lambda's limit on a synchronous response, written out rather than taken from the code: its
/// `Function.ResponseSizeTooLarge` error reads "exceeded maximum allowed payload size (6291556
/// bytes)", 100 bytes over 6 MiB, and a response of exactly that size is returned (a public
/// measurement, 2022; the quotas page says "6 MB").
const LAMBDAS_LIMIT: usize = 6_291_556;

#[tokio::test]
async fn a_result_of_exactly_lambdas_limit_is_read() {
    let app = Router::new().route(PATH, post(|| async { "x".repeat(LAMBDAS_LIMIT) }));
    let (url, server) = endpoint(app).await;
    let result = invoke(&url, "big", Duration::from_secs(5)).await.unwrap();
    assert_eq!(result.len(), LAMBDAS_LIMIT);
    server.abort();
}

#[tokio::test]
async fn a_result_over_lambdas_limit_is_a_function_error() {
    let app = Router::new().route(PATH, post(|| async { "x".repeat(LAMBDAS_LIMIT + 1) }));
    let (url, server) = endpoint(app).await;
    assert_eq!(
        invoke(&url, "big", Duration::from_secs(5)).await,
        Err(InvokeError::FunctionError {
            error_type: "Function.ResponseSizeTooLarge".into(),
            message: None,
        })
    );
    server.abort();
}

#[tokio::test]
async fn no_answer_is_a_timeout_and_nothing_listening_is_unreachable() {
    let app = Router::new().route(
        PATH,
        post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let (url, server) = endpoint(app).await;
    let started = Instant::now();
    let timeout = Duration::from_millis(300);
    assert_eq!(
        invoke(&url, "slow", timeout).await,
        Err(InvokeError::Timeout(timeout))
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    server.abort();

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = invoke(&format!("http://{closed}"), "any", timeout)
        .await
        .unwrap_err();
    // The root cause, for the gateway's log.
    let InvokeError::Unreachable { reason, .. } = &err else {
        panic!("{err}");
    };
    assert!(reason.contains("refused"), "{reason}");
}
