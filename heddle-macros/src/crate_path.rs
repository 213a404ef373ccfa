//! The path the expansion uses to reach heddle when the attribute has no
//! `crate = "..."` argument.
//!
//! A program ported from tokio by renaming the crate in its `Cargo.toml`
//! (`tokio = { package = "heddle", .. }`) reaches heddle as `::tokio`, and
//! `#[tokio::main]` must expand to code that says `::tokio::runtime::..`. The
//! calling crate's manifest tells which name heddle has there;
//! `proc-macro-crate` reads it (dependencies, dev-dependencies, per-target
//! tables and workspace-inherited entries). When it cannot tell (no
//! manifest, heddle only reached through a re-export, or the crate being
//! compiled is heddle itself, whose doctests and examples see it as
//! `::heddle`), the path is `::heddle`.

use proc_macro2::Span;
use proc_macro_crate::{crate_name, FoundCrate};

/// The package name looked up in the calling crate's manifest.
const PACKAGE: &str = "heddle";

/// `::NAME`, where `NAME` is heddle's name in the calling crate.
pub(crate) fn from_manifest() -> syn::Path {
    path_for(crate_name(PACKAGE).ok())
}

/// The path for a lookup result: `::name` for a dependency found under
/// `name`, `::heddle` otherwise.
///
/// `Itself` means the macro runs for a target of the heddle package. Its
/// library never uses the attributes, and its doctests, examples, tests and
/// benches all see the library as `::heddle`, so `crate` would be wrong.
pub(crate) fn path_for(found: Option<FoundCrate>) -> syn::Path {
    let name = match found {
        Some(FoundCrate::Name(name)) => name,
        Some(FoundCrate::Itself) | None => PACKAGE.to_string(),
    };
    // `proc-macro-crate` turns `-` into `_`; anything still not an identifier
    // (it cannot be, for a name cargo accepted) falls back to `::heddle`.
    match syn::parse_str::<syn::Ident>(&name) {
        Ok(_) => {
            let ident = syn::Ident::new(&name, Span::call_site());
            syn::parse_quote!(::#ident)
        }
        Err(_) => syn::parse_quote!(::heddle),
    }
}
