//! The expansion: a profiled function, or every method of a profiled impl block.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Block, Error, ImplItem, ImplItemFn, ItemImpl, Signature, Stmt, parse_quote};

use crate::instrument::{Instrumenter, frame_ident};
use crate::lines::{LineRange, first_span, source};
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
    let args: Args = syn::parse2(args)?;
    let target = parse::target(item)?;
    if args.skip || !cfg!(feature = "profiling") {
        return Ok(match target {
            Target::Fn(f) => reject_const(&f.sig).map(|()| f.into_token_stream())?,
            Target::Impl(i) => strip_method_attrs(i)?.into_token_stream(),
        });
    }
    match target {
        Target::Fn(mut f) => {
            reject_const(&f.sig)?;
            let vis = &f.vis;
            let sig = &f.sig;
            let head_span = first_span(quote!(#vis #sig));
            *f.block = profiled_body(&f.sig, &f.block, head_span)?;
            Ok(f.into_token_stream())
        }
        Target::Impl(i) => expand_impl(i).map(ToTokens::into_token_stream),
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
            method_args(method)?;
        }
    }
    Ok(imp)
}

/// Takes the `#[line_profile(...)]` attributes off a method and returns what they say.
fn method_args(method: &mut ImplItemFn) -> syn::Result<Args> {
    let mut args = Args::default();
    let mut error = None;
    method.attrs.retain(|attr| {
        if !parse::is_line_profile(attr) {
            return true;
        }
        match parse::method_args(attr) {
            Ok(a) => args.skip |= a.skip,
            Err(e) => error = Some(e),
        }
        false
    });
    error.map_or(Ok(args), Err)
}

/// Profiles every method with a body, except `const fn`s and methods marked `skip`.
fn expand_impl(mut imp: ItemImpl) -> syn::Result<ItemImpl> {
    for item in &mut imp.items {
        let ImplItem::Fn(method) = item else { continue };
        let args = method_args(method)?;
        if args.skip || method.sig.constness.is_some() {
            continue;
        }
        let vis = &method.vis;
        let sig = &method.sig;
        let head_span = first_span(quote!(#vis #sig));
        method.block = profiled_body(&method.sig, &method.block, head_span)?;
    }
    Ok(imp)
}

/// The new body of a profiled function.
fn profiled_body(sig: &Signature, body: &Block, head: Span) -> syn::Result<Block> {
    let first = head.start().line;
    let last = body.brace_token.span.close().start().line;
    if first == 0 || last < first {
        return Err(Error::new(
            head,
            "#[line_profile] needs line numbers from the compiler (Rust 1.88 or newer)",
        ));
    }
    let lines = LineRange { first, last };
    let source = source(head, &lines);
    let is_async = sig.asyncness.is_some();
    let name = sig.ident.to_string();
    let frame = frame_ident();
    let call_site = Span::call_site();

    let site = quote_spanned! {call_site=>
        static __LP_SITE: ::lablink_prof::__private::FunctionSite =
            ::lablink_prof::__private::FunctionSite::new(::lablink_prof::__private::SiteInfo {
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
    }
    .visit_block_mut(&mut instrumented);

    if needs_single_copy(&sig.output, body) {
        let stmts = &instrumented.stmts;
        return Ok(parse_quote! {{
            #site
            let mut #frame = ::lablink_prof::__private::Frame::enter_if_enabled(
                &__LP_SITE, #marker, #is_async);
            #frame.activate();
            #(#stmts)*
        }});
    }

    // Top-level items serve both copies.
    let is_item = |s: &Stmt| matches!(s, Stmt::Item(_));
    let items = body.stmts.iter().filter(|s| is_item(s));
    let plain = body.stmts.iter().filter(|s| !is_item(s));
    let instrumented = instrumented.stmts.iter().filter(|s| !is_item(s));
    let enter = if is_async {
        quote!(enter_async)
    } else {
        quote!(enter_sync)
    };
    Ok(parse_quote! {{
        #site
        #(#items)*
        if !::lablink_prof::__private::enabled() {
            #(#plain)*
        } else {
            let mut #frame = ::lablink_prof::__private::Frame::#enter(&__LP_SITE, #marker);
            #frame.activate();
            #(#instrumented)*
        }
    }})
}
