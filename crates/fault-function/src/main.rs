//! A function that fails the ways a real one can, chosen by the request path, so the local API's
//! handling of each is tested against the real `cargo lambda watch` and runtime:
//! - `/fault/error`: the handler returns an error (Lambda: a function error);
//! - `/fault/malformed`: the result is not a valid API Gateway response;
//! - `/fault/crash`: the process exits in the middle of the invocation;
//! - anything else: a valid 200.
//!
//! Never deployed: template.yaml does not name it.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    match event.payload["rawPath"].as_str().unwrap_or_default() {
        "/fault/error" => Err("failing on purpose".into()),
        "/fault/malformed" => Ok(json!({"statusCode": "not a number", "body": 42})),
        "/fault/crash" => std::process::exit(3),
        _ => Ok(
            json!({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{\"ok\":true}"}),
        ),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(handle)).await
}
