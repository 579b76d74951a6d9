//! Test command for `wasm-server run`, dispatching on its first argument:
//!
//!     echo ARGS...     print the arguments, space-separated
//!     env KEY          print the value of KEY (exit 1 when unset)
//!     cat PATH         print a file
//!     write PATH TEXT  write a file
//!     stderr TEXT      print TEXT to stderr
//!     exit N           exit with code N
//!     trap             panic (a trap)
//!     loop             compute forever
//!     hog              allocate memory until the host stops it
//!     lines N          print N numbered lines, flushing each (streaming)

use std::io::Write;

/// Exits with `code`: preview1's `proc_exit` carries any code; on WASI 0.2, Rust's std reports
/// every non-zero code as 1, so the program calls `wasi:cli/exit.exit-with-code` itself.
fn exit(code: u8) -> ! {
    #[cfg(all(target_os = "wasi", target_env = "p2"))]
    wasip2::cli::exit::exit_with_code(code);
    std::process::exit(code.into())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rest = &args[args.len().min(2)..];
    match args.get(1).map(String::as_str) {
        Some("echo") => println!("{}", rest.join(" ")),
        Some("env") => match std::env::var(&rest[0]) {
            Ok(v) => println!("{v}"),
            Err(_) => std::process::exit(1),
        },
        Some("cat") => match std::fs::read_to_string(&rest[0]) {
            Ok(s) => print!("{s}"),
            Err(e) => {
                eprintln!("cat {}: {e}", rest[0]);
                std::process::exit(1)
            }
        },
        Some("write") => std::fs::write(&rest[0], &rest[1]).expect("write"),
        Some("stderr") => eprintln!("{}", rest.join(" ")),
        Some("exit") => exit(rest[0].parse().expect("exit code")),
        Some("trap") => panic!("the guest panics on purpose"),
        Some("loop") => {
            let mut n = 0u64;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Some("hog") => {
            let mut chunks = Vec::new();
            loop {
                let mut v = vec![0u8; 1 << 20];
                v[4096] = 1;
                chunks.push(std::hint::black_box(v));
            }
        }
        Some("lines") => {
            let n: usize = rest[0].parse().expect("count");
            let mut out = std::io::stdout();
            for i in 0..n {
                writeln!(out, "line {i}").unwrap();
                out.flush().unwrap();
            }
        }
        other => {
            eprintln!("unknown command {other:?}");
            std::process::exit(2)
        }
    }
}
