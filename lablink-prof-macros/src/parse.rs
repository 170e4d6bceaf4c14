//! What the attribute accepts: its arguments and the items it goes on.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    Attribute, Error, Expr, ExprLit, ItemFn, ItemImpl, ItemMod, Lit, Meta, Path, Token,
    TraitItemFn, parse_quote,
};

/// What the attribute says when an argument is not one of its own.
const UNKNOWN_ARGUMENT: &str =
    "unknown argument: #[line_profile] takes no arguments, `skip`, or `crate = path`";

/// The attribute's arguments.
#[derive(Default)]
pub struct Args {
    /// `skip`: leave this function (or, inside a profiled impl block, this method) as it is.
    pub skip: bool,
    /// `crate = path` (or `crate = "path"`): where the generated code finds `lablink-prof`, for
    /// a dependency renamed in `Cargo.toml` or re-exported by another crate.
    pub krate: Option<Path>,
}

impl Args {
    /// The path to `lablink-prof` the generated code names, `::lablink_prof` unless told.
    pub fn krate_or(&self, default: &Path) -> Path {
        self.krate.clone().unwrap_or_else(|| default.clone())
    }
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated(input)? {
            match &meta {
                Meta::Path(p) if p.is_ident("skip") => args.skip = true,
                Meta::NameValue(nv) if nv.path.is_ident("crate") => {
                    args.krate = Some(crate_path(&nv.value)?);
                }
                _ => return Err(Error::new_spanned(meta, UNKNOWN_ARGUMENT)),
            }
        }
        Ok(args)
    }
}

/// The path of `crate = path`, written as a path or as a string holding one.
fn crate_path(value: &Expr) -> syn::Result<Path> {
    match value {
        Expr::Path(p) if p.qself.is_none() => Ok(p.path.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => s.parse(),
        _ => Err(Error::new_spanned(
            value,
            "`crate` takes the path `lablink-prof` is reached by, e.g. `crate = prof`",
        )),
    }
}

/// `::lablink_prof`: the facade crate under its own name.
pub fn default_crate() -> Path {
    parse_quote!(::lablink_prof)
}

/// An item the attribute can profile.
pub enum Target {
    Fn(ItemFn),
    Impl(ItemImpl),
    /// An inline module (`mod m { ... }`): every function in it, recursively.
    Mod(ItemMod),
}

impl Target {
    /// The item's own outer attributes (those written after this one).
    pub fn attrs_mut(&mut self) -> &mut Vec<Attribute> {
        match self {
            Target::Fn(f) => &mut f.attrs,
            Target::Impl(i) => &mut i.attrs,
            Target::Mod(m) => &mut m.attrs,
        }
    }
}

/// Sorts the annotated item into a [`Target`], or says why it cannot be profiled.
pub fn target(item: TokenStream) -> syn::Result<Target> {
    if let Ok(f) = syn::parse2::<ItemFn>(item.clone()) {
        return Ok(Target::Fn(f));
    }
    if let Ok(i) = syn::parse2::<ItemImpl>(item.clone()) {
        return Ok(Target::Impl(i));
    }
    if let Ok(m) = syn::parse2::<ItemMod>(item.clone()) {
        if m.content.is_none() {
            let (vis, mod_token, ident, semi) = (&m.vis, &m.mod_token, &m.ident, &m.semi);
            return Err(Error::new_spanned(
                quote!(#vis #mod_token #ident #semi),
                "#[line_profile] needs the module's body inline (`mod m { ... }`): it cannot see \
                 into another file; put the attribute on the items of that file instead",
            ));
        }
        return Ok(Target::Mod(m));
    }
    if let Ok(f) = syn::parse2::<TraitItemFn>(item.clone())
        && f.default.is_none()
    {
        return Err(Error::new_spanned(
            &f.sig,
            "#[line_profile] needs a function with a body: there are no statements to profile \
                 in a declaration",
        ));
    }
    Err(Error::new_spanned(
        item,
        "#[line_profile] goes on a function, a method, an impl block or an inline module",
    ))
}

/// Whether `attr` is this attribute (`#[line_profile]`, `#[lablink_prof::line_profile]`).
pub fn is_line_profile(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "line_profile")
}

/// The arguments of a `#[line_profile(...)]` attribute found on a method of a profiled impl.
pub fn method_args(attr: &Attribute) -> syn::Result<Args> {
    match &attr.meta {
        Meta::Path(_) => Ok(Args::default()),
        Meta::List(list) => list.parse_args(),
        Meta::NameValue(nv) => Err(Error::new_spanned(nv, UNKNOWN_ARGUMENT)),
    }
}
