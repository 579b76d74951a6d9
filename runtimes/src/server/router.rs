//! Which app a request goes to: by `Host` (routes of apps that list hosts win over host-less
//! ones) and then by the longest path prefix that matches at a segment boundary.

use crate::options::normalize_host;

pub struct Router {
    /// `(host or "", prefix, app index)`, longest prefixes first.
    routes: Vec<(String, String, usize)>,
    /// Whether any route names a host (else the `Host` header is not looked at).
    by_host: bool,
}

fn prefix_matches(prefix: &str, path: &str) -> bool {
    prefix == "/" || path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

impl Router {
    /// `apps[i]` is the list of `(host, prefix)` keys of app `i` (see `RuntimeOptions::route_keys`).
    pub fn new(apps: &[Vec<(String, String)>]) -> Router {
        let mut routes: Vec<_> = apps
            .iter()
            .enumerate()
            .flat_map(|(i, keys)| keys.iter().map(move |(h, p)| (h.clone(), p.clone(), i)))
            .collect();
        routes.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.1.cmp(&b.1)));
        let by_host = routes.iter().any(|(h, _, _)| !h.is_empty());
        Router { routes, by_host }
    }

    /// The app for a request to `host` (a `Host` header, port allowed) and `path`.
    pub fn route(&self, host: Option<&str>, path: &str) -> Option<usize> {
        let find = |host: Option<&str>| {
            self.routes
                .iter()
                .filter(|(h, _, _)| match host {
                    Some(host) => !h.is_empty() && h == host,
                    None => h.is_empty(),
                })
                .find(|(_, p, _)| prefix_matches(p, path))
                .map(|(_, _, i)| *i)
        };
        let by_host = match host {
            Some(host) if self.by_host => find(Some(&normalize_host(host))),
            _ => None,
        };
        by_host.or_else(|| find(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(h, p)| (h.to_string(), p.to_string())).collect()
    }

    #[test]
    fn routes_by_host_then_longest_prefix() {
        let r = Router::new(&[
            keys(&[("", "/")]),
            keys(&[("", "/api")]),
            keys(&[("", "/api/v2")]),
            keys(&[("admin.test", "/")]),
        ]);
        assert_eq!(r.route(Some("x"), "/"), Some(0));
        assert_eq!(r.route(Some("x"), "/apis"), Some(0));
        assert_eq!(r.route(Some("x"), "/api"), Some(1));
        assert_eq!(r.route(Some("x"), "/api/v1/x"), Some(1));
        assert_eq!(r.route(Some("x"), "/api/v2/x"), Some(2));
        assert_eq!(r.route(Some("ADMIN.test:8080"), "/api"), Some(3));
        assert_eq!(r.route(None, "/api"), Some(1));
        let r = Router::new(&[keys(&[("", "/only")])]);
        assert_eq!(r.route(None, "/other"), None);
        // Without host routes the Host header is not looked at.
        assert_eq!(r.route(Some("Any.Host:1"), "/only/x"), Some(0));
    }
}
