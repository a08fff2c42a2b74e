use lambda_http::{Error, run, service_fn};

// Lambda runs one invocation at a time per sandbox: a single-threaded runtime starts no worker
// threads and hands no work between them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    hello::init_logging();
    run(service_fn(hello::handle)).await
}
