//! Annotated functions return exactly what unannotated copies return.

mod common;

use lablink_prof::line_profile;

/// Defines each function twice: `plain::f` and `profiled::f`.
macro_rules! twins {
    ($($item:item)*) => {
        mod plain {
            #![allow(dead_code)]
            $($item)*
        }
        mod profiled {
            #![allow(dead_code)]
            use super::line_profile;
            $(#[line_profile] $item)*
        }
    };
}

twins! {
    pub fn collatz(mut n: u64) -> u32 {
        let mut steps = 0;
        while n != 1 {
            n = if n.is_multiple_of(2) { n / 2 } else { 3 * n + 1 };
            steps += 1;
        }
        steps
    }

    pub fn parse_sum(s: &str) -> Result<i64, String> {
        let mut total = 0i64;
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let v: i64 = part.parse().map_err(|e| format!("{part:?}: {e}"))?;
            total = total.checked_add(v).ok_or("overflow")?;
        }
        Ok(total)
    }

    pub fn classify(v: &[i32]) -> Vec<&'static str> {
        v.iter()
            .map(|&x| match x {
                i32::MIN..=-1 => "neg",
                0 => "zero",
                1..=9 => "small",
                _ => "big",
            })
            .collect()
    }

    pub fn find_pair(v: &[i32], target: i32) -> Option<(usize, usize)> {
        'outer: for i in 0..v.len() {
            for j in i + 1..v.len() {
                if v[i] + v[j] == target {
                    return Some((i, j));
                }
                if v[i] + v[j] > 1000 {
                    continue 'outer;
                }
            }
        }
        None
    }

    pub fn divide(a: i32, b: i32) -> i32 {

        a / b
    }
}

#[test]
fn annotated_and_plain_return_the_same_with_recording_on_and_off() {
    for on in [false, true, false, true] {
        if on {
            common::record();
        } else {
            lablink_prof::disable();
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let n = next() % 10_000 + 1;
            assert_eq!(plain::collatz(n), profiled::collatz(n));
            let v: Vec<i32> = (0..(next() % 12))
                .map(|_| (next() % 40) as i32 - 15)
                .collect();
            let s = v.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
            let s = if next() % 5 == 0 {
                format!("{s}, x")
            } else {
                s
            };
            assert_eq!(plain::parse_sum(&s), profiled::parse_sum(&s));
            assert_eq!(plain::classify(&v), profiled::classify(&v));
            let t = (next() % 30) as i32 - 10;
            assert_eq!(plain::find_pair(&v, t), profiled::find_pair(&v, t));
        }
    }
}

#[test]
fn panics_are_the_same_panics() {
    common::record();
    let plain = std::panic::catch_unwind(|| plain::divide(1, 0)).unwrap_err();
    let profiled = std::panic::catch_unwind(|| profiled::divide(1, 0)).unwrap_err();
    assert_eq!(
        plain.downcast_ref::<&str>().copied(),
        profiled.downcast_ref::<&str>().copied()
    );
}

mod differential {
    use super::{plain, profiled};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn annotated_and_plain_agree_on_random_inputs(
            n in 1u64..50_000,
            v in proptest::collection::vec(-30i32..30, 0..16),
            junk in proptest::option::of("[a-z ,0-9-]{0,12}"),
            target in -40i32..40,
        ) {
            crate::common::record();
            prop_assert_eq!(plain::collatz(n), profiled::collatz(n));
            prop_assert_eq!(plain::classify(&v), profiled::classify(&v));
            prop_assert_eq!(plain::find_pair(&v, target), profiled::find_pair(&v, target));
            let mut s = v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            if let Some(junk) = junk {
                s.push_str(&junk);
            }
            prop_assert_eq!(plain::parse_sum(&s), profiled::parse_sum(&s));
        }
    }
}
