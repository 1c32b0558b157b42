//! `ferry sim jackyun`: flags → the simulator's config; runs it until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, bail};
use ferry_sim_jackyun::{
    AppCredential, CivilDate, DEFAULT_APPKEY, DEFAULT_SECRET, DataSource, DateFormat, Faults,
    GenerateOptions, JackyunSimConfig, StocktakeDataLocation,
};

/// Flags of `ferry sim jackyun`.
#[derive(Debug, clap::Args)]
pub struct JackyunSimArgs {
    /// Port to listen on (0 = a free port, printed on start).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// An appkey to accept (repeatable; each pairs with the --secret at the same position).
    /// Without any, the documented demo app ferry-demo-appkey / ferry-demo-secret is used.
    #[arg(long = "appkey", value_name = "K")]
    pub appkeys: Vec<String>,
    /// The secret of the --appkey at the same position.
    #[arg(long = "secret", value_name = "S")]
    pub secrets: Vec<String>,
    /// Seed of the generated data (same seed and anchor date → identical data).
    #[arg(long, default_value_t = 1, conflicts_with = "data")]
    pub seed: u64,
    /// Serve the data of this JSON file (a data-set object or an array of stocktakes) instead of
    /// generated data.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Beijing date the generated data is "as of" (default: today in Asia/Shanghai).
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with = "data")]
    pub anchor_date: Option<String>,
    /// Number of generated stocktakes.
    #[arg(long, default_value_t = 300, conflicts_with = "data")]
    pub stocktakes: u32,
    /// Number of generated regular goods (A0001..).
    #[arg(long, default_value_t = 200, conflicts_with = "data")]
    pub goods: u32,
    /// First page index of wms.stocktake.get (0 or 1).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1))]
    pub page_base: u32,
    /// Accepted clock difference of the `timestamp` param, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timestamp_window_secs: u64,
    /// How wms.stocktake.get serves stocktakeDate: string, epoch (ms number), epoch-string.
    #[arg(long, default_value = "string", value_parser = ["string", "epoch", "epoch-string"])]
    pub stocktake_dates: String,
    /// Serve wms.stocktake.get documents as a bare array in result.data (not under stockTake).
    #[arg(long)]
    pub bare_stocktake_array: bool,
    /// Fraction (0..=1) of calls answered with the throttle envelope.
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Fraction (0..=1) of calls answered with HTTP 502.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Delay added to every call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Extra random delay up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_jitter_ms: u64,
    /// Fraction (0..=1) of calls whose connection is reset without a response.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Emulate the "ignores pageIndex" bug: always serve the first page.
    #[arg(long)]
    pub ignore_page_index: bool,
    /// Per-appkey limit in calls per second.
    #[arg(long, value_name = "Q")]
    pub qps: Option<f64>,
    /// Seed of the fault decisions.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
}

/// A secret as printed on start: never in full.
fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 12 {
        format!(
            "{}****{}",
            chars[..2].iter().collect::<String>(),
            chars[chars.len() - 2..].iter().collect::<String>()
        )
    } else {
        "****".to_string()
    }
}

fn credentials(args: &JackyunSimArgs) -> anyhow::Result<Vec<AppCredential>> {
    if args.appkeys.len() != args.secrets.len() {
        bail!(
            "--appkey and --secret must come in pairs (got {} appkey(s), {} secret(s))",
            args.appkeys.len(),
            args.secrets.len()
        );
    }
    if args.appkeys.is_empty() {
        return Ok(vec![AppCredential::new(DEFAULT_APPKEY, DEFAULT_SECRET)]);
    }
    Ok(args
        .appkeys
        .iter()
        .zip(&args.secrets)
        .map(|(k, s)| AppCredential::new(k, s))
        .collect())
}

fn build_config(args: &JackyunSimArgs) -> anyhow::Result<JackyunSimConfig> {
    let data = match &args.data {
        Some(path) => DataSource::File(path.clone()),
        None => {
            let mut opts = GenerateOptions {
                seed: args.seed,
                stocktakes: args.stocktakes,
                goods: args.goods,
                ..GenerateOptions::default()
            };
            if let Some(d) = &args.anchor_date {
                opts.anchor_date = d
                    .parse::<CivilDate>()
                    .with_context(|| format!("--anchor-date {d:?} is not a YYYY-MM-DD date"))?;
            }
            DataSource::Generate(opts)
        }
    };
    Ok(JackyunSimConfig {
        credentials: credentials(args)?,
        data,
        page_base: args.page_base,
        timestamp_window_secs: args.timestamp_window_secs,
        stocktake_date_format: match args.stocktake_dates.as_str() {
            "epoch" => DateFormat::EpochMillis,
            "epoch-string" => DateFormat::EpochMillisString,
            _ => DateFormat::DateTimeString,
        },
        stocktake_data_location: if args.bare_stocktake_array {
            StocktakeDataLocation::BareArray
        } else {
            StocktakeDataLocation::StockTakeKey
        },
        faults: Faults {
            seed: args.fault_seed,
            throttle_rate: args.throttle_rate,
            error_rate: args.error_rate,
            latency_ms: args.latency_ms,
            latency_jitter_ms: args.latency_jitter_ms,
            drop_rate: args.drop_rate,
            ignore_page_index: args.ignore_page_index,
            qps_limit: args.qps,
            ..Faults::default()
        },
        ..JackyunSimConfig::default()
    })
}

/// Runs the simulator until Ctrl-C.
pub async fn run(args: JackyunSimArgs) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    // Listen for Ctrl-C before anything slow, so an early interrupt is not lost.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<std::io::Result<()>>();
    tokio::spawn(async move {
        let _ = stop_tx.send(tokio::signal::ctrl_c().await);
    });
    let config = build_config(&args)?;
    let sim = ferry_sim_jackyun::start(config, SocketAddr::new(args.host, args.port))
        .await
        .context("cannot start the Jackyun simulator")?;
    let base = sim.base_url();
    println!("Jackyun (吉客云) open-platform simulator");
    println!("  base URL:    {base}");
    println!("  gateway URL: {}", sim.gateway_url());
    println!("  inspection:  {base}/__sim/stats  (also /__sim/faults, /__sim/data, /__sim/reset)");
    println!("  accepted credentials:");
    for c in &sim.config().credentials {
        if c.appkey == DEFAULT_APPKEY && c.secret == DEFAULT_SECRET {
            println!(
                "    appkey={} secret={} (documented demo default)",
                c.appkey, c.secret
            );
        } else {
            println!("    appkey={} secret={}", c.appkey, mask(&c.secret));
        }
    }
    match &sim.config().data {
        DataSource::Generate(o) => println!(
            "  data:        generated, seed {}, anchor date {} (Beijing), {} stocktakes, {} goods",
            o.seed, o.anchor_date, o.stocktakes, o.goods
        ),
        DataSource::File(p) => println!("  data:        {}", p.display()),
        DataSource::Inline(_) => {}
    }
    println!(
        "  wms.stocktake.get page base {}; {} APIs served",
        sim.config().page_base,
        ferry_sim_jackyun::served_methods().len()
    );
    println!("Press Ctrl-C to stop.");
    stop_rx
        .await
        .context("the Ctrl-C listener stopped")?
        .context("cannot listen for Ctrl-C")?;
    println!("Stopping.");
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: JackyunSimArgs,
    }

    fn parse(argv: &[&str]) -> JackyunSimArgs {
        Cli::try_parse_from(std::iter::once("sim").chain(argv.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn defaults_use_the_demo_app() {
        let c = build_config(&parse(&[])).unwrap();
        assert_eq!(c.credentials.len(), 1);
        assert_eq!(c.credentials[0].appkey, DEFAULT_APPKEY);
        assert_eq!(c.page_base, 0);
    }

    #[test]
    fn pairs_of_credentials_and_faults() {
        let a = parse(&[
            "--appkey",
            "k1",
            "--secret",
            "s1",
            "--appkey",
            "k2",
            "--secret",
            "s2",
            "--anchor-date",
            "2024-05-01",
            "--page-base",
            "1",
            "--qps",
            "2",
            "--drop-rate",
            "0.1",
            "--ignore-page-index",
        ]);
        let c = build_config(&a).unwrap();
        assert_eq!(
            c.credentials
                .iter()
                .map(|c| c.appkey.as_str())
                .collect::<Vec<_>>(),
            ["k1", "k2"]
        );
        assert_eq!(c.page_base, 1);
        assert_eq!(c.faults.qps_limit, Some(2.0));
        assert!(c.faults.ignore_page_index);
        match c.data {
            DataSource::Generate(o) => assert_eq!(o.anchor_date.to_string(), "2024-05-01"),
            other => panic!("{other:?}"),
        }
        assert!(build_config(&parse(&["--appkey", "k1"])).is_err());
        assert!(build_config(&parse(&["--anchor-date", "May 1"])).is_err());
        assert!(Cli::try_parse_from(["sim", "--page-base", "2"]).is_err());
        assert!(Cli::try_parse_from(["sim", "--seed", "3", "--data", "x.json"]).is_err());
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(mask("abcdefghijklmnop"), "ab****op");
        assert_eq!(mask("short"), "****");
    }
}
