//! Figures per function (medians over rounds), sizes, the machine, and the comparison table.

use std::{io::Write, path::Path, time::Duration};

use serde::Serialize;

use crate::{
    measure::{ColdSample, WarmRun},
    stats::{median, median_f64, percentile},
};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub cold_first_next_ms: f64,
    pub cold_first_response_ms: f64,
    pub cold_cpu_ms: f64,
    pub warm_p50_us: f64,
    pub warm_p90_us: f64,
    pub warm_p99_us: f64,
    pub invocations_per_s: f64,
    pub cpu_us_per_invoke: f64,
    pub peak_rss_after_first_kib: f64,
    pub peak_rss_after_last_kib: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

impl Figures {
    /// One round: the cold samples and the warm run of one function.
    pub fn of_round(cold: &[ColdSample], warm: &WarmRun) -> Self {
        let pick = |f: fn(&ColdSample) -> Duration| cold.iter().map(f).collect::<Vec<_>>();
        let n = warm.latencies.len().max(1) as f64;
        Self {
            cold_first_next_ms: ms(median(&pick(|s| s.spawn_to_first_next))),
            cold_first_response_ms: ms(median(&pick(|s| s.spawn_to_first_response))),
            cold_cpu_ms: ms(median(&pick(|s| s.cpu_to_first_response))),
            warm_p50_us: us(percentile(&warm.latencies, 50.0)),
            warm_p90_us: us(percentile(&warm.latencies, 90.0)),
            warm_p99_us: us(percentile(&warm.latencies, 99.0)),
            invocations_per_s: n / warm.wall.as_secs_f64().max(f64::MIN_POSITIVE),
            cpu_us_per_invoke: us(warm.cpu) / n,
            peak_rss_after_first_kib: warm.peak_rss_after_first_kib as f64,
            peak_rss_after_last_kib: warm.peak_rss_after_last_kib as f64,
        }
    }

    /// The median of each figure over the rounds.
    pub fn median_of(rounds: &[Figures]) -> Self {
        let m = |f: fn(&Figures) -> f64| median_f64(&rounds.iter().map(f).collect::<Vec<_>>());
        Self {
            cold_first_next_ms: m(|f| f.cold_first_next_ms),
            cold_first_response_ms: m(|f| f.cold_first_response_ms),
            cold_cpu_ms: m(|f| f.cold_cpu_ms),
            warm_p50_us: m(|f| f.warm_p50_us),
            warm_p90_us: m(|f| f.warm_p90_us),
            warm_p99_us: m(|f| f.warm_p99_us),
            invocations_per_s: m(|f| f.invocations_per_s),
            cpu_us_per_invoke: m(|f| f.cpu_us_per_invoke),
            peak_rss_after_first_kib: m(|f| f.peak_rss_after_first_kib),
            peak_rss_after_last_kib: m(|f| f.peak_rss_after_last_kib),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Size {
    pub label: String,
    pub bytes: u64,
    pub zip_bytes: u64,
}

/// The file's size and the size of a Lambda deployment zip holding it as `bootstrap`.
pub fn size_of(label: &str, path: &Path) -> std::io::Result<Size> {
    let data = std::fs::read(path)?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options)
        .map_err(std::io::Error::other)?;
    zip.write_all(&data)?;
    let zipped = zip.finish().map_err(std::io::Error::other)?.into_inner();
    Ok(Size {
        label: label.to_owned(),
        bytes: data.len() as u64,
        zip_bytes: zipped.len() as u64,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub load_before: String,
    pub load_after: String,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, name)| name.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            load_before: load(),
            load_after: String::new(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|k| k.trim().to_owned())
                .unwrap_or_default(),
        }
    }
}

pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// One row of the comparison: a figure of ours, of the baseline, and the target on the ratio.
struct Row {
    name: &'static str,
    get: fn(&Figures) -> f64,
    decimals: usize,
    /// ours/baseline must be at most this.
    max_ratio: Option<f64>,
}

const ROWS: &[Row] = &[
    Row {
        name: "spawn -> first /next (ms)",
        get: |f| f.cold_first_next_ms,
        decimals: 2,
        max_ratio: None,
    },
    Row {
        name: "spawn -> first response (ms)",
        get: |f| f.cold_first_response_ms,
        decimals: 2,
        max_ratio: Some(0.7),
    },
    Row {
        name: "CPU to first response (ms)",
        get: |f| f.cold_cpu_ms,
        decimals: 2,
        max_ratio: None,
    },
    Row {
        name: "warm latency p50 (µs)",
        get: |f| f.warm_p50_us,
        decimals: 1,
        max_ratio: None,
    },
    Row {
        name: "warm latency p90 (µs)",
        get: |f| f.warm_p90_us,
        decimals: 1,
        max_ratio: None,
    },
    Row {
        name: "warm latency p99 (µs)",
        get: |f| f.warm_p99_us,
        decimals: 1,
        max_ratio: None,
    },
    Row {
        name: "invocations/s (one process)",
        get: |f| f.invocations_per_s,
        decimals: 0,
        max_ratio: None,
    },
    Row {
        name: "CPU per warm invoke (µs)",
        get: |f| f.cpu_us_per_invoke,
        decimals: 1,
        max_ratio: Some(0.6),
    },
    Row {
        name: "peak RSS after 1st invoke (KiB)",
        get: |f| f.peak_rss_after_first_kib,
        decimals: 0,
        max_ratio: None,
    },
    Row {
        name: "peak RSS after last invoke (KiB)",
        get: |f| f.peak_rss_after_last_kib,
        decimals: 0,
        max_ratio: None,
    },
];

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The Markdown report: machine, figures with ratios, sizes; with `targets`, each judged against
/// the project's targets.
pub fn markdown(
    machine: &Machine,
    setup: &str,
    names: &[String],
    figures: &[Figures],
    sizes: &[Size],
    targets: bool,
) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Machine: {}, {} cores, kernel {}; load {} before, {} after.\n{setup}\n\n",
        machine.cpu, machine.cores, machine.kernel, machine.load_before, machine.load_after
    ));
    out.push_str(&format!(
        "| figure (median of rounds) | {} | ratio {} | target |\n",
        names.join(" | "),
        ratio_name(names)
    ));
    out.push_str(&format!("|---|{}---:|---|\n", "---:|".repeat(names.len())));
    for row in ROWS {
        let values: Vec<f64> = figures.iter().map(row.get).collect();
        let ratio = ratio_of(&values);
        let target = match (row.max_ratio, ratio) {
            (Some(max), Some(r)) if targets => format!("<= {max}x: {}", verdict(r <= max)),
            _ => String::new(),
        };
        let cells: Vec<String> = values
            .iter()
            .map(|v| format!("{v:.*}", row.decimals))
            .collect();
        let ratio = ratio.map_or("-".to_owned(), |r| format!("{r:.2}x"));
        out.push_str(&format!(
            "| {} | {} | {ratio} | {target} |\n",
            row.name,
            cells.join(" | ")
        ));
    }
    if let Some(ours) = figures.first().filter(|_| targets) {
        let spread = ours.warm_p99_us / ours.warm_p50_us.max(f64::MIN_POSITIVE);
        let growth = ours.peak_rss_after_last_kib - ours.peak_rss_after_first_kib;
        out.push_str(&format!(
            "\n{}: p99/p50 = {spread:.2} (target <= 2: {}); peak RSS {:.0} KiB (target <= 4096: {}); growth over the warm run {growth:.0} KiB (target ~0: {}).\n",
            names.first().map_or("ours", String::as_str),
            verdict(spread <= 2.0),
            ours.peak_rss_after_last_kib,
            verdict(ours.peak_rss_after_last_kib <= 4096.0),
            verdict(growth <= 64.0),
        ));
    }
    if !sizes.is_empty() {
        out.push_str("\n| binary | stripped bytes | zip bytes |\n|---|---:|---:|\n");
        for size in sizes {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                size.label, size.bytes, size.zip_bytes
            ));
        }
        out.push_str(&size_ratios(names, sizes, targets));
    }
    out
}

fn ratio_name(names: &[String]) -> String {
    match names {
        [a, b, ..] => format!("{a}/{b}"),
        _ => "-".into(),
    }
}

fn ratio_of(values: &[f64]) -> Option<f64> {
    match values {
        [a, b, ..] if *b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// For each `ARCH/NAME` pair of the first two functions: the size ratio, and the arm64 target.
fn size_ratios(names: &[String], sizes: &[Size], targets: bool) -> String {
    let [ours, baseline, ..] = names else {
        return String::new();
    };
    let mut out = String::new();
    let find = |label: String| sizes.iter().find(|s| s.label == label);
    let mut arches: Vec<&str> = sizes
        .iter()
        .filter_map(|s| s.label.split_once('/').map(|(a, _)| a))
        .collect();
    arches.dedup();
    for arch in arches {
        if let (Some(a), Some(b)) = (
            find(format!("{arch}/{ours}")),
            find(format!("{arch}/{baseline}")),
        ) {
            let ratio = a.bytes as f64 / b.bytes as f64;
            let zip_ratio = a.zip_bytes as f64 / b.zip_bytes as f64;
            let target = if arch == "arm64" && targets {
                format!(" (target <= 0.55x: {})", verdict(ratio <= 0.55))
            } else {
                String::new()
            };
            out.push_str(&format!("\n{arch}: {ours}/{baseline} = {ratio:.2}x stripped{target}, {zip_ratio:.2}x zipped."));
        }
    }
    out.push('\n');
    out
}
