use lambda_http::{Error, run, service_fn};

// One invocation at a time per Lambda sandbox: a single-threaded runtime starts faster and makes
// fewer syscalls per invocation than the multi-threaded one (measured: BENCHMARKS.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    hello::init_logging();
    run(service_fn(hello::handle)).await
}
