//! The Redis backend. Keys live under a prefix (default `NAME:`), so several stores can share
//! one server. `increment` is INCRBY and compare-and-swap a Lua script: both run atomically in
//! the server, whatever the number of hosts and instances.

use super::{Backend, KeyPage, KvError};
use ::redis::aio::ConnectionManager;
use ::redis::AsyncCommands;
use serde::Deserialize;

/// Keys asked for per SCAN step of `list-keys`.
const PAGE: usize = 1000;

/// `[stores.NAME] backend = "redis"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `redis://HOST:PORT[/DB]`.
    pub url: String,
    /// Prefix of every key of this store; default `"NAME:"`.
    #[serde(default)]
    pub prefix: Option<String>,
}

pub struct Redis {
    conn: ConnectionManager,
    prefix: String,
    cas: ::redis::Script,
}

/// KEYS[1]: the key; ARGV[1]: "1" when a current value is expected, "0" for "absent";
/// ARGV[2]: the expected value; ARGV[3]: the new value.
const CAS_SCRIPT: &str = r#"
local v = redis.call('GET', KEYS[1])
local ok
if ARGV[1] == '0' then ok = (v == false) else ok = (v == ARGV[2]) end
if ok then redis.call('SET', KEYS[1], ARGV[3]); return 1 end
return 0
"#;

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Redis {
    pub async fn open(config: &Config, name: &str) -> Result<Redis, KvError> {
        let fail = |e: ::redis::RedisError| KvError::Other(format!("connecting to {}: {e}", config.url));
        let client = ::redis::Client::open(config.url.as_str()).map_err(fail)?;
        let mut conn = ConnectionManager::new(client).await.map_err(fail)?;
        // Fail at start-up, not on the first request, when the server is not there.
        let _: () = ::redis::cmd("PING").query_async(&mut conn).await.map_err(fail)?;
        Ok(Redis {
            conn,
            prefix: config.prefix.clone().unwrap_or_else(|| format!("{name}:")),
            cas: ::redis::Script::new(CAS_SCRIPT),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn err(e: ::redis::RedisError) -> KvError {
    KvError::Other(format!("redis: {e}"))
}

#[async_trait::async_trait]
impl Backend for Redis {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.conn.clone().get(self.key(key)).await.map_err(err)
    }

    async fn set(&self, key: &str, value: Vec<u8>) -> Result<(), KvError> {
        self.conn.clone().set(self.key(key), value).await.map_err(err)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.conn.clone().del(self.key(key)).await.map_err(err)
    }

    async fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.conn.clone().exists(self.key(key)).await.map_err(err)
    }

    async fn list_keys(&self, cursor: Option<u64>) -> Result<KeyPage, KvError> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}*", glob_escape(&self.prefix));
        let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
            .arg(cursor.unwrap_or(0))
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(PAGE)
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        let keys = keys.into_iter().filter_map(|k| k.strip_prefix(&self.prefix).map(String::from)).collect();
        Ok(KeyPage { keys, cursor: (next != 0).then_some(next) })
    }

    async fn increment(&self, key: &str, delta: u64) -> Result<u64, KvError> {
        let delta =
            i64::try_from(delta).map_err(|_| KvError::Other("increment too large for redis (over i64::MAX)".into()))?;
        let v: i64 = self.conn.clone().incr(self.key(key), delta).await.map_err(err)?;
        u64::try_from(v).map_err(|_| KvError::Other("counter is negative".into()))
    }

    async fn compare_and_swap(&self, key: &str, expected: Option<Vec<u8>>, value: Vec<u8>) -> Result<bool, KvError> {
        let mut conn = self.conn.clone();
        let swapped: i64 = self
            .cas
            .key(self.key(key))
            .arg(if expected.is_some() { "1" } else { "0" })
            .arg(expected.unwrap_or_default())
            .arg(value)
            .invoke_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(swapped == 1)
    }

    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<(String, Vec<u8>)>>, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let full: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let values: Vec<Option<Vec<u8>>> =
            ::redis::cmd("MGET").arg(&full).query_async(&mut self.conn.clone()).await.map_err(err)?;
        Ok(keys.into_iter().zip(values).map(|(k, v)| v.map(|v| (k, v))).collect())
    }
}
