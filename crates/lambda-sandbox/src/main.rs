use std::process::ExitCode;

use lambda_sandbox::{Config, run};

const USAGE: &str = "usage: lambda-sandbox <function binary> [args...]

Runs the function as Lambda runs it in a sandbox: a process that dies during an invocation gets
that invocation answered with Runtime.ExitError, and a fresh process serves the next one. Meant as
cargo's runner under `cargo lambda watch` (AWS_LAMBDA_RUNTIME_API must be set):
  cargo lambda watch --config \"target.'cfg(all())'.runner=['/abs/path/lambda-sandbox']\"";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next().filter(|p| p != "--help" && p != "-h") else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(runtime_api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        eprintln!("lambda-sandbox: AWS_LAMBDA_RUNTIME_API is not set\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let config = Config {
        program,
        args: args.collect(),
        runtime_api,
    };
    // One thread: the sandbox forwards one invocation at a time, as Lambda's sandboxes do.
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(config)),
        Err(err) => {
            eprintln!("lambda-sandbox: {err}");
            ExitCode::FAILURE
        }
    }
}
