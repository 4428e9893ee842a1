//! `stream-emulator [--port PORT] [--token T] [--persist DIR] ...`: runs the emulator until
//! Ctrl-C, printing its base URL first.

use std::process::ExitCode;
use std::time::Duration;

use stream_emulator::{Config, Emulator};

const HELP: &str = "\
stream-emulator [--port PORT] [--token T] [--persist DIR] [--account ID] [--processing-ms MS] [--rate-limit N] [--email EMAIL --key KEY]

A local Cloudflare Stream. Prints its base URL; the API is served at the root and under
/client/v4. Stops on Ctrl-C (state in --persist DIR is saved as it changes).
";

fn parse(args: &[String]) -> Result<Option<Config>, String> {
    let mut config = Config {
        processing_step: Duration::from_secs(1),
        ..Config::default()
    };
    let mut email = None;
    let mut key = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--port" => {
                let port: u16 = value("--port")?
                    .parse()
                    .map_err(|_| "--port needs a port number".to_owned())?;
                config.listen.set_port(port);
            }
            "--token" => config.token = value("--token")?,
            "--persist" => config.persist = Some(value("--persist")?.into()),
            "--account" => config.account_id = value("--account")?,
            "--processing-ms" => {
                let ms: u64 = value("--processing-ms")?
                    .parse()
                    .map_err(|_| "--processing-ms needs milliseconds".to_owned())?;
                config.processing_step = Duration::from_millis(ms);
            }
            "--rate-limit" => {
                config.rate_limit = Some(
                    value("--rate-limit")?
                        .parse()
                        .map_err(|_| "--rate-limit needs a number".to_owned())?,
                );
            }
            "--email" => email = Some(value("--email")?),
            "--key" => key = Some(value("--key")?),
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown option {other:?}\n\n{HELP}")),
        }
    }
    match (email, key) {
        (Some(e), Some(k)) => config.email_key = Some((e, k)),
        (None, None) => {}
        _ => return Err("--email and --key go together".to_owned()),
    }
    Ok(Some(config))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(Some(config)) => config,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", emulator.base_url());
    println!(
        "account {}  token {}  (API also at {})",
        emulator.account_id(),
        emulator.token(),
        emulator.api_base_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
