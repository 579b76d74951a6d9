//! Outbound `wasi:http` requests: denied unless the app's `allow-outbound` list names the
//! destination. A denied request fails in the guest with `error-code.HTTP-request-denied`
//! and is logged with the app and the destination, so the operator sees what to allow.

use std::future::Future;
use std::sync::Arc;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One entry of `allow-outbound`: `*`, `HOST`, `HOST:PORT`, `*.DOMAIN[:PORT]`, each optionally
/// with `http://` or `https://` in front. Without a scheme both are allowed; without a port
/// every port is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    scheme: Option<String>,
    host: String,
    port: Option<u16>,
}

impl HostPattern {
    pub fn parse(s: &str) -> Result<HostPattern, String> {
        let bad = |why: &str| {
            format!("invalid outbound host '{s}': {why} (expected HOST, HOST:PORT, *.DOMAIN or http[s]://HOST[:PORT])")
        };
        let (scheme, rest) = match s.split_once("://") {
            Some((sc, rest)) if sc == "http" || sc == "https" => (Some(sc.to_string()), rest),
            Some(_) => return Err(bad("the scheme must be http or https")),
            None => (None, s),
        };
        let rest = rest.trim_end_matches('/');
        if rest == "*" {
            return Ok(HostPattern { scheme, host: "*".into(), port: None });
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse::<u16>().map_err(|_| bad("the port is not a number"))?)),
            None => (rest, None),
        };
        let plain = host.strip_prefix("*.").unwrap_or(host);
        if plain.is_empty() || plain.contains(['/', '*', '?', '#', '@']) {
            return Err(bad("not a host name"));
        }
        Ok(HostPattern { scheme, host: host.to_ascii_lowercase(), port })
    }

    pub fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        if self.scheme.as_deref().is_some_and(|s| s != scheme) {
            return false;
        }
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        let host = host.to_ascii_lowercase();
        match self.host.strip_prefix("*.") {
            _ if self.host == "*" => true,
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == self.host,
        }
    }
}

/// The `WasiHttpHooks` of one app: checks each outgoing request against its allow-list, then
/// sends it with wasmtime's default client.
#[derive(Clone, Default)]
pub struct OutboundPolicy {
    pub app: Arc<str>,
    pub allowed: Arc<[HostPattern]>,
}

impl OutboundPolicy {
    fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        let Some(host) = uri.host() else { return false };
        let port = uri.port_u16().unwrap_or(if scheme == "http" { 80 } else { 443 });
        self.allowed.iter().any(|p| p.matches(scheme, host, port))
    }
}

type SendResult =
    wasmtime_wasi_http::Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>)>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        if !self.allows(request.uri()) {
            tracing::warn!(
                app = %self.app,
                uri = %request.uri(),
                "outbound request denied: the destination is not in the app's allow-outbound list"
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (res, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((res.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = HostPattern::parse("api.example.com").unwrap();
        assert!(p.matches("https", "API.example.com", 443));
        assert!(p.matches("http", "api.example.com", 8080));
        assert!(!p.matches("https", "example.com", 443));
        let p = HostPattern::parse("https://*.example.com:8443").unwrap();
        assert!(p.matches("https", "a.example.com", 8443));
        assert!(!p.matches("http", "a.example.com", 8443));
        assert!(!p.matches("https", "a.example.com", 443));
        assert!(!p.matches("https", "example.com", 8443));
        assert!(HostPattern::parse("*").unwrap().matches("http", "x", 1));
        assert!(HostPattern::parse("ftp://x").is_err());
        assert!(HostPattern::parse("x:port").is_err());
        assert!(HostPattern::parse("a/b").is_err());
    }
}
