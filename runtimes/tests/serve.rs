//! `wasm-server serve`: one component or a manifest of apps, over real HTTP on loopback.

mod common;

use common::{copy_guest, get, guest, request, write, Server};
use std::path::Path;
use std::time::Duration;

/// A manifest in a new folder with the given guests copied beside it (`(guest, file)`).
fn manifest(text: &str, guests: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (g, f) in guests {
        copy_guest(g, dir.path(), f);
    }
    write(dir.path(), "apps.toml", text);
    dir
}

fn manifest_arg(dir: &Path) -> String {
    dir.join("apps.toml").display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_component_with_env_dir_logs_and_metrics() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("page.txt"), "static text").unwrap();
    let hello = guest("hello");
    let mapping = format!("{}::/data", data.path().display());
    let server = Server::start(&[hello.to_str().unwrap(), "--env", "COLOR=blue", "--dir", &mapping]);
    let a = server.addr;

    let r = get(a, "/").await;
    assert_eq!((r.status, r.body.as_str()), (200, "hello from wasm-server\n"));
    assert_eq!(get(a, "/any/path").await.status, 200, "a single component serves every path");
    assert_eq!(get(a, "/env/COLOR").await.body, "blue");
    assert_eq!(get(a, "/env/HOME").await.status, 404, "the host's environment is not the guest's");
    assert_eq!(get(a, "/file/page.txt").await.body, "static text");
    assert_eq!(request(a, "POST", "/echo", None, b"ping").await.body, "ping");

    // Guest output: whole lines, prefixed by app and request id.
    let r = get(a, "/log").await;
    assert_eq!(r.status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !(server.stdout().contains("a line on stdout") && server.stderr().contains("a line on stderr")) {
        assert!(
            std::time::Instant::now() < deadline,
            "guest output missing:\n{}\n{}",
            server.stdout(),
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = server.stdout().lines().find(|l| l.contains("a line on stdout")).unwrap().to_string();
    assert!(line.starts_with("[hello #") && line.ends_with("] a line on stdout"), "{line}");
    assert!(server.stderr().lines().any(|l| l.starts_with("[hello #") && l.ends_with("] a line on stderr")));

    let m = get(a, "/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    common::assert_metrics(
        &m.body,
        &[
            "# TYPE wasm_server_requests_total counter",
            "wasm_server_requests_total{app=\"hello\",status=\"200\"}",
            "wasm_server_requests_total{app=\"hello\",status=\"404\"} 1",
            "# TYPE wasm_server_request_duration_seconds histogram",
            "wasm_server_request_duration_seconds_bucket{app=\"hello\",le=\"+Inf\"}",
            "wasm_server_request_duration_seconds_count{app=\"hello\"}",
            "wasm_server_traps_total{app=\"hello\"} 0",
            "wasm_server_live_instances{app=\"hello\"} 0",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_routes_by_prefix_and_host() {
    let dir = manifest(
        r#"
version = 1

[apps.site]
component = "hello.wasm"
routes = ["/"]
env = ["WHO=site"]

[apps.api]
component = "hello.wasm"
routes = ["/api"]
env = ["WHO=api"]

[apps.admin]
component = "hello.wasm"
hosts = ["admin.test"]
env = ["WHO=admin"]

[apps.only]
component = "misbehave.wasm"
routes = ["/ok"]
hosts = ["only.test"]
"#,
        &[("hello", "hello.wasm"), ("misbehave", "misbehave.wasm")],
    );
    let server = Server::start(&["--manifest", &manifest_arg(dir.path())]);
    let a = server.addr;
    let who = |path: &'static str, host: Option<&'static str>| async move { request(a, "GET", path, host, b"").await };
    assert_eq!(who("/who", None).await.body, "site");
    assert_eq!(who("/api/who", None).await.body, "api");
    assert_eq!(who("/api/v1/who", None).await.body, "api");
    assert_eq!(who("/apis/who", None).await.body, "site", "/apis is not under /api");
    assert_eq!(who("/api/who", Some("admin.test")).await.body, "admin", "host routes win");
    assert_eq!(who("/who", Some("ADMIN.test:8080")).await.body, "admin");
    assert_eq!(who("/ok", Some("only.test")).await.body, "ok");
    let r = who("/elsewhere", Some("only.test")).await;
    assert_eq!(r.status, 200, "host-less routes still serve other paths of that host");
    assert_eq!(r.body, "hello from wasm-server\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_route_and_body_limit() {
    let dir = manifest(
        r#"
version = 1
[apps.api]
component = "hello.wasm"
routes = ["/echo"]
max-body = "1K"
"#,
        &[("hello", "hello.wasm")],
    );
    let server = Server::start(&["--manifest", &manifest_arg(dir.path())]);
    let a = server.addr;
    let r = get(a, "/nothing-here").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, format!("404 Not Found: no app serves /nothing-here on host {a}\n"));
    assert_eq!(request(a, "POST", "/echo", None, &[b'x'; 1000]).await.status, 200);
    let r = request(a, "POST", "/echo", None, &[b'x'; 5000]).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("max-body (1K)"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn outbound_requests_are_denied_unless_allowed() {
    // An upstream server of our own on loopback.
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = upstream.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = upstream.accept().await else { break };
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                        bytes::Bytes::from("from upstream"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    let allowed = format!("http://127.0.0.1:{}", up.port());
    let dir = manifest(
        &format!(
            r#"
version = 1
[apps.open]
component = "fetch.wasm"
routes = ["/open"]
allow-outbound = ["{allowed}"]

[apps.closed]
component = "fetch.wasm"
routes = ["/closed"]

[apps.elsewhere]
component = "fetch.wasm"
routes = ["/elsewhere"]
allow-outbound = ["example.com"]
"#
        ),
        &[("fetch", "fetch.wasm")],
    );
    let server = Server::start(&["--manifest", &manifest_arg(dir.path())]);
    let a = server.addr;
    let target = format!("?url=http://{up}/x");
    let r = get(a, &format!("/open{target}")).await;
    assert_eq!((r.status, r.body.as_str()), (200, "from upstream"));
    for app in ["/closed", "/elsewhere"] {
        let r = get(a, &format!("{app}{target}")).await;
        assert_eq!((r.status, r.body.as_str()), (502, "outbound error: ErrorCode::HttpRequestDenied"), "{app}");
    }
    let log = server.stderr();
    assert!(
        log.contains("outbound request denied: the destination is not in the app's allow-outbound list")
            && log.contains("app=closed"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let hello = guest("hello");
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut server = Server::start(&[hello.to_str().unwrap()]);
        let a = server.addr;
        let slow = tokio::spawn(async move { get(a, "/sleep?ms=1500").await });
        // Wait until the request is running in an instance.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let m = get(a, "/metrics").await.body;
            if m.contains("wasm_server_live_instances{app=\"hello\"} 1") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the slow request never started:\n{m}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let status = tokio::task::spawn_blocking(move || {
            let s = server.stop(signal);
            (s, server.stderr())
        });
        let r = slow.await.unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "slept 1500 ms"));
        let (status, log) = status.await.unwrap();
        assert!(status.success(), "exit status {status}:\n{log}");
        assert!(log.contains("letting in-flight requests finish"), "{log}");
        // No new connections after shutdown.
        assert!(tokio::net::TcpStream::connect(a).await.is_err());
    }
}

#[test]
fn serve_refuses_what_it_cannot_serve() {
    let dir = tempfile::tempdir().unwrap();
    let p1 = common::command_p1().display().to_string();
    let cmd = guest("command").display().to_string();
    let cases = [
        (vec!["serve".to_string(), p1.clone()], format!("error: app `command`: {p1} is a core module; `serve` needs a wasi:http/proxy component (build for wasm32-wasip2, or run a command with `wasm-server run`)")),
        (vec!["serve".to_string(), cmd.clone()], format!("error: app `command`: {cmd} does not export wasi:http/incoming-handler (a command? run it with `wasm-server run`): ")),
        (vec!["serve".to_string(), "/no/app.wasm".into()], "error: app `app`: cannot read /no/app.wasm: No such file or directory (os error 2)".into()),
        (vec!["serve".to_string(), "--manifest".into(), dir.path().join("none.toml").display().to_string()], format!("error: bad manifest {}: cannot read it: No such file or directory (os error 2)", dir.path().join("none.toml").display())),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = common::run(&args);
        assert_eq!(o.code, Some(2), "{args:?}: {}", o.stderr_str());
        assert!(o.stderr_str().starts_with(&want), "{args:?}:\n{}\nwanted:\n{want}", o.stderr_str());
        assert_eq!(o.stderr_str().lines().count(), 1, "{}", o.stderr_str());
    }
    let hello = guest("hello").display().to_string();
    for bad in [vec!["--listen", "nowhere"], vec!["--max-concurrency", "0"], vec!["--allow-outbound", "ftp://x"]] {
        let mut args = vec!["serve", hello.as_str()];
        args.extend(bad.iter().copied());
        let o = common::run(&args);
        assert_eq!(o.code, Some(2), "{args:?}: {}", o.stderr_str());
        assert!(!o.stderr_str().contains("Serving HTTP"), "rejected before binding: {}", o.stderr_str());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn max_concurrency_bounds_live_instances() {
    let dir = manifest(
        r#"
version = 1
[apps.hello]
component = "hello.wasm"
max-concurrency = 2
timeout = "60s"
"#,
        &[("hello", "hello.wasm")],
    );
    let server = Server::start(&["--manifest", &manifest_arg(dir.path())]);
    let a = server.addr;
    let start = std::time::Instant::now();
    let tasks: Vec<_> = (0..6).map(|_| tokio::spawn(async move { get(a, "/sleep?ms=300").await })).collect();
    let watcher = tokio::spawn(async move {
        let mut most = 0;
        for _ in 0..200 {
            let m = get(a, "/metrics").await.body;
            let live: i64 = m
                .lines()
                .find_map(|l| l.strip_prefix("wasm_server_live_instances{app=\"hello\"} "))
                .and_then(|v| v.parse().ok())
                .unwrap();
            most = most.max(live);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        most
    });
    for t in tasks {
        assert_eq!(t.await.unwrap().status, 200);
    }
    // Six 300 ms requests, two at a time, take at least three rounds.
    assert!(start.elapsed() >= Duration::from_millis(900), "{:?}", start.elapsed());
    let most = watcher.await.unwrap();
    assert!((1..=2).contains(&most), "live instances peaked at {most}");
}

/// The value of `metric{app="hello"}` in /metrics.
async fn hello_metric(a: std::net::SocketAddr, metric: &str) -> i64 {
    let m = get(a, "/metrics").await.body;
    let prefix = format!("{metric}{{app=\"hello\"}} ");
    m.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {metric} in\n{m}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_goes_away_stops_its_guest() {
    use std::io::Write;
    let dir = manifest(
        "version = 1\n[apps.hello]\ncomponent = \"hello.wasm\"\ntimeout = \"120s\"\n",
        &[("hello", "hello.wasm")],
    );
    let server = Server::start(&["--manifest", &manifest_arg(dir.path())]);
    let a = server.addr;
    let mut client = std::net::TcpStream::connect(a).unwrap();
    client.write_all(b"GET /sleep?ms=100000 HTTP/1.1\r\nHost: hello\r\n\r\n").unwrap();
    let mut waited = 0;
    while hello_metric(a, "wasm_server_live_instances").await != 1 {
        assert!(waited < 1000, "the request never started");
        waited += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(client);
    // Stopped within moments, not at the 100 s sleep's end or the 120 s timeout.
    for _ in 0..1000 {
        if hello_metric(a, "wasm_server_live_instances").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(hello_metric(a, "wasm_server_live_instances").await, 0, "the guest still runs: {}", server.stderr());
    assert_eq!(hello_metric(a, "wasm_server_requests_abandoned_total").await, 1);
    assert!(server.stderr().contains("the client went away before the answer"), "{}", server.stderr());
    // And the app serves on.
    assert_eq!(get(a, "/sleep?ms=1").await.status, 200);
}

/// The count a fresh-or-reused instance reports (its requests served, this one included).
async fn count(a: std::net::SocketAddr) -> u64 {
    let r = get(a, "/count").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_are_reused_only_when_asked() {
    let misbehave = guest("misbehave");
    let m = misbehave.to_str().unwrap();

    // Default: a fresh instance per request.
    let server = Server::start(&[m]);
    for _ in 0..3 {
        assert_eq!(count(server.addr).await, 1);
    }
    drop(server);

    // Up to three requests per instance, one after another; one at a time so the same
    // instance comes back.
    let server = Server::start(&[
        m,
        "--max-instance-reuse-count",
        "3",
        "--max-concurrency",
        "1",
        "--idle-instance-timeout",
        "30s",
    ]);
    let a = server.addr;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(count(a).await);
    }
    assert_eq!(seen, [1, 2, 3, 1, 2], "an instance serves three requests, then a fresh one takes over");
    // A request that traps drops its instance: the next one starts afresh.
    assert_eq!(get(a, "/trap").await.status, 500);
    assert_eq!(count(a).await, 1, "the trapped instance is not reused");
    let metrics = get(a, "/metrics").await.body;
    common::assert_metrics(
        &metrics,
        &[
            "wasm_server_instantiations_total{app=\"misbehave\"} 3",
            "wasm_server_guest_calls_total{app=\"misbehave\",instance=\"fresh\"} 3",
            "wasm_server_guest_calls_total{app=\"misbehave\",instance=\"reused\"} 3",
            "wasm_server_live_instances{app=\"misbehave\"} 0",
        ],
    );
    drop(server);

    // An idle instance is dropped after the idle timeout.
    let server = Server::start(&[
        m,
        "--max-instance-reuse-count",
        "100",
        "--max-concurrency",
        "1",
        "--idle-instance-timeout",
        "200ms",
    ]);
    assert_eq!(count(server.addr).await, 1);
    assert_eq!(count(server.addr).await, 2);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(count(server.addr).await, 1, "the idle instance expired");

    // Zero is refused like the other limits.
    let o = common::run(&["serve", m, "--max-instance-reuse-count", "0"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr_str());
    assert!(o.stderr_str().contains("max-instance-reuse-count must be at least 1"), "{}", o.stderr_str());
}
