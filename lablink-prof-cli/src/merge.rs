//! Adding several profiles up into one, as `python -m line_profiler a.lprof b.lprof` does.
//!
//! Functions are the same when their name and file are. Their hits, times, memory sums and
//! calls add up; `peak_bytes` and `mem_usage_bytes` take the larger value; caller edges with
//! the same caller and line add up. Threads of different files are different threads: they
//! are numbered one after another, and their names say which file they came from.

use std::collections::BTreeMap;
use std::collections::HashMap;

use lablink_prof_runtime::profile::{
    CallerProfile, FunctionProfile, LineProfile, Profile, ThreadFunctionProfile, ThreadInfo,
};

/// One profile holding the sum of `profiles`, functions by total time, longest first.
///
/// `labels` names each profile (its file); they are used in thread names when there is more
/// than one profile.
pub fn merge(profiles: Vec<Profile>, labels: &[String]) -> Profile {
    let several = profiles.len() > 1;
    let mut out = Profile::empty();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (i, profile) in profiles.into_iter().enumerate() {
        if i == 0 {
            out.heap_counted = profile.heap_counted;
            out.overhead_ns_per_hit = profile.overhead_ns_per_hit;
        } else {
            out.heap_counted |= profile.heap_counted;
            out.overhead_ns_per_hit = out.overhead_ns_per_hit.max(profile.overhead_ns_per_hit);
        }
        // Renumber this file's threads after the ones already there.
        let offset = out.threads.len() as u32;
        let mut renumber: HashMap<u32, u32> = HashMap::new();
        for (n, t) in profile.threads.iter().enumerate() {
            let new_index = offset + n as u32;
            renumber.insert(t.index, new_index);
            let name = match (several, labels.get(i)) {
                (true, Some(label)) if t.name.is_empty() => format!("({label})"),
                (true, Some(label)) => format!("{} ({label})", t.name),
                _ => t.name.clone(),
            };
            out.threads.push(ThreadInfo {
                index: new_index,
                name,
            });
        }
        for mut f in profile.functions {
            for t in &mut f.threads {
                t.thread = match renumber.get(&t.thread) {
                    Some(&n) => n,
                    None => t.thread + offset,
                };
            }
            let key = (f.name.clone(), f.file.clone());
            match index.get(&key) {
                Some(&at) => add_function(&mut out.functions[at], f),
                None => {
                    index.insert(key, out.functions.len());
                    out.functions.push(f);
                }
            }
        }
    }
    sort_by_time(&mut out.functions);
    out
}

/// Sorts functions as the runtime does: by total time, longest first, then by name.
pub fn sort_by_time(functions: &mut [FunctionProfile]) {
    functions.sort_by(|a, b| b.total_ns.cmp(&a.total_ns).then(a.name.cmp(&b.name)));
}

/// Adds `more` (the same function, from another profile) into `into`.
fn add_function(into: &mut FunctionProfile, more: FunctionProfile) {
    into.is_async |= more.is_async;
    into.calls += more.calls;
    into.primitive_calls += more.primitive_calls;
    into.total_ns += more.total_ns;
    into.cumulative_ns += more.cumulative_ns;
    into.own_ns += more.own_ns;
    if more.source.len() > into.source.len() {
        into.source = more.source;
        into.line = more.line;
    }
    into.lines = add_lines(&into.lines, &more.lines);

    let mut callers: BTreeMap<(String, Option<u32>), (u64, u64)> = BTreeMap::new();
    for c in into.callers.iter().chain(&more.callers) {
        let e = callers.entry((c.caller.clone(), c.line)).or_default();
        e.0 += c.calls;
        e.1 += c.time_ns;
    }
    into.callers = callers
        .into_iter()
        .map(|((caller, line), (calls, time_ns))| CallerProfile {
            caller,
            line,
            calls,
            time_ns,
        })
        .collect();

    for t in more.threads {
        match into.threads.iter_mut().find(|x| x.thread == t.thread) {
            Some(x) => add_thread(x, &t),
            None => into.threads.push(t),
        }
    }
}

fn add_thread(into: &mut ThreadFunctionProfile, more: &ThreadFunctionProfile) {
    into.calls += more.calls;
    into.total_ns += more.total_ns;
    into.lines = add_lines(&into.lines, &more.lines);
}

/// The line-by-line sum of two line lists, in line order.
pub fn add_lines(a: &[LineProfile], b: &[LineProfile]) -> Vec<LineProfile> {
    let mut by_line: BTreeMap<u32, LineProfile> = BTreeMap::new();
    for l in a.iter().chain(b) {
        let e = by_line.entry(l.line).or_insert(LineProfile {
            line: l.line,
            ..LineProfile::default()
        });
        e.hits += l.hits;
        e.time_ns += l.time_ns;
        e.alloc_bytes += l.alloc_bytes;
        e.freed_bytes += l.freed_bytes;
        e.net_bytes += l.net_bytes;
        e.allocs += l.allocs;
        e.peak_bytes = e.peak_bytes.max(l.peak_bytes);
        e.mem_usage_bytes = e.mem_usage_bytes.max(l.mem_usage_bytes);
        e.wait_ns += l.wait_ns;
    }
    by_line.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(line: u32, hits: u64, time_ns: u64, peak: u64) -> LineProfile {
        LineProfile {
            line,
            hits,
            time_ns,
            alloc_bytes: 10 * hits,
            freed_bytes: hits,
            net_bytes: 9 * hits as i64,
            allocs: hits,
            peak_bytes: peak,
            mem_usage_bytes: peak * 2,
            wait_ns: 0,
        }
    }

    fn function(name: &str, calls: u64, lines: Vec<LineProfile>) -> FunctionProfile {
        FunctionProfile {
            name: name.to_owned(),
            file: "src/lib.rs".to_owned(),
            line: 1,
            is_async: false,
            calls,
            primitive_calls: calls,
            total_ns: lines.iter().map(|l| l.time_ns).sum(),
            cumulative_ns: lines.iter().map(|l| l.time_ns).sum(),
            own_ns: lines.iter().map(|l| l.time_ns).sum(),
            source: vec![
                "fn f() {".to_owned(),
                "    work();".to_owned(),
                "}".to_owned(),
            ],
            lines,
            callers: vec![CallerProfile {
                caller: "<root>".to_owned(),
                line: None,
                calls,
                time_ns: 5,
            }],
            threads: vec![ThreadFunctionProfile {
                thread: 0,
                calls,
                total_ns: 0,
                lines: Vec::new(),
                callers: Vec::new(),
            }],
        }
    }

    fn profile(functions: Vec<FunctionProfile>) -> Profile {
        Profile {
            threads: vec![ThreadInfo {
                index: 0,
                name: "main".to_owned(),
            }],
            functions,
            ..Profile::empty()
        }
    }

    #[test]
    fn sums_add_and_peaks_take_the_max() {
        let a = profile(vec![function("f", 2, vec![line(2, 2, 100, 50)])]);
        let b = profile(vec![
            function("f", 3, vec![line(2, 3, 300, 40), line(3, 1, 7, 1)]),
            function("g", 1, vec![line(2, 1, 1, 1)]),
        ]);
        let m = merge(vec![a, b], &["a.json".to_owned(), "b.json".to_owned()]);
        let f = m.function("f").unwrap();
        assert_eq!(f.calls, 5);
        assert_eq!(f.total_ns, 407);
        let l2 = f.line(2).unwrap();
        assert_eq!(
            (l2.hits, l2.time_ns, l2.alloc_bytes, l2.allocs),
            (5, 400, 50, 5)
        );
        assert_eq!((l2.peak_bytes, l2.mem_usage_bytes), (50, 100));
        assert_eq!(f.hits(3), 1);
        assert_eq!(f.callers.len(), 1);
        assert_eq!((f.callers[0].calls, f.callers[0].time_ns), (5, 10));
        assert_eq!(m.functions[0].name, "f");
        assert_eq!(m.threads.len(), 2);
        assert_eq!(m.threads[1].name, "main (b.json)");
        assert_eq!(
            f.threads.iter().map(|t| t.thread).collect::<Vec<_>>(),
            [0, 1]
        );
    }
}
