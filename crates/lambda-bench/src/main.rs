use std::{path::PathBuf, process::ExitCode};

use axum::body::Bytes;
use clap::Parser;
use lambda_bench::{
    measure::{self, Function},
    process::LogSink,
    report::{self, Figures, Machine},
    runtime_api::RuntimeApi,
};
use serde_json::Value;

/// Cold start, warm latency, CPU and memory of Lambda function binaries, interleaved, against a
/// Runtime API on 127.0.0.1. The first function is "ours", the second the baseline.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// NAME=PATH of a function binary built for this machine (repeatable; first is ours).
    #[arg(long = "function", value_parser = name_path, required = true)]
    functions: Vec<(String, PathBuf)>,
    /// ARCH/NAME=PATH of a binary whose stripped and zipped size to report (repeatable).
    #[arg(long = "size", value_parser = name_path)]
    sizes: Vec<(String, PathBuf)>,
    /// The event every invocation receives.
    #[arg(long, default_value = "events/http-api-id-token.json")]
    event: PathBuf,
    /// The statusCode every answer must have.
    #[arg(long, default_value_t = 200)]
    expect_status: u16,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Process starts per function per round.
    #[arg(long, default_value_t = 50)]
    cold_starts: usize,
    /// Invocations of one warm process per function per round.
    #[arg(long, default_value_t = 10_000)]
    warm_invocations: usize,
    /// Also check the first function's log lines: JSON, one per request, no token or email.
    #[arg(long)]
    check_logs: bool,
    /// Write the figures as JSON here too.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Judge the figures against the project's targets (meaningful for release builds only).
    #[arg(long)]
    targets: bool,
}

fn name_path(s: &str) -> Result<(String, PathBuf), String> {
    s.split_once('=')
        .filter(|(name, path)| !name.is_empty() && !path.is_empty())
        .map(|(name, path)| (name.to_owned(), PathBuf::from(path)))
        .ok_or_else(|| format!("expected NAME=PATH, got `{s}`"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let event_text =
        std::fs::read(&args.event).map_err(|e| format!("{}: {e}", args.event.display()))?;
    let event = Bytes::from(event_text.clone());
    let functions: Vec<Function> = args
        .functions
        .iter()
        .map(|(name, binary)| Function {
            name: name.clone(),
            binary: binary.clone(),
        })
        .collect();
    let mut machine = Machine::read();
    let mut apis = Vec::new();
    for function in &functions {
        apis.push(
            RuntimeApi::start(&function.name)
                .await
                .map_err(|e| e.to_string())?,
        );
    }

    let mut rounds: Vec<Vec<Figures>> = vec![Vec::new(); functions.len()];
    for round in 0..args.rounds {
        eprintln!("round {} of {}", round + 1, args.rounds);
        // Interleaved: one start of each function in turn, so drift hits both alike.
        let mut cold = vec![Vec::new(); functions.len()];
        for _ in 0..args.cold_starts {
            for (i, function) in functions.iter().enumerate() {
                let sample = measure::cold(&mut apis[i], function, &event, args.expect_status)
                    .await
                    .map_err(|e| e.to_string())?;
                cold[i].push(sample);
            }
        }
        for (i, function) in functions.iter().enumerate() {
            let logs = if args.check_logs && i == 0 && round == 0 {
                LogSink(Some(Default::default()))
            } else {
                LogSink::default()
            };
            let warm = measure::warm(
                &mut apis[i],
                function,
                &event,
                args.expect_status,
                args.warm_invocations,
                logs.clone(),
            )
            .await
            .map_err(|e| e.to_string())?;
            if let Some(lines) = &logs.0 {
                // The pipe is drained by a task: let it catch up with the process's last lines.
                tokio::task::yield_now().await;
                let lines = lines
                    .lock()
                    .map_err(|_| "log buffer poisoned".to_owned())?
                    .clone();
                check_logs(&lines, &event_text, args.warm_invocations + 1)?;
                eprintln!(
                    "{}: {} log lines, all JSON, one per request, no secrets",
                    function.name,
                    lines.len()
                );
            }
            rounds[i].push(Figures::of_round(&cold[i], &warm));
        }
    }
    machine.load_after = report::load();

    let figures: Vec<Figures> = rounds.iter().map(|r| Figures::median_of(r)).collect();
    let sizes = args
        .sizes
        .iter()
        .map(|(label, path)| {
            report::size_of(label, path).map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<String> = functions.iter().map(|f| f.name.clone()).collect();
    let setup = format!(
        "{} rounds; per function and round: {} process starts, then one process for {} warm invocations; event {}.",
        args.rounds,
        args.cold_starts,
        args.warm_invocations,
        args.event.display()
    );
    println!(
        "{}",
        report::markdown(&machine, &setup, &names, &figures, &sizes, args.targets)
    );
    if let Some(path) = &args.json {
        let doc = serde_json::json!({"machine": machine, "setup": setup, "functions": names, "figures": figures, "sizes": sizes});
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Every line is a JSON object; there is a "request handled" line per request with the
/// structured fields; no line holds the event's Authorization header value or its email.
fn check_logs(lines: &[String], event: &[u8], requests: usize) -> Result<(), String> {
    let event: Value = serde_json::from_slice(event).map_err(|e| e.to_string())?;
    let authorization = event["headers"]["authorization"]
        .as_str()
        .unwrap_or_default();
    let token = authorization.trim_start_matches("Bearer ");
    let email = event["requestContext"]["authorizer"]["jwt"]["claims"]["email"]
        .as_str()
        .unwrap_or_default();
    let mut handled = 0;
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let record: Value =
            serde_json::from_str(line).map_err(|_| format!("log line is not JSON: {line}"))?;
        if !token.is_empty() && line.contains(token) {
            return Err("a log line contains the token".into());
        }
        if !email.is_empty() && line.contains(email) {
            return Err("a log line contains the email".into());
        }
        if record["message"] == "request handled" {
            for field in ["request_id", "route", "status", "sub", "level"] {
                if record.get(field).is_none() {
                    return Err(format!("`request handled` line without `{field}`: {line}"));
                }
            }
            handled += 1;
        }
    }
    if handled != requests {
        return Err(format!(
            "{handled} `request handled` lines for {requests} requests"
        ));
    }
    Ok(())
}
