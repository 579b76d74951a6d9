//! The `wasm-server-bindgen` command line. Each subcommand lives in `cli/<name>.rs` as an
//! options struct with `run()`; the work is done by the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse_with(&wasm_server_bindgen::Registry::default());
    match args.run() {
        Ok(code) => code,
        Err(e) => {
            // A reader that went away (`| head`) is not an error worth a message.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let mut msg = format!("error: {e}");
            for cause in e.chain().skip(1) {
                msg += &format!("\n  caused by: {cause}");
            }
            eprintln!("{msg}");
            ExitCode::from(cli::exit::status(&e))
        }
    }
}
