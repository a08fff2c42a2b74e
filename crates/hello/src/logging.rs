//! Log set-up following Lambda's advanced logging controls.

use tracing_subscriber::filter::LevelFilter;

/// Installs the global subscriber: JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON` (the template sets
/// it through `LoggingConfig`), plain text otherwise. The level comes from `AWS_LAMBDA_LOG_LEVEL`,
/// then `RUST_LOG`, then INFO. No timestamp and no target: CloudWatch stamps every line itself.
pub fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .map(|level| parse_level(&level))
        .unwrap_or(LevelFilter::INFO);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // `try_init` fails only if a subscriber is already installed (tests); that one is kept.
    let _ = if json {
        // Flattened fields and no span list: one flat object per line, which Logs Insights
        // can filter on directly (`filter status = 401`).
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Lambda's levels are TRACE, DEBUG, INFO, WARN, ERROR and FATAL; tracing has no FATAL.
fn parse_level(level: &str) -> LevelFilter {
    if level.eq_ignore_ascii_case("fatal") {
        return LevelFilter::ERROR;
    }
    level.parse().unwrap_or(LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(parse_level("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(parse_level("warn"), LevelFilter::WARN);
        assert_eq!(parse_level("FATAL"), LevelFilter::ERROR);
        assert_eq!(parse_level("nonsense"), LevelFilter::INFO);
    }
}
