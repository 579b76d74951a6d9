//! `wasm-server run`: WASI preview1 modules and WASI 0.2 command components, their output,
//! exit codes and limits, and one-line errors for bad input.

mod common;

use common::{command_p1, guest, run};

fn p2() -> String {
    guest("command").display().to_string()
}

fn p1() -> String {
    command_p1().display().to_string()
}

/// The last line of stderr (the host's own error line comes last).
fn last_line(o: &testkit::process::Outcome) -> String {
    o.stderr_str().trim_end().lines().last().unwrap_or("").to_string()
}

#[test]
fn both_kinds_get_args_env_and_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), "from the host\n").unwrap();
    let mapping = format!("{}::/data", dir.path().display());
    for wasm in [p2(), p1()] {
        let o = run(&["run", &wasm, "--", "echo", "a", "b c"]);
        assert_eq!((o.code, o.stdout_str().as_str()), (Some(0), "a b c\n"), "{}", o.stderr_str());

        let o = run(&["run", "--env", "GREETING=hi there", &wasm, "--", "env", "GREETING"]);
        assert_eq!(o.stdout_str(), "hi there\n", "{}", o.stderr_str());
        let o = run(&["run", &wasm, "--", "env", "GREETING"]);
        assert_eq!(o.code, Some(1), "unset variables stay unset");

        let o = run(&["run", "--dir", &mapping, &wasm, "--", "cat", "/data/in.txt"]);
        assert_eq!(o.stdout_str(), "from the host\n", "{}", o.stderr_str());
        let o = run(&["run", "--dir", &mapping, &wasm, "--", "write", "/data/out.txt", "written"]);
        assert_eq!(o.code, Some(0), "{}", o.stderr_str());
        assert_eq!(std::fs::read_to_string(dir.path().join("out.txt")).unwrap(), "written");

        let o = run(&["run", &wasm, "--", "cat", "/etc/passwd"]);
        assert_eq!(o.code, Some(1), "no preopen, no file: {}", o.stdout_str());

        let o = run(&["run", &wasm, "--", "stderr", "to stderr"]);
        assert_eq!(o.stderr_str(), "to stderr\n");
        let o = run(&["run", &wasm, "--", "lines", "3"]);
        assert_eq!(o.stdout_str(), "line 0\nline 1\nline 2\n");
    }
}

#[test]
fn exit_codes_are_the_guests() {
    for wasm in [p2(), p1()] {
        for code in ["0", "1", "7", "42"] {
            let o = run(&["run", &wasm, "--", "exit", code]);
            assert_eq!(o.code, Some(code.parse().unwrap()), "{wasm}: exit {code}: {}", o.stderr_str());
        }
    }
}

#[test]
fn traps_and_limits_end_the_program_with_a_clear_message() {
    for wasm in [p2(), p1()] {
        let o = run(&["run", &wasm, "--", "trap"]);
        assert_eq!(o.code, Some(134), "{}", o.stderr_str());
        assert_eq!(last_line(&o), "error: the guest trapped: wasm trap: wasm `unreachable` instruction executed");

        let o = run(&["run", "--max-memory", "32M", &wasm, "--", "hog"]);
        assert_eq!(o.code, Some(134), "{}", o.stderr_str());
        assert!(
            last_line(&o).starts_with("error: memory limit exceeded: the guest tried to grow its linear memory to")
                && last_line(&o).ends_with("(limit 32M)"),
            "{}",
            o.stderr_str()
        );

        let o = run(&["run", "--cpu-limit", "300ms", &wasm, "--", "loop"]);
        assert_eq!(o.code, Some(134), "{}", o.stderr_str());
        assert_eq!(last_line(&o), "error: cpu limit exceeded: the guest ran wasm for more than 300ms");

        let o = run(&["run", "--timeout", "500ms", &wasm, "--", "loop"]);
        assert_eq!(o.code, Some(124), "{}", o.stderr_str());
        assert_eq!(last_line(&o), "error: timeout: the program ran for more than 500ms");
    }
}

#[test]
fn bad_input_is_one_line_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not wasm").unwrap();
    let empty = dir.path().join("empty.wasm");
    std::fs::write(&empty, "").unwrap();
    let hello = guest("hello").display().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec!["run".into(), "/no/such/app.wasm".into()], "error: cannot read /no/such/app.wasm: No such file or directory (os error 2)".into()),
        (
            vec!["run".into(), text.display().to_string()],
            format!("error: {} is not a WebAssembly binary (it starts with bytes 6e 6f 74 20 77 61 73 6d); give a .wasm core module or component", text.display()),
        ),
        (
            vec!["run".into(), empty.display().to_string()],
            format!("error: {} is not a WebAssembly binary (it starts with nothing: the file is empty); give a .wasm core module or component", empty.display()),
        ),
        (
            vec!["run".into(), hello.clone()],
            format!("error: {hello} is a component that does not export `wasi:cli/run` (an HTTP app? serve it with `wasm-server serve`): no exported instance named `wasi:cli/run@0.2.12`"),
        ),
        (
            vec!["run".into(), "--dir".into(), "/no/such/folder".into(), p2()],
            "error: --dir /no/such/folder: /no/such/folder is not a folder".into(),
        ),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_eq!(o.code, Some(2), "{args:?}: {}", o.stderr_str());
        assert_eq!(o.stderr_str(), format!("{want}\n"), "{args:?}");
    }
    // Bad flags are clap's errors: exit 2, the flag named, before anything runs.
    for (flag, value) in [("--max-memory", "12X"), ("--timeout", "soon"), ("--env", "NOEQUALS"), ("--max-memory", "1K")]
    {
        let o = run(&["run", flag, value, &p2(), "--", "echo"]);
        assert_eq!(o.code, Some(2), "{flag} {value}");
        assert!(
            o.stderr_str().contains(value) || o.stderr_str().contains("max-memory"),
            "{flag} {value}: {}",
            o.stderr_str()
        );
        assert!(!o.stderr_str().contains("panicked"), "{}", o.stderr_str());
    }
}

#[test]
fn the_cache_makes_the_second_start_load_precompiled_code() {
    let cache = tempfile::tempdir().unwrap();
    let cache_arg = cache.path().display().to_string();
    let wasm = p2();
    for _ in 0..2 {
        let o = run(&["run", "--cache-dir", &cache_arg, &wasm, "--", "echo", "x"]);
        assert_eq!(o.stdout_str(), "x\n");
    }
    let entries: Vec<_> =
        std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(entries.len(), 1, "one precompiled file: {entries:?}");
    assert!(entries[0].ends_with(".cwasm"));
    // A damaged cache entry is recompiled, not trusted.
    std::fs::write(cache.path().join(&entries[0]), b"garbage").unwrap();
    let o = run(&["run", "--cache-dir", &cache_arg, &wasm, "--", "echo", "y"]);
    assert_eq!(o.stdout_str(), "y\n", "{}", o.stderr_str());
}
