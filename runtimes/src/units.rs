//! Value types of options, each parsed the same way from a flag and from a manifest string:
//! sizes (`64M`), durations (`5s`), `KEY=VALUE` and `HOST[::GUEST]`.

use serde::{de, Deserialize, Deserializer};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Implements `Deserialize` through `FromStr` (a manifest string reads like the flag).
macro_rules! deserialize_from_str {
    ($t:ty, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl de::Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<$t, E> {
                        s.parse().map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, n: i64) -> Result<$t, E> {
                        n.to_string().parse().map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

/// A number of bytes: `1048576`, `512K`, `64M`, `1G` (binary units; `KiB`/`MB` spellings too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid size '{s}': expected a number with an optional unit K, M or G (e.g. 64M)"))?;
        let shift = match unit.trim().to_ascii_uppercase().as_str() {
            "" | "B" => 0,
            "K" | "KB" | "KIB" => 10,
            "M" | "MB" | "MIB" => 20,
            "G" | "GB" | "GIB" => 30,
            other => return Err(format!("invalid size '{s}': unknown unit '{other}' (use K, M or G)")),
        };
        n.checked_mul(1 << shift).map(ByteSize).ok_or_else(|| format!("invalid size '{s}': too large"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (shift, unit) in [(30, "G"), (20, "M"), (10, "K")] {
            if n >= 1 << shift && n.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", n >> shift);
            }
        }
        write!(f, "{n}B")
    }
}

deserialize_from_str!(ByteSize, "a size such as \"64M\"");

/// A duration: `250ms`, `5s`, `2m`, `1h`; a bare number is seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: f64 = num
            .parse()
            .map_err(|_| format!("invalid duration '{s}': expected a number with a unit ms, s, m or h (e.g. 5s)"))?;
        let secs = match unit.trim() {
            "ms" => n / 1000.0,
            "" | "s" => n,
            "m" | "min" => n * 60.0,
            "h" => n * 3600.0,
            other => return Err(format!("invalid duration '{s}': unknown unit '{other}' (use ms, s, m or h)")),
        };
        if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
            return Err(format!("invalid duration '{s}'"));
        }
        Ok(HumanDuration(Duration::from_secs_f64(secs)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

deserialize_from_str!(HumanDuration, "a duration such as \"5s\"");

/// `KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
}

impl FromStr for EnvVar {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(EnvVar { key: k.into(), value: v.into() }),
            _ => Err(format!("invalid environment variable '{s}': expected KEY=VALUE")),
        }
    }
}

deserialize_from_str!(EnvVar, "\"KEY=VALUE\"");

/// `HOST[::GUEST]`: a host folder and where the guest sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirMapping {
    pub host: PathBuf,
    pub guest: String,
}

impl FromStr for DirMapping {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (host, guest) = match s.split_once("::") {
            Some((h, g)) => (h, g),
            None => (s, s),
        };
        if host.is_empty() || guest.is_empty() {
            return Err(format!("invalid folder mapping '{s}': expected HOST[::GUEST]"));
        }
        Ok(DirMapping { host: host.into(), guest: guest.into() })
    }
}

deserialize_from_str!(DirMapping, "\"HOST[::GUEST]\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!("64M".parse::<ByteSize>().unwrap().0, 64 << 20);
        assert_eq!("1GiB".parse::<ByteSize>().unwrap().0, 1 << 30);
        assert_eq!("4096".parse::<ByteSize>().unwrap().0, 4096);
        assert!("12X".parse::<ByteSize>().is_err());
        assert!("M".parse::<ByteSize>().is_err());
        assert_eq!(ByteSize(256 << 20).to_string(), "256M");
    }

    #[test]
    fn durations() {
        assert_eq!("5s".parse::<HumanDuration>().unwrap().0, Duration::from_secs(5));
        assert_eq!("250ms".parse::<HumanDuration>().unwrap().0, Duration::from_millis(250));
        assert_eq!("2m".parse::<HumanDuration>().unwrap().0, Duration::from_secs(120));
        assert!("5 parsecs".parse::<HumanDuration>().is_err());
    }

    #[test]
    fn env_and_dirs() {
        assert_eq!("A=b=c".parse::<EnvVar>().unwrap(), EnvVar { key: "A".into(), value: "b=c".into() });
        assert!("=x".parse::<EnvVar>().is_err());
        let d: DirMapping = "data::/srv".parse().unwrap();
        assert_eq!((d.host.to_str().unwrap(), d.guest.as_str()), ("data", "/srv"));
        let d: DirMapping = "data".parse().unwrap();
        assert_eq!(d.guest, "data");
    }
}
