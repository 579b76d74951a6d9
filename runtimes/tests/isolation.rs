//! Isolation: guests that trap, loop forever or grow their memory without end get a 5xx with a
//! short reason, and every other request, of the same app or another, is answered correctly —
//! checked under a bounded concurrent load of mixed requests on loopback.

mod common;

use common::{copy_guest, get, write, Server};
use std::sync::Arc;
use tokio::sync::Semaphore;

const MANIFEST: &str = r#"
version = 1

[apps.hello]
component = "hello.wasm"
routes = ["/hello"]

[apps.bad]
component = "misbehave.wasm"
routes = ["/bad"]
max-memory = "32M"
cpu-limit = "1s"
timeout = "20s"
max-concurrency = 20

[apps.slow]
component = "misbehave.wasm"
routes = ["/slow"]
timeout = "1s"

[apps.kept]
component = "misbehave.wasm"
routes = ["/kept"]
timeout = "1s"
max-instance-reuse-count = 10
"#;

fn start() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    copy_guest("hello", dir.path(), "hello.wasm");
    copy_guest("misbehave", dir.path(), "misbehave.wasm");
    let manifest = write(dir.path(), "apps.toml", MANIFEST);
    (Server::start(&["--manifest", manifest.to_str().unwrap()]), dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_failure_gets_its_status_and_reason() {
    let (server, _dir) = start();
    let a = server.addr;
    let r = get(a, "/bad/trap").await;
    assert_eq!((r.status, r.headers["x-wasm-server-error"].to_str().unwrap()), (500, "trap"), "{}", r.body);
    assert_eq!(
        r.body,
        "500 Internal Server Error: the guest trapped: wasm trap: wasm `unreachable` instruction executed\n"
    );

    let r = get(a, "/bad/hog").await;
    assert_eq!((r.status, r.headers["x-wasm-server-error"].to_str().unwrap()), (503, "memory"), "{}", r.body);
    assert!(
        r.body.starts_with(
            "503 Service Unavailable: memory limit exceeded: the guest tried to grow its linear memory to"
        ),
        "{}",
        r.body
    );
    assert!(r.body.trim_end().ends_with("(limit 32M)"), "{}", r.body);

    let r = get(a, "/bad/loop").await;
    assert_eq!((r.status, r.headers["x-wasm-server-error"].to_str().unwrap()), (503, "cpu"), "{}", r.body);
    assert_eq!(r.body, "503 Service Unavailable: cpu limit exceeded: the guest ran wasm for more than 1s\n");

    let r = get(a, "/slow/loop").await;
    assert_eq!((r.status, r.headers["x-wasm-server-error"].to_str().unwrap()), (504, "timeout"), "{}", r.body);
    assert_eq!(r.body, "504 Gateway Timeout: the request timed out after 1s\n");

    let r = get(a, "/bad/silent").await;
    assert_eq!((r.status, r.headers["x-wasm-server-error"].to_str().unwrap()), (500, "no_response"), "{}", r.body);
    assert_eq!(r.body, "500 Internal Server Error: the guest returned without sending a response\n");

    // Returned without answering, the response's handle kept in an instance kept for reuse:
    // no answer can come, and none is waited for past the timeout.
    let r = get(a, "/kept/keep").await;
    assert_eq!((r.status, r.headers["x-wasm-server-error"].to_str().unwrap()), (504, "timeout"), "{}", r.body);
    assert_eq!(get(a, "/kept/ok").await.body, "ok");

    assert_eq!(get(a, "/bad/ok").await.body, "ok", "the failing app still serves");
    let m = get(a, "/metrics").await.body;
    common::assert_metrics(
        &m,
        &[
            "wasm_server_guest_failures_total{app=\"bad\",reason=\"trap\"} 1",
            "wasm_server_guest_failures_total{app=\"bad\",reason=\"memory\"} 1",
            "wasm_server_guest_failures_total{app=\"bad\",reason=\"cpu\"} 1",
            "wasm_server_guest_failures_total{app=\"slow\",reason=\"timeout\"} 1",
            "wasm_server_guest_failures_total{app=\"bad\",reason=\"no_response\"} 1",
            "wasm_server_guest_failures_total{app=\"kept\",reason=\"timeout\"} 1",
            "wasm_server_traps_total{app=\"bad\"} 3",
            "wasm_server_live_instances{app=\"bad\"} 0",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn good_requests_are_answered_while_bad_ones_fail() {
    let (server, _dir) = start();
    let a = server.addr;
    // 240 requests, at most 16 at a time: one in four misbehaves.
    let kinds = ["/hello/", "/bad/ok", "/hello/echo", "/bad/trap", "/hello/", "/bad/hog", "/bad/ok", "/bad/loop"];
    let limit = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::new();
    for i in 0..240 {
        let path = kinds[i % kinds.len()];
        let permit = limit.clone().acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let r = if path == "/hello/echo" {
                common::request(a, "POST", path, None, format!("body {i}").as_bytes()).await
            } else {
                get(a, path).await
            };
            (i, path, r)
        }));
    }
    let mut good = 0;
    for t in tasks {
        let (i, path, r) = t.await.unwrap();
        match path {
            "/hello/" => assert_eq!((r.status, r.body.as_str()), (200, "hello from wasm-server\n"), "request {i}"),
            "/hello/echo" => assert_eq!((r.status, r.body.clone()), (200, format!("body {i}")), "request {i}"),
            "/bad/ok" => assert_eq!((r.status, r.body.as_str()), (200, "ok"), "request {i}"),
            "/bad/trap" => assert_eq!(r.status, 500, "request {i}: {}", r.body),
            "/bad/hog" => assert_eq!(r.status, 503, "request {i}: {}", r.body),
            // CPU limit (503), or with 16 busy guests on 2 cores, possibly the timeout (504).
            "/bad/loop" => assert!(r.status == 503 || r.status == 504, "request {i}: {} {}", r.status, r.body),
            _ => unreachable!(),
        }
        if r.status == 200 {
            good += 1;
        }
    }
    assert_eq!(good, 150);
    // And afterwards everything is back to normal.
    assert_eq!(get(a, "/hello/").await.status, 200);
    let m = get(a, "/metrics").await.body;
    assert!(m.contains("wasm_server_live_instances{app=\"bad\"} 0"), "{m}");
}
