//! `ferry sim kingdee`: flags → the simulator's config; runs it until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ferry_sim_kingdee::{Faults, KingdeeSimConfig};

/// Flags of `ferry sim kingdee`.
#[derive(Debug, clap::Args)]
pub struct KingdeeSimArgs {
    /// Port to listen on (0 = a free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Data-center (账套) id accepted by the logins [default: ferry-demo-acct].
    #[arg(long)]
    pub acct_id: Option<String>,
    /// Integration user [default: demo].
    #[arg(long)]
    pub user: Option<String>,
    /// The user's password for ValidateUser [default: demo123].
    #[arg(long)]
    pub password: Option<String>,
    /// Third-party app id [default: ferry-demo-app].
    #[arg(long)]
    pub app_id: Option<String>,
    /// Third-party app secret [default: ferry-demo-secret].
    #[arg(long)]
    pub app_secret: Option<String>,
    /// Seed of the demo data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of materials A0001.. to generate.
    #[arg(long, default_value_t = 200)]
    pub materials: usize,
    /// JSON data file replacing the seeded base data.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Keep the data (bills included) in this JSON file across restarts.
    #[arg(long)]
    pub persist: Option<PathBuf>,
    /// Idle expiry of sessions, in seconds.
    #[arg(long, default_value_t = 1200)]
    pub session_ttl_secs: u64,
    /// Latency added to every call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of business calls answered with a `response_error:` framework fault.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub error_rate: f64,
    /// Fraction of business calls answered with HTTP 500.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub http_5xx_rate: f64,
    /// Fraction of business calls whose connection is closed without a response.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub drop_rate: f64,
    /// Fraction of business calls that first expire all sessions (MsgCode 1).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub session_expiry_rate: f64,
    /// Fraction of saved models refused with an edit-lock conflict (MsgCode 13).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub lock_rate: f64,
    /// Fraction of business calls refused with a call limit (MsgCode 14).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub call_limit_rate: f64,
    /// Fraction of Save/BatchSave calls applied, then the connection dropped without a response.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub commit_then_drop_rate: f64,
    /// Fraction of Save/BatchSave calls applied, then answered with HTTP 500.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub commit_then_5xx_rate: f64,
    /// Seed of the fault draws.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Also verify the X-Api-Signature header of signed requests.
    #[arg(long)]
    pub verify_api_signature: bool,
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{s:?} is not a fraction between 0 and 1")),
    }
}

/// A secret the user typed is masked; a documented default is shown in full.
fn shown(given: &Option<String>, default: &str) -> String {
    match given {
        Some(_) => "******** (as given)".to_string(),
        None => default.to_string(),
    }
}

fn config(args: &KingdeeSimArgs) -> KingdeeSimConfig {
    let mut cfg = KingdeeSimConfig::default();
    let set = |slot: &mut String, v: &Option<String>| {
        if let Some(v) = v {
            slot.clone_from(v);
        }
    };
    set(&mut cfg.acct_id, &args.acct_id);
    set(&mut cfg.user, &args.user);
    set(&mut cfg.password, &args.password);
    set(&mut cfg.app_id, &args.app_id);
    set(&mut cfg.app_secret, &args.app_secret);
    cfg.seed = args.seed;
    cfg.materials = args.materials;
    cfg.data_file.clone_from(&args.data);
    cfg.persist_file.clone_from(&args.persist);
    cfg.session_ttl = Duration::from_secs(args.session_ttl_secs.max(1));
    cfg.verify_api_signature = args.verify_api_signature;
    cfg.faults = Faults {
        seed: args.fault_seed,
        latency_ms: args.latency_ms,
        response_error_rate: args.error_rate,
        http_5xx_rate: args.http_5xx_rate,
        drop_rate: args.drop_rate,
        session_expiry_rate: args.session_expiry_rate,
        lock_rate: args.lock_rate,
        call_limit_rate: args.call_limit_rate,
        commit_then_drop_rate: args.commit_then_drop_rate,
        commit_then_5xx_rate: args.commit_then_5xx_rate,
        ..Faults::default()
    };
    cfg
}

fn fault_summary(f: &Faults) -> String {
    let rates = [
        ("response_error", f.response_error_rate),
        ("http_5xx", f.http_5xx_rate),
        ("drop", f.drop_rate),
        ("session_expiry", f.session_expiry_rate),
        ("edit_lock", f.lock_rate),
        ("call_limit", f.call_limit_rate),
        ("commit_then_drop", f.commit_then_drop_rate),
        ("commit_then_5xx", f.commit_then_5xx_rate),
    ];
    let mut parts: Vec<String> = rates
        .iter()
        .filter(|(_, r)| *r > 0.0)
        .map(|(n, r)| format!("{n} {r}"))
        .collect();
    if f.latency_ms > 0 {
        parts.insert(0, format!("latency {} ms", f.latency_ms));
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        format!("{} (fault seed {})", parts.join(", "), f.seed)
    }
}

/// Runs the simulator until Ctrl-C.
pub async fn run(args: KingdeeSimArgs) -> anyhow::Result<()> {
    let cfg = config(&args);
    let sim = ferry_sim_kingdee::start(cfg.clone(), SocketAddr::new(args.host, args.port)).await?;
    let base = sim.base_url();
    let root = base.trim_end_matches("k3cloud/");
    let data = match &cfg.data_file {
        Some(p) => format!("data file {}", p.display()),
        None => format!("seed {}, {} materials", cfg.seed, cfg.materials),
    };
    println!("Kingdee K3Cloud (金蝶云星空) WebAPI simulator");
    println!("  base URL     {base}");
    println!("  acct id      {}", cfg.acct_id);
    println!("  user         {}", cfg.user);
    println!("  password     {}", shown(&args.password, &cfg.password));
    println!("  app id       {}", cfg.app_id);
    println!(
        "  app secret   {}",
        shown(&args.app_secret, &cfg.app_secret)
    );
    println!(
        "  lcid         {}   session TTL {} s",
        cfg.lcid,
        cfg.session_ttl.as_secs()
    );
    println!("  data         {data}");
    if let Some(p) = &cfg.persist_file {
        println!("  persist      {}", p.display());
    }
    println!("  faults       {}", fault_summary(&cfg.faults));
    println!("  inspect      GET {root}__sim/stats   GET {root}__sim/bills?form=STK_MISCELLANEOUS");
    println!(
        "  control      POST {root}__sim/faults   POST {root}__sim/reset   POST {root}__sim/materials"
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: KingdeeSimArgs,
    }

    #[test]
    fn flags_become_config_and_secrets_are_masked() {
        let cli = Cli::parse_from([
            "x",
            "--port",
            "0",
            "--password",
            "s3cret",
            "--drop-rate",
            "0.25",
            "--session-ttl-secs",
            "30",
        ]);
        let cfg = config(&cli.args);
        assert_eq!(cfg.password, "s3cret");
        assert_eq!(cfg.faults.drop_rate, 0.25);
        assert_eq!(cfg.session_ttl, Duration::from_secs(30));
        assert!(!shown(&cli.args.password, &cfg.password).contains("s3cret"));
        assert_eq!(
            shown(&cli.args.app_secret, &cfg.app_secret),
            "ferry-demo-secret"
        );
        assert!(Cli::try_parse_from(["x", "--drop-rate", "1.5"]).is_err());
    }
}
