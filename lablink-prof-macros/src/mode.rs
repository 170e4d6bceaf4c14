//! Whether a body can be emitted twice, plain and instrumented.
//!
//! The attribute prefers two copies behind one `if`: with recording off, the plain copy runs
//! and no statement pays anything. A body cannot be copied when the copies would differ in
//! meaning or type, and then each statement checks whether the call records instead:
//! - the return type has `impl Trait`: the two copies' values would be two different types;
//! - an item is declared inside a nested block, or a statement macro that may declare one is
//!   used (`thread_local!`, ...): a `static` there would exist twice.
//!
//! Items at the top level of the body are declared once, before the `if`, and serve both.

use syn::visit::{self, Visit};
use syn::{Block, ReturnType, Stmt, TypeImplTrait};

/// Statement macros known to expand to expressions only.
const EXPRESSION_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "dbg",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "panic",
    "print",
    "println",
    "todo",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
    "matches",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
];

/// Whether the body must be emitted once, with a check per statement.
pub fn needs_single_copy(output: &ReturnType, body: &Block) -> bool {
    let mut impl_trait = ImplTraitFinder(false);
    if let ReturnType::Type(_, ty) = output {
        impl_trait.visit_type(ty);
    }
    if impl_trait.0 {
        return true;
    }
    let mut finder = ItemFinder {
        depth: 0,
        found: false,
    };
    finder.visit_block(body);
    finder.found
}

struct ImplTraitFinder(bool);

impl Visit<'_> for ImplTraitFinder {
    fn visit_type_impl_trait(&mut self, _: &TypeImplTrait) {
        self.0 = true;
    }
}

struct ItemFinder {
    depth: usize,
    found: bool,
}

impl<'ast> Visit<'ast> for ItemFinder {
    fn visit_block(&mut self, block: &'ast Block) {
        self.depth += 1;
        visit::visit_block(self, block);
        self.depth -= 1;
    }

    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        match stmt {
            Stmt::Item(_) if self.depth > 1 => self.found = true,
            Stmt::Item(_) => {}
            Stmt::Macro(m) => {
                let name = m.mac.path.segments.last().map(|s| s.ident.to_string());
                if !name.is_some_and(|n| EXPRESSION_MACROS.contains(&n.as_str())) {
                    self.found = true;
                }
            }
            _ => visit::visit_stmt(self, stmt),
        }
    }
}
