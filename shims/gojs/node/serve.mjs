#!/usr/bin/env node
// Reference host for Go GOOS=js HTTP handlers under node: serves an unrewritten module that
// speaks the Workers fetch contract (imports `workers.ready`, sets
// `globalThis.context.binding.handleRequest(Request) → Promise<Response>`), using node's own
// http server, Request, Response and fetch, and the toolchain's unmodified wasm_exec.js.
//
//   node serve.mjs APP.wasm [--listen 127.0.0.1:8080] [--timeout 30s] [--wasm-exec PATH] [-- ARGS…]
//
// Instances: a module whose binding says `multiRequest` (wasm-server-bindgen/gojs/httpserve)
// is started once and serves every request; a Workers module (its Go program exits once the
// first response is done) gets a fresh instance per request, as on Cloudflare.
//
// Key-value stores: `globalThis.context.kv.open(name)` gives in-memory stores (one per name,
// shared by every instance, for the life of the process) with the JS surface the rewritten
// module gets over wasi:keyvalue (shims/js-web/src/kv.rs), for wasm-server-bindgen/gojs/kv.

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import crypto from "node:crypto";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { execFileSync } from "node:child_process";

function usage(msg) {
  if (msg) console.error(`serve.mjs: ${msg}`);
  console.error("usage: node serve.mjs APP.wasm [--listen HOST:PORT] [--timeout DURATION] [--wasm-exec PATH] [-- ARGS…]");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { listen: "127.0.0.1:8080", timeoutMs: 30_000, wasmExec: null, app: null, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--") { opts.args = argv.slice(i + 1); break; }
    else if (a === "--listen") opts.listen = value();
    else if (a === "--timeout") opts.timeoutMs = parseDuration(value());
    else if (a === "--wasm-exec") opts.wasmExec = value();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (opts.app === null) opts.app = a;
    else opts.args.push(a);
  }
  if (opts.app === null) usage("no APP.wasm given");
  return opts;
}

function parseDuration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (!m) usage(`bad duration '${s}' (e.g. 500ms, 5s, 1m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] ?? "s"];
}

// wasm_exec.js lives in lib/wasm since Go 1.24, in misc/wasm before.
function findWasmExec() {
  const goroot = process.env.GOROOT || execFileSync("go", ["env", "GOROOT"], { encoding: "utf8" }).trim();
  for (const dir of ["lib/wasm", "misc/wasm"]) {
    const p = path.join(goroot, dir, "wasm_exec.js");
    if (fs.existsSync(p)) return p;
  }
  usage(`no wasm_exec.js under ${goroot}; pass --wasm-exec`);
}

const opts = parseArgs(process.argv.slice(2));

// What wasm_exec_node.js provides before loading wasm_exec.js.
globalThis.require = createRequire(import.meta.url);
globalThis.fs = fs;
globalThis.path = path;
globalThis.TextEncoder ??= (await import("node:util")).TextEncoder;
globalThis.TextDecoder ??= (await import("node:util")).TextDecoder;
globalThis.performance ??= (await import("node:perf_hooks")).performance;
globalThis.crypto ??= crypto.webcrypto;
// Go's net/http client refuses fetch when process.argv0 starts with "node" (it assumes a test
// run under wasm_exec_node.js); a fetch-handler host is exactly where it should use fetch.
// process.argv0 itself is read-only, so Go gets a view of process that differs only there.
const nodeProcess = process;
globalThis.process = new Proxy({}, {
  get(_, prop) {
    if (prop === "argv0") return "wasm-server-bindgen-serve";
    const v = Reflect.get(nodeProcess, prop);
    return typeof v === "function" ? v.bind(nodeProcess) : v;
  },
  set(_, prop, value) { return Reflect.set(nodeProcess, prop, value); },
  has(_, prop) { return prop in nodeProcess; },
});
createRequire(import.meta.url)(opts.wasmExec ?? findWasmExec());

let module;
try {
  module = await WebAssembly.compile(fs.readFileSync(opts.app));
} catch (e) {
  console.error(`serve.mjs: ${opts.app}: ${e.message}`);
  process.exit(1);
}
if (!WebAssembly.Module.imports(module).some((i) => i.module === "workers" && i.name === "ready")) {
  console.error(`serve.mjs: ${opts.app} does not import workers.ready: not a Go HTTP handler (use wasm_exec_node.js for commands)`);
  process.exit(1);
}

/** In-memory key-value stores by name: the reference for shims/js-web/src/kv.rs. */
const kvStores = new Map();
const kv = {
  open(name) {
    name = String(name);
    if (!kvStores.has(name)) kvStores.set(name, new Map());
    const m = kvStores.get(name);
    const fail = (msg) => { throw new Error(`kv ${name}: ${msg}`); };
    return {
      get: (key) => (m.has(String(key)) ? new Uint8Array(m.get(String(key))) : null),
      set: (key, value) => { m.set(String(key), value instanceof Uint8Array ? new Uint8Array(value) : new TextEncoder().encode(String(value))); },
      delete: (key) => { m.delete(String(key)); },
      exists: (key) => m.has(String(key)),
      keys: (prefix) => [...m.keys()].filter((k) => k.startsWith(prefix == null ? "" : String(prefix))).sort(),
      increment: (key, delta) => {
        // As shims/js-web/src/kv.rs: a number (default 1), a whole one, 0 ≤ delta < 2^53.
        delta = delta === undefined ? 1 : Number(delta);
        if (!(Number.isSafeInteger(delta) && delta >= 0)) throw new RangeError("kv increment: delta must be a non-negative integer");
        key = String(key);
        let now = 0;
        if (m.has(key)) {
          const text = new TextDecoder().decode(m.get(key));
          if (!/^[0-9]+$/.test(text)) fail("the value is not a counter");
          now = Number(text);
        }
        const n = now + delta;
        m.set(key, new TextEncoder().encode(String(n)));
        return n;
      },
    };
  },
};

/** Starts a Go instance and resolves with its binding once Go has called workers.ready. */
async function startInstance() {
  const go = new Go();
  go.argv = [path.basename(opts.app), ...opts.args];
  go.env = Object.assign({ TMPDIR: "/tmp" }, process.env);
  const binding = {};
  const state = { binding, exited: false, exitCode: null };
  go.exit = (code) => {
    state.exited = true;
    state.exitCode = code;
    if (code !== 0) console.error(`serve.mjs: Go exited with code ${code}`);
    // Timers Go had scheduled would resume a program that is gone, and wasm_exec.js throws
    // from the timer then, which would end this whole server: one instance's crash must not.
    for (const id of go._scheduledTimeouts?.values() ?? []) clearTimeout(id);
    go._scheduledTimeouts?.clear();
    // And a JS callback of Go's still registered somewhere (an event listener) does nothing.
    go._resume = () => {};
  };
  let ready;
  const readyPromise = new Promise((resolve) => (ready = resolve));
  const instance = await WebAssembly.instantiate(module, { ...go.importObject, workers: { ready: () => ready() } });
  // Go reads globalThis.context while run() executes synchronously (package init), so each
  // instance captures its own binding even when several start concurrently.
  globalThis.context = { binding, kv };
  const exited = go.run(instance);
  await Promise.race([readyPromise, exited.then(() => { throw new Error(`Go exited (code ${state.exitCode}) before calling workers.ready`); })]);
  return state;
}

let shared = null; // the reusable instance, once known to be one

async function instanceFor() {
  if (shared && !shared.exited) return shared;
  const state = await startInstance();
  if (state.binding.multiRequest === true) shared = state;
  return state;
}

function toRequest(req, base, signal) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const init = { method: req.method, headers, signal };
  if (req.method !== "GET" && req.method !== "HEAD") {
    init.body = Readable.toWeb(req);
    init.duplex = "half";
  }
  const request = new Request(new URL(req.url, base), init);
  // Not WHATWG: the request's trailers, complete once its body has been read to the end, as
  // the rewritten module's host gives them (shims/js-web/src/body.rs) for httpserve.
  Object.defineProperty(request, "trailers", {
    get() {
      const trailers = new Headers();
      for (let i = 0; i < req.rawTrailers.length; i += 2) trailers.append(req.rawTrailers[i], req.rawTrailers[i + 1]);
      return trailers;
    },
  });
  return request;
}

function writeHeaders(res, response) {
  const raw = [];
  for (const [name, value] of response.headers) if (name !== "set-cookie") raw.push(name, value);
  for (const cookie of response.headers.getSetCookie()) raw.push("set-cookie", cookie);
  res.writeHead(response.status, response.statusText || undefined, raw);
}

async function pipeBody(res, response) {
  if (!response.body) return res.end();
  const reader = response.body.getReader();
  res.on("close", () => { if (!res.writableFinished) reader.cancel().catch(() => {}); });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!res.write(value)) {
      await new Promise((resolve) => {
        const done = () => { res.off("drain", done); res.off("close", done); resolve(); };
        res.on("drain", done).on("close", done);
      });
    }
    if (res.destroyed) return;
  }
  // Not WHATWG: trailers httpserve set on the response by the time its body ended. node sends
  // them whenever the body is chunked.
  if (response.trailers instanceof Headers) res.addTrailers([...response.trailers]);
  res.end();
}

function fail(res, status, reason) {
  if (res.headersSent) return res.destroy();
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(reason) + 1 });
  res.end(reason + "\n");
}

const [host, port] = (() => {
  const i = opts.listen.lastIndexOf(":");
  if (i < 0) usage(`--listen wants HOST:PORT, got '${opts.listen}'`);
  return [opts.listen.slice(0, i), Number(opts.listen.slice(i + 1))];
})();

const server = http.createServer(async (req, res) => {
  const abort = new AbortController();
  res.on("close", () => { if (!res.writableFinished) abort.abort(new Error("client went away")); });
  const timer = setTimeout(() => {
    abort.abort(new Error("timeout"));
    fail(res, 504, "Gateway Timeout: the handler did not answer in time");
  }, opts.timeoutMs);
  try {
    const state = await instanceFor();
    const request = toRequest(req, `http://${req.headers.host ?? opts.listen}`, abort.signal);
    const response = await Promise.race([
      state.binding.handleRequest(request),
      new Promise((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason))),
    ]);
    writeHeaders(res, response);
    await pipeBody(res, response);
  } catch (e) {
    if (!abort.signal.aborted) {
      console.error(`serve.mjs: ${req.method} ${req.url}: ${e?.message ?? e}`);
      fail(res, 500, "Internal Server Error");
    }
  } finally {
    clearTimeout(timer);
  }
});
server.listen(port, host, () => {
  const a = server.address();
  // The line wasmtime serve and wasm-server print, so tools wait for all three the same way.
  console.error(`Serving HTTP on http://${a.address}:${a.port}/`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
