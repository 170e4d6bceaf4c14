//! What the attribute knows about a profiled function at compile time.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering::Relaxed};

/// The compile-time description of one profiled function, kept in a `static` beside it.
///
/// The attribute fills it in; users never write one. All instantiations of a generic function
/// share it, so they add up in one table.
#[derive(Debug)]
pub struct FunctionSite {
    pub(crate) info: SiteInfo,
    /// The registry's number for this function; 0 until its first recorded call.
    id: AtomicU32,
    /// The function's path (`my_crate::Foo::method`), set with its id.
    path: OnceLock<String>,
    /// Where the function's lines start in the heap tracking's table of lines
    /// (`heap::process_tracking`); 0 until a block is allocated on one of them with tracking on.
    pub(crate) tracked_lines: AtomicU32,
    /// The first thread to record the function (its key, see `recorder::thread_state`), and its
    /// table for it: that thread finds its table here, with one load, rather than through its
    /// list of tables. Written only by that thread, and read for the table only by it.
    pub(crate) owner: AtomicU32,
    pub(crate) owner_table: AtomicPtr<()>,
}

/// The constant part of a [`FunctionSite`].
#[derive(Debug, Clone, Copy)]
pub struct SiteInfo {
    /// The function's name as written (`hash_password`).
    pub name: &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// The line of the signature's first token.
    pub first_line: u32,
    /// The source lines from `first_line` to the closing brace, as compiled.
    pub source: &'static [&'static str],
    /// Whether the function is `async fn`.
    pub is_async: bool,
}

impl FunctionSite {
    /// Describes a function. Used by the attribute's expansion.
    pub const fn new(info: SiteInfo) -> Self {
        FunctionSite {
            info,
            id: AtomicU32::new(0),
            path: OnceLock::new(),
            tracked_lines: AtomicU32::new(0),
            owner: AtomicU32::new(0),
            owner_table: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The number of line slots: one per source line, the signature's included.
    pub(crate) fn line_count(&self) -> usize {
        self.info.source.len().max(1)
    }

    #[inline(always)]
    pub(crate) fn id(&self) -> u32 {
        self.id.load(Relaxed)
    }

    /// Gives the function its registry number and its path.
    pub(crate) fn set_id(&self, id: u32, path: String) {
        let _ = self.path.set(path);
        self.id.store(id, Relaxed);
    }

    /// The function's path, or its bare name if it never recorded.
    pub(crate) fn path(&self) -> &str {
        self.path.get().map_or(self.info.name, String::as_str)
    }

    /// The heap the path takes (part of the recorder's own memory).
    pub(crate) fn path_capacity(&self) -> usize {
        self.path.get().map_or(0, String::capacity)
    }
}

/// Turns the type name of the marker function the attribute declares inside the profiled one
/// (`my_crate::Foo<_>::method::__lp_here`, `my_crate::run::{{closure}}::__lp_here`) into the
/// function's path (`my_crate::Foo::method`, `my_crate::run`).
pub(crate) fn qualified_name(marker_type_name: &str) -> String {
    let path = marker_type_name
        .strip_suffix("::__lp_here")
        .unwrap_or(marker_type_name);
    let path = path.replace("::{{closure}}", "");
    if path.starts_with('<') {
        // `<T as Trait>::method`: the generic arguments say which impl; keep them.
        return path;
    }
    let mut out = String::with_capacity(path.len());
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::qualified_name;

    #[test]
    fn marker_names_become_function_paths() {
        assert_eq!(qualified_name("app::work::__lp_here"), "app::work");
        assert_eq!(
            qualified_name("app::Foo<_>::method::__lp_here"),
            "app::Foo::method"
        );
        assert_eq!(
            qualified_name("app::run::{{closure}}::__lp_here"),
            "app::run"
        );
        assert_eq!(
            qualified_name("<app::Foo<u8> as app::Tr>::m::__lp_here"),
            "<app::Foo<u8> as app::Tr>::m"
        );
    }
}
