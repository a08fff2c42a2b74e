//! A benchmark harness for Lambda function binaries: it plays the Lambda Runtime API on
//! 127.0.0.1, starts the binary with the environment Lambda sets, feeds it an event and checks
//! every answer, and measures cold start, warm latency, CPU time and memory from /proc.

pub mod measure;
pub mod process;
pub mod report;
pub mod runtime_api;
pub mod stats;
