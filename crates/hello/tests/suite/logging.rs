//! The function installs its log subscriber (JSON lines in Lambda: `lambda-bench --check-logs`
//! checks their fields in `make bench-smoke`).
#[test]
fn init_logging_installs_a_global_subscriber() {
    assert!(!tracing::dispatcher::has_been_set());
    hello::init_logging();
    assert!(tracing::dispatcher::has_been_set());
}
