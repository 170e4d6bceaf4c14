//! Folded stacks (`frame;frame;frame count`, as inferno and FlameGraph read them) with
//! source lines as frames: `function:line`.
//!
//! A sampled profile holds the stacks its sampler found, and they are drawn as they are
//! ([`sampled_stacks`]). An exact profile has no stacks, only per-line times and caller edges; the stacks are rebuilt
//! from the call graph, the way gprof builds its call graph:
//!
//! - Roots are functions called from `<root>` (no profiled caller), or from a caller the file
//!   does not hold, or with no recorded callers at all. A function no root reaches (called only
//!   from `<other>`, or in a cycle nothing else calls) is a root too, with all its time: the
//!   one with the most time of each such group.
//! - A line's own (self) time is its time less the time of the profiled calls made from it
//!   (`callers[].line` of its callees). Calls whose line is not recorded (files written before
//!   it was) go under the caller's lines with the most time left, largest first: exact when
//!   one line made them.
//! - A callee's lines are drawn under each calling line, scaled by that edge's share of the
//!   callee's total time. This is exact when a function has one caller; with several it
//!   assumes every call costs the same, as gprof does.
//! - Direct recursion is collapsed, as flame graph tools' "collapse recursion" does: a
//!   function's lines hold the time of all its nested calls already, so a call to itself is
//!   taken out of the calling line and not drawn again; each line shows the time of all
//!   recursion levels at one level.
//! - Indirect cycles (`a -> b -> a`) are cut at a depth limit (and subtrees narrower than a
//!   millionth of the graph are not expanded, nor any once the stacks hold 64 MiB); what is
//!   cut counts as the calling line's own time, so the widths still add up.
//! - Edge times are those of [`CallGraph::edge_ns`]: scaled so that a function's edges add up
//!   to its total time, as its lines do.
//! - Calls from `<other>` (a caller among too many to tell apart) cannot be placed; their
//!   time stays in the calling line's own time.

use std::collections::HashMap;
use std::fmt::Write;

use lablink_prof_runtime::profile::{Profile, TimeMode};

use crate::callgraph::{CallGraph, Caller};

/// How deep stacks may grow by default.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// A subtree narrower than this share of the whole graph is not expanded.
const MIN_SHARE: f64 = 1e-6;

/// The most bytes of distinct stacks the graph holds (64 MiB); past that, callees are not
/// expanded, their time staying on the calling line, so that cycles among long names cannot
/// take the memory and time of millions of deep stacks.
const MAX_STACK_BYTES: usize = 64 << 20;

/// One source line of a function in the graph.
#[derive(Debug)]
struct LineNode {
    line: u32,
    self_ns: f64,
    /// (callee, time of the calls made from this line).
    children: Vec<(usize, f64)>,
}

/// The folded stacks of a profile, sorted, with counts in nanoseconds (zero counts left out):
/// a sampled profile's own stacks ([`sampled_stacks`]), else stacks rebuilt from the caller
/// edges.
pub fn folded_stacks(profile: &Profile, max_depth: usize) -> Vec<(String, u64)> {
    if profile.mode == TimeMode::Sampled && !profile.stacks.is_empty() {
        return sampled_stacks(profile);
    }
    rebuilt_stacks(profile, max_depth)
}

/// The stacks the sampler found, one frame per `function:line`, widths their `time_ns`; the
/// same stack on several threads is one stack with their times added.
pub fn sampled_stacks(profile: &Profile) -> Vec<(String, u64)> {
    let mut out: HashMap<String, u64> = HashMap::new();
    for s in &profile.stacks {
        let names: Vec<String> = s
            .frames
            .iter()
            .map(|f| frame_name(&f.function, f.line))
            .collect();
        let ns = out.entry(names.join(";")).or_default();
        *ns = ns.saturating_add(s.time_ns);
    }
    let mut stacks: Vec<(String, u64)> = out.into_iter().filter(|(_, ns)| *ns > 0).collect();
    stacks.sort();
    stacks
}

/// Stacks rebuilt from the caller edges, the way gprof builds its call graph (see the module's
/// docs).
fn rebuilt_stacks(profile: &Profile, max_depth: usize) -> Vec<(String, u64)> {
    let graph = CallGraph::new(&profile.functions);
    let nodes: Vec<Vec<LineNode>> = (0..profile.functions.len())
        .map(|f| line_nodes(&graph, f))
        .collect();
    let totals: Vec<f64> = nodes
        .iter()
        .map(|lines| lines.iter().map(|l| l.self_ns + children_ns(l)).sum())
        .collect();

    // Roots and how much of each function's time is a root's.
    let mut roots: Vec<(usize, f64)> = Vec::new();
    for (f, function) in profile.functions.iter().enumerate() {
        let edges = graph.callers(f);
        let weight = if edges.is_empty() {
            totals[f]
        } else {
            edges
                .iter()
                .filter(|e| matches!(e.caller, Caller::Root | Caller::Unknown))
                .map(|e| graph.edge_ns(e))
                .sum::<f64>()
                .min(totals[f].max(function.total_ns as f64))
        };
        if weight > 0.0 && totals[f] > 0.0 {
            roots.push((f, weight));
        }
    }
    // Functions no root reaches (called only from `<other>`, or in a cycle that nothing outside
    // calls): each such group is drawn from its function with the most time, as a root with all
    // of its time, so that no timed line is left out.
    let mut reached = vec![false; profile.functions.len()];
    for &(f, _) in &roots {
        reach(&graph, f, &mut reached);
    }
    while let Some(f) = (0..profile.functions.len())
        .filter(|&f| !reached[f] && totals[f] > 0.0)
        .max_by(|&a, &b| totals[a].total_cmp(&totals[b]).then(b.cmp(&a)))
    {
        roots.push((f, totals[f]));
        reach(&graph, f, &mut reached);
    }
    let grand: f64 = roots.iter().map(|r| r.1).sum();
    let mut walker = Walker {
        profile,
        nodes: &nodes,
        totals: &totals,
        min_ns: (grand * MIN_SHARE).max(1.0),
        max_depth: max_depth.max(1),
        room: MAX_STACK_BYTES,
        out: HashMap::new(),
    };
    let mut stack = String::new();
    for (f, weight) in roots {
        walker.walk(f, weight / totals[f], &mut stack, 1);
    }
    let mut stacks: Vec<(String, u64)> = walker
        .out
        .into_iter()
        .map(|(s, ns)| (s, ns.round() as u64))
        .filter(|(_, ns)| *ns > 0)
        .collect();
    stacks.sort();
    stacks
}

/// The folded stacks as text, one `stack count` line each.
pub fn folded_text(stacks: &[(String, u64)]) -> String {
    let mut out = String::new();
    for (stack, ns) in stacks {
        out.push_str(stack);
        out.push(' ');
        out.push_str(&ns.to_string());
        out.push('\n');
    }
    out
}

/// A frame's name: `function:line`, without the `;` that separates frames (shown as `,`) and
/// with control characters escaped (a newline as `\n`), since one stack is one line.
pub fn frame_name(function: &str, line: u32) -> String {
    let mut out = String::with_capacity(function.len() + 8);
    for c in function.chars() {
        match c {
            ';' => out.push(','),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.extend(c.escape_default());
            }
            c => out.push(c),
        }
    }
    let _ = write!(out, ":{line}");
    out
}

/// Marks `f` and every function it calls, directly or not, as reached.
fn reach(graph: &CallGraph<'_>, f: usize, reached: &mut [bool]) {
    let mut stack = vec![f];
    while let Some(f) = stack.pop() {
        if std::mem::replace(&mut reached[f], true) {
            continue;
        }
        stack.extend(graph.callees(f).iter().map(|e| e.callee));
    }
}

fn children_ns(l: &LineNode) -> f64 {
    l.children.iter().map(|c| c.1).sum()
}

/// Function `f`'s lines with their own time and the calls made from each.
fn line_nodes(graph: &CallGraph<'_>, f: usize) -> Vec<LineNode> {
    let function = &graph.functions()[f];
    let mut nodes: Vec<LineNode> = function
        .lines
        .iter()
        .filter(|l| l.time_ns > 0)
        .map(|l| LineNode {
            line: l.line,
            self_ns: l.time_ns as f64,
            children: Vec::new(),
        })
        .collect();
    let mut unplaced = Vec::new();
    for edge in graph.callees(f) {
        let at = edge
            .line
            .and_then(|line| nodes.iter().position(|n| n.line == line));
        match at {
            Some(i) => {
                let node = &mut nodes[i];
                let time = graph.edge_ns(edge);
                node.self_ns -= time;
                if edge.callee != f {
                    node.children.push((edge.callee, time));
                }
            }
            None => unplaced.push(*edge),
        }
    }
    // Calls without a line (older files): under the lines with the most time left, largest
    // first, which is exact when one line made those calls.
    for edge in unplaced {
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        order.sort_by(|&a, &b| nodes[b].self_ns.total_cmp(&nodes[a].self_ns));
        let mut left = graph.edge_ns(&edge);
        for (k, &i) in order.iter().enumerate() {
            let node = &mut nodes[i];
            // The last line takes what is left, even if its own time runs out.
            let take = if k + 1 == order.len() {
                left
            } else {
                left.min(node.self_ns.max(0.0))
            };
            if take <= 0.0 {
                continue;
            }
            node.self_ns -= take;
            if edge.callee != f {
                node.children.push((edge.callee, take));
            }
            left -= take;
            if left <= 0.0 {
                break;
            }
        }
    }
    for n in &mut nodes {
        n.self_ns = n.self_ns.max(0.0);
    }
    nodes
}

struct Walker<'a> {
    profile: &'a Profile,
    nodes: &'a [Vec<LineNode>],
    totals: &'a [f64],
    min_ns: f64,
    max_depth: usize,
    /// Bytes left for new stacks; at 0, callees are not expanded any more.
    room: usize,
    out: HashMap<String, f64>,
}

impl Walker<'_> {
    /// Adds function `f`'s lines, each scaled by `scale`, under `stack`.
    fn walk(&mut self, f: usize, scale: f64, stack: &mut String, depth: usize) {
        let name = &self.profile.functions[f].name;
        for node in &self.nodes[f] {
            let base = stack.len();
            if !stack.is_empty() {
                stack.push(';');
            }
            stack.push_str(&frame_name(name, node.line));
            let mut here = node.self_ns * scale;
            for &(callee, time) in &node.children {
                let weight = time * scale;
                let callee_total = self.totals[callee];
                if callee_total <= 0.0
                    || weight < self.min_ns
                    || depth >= self.max_depth
                    || self.room == 0
                {
                    here += weight;
                } else {
                    self.walk(callee, weight / callee_total, stack, depth + 1);
                }
            }
            if here > 0.0 {
                match self.out.get_mut(stack.as_str()) {
                    Some(ns) => *ns += here,
                    None => {
                        self.room = self.room.saturating_sub(stack.len());
                        self.out.insert(stack.clone(), here);
                    }
                }
            }
            stack.truncate(base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lablink_prof_runtime::profile::{CallerProfile, FunctionProfile, LineProfile};

    fn function(name: &str, caller: &str, time_ns: u64, edge_ns: u64) -> FunctionProfile {
        FunctionProfile {
            name: name.to_owned(),
            file: "a.rs".to_owned(),
            line: 1,
            is_async: false,
            calls: 1,
            primitive_calls: 1,
            total_ns: time_ns,
            cumulative_ns: time_ns,
            own_ns: time_ns,
            source: Vec::new(),
            lines: vec![LineProfile {
                line: 2,
                hits: 1,
                time_ns,
                ..LineProfile::default()
            }],
            callers: vec![CallerProfile {
                caller: caller.to_owned(),
                line: Some(2),
                calls: 1,
                time_ns: edge_ns,
            }],
            threads: Vec::new(),
            ..Default::default()
        }
    }

    #[test]
    fn unreached_functions_are_drawn_as_roots() {
        // g is called from `<other>` only (a caller among too many to tell apart); a and b
        // call each other, nothing calls them. Before, none of them was a root: an empty graph.
        let mut profile = Profile::empty();
        profile.functions = vec![
            function("g", "<other>", 400, 400),
            function("a", "b", 500, 500),
            function("b", "a", 300, 300),
        ];
        let stacks = folded_stacks(&profile, DEFAULT_MAX_DEPTH);
        let width = |prefix: &str| -> u64 {
            stacks
                .iter()
                .filter(|(s, _)| s.starts_with(prefix))
                .map(|s| s.1)
                .sum()
        };
        // g with its 400 ns; a, the most time of its cycle, as the root of a and b: 500 ns,
        // b's 300 ns drawn under it.
        assert_eq!(width("g:2"), 400);
        assert_eq!(width("a:2"), 500);
        assert_eq!(width("a:2;b:2"), 300);
        assert_eq!(stacks.iter().map(|s| s.1).sum::<u64>(), 900);
    }

    #[test]
    fn frame_names_stay_on_one_line_and_one_frame() {
        assert_eq!(frame_name("a::f\nb;c\t\u{1b}", 7), "a::f\\nb,c\\t\\u{1b}:7");
        assert_eq!(frame_name("<A as B>::f", 3), "<A as B>::f:3");
    }
}
