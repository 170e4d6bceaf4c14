//! Readable numbers: times in ns/µs/ms/s, bytes in B/KiB/MiB/GiB, and C's `%g`.

/// A duration in nanoseconds in the largest unit that keeps it at or above 1.
pub fn duration(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if unit == "ns" {
        format!("{value:.0} {unit}")
    } else if value < 10.0 {
        format!("{value:.2} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// A byte count in binary units.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.2} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A signed byte count in binary units, with its sign (`+1.00 MiB`, `-512 B`, `0 B`).
pub fn signed_bytes(n: i64) -> String {
    match n {
        0 => "0 B".to_owned(),
        n if n > 0 => format!("+{}", bytes(n.unsigned_abs())),
        n => format!("-{}", bytes(n.unsigned_abs())),
    }
}

/// C's and Python's `%.{precision}g`, e.g. `g(0.685965, 6) == "0.685965"`,
/// `g(192798502.0, 1) == "2e+08"`.
pub fn g(value: f64, precision: usize) -> String {
    let p = precision.max(1);
    if value == 0.0 {
        return "0".to_owned();
    }
    if !value.is_finite() {
        return format!("{value}");
    }
    // The exponent after rounding to `p` significant digits.
    let sci = format!("{:.*e}", p - 1, value);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let mantissa = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{value:.decimals$}")).to_owned()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_g_matches_python() {
        assert_eq!(g(0.685965, 6), "0.685965");
        assert_eq!(g(192798502.0, 1), "2e+08");
        assert_eq!(g(0.0001234, 6), "0.0001234");
        assert_eq!(g(0.00001234, 6), "1.234e-05");
        assert_eq!(g(1.5, 6), "1.5");
        assert_eq!(g(123456789.0, 6), "1.23457e+08");
        assert_eq!(g(100.0, 6), "100");
    }

    #[test]
    fn readable_units() {
        assert_eq!(duration(851.0), "851 ns");
        assert_eq!(duration(1_500.0), "1.50 µs");
        assert_eq!(duration(263_000_000.0), "263.0 ms");
        assert_eq!(duration(2_500_000_000.0), "2.50 s");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1 << 20), "1.00 MiB");
        assert_eq!(bytes(20 * 1024 * 1024 + 1), "20.0 MiB");
        assert_eq!(signed_bytes(-(1 << 20)), "-1.00 MiB");
        assert_eq!(signed_bytes(0), "0 B");
    }
}
