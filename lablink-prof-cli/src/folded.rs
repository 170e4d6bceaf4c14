//! Folded stacks (`frame;frame;frame count`, as inferno and FlameGraph read them) with
//! source lines as frames: `function:line`.
//!
//! The profile has no stacks, only per-line times and caller edges; the stacks are rebuilt
//! from the call graph, the way gprof builds its call graph:
//!
//! - Roots are functions called from `<root>` (no profiled caller), or from a caller the file
//!   does not hold, or with no recorded callers at all.
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
//!   millionth of the graph are not expanded); what is cut counts as the calling line's own
//!   time, so the widths still add up.
//! - Edge times are those of [`CallGraph::edge_ns`]: scaled so that a function's edges add up
//!   to its total time, as its lines do.
//! - Calls from `<other>` (a caller among too many to tell apart) cannot be placed; their
//!   time stays in the calling line's own time.

use std::collections::HashMap;
use std::fmt::Write;

use lablink_prof_runtime::profile::Profile;

use crate::callgraph::{CallGraph, Caller};

/// How deep stacks may grow by default.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// A subtree narrower than this share of the whole graph is not expanded.
const MIN_SHARE: f64 = 1e-6;

/// One source line of a function in the graph.
#[derive(Debug)]
struct LineNode {
    line: u32,
    self_ns: f64,
    /// (callee, time of the calls made from this line).
    children: Vec<(usize, f64)>,
}

/// The folded stacks of a profile, sorted, with counts in nanoseconds (zero counts left out).
pub fn folded_stacks(profile: &Profile, max_depth: usize) -> Vec<(String, u64)> {
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
    let grand: f64 = roots.iter().map(|r| r.1).sum();
    let mut walker = Walker {
        profile,
        nodes: &nodes,
        totals: &totals,
        min_ns: (grand * MIN_SHARE).max(1.0),
        max_depth: max_depth.max(1),
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
                if callee_total <= 0.0 || weight < self.min_ns || depth >= self.max_depth {
                    here += weight;
                } else {
                    self.walk(callee, weight / callee_total, stack, depth + 1);
                }
            }
            if here > 0.0 {
                *self.out.entry(stack.clone()).or_default() += here;
            }
            stack.truncate(base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_names_stay_on_one_line_and_one_frame() {
        assert_eq!(frame_name("a::f\nb;c\t\u{1b}", 7), "a::f\\nb,c\\t\\u{1b}:7");
        assert_eq!(frame_name("<A as B>::f", 3), "<A as B>::f:3");
    }
}
