//! Key-value stores: the same suite against the embedded backend (redb) and a Redis server of
//! our own: atomic increment and compare-and-swap under concurrent requests (no lost update),
//! stores shared between apps, access only to listed stores, data surviving a restart.

mod common;

use common::{copy_guest, get, write, Redis, Server};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// `[stores.*]` tables for a backend; `{dir}` is the manifest's folder.
fn stores(backend: &Backend) -> String {
    match backend {
        Backend::Redb => r#"
[stores.counters]
backend = "redb"
path = "data/counters.redb"

[stores.private]
backend = "redb"
path = "data/private.redb"
"#
        .into(),
        Backend::Redis(r) => format!(
            r#"
[stores.counters]
backend = "redis"
url = "redis://127.0.0.1:{port}"

[stores.private]
backend = "redis"
url = "redis://127.0.0.1:{port}"
prefix = "private-store/"
"#,
            port = r.port
        ),
    }
}

enum Backend {
    Redb,
    Redis(Redis),
}

fn write_manifest(dir: &Path, backend: &Backend) -> String {
    copy_guest("kv-counter", dir, "kv.wasm");
    let text = format!(
        r#"
version = 1
{stores}
[apps.one]
component = "kv.wasm"
routes = ["/one"]
kv = ["counters"]
max-concurrency = 8

[apps.two]
component = "kv.wasm"
routes = ["/two"]
kv = ["counters", "private"]
max-concurrency = 8
"#,
        stores = stores(backend)
    );
    write(dir, "apps.toml", &text).display().to_string()
}

/// Sends `n` requests to `paths` (round robin), at most 12 at a time; returns the bodies.
async fn hammer(addr: std::net::SocketAddr, paths: &[String], n: usize) -> Vec<String> {
    let limit = Arc::new(Semaphore::new(12));
    let mut tasks = Vec::new();
    for i in 0..n {
        let path = paths[i % paths.len()].clone();
        let permit = limit.clone().acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let _p = permit;
            let r = get(addr, &path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            r.body
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Every returned value appears once and together they are 1..=n: no update was lost.
fn assert_no_lost_update(mut values: Vec<String>, n: usize) {
    let mut nums: Vec<u64> =
        values.drain(..).map(|v| v.parse().unwrap_or_else(|_| panic!("not a number: {v}"))).collect();
    nums.sort();
    assert_eq!(nums, (1..=n as u64).collect::<Vec<_>>());
}

async fn suite(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(dir.path(), &backend);
    let mut server = Server::start(&["--manifest", &manifest]);
    let a = server.addr;

    // Increments from two apps sharing one store, concurrently.
    let n = 120;
    let values = hammer(a, &["/one/incr/hits".into(), "/two/incr/hits".into()], n).await;
    assert_no_lost_update(values, n);
    assert_eq!(get(a, "/one/get/hits").await.body, n.to_string());

    // Compare-and-swap retried by the guest: same guarantee.
    let values = hammer(a, &["/one/cas/swaps".into(), "/two/cas/swaps".into()], 80).await;
    assert_no_lost_update(values, 80);

    // Plain operations.
    assert_eq!(get(a, "/one/get/nothing").await.status, 404);
    assert_eq!(get(a, "/one/set/greeting?v=hello").await.status, 200);
    assert_eq!(get(a, "/two/get/greeting").await.body, "hello", "stores are shared between the apps listing them");
    assert_eq!(get(a, "/one/many/greeting,nothing,hits").await.body, format!("greeting=hello\nnothing\nhits={n}"));
    assert_eq!(get(a, "/one/keys").await.body, "greeting\nhits\nswaps");
    assert_eq!(get(a, "/one/delete/greeting").await.status, 200);
    assert_eq!(get(a, "/one/get/greeting").await.status, 404);
    let r = get(a, "/one/set/x?v=notanumber").await;
    assert_eq!(r.status, 200);
    let r = get(a, "/one/incr/x").await;
    assert_eq!(r.status, 500, "incrementing a non-counter is a store error: {}", r.body);

    // Only listed stores open; unknown ones do not exist.
    let r = get(a, "/one/incr/k?store=private").await;
    assert_eq!((r.status, r.body.as_str()), (403, "access-denied"));
    assert_eq!(get(a, "/two/incr/k?store=private").await.body, "1");
    assert_eq!(get(a, "/two/get/hits?store=private").await.status, 404, "stores are separate");
    let r = get(a, "/one/incr/k?store=nope").await;
    assert_eq!((r.status, r.body.as_str()), (404, "no-such-store"));

    // Data survives a restart of the host.
    server.stop(libc::SIGTERM);
    drop(server);
    let server = Server::start(&["--manifest", &manifest]);
    let a = server.addr;
    assert_eq!(get(a, "/two/get/hits").await.body, n.to_string());
    assert_eq!(get(a, "/one/incr/hits").await.body, (n + 1).to_string());
    drop(server);
    drop(backend);
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_store() {
    suite(Backend::Redb).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_store() {
    suite(Backend::Redis(Redis::start())).await;
}

#[test]
fn an_unreachable_redis_is_a_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    copy_guest("kv-counter", dir.path(), "kv.wasm");
    let manifest = write(
        dir.path(),
        "apps.toml",
        &format!("version = 1\n[stores.s]\nbackend = \"redis\"\nurl = \"redis://127.0.0.1:{port}\"\n[apps.a]\ncomponent = \"kv.wasm\"\nkv = [\"s\"]\n"),
    );
    let o = common::run(&["serve", "--manifest", manifest.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr_str());
    let err = o.stderr_str();
    assert!(
        err.starts_with(&format!(
            "error: key-value store `s` (redis://127.0.0.1:{port}): connecting to redis://127.0.0.1:{port}:"
        )),
        "{err}"
    );
    assert!(!err.contains("Serving HTTP"));
}
