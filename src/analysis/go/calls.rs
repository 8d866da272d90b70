//! A first, cheap look at a call: could the catalog know it at all? Most
//! calls (`fmt.Sprintf`, `s.helper()`) cannot create a resource, and saying
//! so needs only the file's imports, not a type environment.

use tree_sitter::Node;

use super::{GoFile, GoPackage};
use crate::catalog::go::{GoCatalog, Lookup};
use crate::lang::text;

/// Could this call be a catalog (or learned) constructor? False means
/// certainly not; true means look closer.
pub fn may_be_resource(call: Node, file: &GoFile, pkg: &GoPackage, catalog: &GoCatalog) -> bool {
    let src = file.text();
    let Some(f) = call.child_by_field_name("function") else {
        return false;
    };
    match f.kind() {
        "selector_expression" => {
            let Some((operand, field)) = crate::lang::go::selector_call(call) else {
                return false;
            };
            if operand.kind() == "identifier"
                && let Some(path) = file.imports.resolve(text(operand, src))
            {
                // `context.WithValue`, `time.Now`: the package is in the
                // catalog, the function is not.
                if matches!(
                    catalog.lookup_func(path, text(field, src)),
                    Lookup::Resource(_)
                ) {
                    return true;
                }
            }
            // A method (or a package shadowed by a local): only catalog method names.
            catalog.might_have_method(text(field, src))
        }
        "identifier" => matches!(
            catalog.lookup_func(&pkg.import_path, text(f, src)),
            Lookup::Resource(_)
        ),
        _ => false,
    }
}
