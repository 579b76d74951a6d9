//! `Date`: what Go's `time.initLocal` (time/zoneinfo_js.go) reads —
//! `new Date().getTimezoneOffset()` — plus the few other members a program is likely to touch.
//!
//! node takes the local zone from `TZ` (else the system's /etc/localtime). A WASI guest has no
//! zoneinfo files, so the zone comes from the `TZ` environment variable only: an IANA name
//! (looked up in jiff's bundled tzdb), else a POSIX TZ string ("EST5EDT,M3.2.0,M11.1.0",
//! "JST-9"); unset, empty or unknown means UTC (ICU also falls back to UTC).

use std::cell::RefCell;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::host::Host;
use crate::realm::throw_range_error;
use crate::value::{JsResult, Kind, Obj, Value};

thread_local! {
    static LOCAL: RefCell<TimeZone> = const { RefCell::new(TimeZone::UTC) };
}

/// Sets the zone `Date` treats as local, from the `TZ` environment variable.
pub fn set_local_zone(tz_env: Option<&str>) {
    let tz = parse_tz(tz_env);
    LOCAL.with(|l| *l.borrow_mut() = tz);
}

/// The zone a `TZ` value names.
pub fn parse_tz(tz_env: Option<&str>) -> TimeZone {
    let Some(raw) = tz_env else {
        return TimeZone::UTC;
    };
    // glibc's ":name" form and zoneinfo file paths.
    let name = raw.strip_prefix(':').unwrap_or(raw);
    let name = name.rsplit_once("zoneinfo/").map_or(name, |(_, n)| n);
    if name.is_empty() {
        return TimeZone::UTC;
    }
    TimeZone::get(name).or_else(|_| TimeZone::posix(name)).unwrap_or(TimeZone::UTC)
}

/// `Date.prototype.getTimezoneOffset` for the instant `ms`: minutes to add to local time to
/// get UTC (so -60 in Paris in winter).
pub fn timezone_offset_minutes(tz: &TimeZone, ms: f64) -> f64 {
    match timestamp(ms) {
        Some(ts) => -(tz.to_offset(ts).seconds() as f64) / 60.0,
        None => f64::NAN,
    }
}

fn local_offset_minutes(ms: f64) -> f64 {
    LOCAL.with(|l| timezone_offset_minutes(&l.borrow(), ms))
}

fn timestamp(ms: f64) -> Option<Timestamp> {
    if !ms.is_finite() {
        return None;
    }
    Timestamp::from_millisecond(ms as i64).ok()
}

/// `Date.prototype.toString`: "Thu Jan 01 1970 01:00:00 GMT+0100 (CET)". V8 puts ICU's long
/// zone name in the parentheses; the shim has only abbreviations, except for UTC.
pub fn to_date_string(ms: f64) -> String {
    let Some(ts) = timestamp(ms) else {
        return "Invalid Date".into();
    };
    LOCAL.with(|l| {
        let tz = l.borrow();
        let info = tz.to_offset_info(ts);
        let off = info.offset().seconds();
        let dt = info.offset().to_datetime(ts);
        let name = if tz.iana_name() == Some("UTC") || (off == 0 && tz.iana_name().is_none()) {
            "Coordinated Universal Time".to_string()
        } else {
            info.abbreviation().to_string()
        };
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let sign = if off < 0 { '-' } else { '+' };
        let a = off.unsigned_abs();
        format!(
            "{} {} {:02} {:04} {:02}:{:02}:{:02} GMT{}{:02}{:02} ({})",
            DAYS[dt.weekday().to_monday_zero_offset() as usize],
            MONTHS[(dt.month() - 1) as usize],
            dt.day(),
            dt.year(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            sign,
            a / 3600,
            a / 60 % 60,
            name
        )
    })
}

/// `Date.prototype.toISOString`.
fn to_iso_string(ms: f64) -> Option<String> {
    let ts = timestamp(ms)?;
    let dt = jiff::tz::Offset::UTC.to_datetime(ts);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    ))
}

/// TimeClip: NaN outside ±8.64e15 ms, integral otherwise.
fn time_clip(ms: f64) -> f64 {
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        f64::NAN
    } else {
        ms.trunc() + 0.0
    }
}

pub fn now_ms(host: &mut dyn Host) -> f64 {
    host.js().clock.wall_ms()
}

/// `new Date()` (now) and `new Date(ms)`; other forms (strings, fields) give an Invalid Date.
pub fn construct(host: &mut dyn Host, args: &[Value]) -> JsResult {
    let ms = match args {
        [] => now_ms(host),
        [Value::Number(n)] => time_clip(*n),
        [Value::Object(o)] => match o.borrow().kind {
            Kind::Date(ms) => ms,
            _ => f64::NAN,
        },
        _ => f64::NAN,
    };
    Ok(Obj::new(Some(&host.js().realm.date_proto), Kind::Date(ms)).into())
}

/// `Date()` without `new`: the current time as a string.
pub fn call(host: &mut dyn Host, _this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::str(&to_date_string(now_ms(host))))
}

/// `Date.now()`.
pub fn date_now(host: &mut dyn Host, _this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::Number(now_ms(host).floor()))
}

fn this_time(host: &mut dyn Host, this: &Value) -> Result<f64, Value> {
    if let Value::Object(o) = this {
        if let Kind::Date(ms) = o.borrow().kind {
            return Ok(ms);
        }
    }
    Err(crate::realm::type_error(host, "this is not a Date object."))
}

pub fn get_timezone_offset(host: &mut dyn Host, this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::Number(local_offset_minutes(this_time(host, this)?)))
}

pub fn get_time(host: &mut dyn Host, this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::Number(this_time(host, this)?))
}

pub fn to_string(host: &mut dyn Host, this: &Value, _args: &[Value]) -> JsResult {
    Ok(Value::str(&to_date_string(this_time(host, this)?)))
}

pub fn to_iso(host: &mut dyn Host, this: &Value, _args: &[Value]) -> JsResult {
    let ms = this_time(host, this)?;
    match to_iso_string(ms) {
        Some(s) => Ok(Value::str(&s)),
        None => Err(throw_range_error(host, "Invalid time value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN_2024: f64 = 1_704_067_200_000.0; // 2024-01-01T00:00:00Z
    const JUL_2024: f64 = 1_719_792_000_000.0; // 2024-07-01T00:00:00Z

    #[test]
    fn offsets_from_iana_names() {
        let paris = parse_tz(Some("Europe/Paris"));
        assert_eq!(timezone_offset_minutes(&paris, JAN_2024), -60.0);
        assert_eq!(timezone_offset_minutes(&paris, JUL_2024), -120.0);
        let ny = parse_tz(Some(":America/New_York"));
        assert_eq!(timezone_offset_minutes(&ny, JAN_2024), 300.0);
        let kolkata = parse_tz(Some("/usr/share/zoneinfo/Asia/Kolkata"));
        assert_eq!(timezone_offset_minutes(&kolkata, JAN_2024), -330.0);
    }

    #[test]
    fn offsets_from_posix_strings() {
        let jst = parse_tz(Some("JST-9"));
        assert_eq!(timezone_offset_minutes(&jst, JAN_2024), -540.0);
        let east = parse_tz(Some("XST5XDT,M3.2.0,M11.1.0"));
        assert_eq!(timezone_offset_minutes(&east, JAN_2024), 300.0);
        assert_eq!(timezone_offset_minutes(&east, JUL_2024), 240.0);
    }

    #[test]
    fn unset_and_unknown_are_utc() {
        for tz in [None, Some(""), Some("Not/AZone"), Some("???")] {
            assert_eq!(timezone_offset_minutes(&parse_tz(tz), JAN_2024), 0.0, "{tz:?}");
        }
        assert!(timezone_offset_minutes(&TimeZone::UTC, f64::NAN).is_nan());
    }

    #[test]
    fn strings() {
        set_local_zone(None);
        assert_eq!(to_date_string(0.0), "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)");
        assert_eq!(to_date_string(f64::NAN), "Invalid Date");
        assert_eq!(to_iso_string(JUL_2024 + 5.0).unwrap(), "2024-07-01T00:00:00.005Z");
        set_local_zone(Some("Europe/Paris"));
        assert_eq!(to_date_string(JAN_2024), "Mon Jan 01 2024 01:00:00 GMT+0100 (CET)");
        set_local_zone(None);
    }
}
