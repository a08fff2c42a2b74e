//! A function that fails the ways a real one can, chosen by the request path, so the local API's
//! handling of each is tested against the real `cargo lambda watch` and runtime:
//! - `/fault/error`: the handler returns an error (Lambda: a function error);
//! - `/fault/malformed`: the result is not a valid API Gateway response;
//! - `/fault/slow`: answers after 3 s (longer than its `Timeout` in the fault tests), and says on
//!   stderr when it starts;
//! - `/fault/crash`: the process exits in the middle of the invocation;
//! - anything else: a valid 200.
//!
//! It answers payload 2.0 (`rawPath`) and 1.0 (`path`) events alike.
//!
//! Never deployed: template.yaml does not name it.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let payload = &event.payload;
    let path = payload["rawPath"].as_str().or(payload["path"].as_str());
    let kind = path
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default();
    match kind {
        "error" => Err("failing on purpose".into()),
        "malformed" => Ok(json!({"statusCode": "not a number", "body": 42})),
        "slow" => {
            // What a test waits for before it kills the process mid-invocation.
            eprintln!("fault-function: slow invocation started");
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            Ok(json!({"statusCode": 200, "body": "too late"}))
        }
        "crash" => std::process::exit(3),
        _ => Ok(
            json!({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{\"ok\":true}"}),
        ),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(handle)).await
}
