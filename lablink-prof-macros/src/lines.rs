//! Line numbers of tokens, and the function's source text as it was compiled.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};

/// The lines a function spans, from its signature to its closing brace.
pub struct LineRange {
    pub first: usize,
    pub last: usize,
}

impl LineRange {
    /// The slot of `span`'s first line, if it lies within the function.
    pub fn slot(&self, span: Span) -> Option<usize> {
        let line = span.start().line;
        (line >= self.first && line <= self.last).then(|| line - self.first)
    }
}

/// The span of the first token of `tokens`.
pub fn first_span(tokens: TokenStream) -> Span {
    tokens
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

thread_local! {
    /// Source files already read by this compiler process, by path.
    static FILES: RefCell<HashMap<PathBuf, Option<Vec<String>>>> = RefCell::new(HashMap::new());
}

/// The source lines `range` covers in the file `span` comes from; empty strings where the file
/// cannot be read (the table then shows line numbers without contents).
pub fn source(span: Span, range: &LineRange) -> Vec<String> {
    let line = |lines: Option<&Vec<String>>, n: usize| {
        lines
            .and_then(|l| l.get(n - 1))
            .cloned()
            .unwrap_or_default()
    };
    let Some(path) = span.local_file() else {
        return (range.first..=range.last).map(|n| line(None, n)).collect();
    };
    FILES.with(|files| {
        let mut files = files.borrow_mut();
        let lines = files.entry(path.clone()).or_insert_with(|| {
            std::fs::read_to_string(&path)
                .ok()
                .map(|text| text.lines().map(str::to_owned).collect())
        });
        (range.first..=range.last)
            .map(|n| line(lines.as_ref(), n))
            .collect()
    })
}

/// The last line any token of `tokens` lies on, counting only tokens from `file`.
pub fn last_line(tokens: TokenStream, file: &Option<PathBuf>) -> usize {
    let mut last = 0;
    for token in tokens {
        let span = token.span();
        if span.local_file() != *file {
            continue;
        }
        last = last.max(span.end().line);
        if let proc_macro2::TokenTree::Group(g) = token {
            last = last
                .max(g.span_close().end().line)
                .max(last_line(g.stream(), file));
        }
    }
    last
}
