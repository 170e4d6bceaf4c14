//! The expansion: a profiled function, every method of a profiled impl block, or every function
//! of a profiled inline module.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Block, Error, Expr, ImplItem, Item, ItemImpl, ItemMod, Path, ReturnType, Signature,
    Stmt, TraitItem, parse_quote,
};

use crate::instrument::{Instrumenter, frame_ident};
use crate::lines::{LineRange, first_span, last_line, source};
use crate::mode::needs_single_copy;
use crate::parse::{self, Args, Target};

/// Expands `#[line_profile(args)] item`. Errors come back with the item beside them.
pub fn line_profile(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #item)
        }
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut args: Args = syn::parse2(args)?;
    let mut target = parse::target(item)?;
    // The attribute applied again on the same item (written twice, or pasted by a macro that
    // copies a template's attributes): this expansion is the only one; what the others say
    // adds to its arguments.
    let again = take_args(target.attrs_mut())?;
    args.skip |= again.skip;
    args.krate = args.krate.or(again.krate);
    let krate = args.krate_or(&parse::default_crate());
    if args.skip || !cfg!(feature = "profiling") {
        return Ok(match target {
            Target::Fn(f) => reject_const(&f.sig).map(|()| f.into_token_stream())?,
            Target::Impl(i) => strip_method_attrs(i)?.into_token_stream(),
            Target::Mod(m) => expand_mod(m, false, &krate)?.into_token_stream(),
        });
    }
    match target {
        Target::Fn(mut f) => {
            reject_const(&f.sig)?;
            *f.block = profiled_fn(&f.vis, &f.sig, &f.block, &krate)?;
            Ok(f.into_token_stream())
        }
        Target::Impl(i) => expand_impl(i, &krate).map(ToTokens::into_token_stream),
        Target::Mod(m) => expand_mod(m, true, &krate).map(ToTokens::into_token_stream),
    }
}

fn reject_const(sig: &Signature) -> syn::Result<()> {
    match &sig.constness {
        Some(c) => Err(Error::new_spanned(
            c,
            "#[line_profile] cannot profile a `const fn`: it may run at compile time, where \
             there is no clock; remove `const` or the attribute",
        )),
        None => Ok(()),
    }
}

/// Removes `#[line_profile(...)]` from the methods of an impl block, checking its arguments.
fn strip_method_attrs(mut imp: ItemImpl) -> syn::Result<ItemImpl> {
    for item in &mut imp.items {
        if let ImplItem::Fn(method) = item {
            take_args(&mut method.attrs)?;
        }
    }
    Ok(imp)
}

/// Takes the `#[line_profile(...)]` attributes off an item and returns what they say.
fn take_args(attrs: &mut Vec<Attribute>) -> syn::Result<Args> {
    let mut args = Args::default();
    let mut error = None;
    attrs.retain(|attr| {
        if !parse::is_line_profile(attr) {
            return true;
        }
        match parse::method_args(attr) {
            Ok(a) => {
                args.skip |= a.skip;
                args.krate = a.krate.or(args.krate.take());
            }
            Err(e) => error = Some(e),
        }
        false
    });
    error.map_or(Ok(args), Err)
}

/// Profiles every method with a body, except `const fn`s and methods marked `skip`, naming
/// `lablink-prof` by `krate` (or by a method's own `crate = path`).
fn expand_impl(mut imp: ItemImpl, krate: &Path) -> syn::Result<ItemImpl> {
    for item in &mut imp.items {
        let ImplItem::Fn(method) = item else { continue };
        let args = take_args(&mut method.attrs)?;
        if args.skip || method.sig.constness.is_some() {
            continue;
        }
        let krate = args.krate_or(krate);
        method.block = profiled_fn(&method.vis, &method.sig, &method.block, &krate)?;
    }
    Ok(imp)
}

/// Profiles every function of an inline module: free functions, the methods of its impl blocks
/// and the default methods of its traits, recursively into nested inline modules. As in an impl
/// block, `const fn`s are left alone and `#[line_profile(skip)]` on an item leaves it out (on a
/// nested module or impl block: all of it). With `profile` false the module is only cleared of
/// the inner attributes (the module itself was marked `skip`, or profiling is compiled out).
/// Items the attribute cannot see are left as they are: `mod m;` (another file) and items made
/// by macro invocations.
fn expand_mod(mut module: ItemMod, profile: bool, krate: &Path) -> syn::Result<ItemMod> {
    let Some((_, items)) = &mut module.content else {
        return Ok(module);
    };
    for item in items {
        match item {
            Item::Fn(f) => {
                let args = take_args(&mut f.attrs)?;
                if profile && !args.skip && f.sig.constness.is_none() {
                    *f.block = profiled_fn(&f.vis, &f.sig, &f.block, &args.krate_or(krate))?;
                }
            }
            Item::Impl(imp) => {
                let args = take_args(&mut imp.attrs)?;
                let taken = std::mem::replace(
                    imp,
                    parse_quote!(
                        impl () {}
                    ),
                );
                *imp = if profile && !args.skip {
                    expand_impl(taken, &args.krate_or(krate))?
                } else {
                    strip_method_attrs(taken)?
                };
            }
            Item::Trait(tr) => {
                let args = take_args(&mut tr.attrs)?;
                for trait_item in &mut tr.items {
                    let TraitItem::Fn(method) = trait_item else {
                        continue;
                    };
                    let method_args = take_args(&mut method.attrs)?;
                    let wanted = profile && !args.skip && !method_args.skip;
                    if let Some(block) = &mut method.default
                        && wanted
                        && method.sig.constness.is_none()
                    {
                        let krate = method_args.krate_or(&args.krate_or(krate));
                        *block = profiled_fn(&quote!(), &method.sig, block, &krate)?;
                    }
                }
            }
            Item::Mod(inner) => {
                let args = take_args(&mut inner.attrs)?;
                let taken = std::mem::replace(
                    inner,
                    parse_quote!(
                        mod __lp_placeholder {}
                    ),
                );
                *inner = expand_mod(taken, profile && !args.skip, &args.krate_or(krate))?;
            }
            _ => {}
        }
    }
    Ok(module)
}

/// The new body of the function `vis sig body`, naming `lablink-prof` by `krate`.
fn profiled_fn(
    vis: &dyn ToTokens,
    sig: &Signature,
    body: &Block,
    krate: &Path,
) -> syn::Result<Block> {
    let mut head = first_span(quote!(#vis #sig));
    let last = body.brace_token.span.close().start().line;
    // In a function made by `macro_rules!`, a visibility passed in as `$vis` lies at the macro's
    // call site while the rest lies in its definition: count from the `fn` token then.
    let fn_span = sig.fn_token.span;
    if head.start().line > last || head.local_file() != fn_span.local_file() {
        head = fn_span;
    }
    // A body another attribute rewrote first (`#[tracing::instrument]`, `#[async_trait]`) may
    // have new braces, spanned at the `fn` line or at that attribute: the user's tokens inside
    // still say where the function ends.
    let last = if last > head.start().line {
        last
    } else {
        last_line(body.to_token_stream(), &head.local_file()).max(last)
    };
    if sig.asyncness.is_some() && is_tracing_async_body(body) {
        return Err(Error::new(
            head,
            "#[line_profile] must come before #[tracing::instrument] on an `async fn`: \
             `instrument` moves the body into an `async` block that #[line_profile] cannot \
             enter; write `#[line_profile]` above `#[tracing::instrument]`",
        ));
    }
    let mut body = body.clone();
    if sig.asyncness.is_none()
        && let Some(inner) = async_trait_block(&mut body)
    {
        // `#[async_trait]` ran first: profile the `async move` block as the async fn's body.
        *inner = profiled_body(sig, true, &ReturnType::Default, inner, head, last, krate)?;
        return Ok(body);
    }
    profiled_body(
        sig,
        sig.asyncness.is_some(),
        &sig.output,
        &body,
        head,
        last,
        krate,
    )
}

/// Whether `#[tracing::instrument]` has already rewritten this `async fn` body: it then binds
/// the original body, as an `async move` block, to `__tracing_instrument_future`.
fn is_tracing_async_body(body: &Block) -> bool {
    body.stmts.iter().any(|stmt| {
        matches!(stmt, Stmt::Local(local)
            if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "__tracing_instrument_future"))
    })
}

/// The block of `Box::pin(async move { .. })` when that is the whole body: how `#[async_trait]`
/// rewrites an `async fn` of a trait impl before `#[line_profile]` on the method sees it.
fn async_trait_block(body: &mut Block) -> Option<&mut Block> {
    let [Stmt::Expr(Expr::Call(call), None)] = body.stmts.as_mut_slice() else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let names: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if !names.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut() {
        Some(Expr::Async(block)) if block.capture.is_some() => Some(&mut block.block),
        _ => None,
    }
}

/// The new body of a profiled function whose lines run from `head` to the line `last`.
fn profiled_body(
    sig: &Signature,
    is_async: bool,
    output: &ReturnType,
    body: &Block,
    head: Span,
    last: usize,
    krate: &Path,
) -> syn::Result<Block> {
    let first = head.start().line;
    if first == 0 || last < first {
        return Err(Error::new(
            head,
            "#[line_profile] needs line numbers from the compiler (Rust 1.88 or newer)",
        ));
    }
    let lines = LineRange { first, last };
    let source = source(head, &lines);
    let name = sig.ident.to_string();
    let frame = frame_ident();
    let call_site = Span::call_site();

    let private = quote_spanned!(call_site=> #krate::__private);
    let site = quote_spanned! {call_site=>
        static __LP_SITE: #private::FunctionSite =
            #private::FunctionSite::new(#private::SiteInfo {
                name: #name,
                file: ::core::file!(),
                first_line: #first as u32,
                source: &[#(#source),*],
                is_async: #is_async,
            });
        fn __lp_here() {}
    };
    let marker = quote_spanned!(call_site=> ::core::any::type_name_of_val(&__lp_here));

    let mut instrumented = body.clone();
    Instrumenter {
        lines: &lines,
        frame: frame.clone(),
        is_async,
        enclosing: None,
        private: &private,
    }
    .visit_block_mut(&mut instrumented);

    if needs_single_copy(output, body) {
        let stmts = &instrumented.stmts;
        return Ok(parse_quote! {{
            #site
            let #frame = ::core::pin::pin!(#private::begin_if_enabled(
                &__LP_SITE, #marker, #is_async));
            let #frame = #private::Frame::activate(#frame);
            #(#stmts)*
        }});
    }

    // Top-level items serve both copies.
    let is_item = |s: &Stmt| matches!(s, Stmt::Item(_));
    let items = body.stmts.iter().filter(|s| is_item(s));
    let plain = body.stmts.iter().filter(|s| !is_item(s));
    let instrumented = instrumented.stmts.iter().filter(|s| !is_item(s));
    let begin = if is_async {
        quote!(begin_async)
    } else {
        quote!(begin_sync)
    };
    Ok(parse_quote! {{
        #site
        #(#items)*
        if !#private::enabled() {
            #(#plain)*
        } else {
            let #frame = ::core::pin::pin!(#private::#begin(&__LP_SITE, #marker));
            let #frame = #private::Frame::activate(#frame);
            #(#instrumented)*
        }
    }})
}
