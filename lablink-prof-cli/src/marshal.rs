//! Python's `marshal` encoding, for the values a pstats file holds.
//!
//! Written by hand from `Python/marshal.c` (format version 4, read by every Python 3):
//! a type byte, then the value, integers little-endian.
//!
//! | value | encoding |
//! | --- | --- |
//! | int in 32 bits | `i` + 4 bytes |
//! | larger int | `l` + digit count (4 bytes, negative for negative numbers) + 15-bit digits, 2 bytes each, least significant first |
//! | float | `g` + the IEEE double, 8 bytes |
//! | str, ASCII and < 256 bytes | `z` + length (1 byte) + bytes |
//! | other str | `u` + length (4 bytes) + UTF-8 |
//! | tuple of < 256 items | `)` + count (1 byte) + items |
//! | other tuple | `(` + count (4 bytes) + items |
//! | dict | `{` + key, value, key, value... + `0` |

/// A value Python's marshal can hold (the part pstats needs).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `tuple`.
    Tuple(Vec<Value>),
    /// A `dict`, its entries in order.
    Dict(Vec<(Value, Value)>),
}

/// The marshal encoding of `value`.
pub fn dumps(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(&mut out, value);
    out
}

fn write_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Int(n) => {
            if let Ok(small) = i32::try_from(*n) {
                out.push(b'i');
                out.extend_from_slice(&small.to_le_bytes());
            } else {
                // Base 2**15 digits, least significant first; the sign goes on the count.
                let mut rest = n.unsigned_abs();
                let mut digits = Vec::new();
                while rest > 0 {
                    digits.push((rest & 0x7fff) as u16);
                    rest >>= 15;
                }
                let count = digits.len() as i32;
                out.push(b'l');
                out.extend_from_slice(&(if *n < 0 { -count } else { count }).to_le_bytes());
                for d in digits {
                    out.extend_from_slice(&d.to_le_bytes());
                }
            }
        }
        Value::Float(x) => {
            out.push(b'g');
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Str(s) => {
            if s.is_ascii() && s.len() < 256 {
                out.push(b'z');
                out.push(s.len() as u8);
            } else {
                out.push(b'u');
                write_u32(out, s.len() as u32);
            }
            out.extend_from_slice(s.as_bytes());
        }
        Value::Tuple(items) => {
            if items.len() < 256 {
                out.push(b')');
                out.push(items.len() as u8);
            } else {
                out.push(b'(');
                write_u32(out, items.len() as u32);
            }
            for item in items {
                write(out, item);
            }
        }
        Value::Dict(entries) => {
            out.push(b'{');
            for (key, value) in entries {
                write(out, key);
                write(out, value);
            }
            out.push(b'0');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_python() {
        // The bytes of `marshal.dumps(x, 4)` in CPython 3.11, less its FLAG_REF bit (0x80)
        // on the type byte, which only lets later copies refer back.
        assert_eq!(dumps(&Value::Int(5)), b"i\x05\x00\x00\x00");
        assert_eq!(dumps(&Value::Int(-1)), b"i\xff\xff\xff\xff");
        assert_eq!(
            dumps(&Value::Int(1 << 40)),
            b"l\x03\x00\x00\x00\x00\x00\x00\x00\x00\x04"
        );
        assert_eq!(
            dumps(&Value::Int(-(1 << 40))),
            b"l\xfd\xff\xff\xff\x00\x00\x00\x00\x00\x04"
        );
        assert_eq!(
            dumps(&Value::Float(0.5)),
            b"g\x00\x00\x00\x00\x00\x00\xe0\x3f"
        );
        assert_eq!(dumps(&Value::Str("ab".into())), b"z\x02ab");
        assert_eq!(dumps(&Value::Str("é".into())), b"u\x02\x00\x00\x00\xc3\xa9");
        assert_eq!(
            dumps(&Value::Tuple(vec![Value::Int(1), Value::Str("x".into())])),
            b")\x02i\x01\x00\x00\x00z\x01x"
        );
        assert_eq!(
            dumps(&Value::Dict(vec![(Value::Int(1), Value::Int(2))])),
            b"{i\x01\x00\x00\x00i\x02\x00\x00\x000"
        );
    }
}
