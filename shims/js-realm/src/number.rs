//! JavaScript's number ↔ string conversions (ECMA-262 `Number::toString` and
//! `StringToNumber`), which `String(v)` in `valuePrepareString`, `parseInt(v.length)` in
//! `valueLength` and node's argument coercions rely on.

use std::fmt::Write;

/// Appends `Number::toString(x)` (radix 10) to `out`: the shortest digits that round-trip,
/// integers without ".0", exponent form outside [1e-7, 1e21).
pub fn write_number(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x == 0.0 {
        out.push('0'); // also -0
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if x < 0.0 {
        out.push('-');
    }
    let x = x.abs();
    // Fast path: the common integral values print like integers.
    if x < 9_007_199_254_740_992.0 && x.fract() == 0.0 {
        let _ = write!(out, "{}", x as u64);
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits, as the spec requires ("1.2345e-7").
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().unwrap_or(0) + 1; // value = 0.digits × 10^n
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{}", if e >= 0 { "+" } else { "-" }, e.abs());
    }
}

/// `Number::toString(x)` as a new string.
pub fn number_to_string(x: f64) -> String {
    let mut s = String::new();
    write_number(&mut s, x);
    s
}

/// `StringToNumber(s)`: surrounding whitespace ignored, "" is 0, 0x/0o/0b literals,
/// `Infinity`; anything else that is not a decimal literal is NaN.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return 0.0;
    }
    let radix = match t.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0o" | "0O") => 8,
        Some("0b" | "0B") => 2,
        _ => 10,
    };
    if radix != 10 {
        let body = &t[2..];
        if body.is_empty() {
            return f64::NAN;
        }
        let mut v = 0.0f64;
        for c in body.chars() {
            match c.to_digit(radix) {
                Some(d) => v = v * radix as f64 + d as f64,
                None => return f64::NAN,
            }
        }
        return v;
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "Infinity" {
        return if t.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    // Rust also accepts "inf"/"nan"/"infinity"; JS does not.
    if !unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// `parseInt(s)` with radix 10 (or 16 after "0x"): the longest integer prefix, else NaN.
pub fn parse_int(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_whitespace);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, t) = match t.get(..2) {
        Some("0x" | "0X") => (16, &t[2..]),
        _ => (10, t),
    };
    let mut v = 0.0f64;
    let mut any = false;
    for c in t.chars() {
        match c.to_digit(radix) {
            Some(d) => {
                v = v * radix as f64 + d as f64;
                any = true;
            }
            None => break,
        }
    }
    match (any, neg) {
        (false, _) => f64::NAN,
        (true, true) => -v,
        (true, false) => v,
    }
}

fn is_js_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// ToUint8: what a Uint8Array element assignment stores.
pub fn to_uint8(x: f64) -> u8 {
    if !x.is_finite() {
        return 0;
    }
    (x.trunc().rem_euclid(256.0)) as u8
}

/// Float to i64 the way Go reads an int64 that wasm_exec.js wrote with `setInt64`
/// (NaN and ±Infinity become 0, fractions truncate, out of range saturates).
pub fn to_i64(x: f64) -> i64 {
    if x.is_finite() {
        x as i64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-42.0, "-42"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789012.0, "123456789012"),
            (9007199254740993.0, "9007199254740992"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123e20, "1.23e+22"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.2345e-7, "1.2345e-7"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (1700000000123.4567, "1700000000123.4568"),
        ];
        for (x, want) in cases {
            assert_eq!(number_to_string(*x), *want, "{x:?}");
        }
    }

    #[test]
    fn parses_like_javascript() {
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("  12  "), 12.0);
        assert_eq!(string_to_number("0x1F"), 31.0);
        assert_eq!(string_to_number("1e3"), 1000.0);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("12px").is_nan());
        assert_eq!(parse_int("12px"), 12.0);
        assert_eq!(parse_int("  -7.9"), -7.0);
        assert!(parse_int("undefined").is_nan());
        assert_eq!(to_uint8(257.0), 1);
        assert_eq!(to_uint8(-1.0), 255);
        assert_eq!(to_uint8(f64::NAN), 0);
        assert_eq!(to_i64(f64::NAN), 0);
    }
}
