//! `console`: `log`/`info`/`debug` print a line on stdout, `error`/`warn`/`trace` on stderr
//! (Go's `syscall/js` prints "call to released function" with `console.error`).
//!
//! Lines are formatted like node's `util.format`: a leading string's `%s %d %i %f %j %o %O %c
//! %%` take arguments, the rest follow separated by spaces, strings as they are and other
//! values as `util.inspect` renders them on one line (`{ a: 1 }`, `[ 1, 'x' ]`,
//! `[Function: f]`). Not reproduced: node's line breaking of long objects, the `<ref *1>`
//! marker of cyclic objects, error stacks
//! (the shim has none: an error prints as `String(err)`), class names of objects.

use crate::host::Host;
use crate::number::{parse_int, string_to_number, write_number};
use crate::realm::Realm;
use crate::sys;
use crate::value::{array_index, to_js_string, to_number, JsResult, Kind, Obj, Value};

pub fn install(realm: &Realm) {
    let console = realm.object().with_label("console");
    for name in ["log", "info", "debug"] {
        realm.method(&console, name, log);
    }
    for name in ["error", "warn", "trace"] {
        realm.method(&console, name, error);
    }
    realm.global.set("console", console.into());
}

fn log(_host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    let _ = sys::write_stdout(format_line(args).as_bytes());
    Ok(Value::Undefined)
}

fn error(_host: &mut dyn Host, _this: &Value, args: &[Value]) -> JsResult {
    let _ = sys::write_stderr(format_line(args).as_bytes());
    Ok(Value::Undefined)
}

/// `util.format(...args) + "\n"`.
pub fn format_line(args: &[Value]) -> String {
    let mut out = String::new();
    let mut rest = args;
    if let Some(Value::String(template)) = args.first() {
        let used = substitute(&mut out, template, &args[1..]);
        rest = &args[1 + used..];
    } else if let Some(first) = args.first() {
        inspect_top(&mut out, first);
        rest = &args[1..];
    }
    for a in rest {
        out.push(' ');
        inspect_top(&mut out, a);
    }
    out.push('\n');
    out
}

/// Expands `%` directives in `template` with `args`; returns how many args were used.
fn substitute(out: &mut String, template: &str, args: &[Value]) -> usize {
    let mut used = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(&d) = chars.peek() else {
            out.push('%');
            break;
        };
        if d == '%' {
            chars.next();
            out.push('%');
            continue;
        }
        if !"sdifjoOc".contains(d) || used >= args.len() {
            out.push('%');
            continue;
        }
        chars.next();
        let a = &args[used];
        used += 1;
        match d {
            's' => match a {
                Value::String(s) => out.push_str(s),
                Value::Object(_) => inspect(out, a, 1, &mut Vec::new()),
                v => inspect(out, v, 0, &mut Vec::new()),
            },
            'd' => write_number(out, if matches!(a, Value::Object(_)) { f64::NAN } else { to_number(a) }),
            'i' => write_number(out, parse_int(&to_js_string(a))),
            'f' => write_number(out, string_to_number(&to_js_string(a))),
            'j' | 'o' | 'O' => inspect(out, a, 0, &mut Vec::new()),
            _ => {} // %c: CSS, consumed and ignored
        }
    }
    used
}

/// A top-level argument: strings print as they are.
fn inspect_top(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => out.push_str(s),
        v => inspect(out, v, 0, &mut Vec::new()),
    }
}

/// `util.inspect(v)` on one line; `seen` holds the objects being printed (cycles).
fn inspect(out: &mut String, v: &Value, depth: usize, seen: &mut Vec<usize>) {
    match v {
        Value::Undefined => out.push_str("undefined"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if *n == 0.0 && n.is_sign_negative() => out.push_str("-0"),
        Value::Number(n) => write_number(out, *n),
        Value::String(s) => quote(out, s),
        Value::Object(o) => {
            if seen.contains(&o.addr()) {
                out.push_str("[Circular *1]");
                return;
            }
            seen.push(o.addr());
            inspect_object(out, o, depth, seen);
            seen.pop();
        }
    }
}

fn inspect_object(out: &mut String, o: &Obj, depth: usize, seen: &mut Vec<usize>) {
    let d = o.borrow();
    match &d.kind {
        Kind::Function(f) if f.name.is_empty() => out.push_str("[Function (anonymous)]"),
        Kind::Function(f) => out.push_str(&format!("[Function: {}]", f.name)),
        Kind::Error => {
            drop(d);
            out.push_str(&to_js_string(&o.clone().into()));
        }
        Kind::Date(ms) => {
            let s = to_js_string(&o.clone().into());
            out.push_str(if ms.is_nan() { "Invalid Date" } else { &s });
        }
        Kind::Array(a) if depth > 2 && !a.is_empty() => out.push_str("[Array]"),
        Kind::Array(a) => {
            let items = a.clone();
            drop(d);
            list(out, "[", "]", items.iter().map(|v| (None, v.clone())), depth, seen);
        }
        Kind::Bytes(b) => {
            out.push_str(&format!("Uint8Array({}) ", b.len()));
            let shown: Vec<Value> = b.iter().take(100).map(|x| Value::Number(x as f64)).collect();
            let more = b.len().saturating_sub(100);
            drop(d);
            list(out, "[", "]", shown.into_iter().map(|v| (None, v)), depth, seen);
            if more > 0 {
                out.truncate(out.len() - 2);
                out.push_str(&format!(", ... {more} more items ]"));
            }
        }
        // node prints e.g. `Promise { <pending> }`; the tag is enough for Go's needs.
        Kind::Host(h) => out.push_str(&format!("{} {{}}", h.tag())),
        Kind::Ordinary if depth > 2 && !d.props.is_empty() => out.push_str("[Object]"),
        Kind::Ordinary => {
            let props = d.props.clone();
            drop(d);
            list(out, "{", "}", props.into_iter().map(|(k, v)| (Some(k), v)), depth, seen);
        }
    }
}

/// `[ a, b ]` / `{ k: v }`, or `[]` / `{}` when empty.
fn list(
    out: &mut String,
    open: &str,
    close: &str,
    items: impl Iterator<Item = (Option<std::rc::Rc<str>>, Value)>,
    depth: usize,
    seen: &mut Vec<usize>,
) {
    out.push_str(open);
    let mut any = false;
    for (k, v) in items {
        out.push_str(if any { ", " } else { " " });
        any = true;
        if let Some(k) = k {
            if is_identifier(&k) || array_index(&k).is_some() {
                out.push_str(&k);
            } else {
                quote(out, &k);
            }
            out.push_str(": ");
        }
        inspect(out, &v, depth + 1, seen);
    }
    if any {
        out.push(' ');
    }
    out.push_str(close);
}

fn is_identifier(k: &str) -> bool {
    let mut cs = k.chars();
    cs.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && cs.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// A string as inspect shows it: single quotes, escapes for quotes, backslashes, newlines.
fn quote(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Callable, Function, Kind, Obj};

    #[test]
    fn formats_like_node() {
        let args = [Value::str("exit code:"), Value::Number(2.0), Value::Undefined, Value::Null];
        assert_eq!(format_line(&args), "exit code: 2 undefined null\n");
        assert_eq!(format_line(&[]), "\n");
        let o = Obj::new(None, Kind::Ordinary);
        o.set("a", Value::Number(1.0));
        o.set("b-c", Value::str("x"));
        let arr = Obj::new(None, Kind::Array(vec![Value::Number(1.0), Value::str("two"), Value::Object(o.clone())]));
        assert_eq!(format_line(&[Value::str("x"), Value::Object(o.clone())]), "x { a: 1, 'b-c': 'x' }\n");
        assert_eq!(format_line(&[Value::Object(arr.clone())]), "[ 1, 'two', { a: 1, 'b-c': 'x' } ]\n");
        o.set("self", Value::Object(o.clone()));
        assert_eq!(format_line(&[Value::Object(o)]), "{ a: 1, 'b-c': 'x', self: [Circular *1] }\n");
        let f = Obj::new(
            None,
            Kind::Function(Function {
                name: "".into(),
                call: Callable::Guest(crate::value::GuestFn { id: 1, source: "" }),
                construct: None,
                bound: None,
            }),
        );
        assert_eq!(format_line(&[Value::Object(f)]), "[Function (anonymous)]\n");
        let b = Obj::new(None, Kind::Bytes(crate::value::ByteBuf::new(vec![1, 2])));
        assert_eq!(format_line(&[Value::Object(b)]), "Uint8Array(2) [ 1, 2 ]\n");
        let empty = Obj::new(None, Kind::Array(vec![]));
        assert_eq!(format_line(&[Value::Number(-0.0), Value::Object(empty)]), "-0 []\n");
    }

    #[test]
    fn substitutions() {
        let line = format_line(&[
            Value::str("%s is %d years, %i%% sure %c!"),
            Value::str("Go"),
            Value::str("14"),
            Value::Number(99.9),
            Value::str("color: red"),
            Value::Bool(true),
        ]);
        assert_eq!(line, "Go is 14 years, 99% sure ! true\n");
        assert_eq!(format_line(&[Value::str("100%"), Value::Number(1.0)]), "100% 1\n");
        assert_eq!(format_line(&[Value::str("%s")]), "%s\n");
    }
}
