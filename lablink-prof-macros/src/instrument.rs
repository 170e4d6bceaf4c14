//! The rewrite of a function body: a line mark before every statement.
//!
//! Rules, each small:
//! - a statement (`let`, expression, macro) gets `__lp_frame.start_line(slot)` before it; items are
//!   left alone; a tail expression stays the tail, with its mark before it;
//! - `for PAT in EXPR` iterates `LineIter::new(__lp_frame.move_to_line(slot), slot, EXPR)`, so every
//!   fetch of the next item is a hit of the header line and its time is the header's;
//! - `while COND` tests `(__lp_frame.start_line(slot), COND).1`: one hit per test;
//! - `loop` is hit once when it starts and once at the top of every iteration;
//! - an `else if` condition is marked like a `while` condition;
//! - a `match` arm whose body is an expression becomes `{ mark; body }`;
//! - in an `async fn`, `EXPR.await` becomes `AwaitTimer::new(__lp_frame, EXPR).await`: the
//!   time suspended there is the line's Wait, and the task may resume on another thread;
//! - a statement nested on the same line as the statement that contains it (`if c { a } else
//!   { b }` on one line) is not marked again: the line is hit once, as a reader counts it;
//! - a closure whose body is a block gets a `ClosureLines` guard and its statements are marked
//!   through it, as lines of the function (see `ClosureLines` in the runtime);
//! - `async` blocks and closures, `const` blocks, items, types and macro arguments are not
//!   entered.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{Arm, BinOp, Block, Expr, ExprForLoop, ExprIf, ExprLoop, ExprWhile, Stmt, parse_quote};

use crate::lines::{LineRange, first_span};

/// Puts line marks into one function body.
pub struct Instrumenter<'a> {
    pub lines: &'a LineRange,
    pub frame: Ident,
    pub is_async: bool,
    /// The slot of the statement being rewritten, while its parts are visited.
    pub enclosing: Option<usize>,
    /// `lablink_prof::__private`, by the path the user's crate reaches it.
    pub private: &'a TokenStream,
}

impl Instrumenter<'_> {
    fn slot_of(&self, tokens: impl ToTokens) -> Option<usize> {
        self.lines.slot(first_span(tokens.into_token_stream()))
    }

    fn mark_stmt(&self, slot: usize) -> Stmt {
        let frame = &self.frame;
        let slot = lit(slot);
        parse_quote!(#frame.start_line(#slot);)
    }

    /// `(mark, expr).1`: marks a line, then evaluates `expr` as before.
    fn marked(&self, slot: usize, expr: &Expr) -> Expr {
        let frame = &self.frame;
        let slot = lit(slot);
        parse_quote!((#frame.start_line(#slot), #expr).1)
    }

    /// Marks a condition's line before it is evaluated. Returns whether it could: a `let`
    /// whose scrutinee is a place (`while let Some(ref x) = self.head`) must stay a place.
    fn mark_condition(&self, cond: &mut Expr, slot: usize) -> bool {
        match cond {
            Expr::Let(l) if is_place(&l.expr) => false,
            Expr::Let(l) => {
                *l.expr = self.marked(slot, &l.expr);
                true
            }
            Expr::Binary(b) if matches!(b.op, BinOp::And(_)) && contains_let(&b.left) => {
                self.mark_condition(&mut b.left, slot)
            }
            Expr::Binary(b) if matches!(b.op, BinOp::And(_)) && contains_let(&b.right) => {
                *b.left = self.marked(slot, &b.left);
                true
            }
            other => {
                *other = self.marked(slot, other);
                true
            }
        }
    }

    /// The mark for a statement at `slot`, unless its enclosing statement is on the same line.
    fn mark_new_line(&self, slot: Option<usize>) -> Option<Stmt> {
        slot.filter(|s| Some(*s) != self.enclosing)
            .map(|s| self.mark_stmt(s))
    }

    /// Visits the parts of the statement at `slot` with it as the enclosing statement.
    fn within(&mut self, slot: Option<usize>, visit: impl FnOnce(&mut Self)) {
        let saved = self.enclosing;
        if slot.is_some() {
            self.enclosing = slot;
        }
        visit(self);
        self.enclosing = saved;
    }

    fn instrument_stmts(&mut self, stmts: Vec<Stmt>) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(stmts.len() * 2);
        for mut stmt in stmts {
            match &mut stmt {
                Stmt::Item(_) => {}
                Stmt::Local(local) => {
                    let slot = self.slot_of(local.let_token);
                    out.extend(self.mark_new_line(slot));
                    self.within(slot, |this| {
                        if let Some(init) = &mut local.init {
                            this.visit_expr_mut(&mut init.expr);
                            if let Some((_, diverge)) = &mut init.diverge {
                                this.visit_expr_mut(diverge);
                            }
                        }
                    });
                }
                Stmt::Macro(m) => {
                    out.extend(self.mark_new_line(self.slot_of(&m.mac)));
                }
                Stmt::Expr(expr, _) => {
                    // `for` and `while` count their own hits, one per fetch or test.
                    let counts_itself = matches!(expr, Expr::ForLoop(_) | Expr::While(_));
                    let slot = self.slot_of(&*expr);
                    if !counts_itself {
                        out.extend(self.mark_new_line(slot));
                    }
                    self.within(slot, |this| this.visit_expr_mut(expr));
                }
            }
            out.push(stmt);
        }
        out
    }

    fn for_loop(&mut self, f: &mut ExprForLoop) {
        self.visit_expr_mut(&mut f.expr);
        self.visit_block_mut(&mut f.body);
        if let Some(slot) = self.slot_of(f.for_token) {
            let (frame, private) = (&self.frame, self.private);
            let slot = lit(slot);
            let iterable = &f.expr;
            *f.expr = parse_quote! {
                #private::LineIter::new(
                    #frame.move_to_line(#slot), #slot, #iterable)
            };
        }
    }

    fn while_loop(&mut self, w: &mut ExprWhile) {
        self.visit_expr_mut(&mut w.cond);
        self.visit_block_mut(&mut w.body);
        let Some(slot) = self.slot_of(w.while_token) else {
            return;
        };
        if !self.mark_condition(&mut w.cond, slot) {
            // A place scrutinee: count the start and each iteration instead (the same hits).
            let mark = self.mark_stmt(slot);
            w.body.stmts.insert(0, mark);
        }
    }

    fn loop_body(&mut self, l: &mut ExprLoop) {
        self.visit_block_mut(&mut l.body);
        if let Some(slot) = self.slot_of(l.loop_token) {
            let mark = self.mark_stmt(slot);
            l.body.stmts.insert(0, mark);
        }
    }

    fn if_chain(&mut self, i: &mut ExprIf) {
        self.visit_expr_mut(&mut i.cond);
        self.visit_block_mut(&mut i.then_branch);
        if let Some((_, else_branch)) = &mut i.else_branch {
            if let Expr::If(inner) = &mut **else_branch {
                self.if_chain(inner);
                if let Some(slot) = self.slot_of(inner.if_token) {
                    self.mark_condition(&mut inner.cond, slot);
                }
            } else {
                self.visit_expr_mut(else_branch);
            }
        }
    }

    /// A closure whose body is a block records its statements as lines of the function, through
    /// a `ClosureLines` guard made at each call (nothing is captured).
    fn closure(&mut self, c: &mut syn::ExprClosure) {
        let Expr::Block(body) = &mut *c.body else {
            return;
        };
        if body.label.is_some() || body.block.stmts.is_empty() {
            return;
        }
        let guard = Ident::new("__lp_closure", Span::mixed_site());
        let mut inner = Instrumenter {
            lines: self.lines,
            frame: guard.clone(),
            is_async: false,
            enclosing: self.enclosing,
            private: self.private,
        };
        inner.visit_block_mut(&mut body.block);
        let private = self.private;
        let start: Stmt = parse_quote! {
            let #guard = #private::ClosureLines::start(&__LP_SITE);
        };
        body.block.stmts.insert(0, start);
    }

    fn arm(&mut self, arm: &mut Arm) {
        if let Some((_, guard)) = &mut arm.guard {
            self.visit_expr_mut(guard);
        }
        let slot = self.slot_of(&*arm.body);
        self.within(slot, |this| this.visit_expr_mut(&mut arm.body));
        if matches!(&*arm.body, Expr::Block(b) if b.label.is_none() && b.attrs.is_empty()) {
            return;
        }
        if let Some(mark) = self.mark_new_line(slot) {
            let body = &arm.body;
            *arm.body = parse_quote!({ #mark #body });
        }
    }
}

impl VisitMut for Instrumenter<'_> {
    fn visit_block_mut(&mut self, block: &mut Block) {
        let stmts = std::mem::take(&mut block.stmts);
        block.stmts = self.instrument_stmts(stmts);
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::While(w) => self.while_loop(w),
            Expr::Loop(l) => self.loop_body(l),
            Expr::If(i) => self.if_chain(i),
            Expr::Await(a) if self.is_async => {
                self.visit_expr_mut(&mut a.base);
                let (frame, private) = (&self.frame, self.private);
                let awaited = &a.base;
                *expr = parse_quote! {
                    #private::AwaitTimer::new(#frame, #awaited).await
                };
            }
            Expr::Closure(c) if c.asyncness.is_none() => self.closure(c),
            // Their own bodies, evaluated elsewhere or at compile time: left alone.
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) | Expr::Macro(_) => {}
            Expr::Repeat(r) => self.visit_expr_mut(&mut r.expr),
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut Arm) {
        self.arm(arm);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    fn visit_type_mut(&mut self, _: &mut syn::Type) {}
    fn visit_generic_argument_mut(&mut self, _: &mut syn::GenericArgument) {}
    fn visit_pat_mut(&mut self, _: &mut syn::Pat) {}
}

/// Whether `expr` is a place (a path, a field, an index or a dereference of one), which a
/// `let` scrutinee may bind into by reference and so must not be moved into a tuple.
fn is_place(expr: &Expr) -> bool {
    match expr {
        Expr::Path(_) => true,
        Expr::Field(f) => is_place(&f.base),
        Expr::Index(i) => is_place(&i.expr),
        Expr::Paren(p) => is_place(&p.expr),
        Expr::Unary(u) => matches!(u.op, syn::UnOp::Deref(_)),
        _ => false,
    }
}

fn contains_let(expr: &Expr) -> bool {
    match expr {
        Expr::Let(_) => true,
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
            contains_let(&b.left) || contains_let(&b.right)
        }
        _ => false,
    }
}

/// The hygienic name of the frame local: user code cannot see or shadow it.
pub fn frame_ident() -> Ident {
    Ident::new("__lp_frame", Span::mixed_site())
}

/// A line slot as an unsuffixed literal (its type, `u32`, comes from the call).
fn lit(slot: usize) -> Literal {
    Literal::usize_unsuffixed(slot)
}
