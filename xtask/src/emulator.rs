//! `cargo xtask emulator`: starts the local Stream emulator (through `cargo run`: xtask
//! never links the crates it generates). Its server bindings are regenerated with the client
//! by `cargo xtask generate` (see `generate::run`).

use std::process::Command;

/// `cargo xtask emulator --help`.
pub const HELP: &str = "\
cargo xtask emulator [--port PORT] [--token T] [--persist DIR] [--account ID] [--processing-ms MS]

Starts the local Cloudflare Stream emulator (crate `stream-emulator`) and prints its base URL.
The API is served at the root of the address and under /client/v4.

  --port PORT          TCP port on 127.0.0.1 (default 0: any free port)
  --token T            the API token it accepts (default: `emulator-token`)
  --persist DIR        keep state (metadata and uploaded bytes) in DIR across restarts
  --account ID         the account id it serves (default: `emulator-account`)
  --processing-ms MS   time per processing step, queued -> inprogress -> ready (default 1000)
  --rate-limit N       answer 429 after N API calls per second (default: no limit)
";

/// `cargo xtask emulator ...`: runs the emulator binary with the same arguments.
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["run", "--quiet", "-p", "stream-emulator", "--"])
        .args(args)
        .current_dir(crate::generate::workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the emulator exited with {status}"))
    }
}
