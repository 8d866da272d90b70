//! Which functions run once per request (or per event): the code where
//! building a long-lived client costs a connection, a TLS handshake and a
//! credential lookup every time.
//!
//! A function runs per request when
//! - its signature says so: `(http.ResponseWriter, *http.Request, ...)` (net/http,
//!   chi, gorilla, httprouter, Cloud Functions HTTP), `(*gin.Context)`,
//!   `(echo.Context) error`, `(*fiber.Ctx) error`, or
//!   `func(ctx context.Context, e SomeEvent) error` with an event-like type
//!   (a Cloud Functions background or CloudEvent function, an event handler);
//! - it is registered as a handler: passed to `lambda.Start`, to the Functions
//!   Framework (`functions.HTTP`, `functions.CloudEvent`,
//!   `funcframework.Register*`), or written as a func literal argument of
//!   `HandleFunc`/`Handle`/a router method (`GET`, `Post`, ...) or of a
//!   Pub/Sub `Receive`;
//! - it is a gRPC service method: a method of a type registered with
//!   `pb.RegisterXServer(s, impl)` or embedding `pb.UnimplementedXServer`,
//!   whose signature is a unary (`(ctx, *Req) (*Resp, error)`) or streaming
//!   (`(..., pb.X_YServer) error`) handler's;
//! - it is a function or method of the package called from code that runs
//!   per request (a helper of a handler).
//!
//! Code that runs once (`init`, `main`, `sync.Once.Do`, `sync.OnceValue`)
//! never counts, even when a handler calls into it.

use std::collections::HashMap;

use tree_sitter::Node;

use super::GoPackage;
use super::types::TypeEnv;
use crate::catalog::go::GoCatalog;
use crate::lang::go::{enclosing_function, is_function};
use crate::lang::text;

/// How a function came to run per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `func(w http.ResponseWriter, r *http.Request)`: net/http, chi, gorilla, Cloud Functions HTTP.
    NetHttp,
    Gin,
    Echo,
    Fiber,
    /// A Cloud Functions background or CloudEvent function.
    Event,
    /// A function handed to `lambda.Start`.
    Lambda,
    /// A method of a registered gRPC service.
    Grpc,
    /// A func literal passed to `HandleFunc`/`Handle`/a router method, or a
    /// function registered with the Functions Framework.
    Registered,
    /// Called from code that runs per request.
    Helper,
}

impl Style {
    /// How a message names the function: "HTTP handler", "gin handler".
    pub fn describe(self) -> &'static str {
        match self {
            Style::NetHttp => "HTTP handler",
            Style::Gin => "gin handler",
            Style::Echo => "echo handler",
            Style::Fiber => "fiber handler",
            Style::Event => "event handler",
            Style::Lambda => "Lambda handler",
            Style::Grpc => "gRPC method",
            Style::Registered => "handler",
            Style::Helper => "function called by a handler",
        }
    }
}

/// Router and mux methods that register a handler.
const ROUTER_METHODS: [&str; 24] = [
    "HandleFunc",
    "Handle",
    "HandlerFunc",
    "Handler",
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "HEAD",
    "OPTIONS",
    "Any",
    "Get",
    "Post",
    "Put",
    "Delete",
    "Patch",
    "Head",
    "Options",
    "All",
    "Method",
    "MethodFunc",
    "Match",
    "Connect",
];

const LAMBDA: &str = "github.com/aws/aws-lambda-go/lambda";
const FUNCTIONS: &str = "github.com/GoogleCloudPlatform/functions-framework-go/functions";
const FUNCFRAMEWORK: &str = "github.com/GoogleCloudPlatform/functions-framework-go/funcframework";

/// A function identified across the package: (index into `pkg.files`, start byte).
pub type FuncKey = (usize, usize);

/// The functions of a package that run per request.
#[derive(Default, Debug)]
pub struct PerRequest {
    by_func: HashMap<FuncKey, Style>,
}

impl PerRequest {
    /// Finds the per-request functions of `pkg`.
    pub fn of(pkg: &GoPackage, catalog: &GoCatalog) -> PerRequest {
        let mut pr = PerRequest::default();
        // Top-level declarations by name, to follow registrations and calls.
        // Several per name when files of a folder are separate programs
        // (`go run create.go`, `go run update.go`): the file's own first.
        let mut funcs: HashMap<&str, Vec<FuncKey>> = HashMap::new();
        let mut methods: HashMap<&str, Vec<(FuncKey, Option<String>)>> = HashMap::new();
        for (fi, file) in pkg.files.iter().enumerate() {
            let src = file.text();
            let root = file.root();
            let mut c = root.walk();
            for decl in root.named_children(&mut c) {
                let Some(name) = decl.child_by_field_name("name") else {
                    continue;
                };
                match decl.kind() {
                    "function_declaration" => {
                        funcs
                            .entry(text(name, src))
                            .or_default()
                            .push((fi, decl.start_byte()));
                    }
                    "method_declaration" => {
                        methods.entry(text(name, src)).or_default().push((
                            (fi, decl.start_byte()),
                            super::module::receiver_type_name(decl, src),
                        ));
                    }
                    _ => {}
                }
            }
        }

        // Signatures and registrations.
        for (fi, file) in pkg.files.iter().enumerate() {
            let src = file.text();
            let mut stack = vec![file.root()];
            while let Some(n) = stack.pop() {
                if is_function(n)
                    && let Some(style) = signature_style(n, file)
                {
                    // A signature says more than a registration seen first.
                    pr.by_func.insert((fi, n.start_byte()), style);
                }
                if n.kind() == "call_expression" {
                    for (target, style) in registered(n, file) {
                        match target.kind() {
                            "func_literal" => {
                                pr.by_func.entry((fi, target.start_byte())).or_insert(style);
                            }
                            "identifier" => {
                                if let Some(k) = pick(&funcs, text(target, src), fi) {
                                    pr.by_func.entry(k).or_insert(style);
                                }
                            }
                            "selector_expression" => {
                                let Some(field) = target.child_by_field_name("field") else {
                                    continue;
                                };
                                let recv = target.child_by_field_name("operand").and_then(|o| {
                                    let f = enclosing_function(o)?;
                                    TypeEnv::for_function(pkg, file, catalog, f).type_of(o)
                                });
                                for (k, rt) in methods
                                    .get(text(field, src))
                                    .map(Vec::as_slice)
                                    .unwrap_or(&[])
                                {
                                    let fits = match (&recv, rt) {
                                        (Some(t), Some(rt)) => {
                                            t.package == pkg.import_path && t.name == *rt
                                        }
                                        _ => true,
                                    };
                                    if fits {
                                        pr.by_func.entry(*k).or_insert(style);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }

        // gRPC services: methods of registered types and of types embedding
        // the generated `Unimplemented...Server`.
        for t in grpc_service_types(pkg, catalog) {
            for list in methods.values() {
                for (k, rt) in list {
                    if rt.as_deref() != Some(t.as_str()) {
                        continue;
                    }
                    let file = &pkg.files[k.0];
                    if let Some(f) = function_at(file.root(), k.1)
                        && is_grpc_method(f, file)
                    {
                        pr.by_func.entry(*k).or_insert(Style::Grpc);
                    }
                }
            }
        }

        // Helpers: what per-request code calls, transitively.
        let mut work: Vec<FuncKey> = pr.by_func.keys().copied().collect();
        let mut steps = 0;
        while let Some((fi, start)) = work.pop() {
            steps += 1;
            if steps > 10_000 {
                break;
            }
            let file = &pkg.files[fi];
            let Some(func) = function_at(file.root(), start) else {
                continue;
            };
            let src = file.text();
            let env = TypeEnv::for_function(pkg, file, catalog, func);
            let Some(body) = func.child_by_field_name("body") else {
                continue;
            };
            let mut stack = vec![body];
            while let Some(n) = stack.pop() {
                if n.kind() == "func_literal" && runs_once_literal(n, src) {
                    continue;
                }
                if n.kind() == "call_expression"
                    && let Some(callee) = n.child_by_field_name("function")
                {
                    let target = match callee.kind() {
                        "identifier" if !env.is_local(text(callee, src)) => {
                            pick(&funcs, text(callee, src), fi)
                        }
                        "selector_expression" => {
                            let operand = callee.child_by_field_name("operand");
                            let field = callee.child_by_field_name("field");
                            match (operand, field) {
                                (Some(o), Some(f)) if env.package_of(o).is_none() => {
                                    let recv = env.type_of(o);
                                    recv.filter(|t| t.package == pkg.import_path).and_then(|t| {
                                        methods.get(text(f, src))?.iter().find_map(|(k, rt)| {
                                            (rt.as_deref() == Some(t.name.as_str())).then_some(*k)
                                        })
                                    })
                                }
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    if let Some(k) = target
                        && !pr.by_func.contains_key(&k)
                        && !is_once_only(&pkg.files[k.0], k.1)
                    {
                        pr.by_func.insert(k, Style::Helper);
                        work.push(k);
                    }
                }
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }
        pr
    }

    /// How `func` (a function node of file `file`) runs per request, if it does.
    pub fn style(&self, file: usize, func: Node) -> Option<Style> {
        self.by_func.get(&(file, func.start_byte())).copied()
    }

    /// The innermost function around `node` that runs per request, unless
    /// code between them runs once (`sync.Once.Do(func() {...})`).
    pub fn handler_of<'t>(
        &self,
        file: usize,
        node: Node<'t>,
        src: &str,
    ) -> Option<(Node<'t>, Style)> {
        let mut cur = enclosing_function(node);
        while let Some(f) = cur {
            if f.kind() == "func_literal" && runs_once_literal(f, src) {
                return None;
            }
            if let Some(s) = self.style(file, f) {
                return Some((f, s));
            }
            cur = enclosing_function(f);
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.by_func.is_empty()
    }
}

/// The function of the package named `name`, the one in file `fi` if it
/// declares one.
fn pick(funcs: &HashMap<&str, Vec<FuncKey>>, name: &str, fi: usize) -> Option<FuncKey> {
    let all = funcs.get(name)?;
    all.iter().find(|k| k.0 == fi).or(all.first()).copied()
}

/// The function node starting at `start`.
fn function_at(root: Node, start: usize) -> Option<Node> {
    let mut n = root.descendant_for_byte_range(start, start)?;
    loop {
        if is_function(n) && n.start_byte() == start {
            return Some(n);
        }
        n = n.parent()?;
    }
}

/// `init`, `main`, or code that only runs inside `sync.Once`.
fn is_once_only(file: &super::GoFile, start: usize) -> bool {
    let Some(f) = function_at(file.root(), start) else {
        return true;
    };
    f.kind() == "function_declaration"
        && f.child_by_field_name("name")
            .is_some_and(|n| matches!(text(n, file.text()), "init" | "main"))
}

/// Code that runs once per process: `init()`, `main()`, a func literal given
/// to `once.Do`, `sync.OnceFunc`, `sync.OnceValue(s)`.
pub fn runs_once(func: Node, src: &str) -> bool {
    let mut cur = Some(func);
    while let Some(f) = cur {
        if f.kind() == "function_declaration"
            && f.child_by_field_name("name")
                .is_some_and(|n| matches!(text(n, src), "init" | "main"))
        {
            return true;
        }
        if f.kind() == "func_literal" && runs_once_literal(f, src) {
            return true;
        }
        cur = enclosing_function(f);
    }
    false
}

fn runs_once_literal(lit: Node, src: &str) -> bool {
    let Some(call) = lit
        .parent()
        .filter(|p| p.kind() == "argument_list")
        .and_then(|a| a.parent())
    else {
        return false;
    };
    let Some(callee) = call.child_by_field_name("function") else {
        return false;
    };
    let c = text(callee, src);
    c.ends_with(".Do") || c.starts_with("sync.Once")
}

/// The types of a parameter list, one per declared name.
pub fn param_types<'t>(list: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut c = list.walk();
    for decl in list.named_children(&mut c) {
        if !matches!(
            decl.kind(),
            "parameter_declaration" | "variadic_parameter_declaration"
        ) {
            continue;
        }
        let Some(t) = decl.child_by_field_name("type") else {
            continue;
        };
        let mut c2 = decl.walk();
        let names = decl.children_by_field_name("name", &mut c2).count().max(1);
        out.extend(std::iter::repeat_n(t, names));
    }
    out
}

/// `pkg.Name` (or `*pkg.Name` when `pointer`) with `pkg` resolving to one of `paths`.
pub fn is_type(t: Node, file: &super::GoFile, paths: &[&str], name: &str, pointer: bool) -> bool {
    let t = if pointer {
        if t.kind() != "pointer_type" {
            return false;
        }
        match t.named_child(0) {
            Some(inner) => inner,
            None => return false,
        }
    } else {
        t
    };
    if t.kind() != "qualified_type" {
        return false;
    }
    let src = file.text();
    let (Some(p), Some(n)) = (
        t.child_by_field_name("package"),
        t.child_by_field_name("name"),
    ) else {
        return false;
    };
    text(n, src) == name
        && file
            .imports
            .resolve(text(p, src))
            .is_some_and(|path| paths.contains(&path))
}

fn result_is_error(func: Node, src: &str) -> bool {
    func.child_by_field_name("result").is_some_and(|r| {
        let t = text(r, src).trim();
        t == "error" || t == "(error)"
    })
}

/// The per-request style a function's signature shows, if any.
fn signature_style(func: Node, file: &super::GoFile) -> Option<Style> {
    let src = file.text();
    let params = param_types(func.child_by_field_name("parameters")?);
    let no_result = func.child_by_field_name("result").is_none();
    if params.len() >= 2
        && no_result
        && is_type(params[0], file, &["net/http"], "ResponseWriter", false)
        && is_type(params[1], file, &["net/http"], "Request", true)
    {
        return Some(Style::NetHttp);
    }
    if params.len() == 1 {
        let p = params[0];
        if no_result && is_type(p, file, &["github.com/gin-gonic/gin"], "Context", true) {
            return Some(Style::Gin);
        }
        if result_is_error(func, src) {
            if is_type(
                p,
                file,
                &["github.com/labstack/echo/v4", "github.com/labstack/echo"],
                "Context",
                false,
            ) {
                return Some(Style::Echo);
            }
            if is_type(p, file, &["github.com/gofiber/fiber/v2"], "Ctx", true)
                || is_type(p, file, &["github.com/gofiber/fiber/v3"], "Ctx", false)
            {
                return Some(Style::Fiber);
            }
        }
    }
    // Cloud Functions background / CloudEvent functions, and event handlers
    // like them: `func(ctx context.Context, e SomeEvent) error`, where the
    // event's type is named like one (`PubSubMessage`, `GCSEvent`,
    // `event.Event`).
    if func.kind() != "func_literal"
        && params.len() == 2
        && result_is_error(func, src)
        && is_type(params[0], file, &["context"], "Context", false)
        && is_event_type(params[1], file)
    {
        return Some(Style::Event);
    }
    None
}

/// `PubSubMessage`, `GCSEvent`, `*StorageObjectData`, `event.Event`.
fn is_event_type(t: Node, file: &super::GoFile) -> bool {
    let src = file.text();
    let t = if t.kind() == "pointer_type" {
        match t.named_child(0) {
            Some(i) => i,
            None => return false,
        }
    } else {
        t
    };
    let name = match t.kind() {
        "type_identifier" => text(t, src),
        "qualified_type" => {
            let Some(p) = t.child_by_field_name("package") else {
                return false;
            };
            if let Some(path) = file.imports.resolve(text(p, src))
                && (path.starts_with("github.com/cloudevents/")
                    || path.starts_with("github.com/googleapis/google-cloudevents-go/"))
            {
                return true;
            }
            t.child_by_field_name("name")
                .map(|n| text(n, src))
                .unwrap_or("")
        }
        _ => return false,
    };
    ["Event", "Message", "Msg", "Data", "Payload"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Names of the package's types that serve gRPC: the second argument of a
/// `RegisterXServer(s, impl)` call (a generated registration), and types
/// embedding a generated `UnimplementedXServer`.
fn grpc_service_types(pkg: &GoPackage, catalog: &GoCatalog) -> Vec<String> {
    let mut out = Vec::new();
    for file in &pkg.files {
        let src = file.text();
        let mut stack = vec![file.root()];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "call_expression" => {
                    if let Some(f) = n.child_by_field_name("function")
                        && let Some(name) = match f.kind() {
                            "selector_expression" => f.child_by_field_name("field"),
                            "identifier" => Some(f),
                            _ => None,
                        }
                        .map(|x| text(x, src))
                        && name.starts_with("Register")
                        && name.ends_with("Server")
                        && let Some(args) = n.child_by_field_name("arguments")
                        && args.named_child_count() == 2
                        && let Some(imp) = args.named_child(1)
                        && let Some(func) = enclosing_function(n)
                        && let Some(t) =
                            TypeEnv::for_function(pkg, file, catalog, func).type_of(imp)
                        && t.package == pkg.import_path
                    {
                        out.push(t.name);
                    }
                }
                "type_spec" => {
                    if let (Some(name), Some(ty)) =
                        (n.child_by_field_name("name"), n.child_by_field_name("type"))
                        && ty.kind() == "struct_type"
                        && embeds_unimplemented_server(ty, src)
                    {
                        out.push(text(name, src).to_string());
                    }
                    continue;
                }
                "function_declaration" | "method_declaration" => {
                    // Registrations are calls inside functions; type
                    // declarations inside functions are rare: look anyway.
                }
                _ => {}
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Does a struct type embed `pb.UnimplementedXServer` (or
/// `UnsafeXServer`), as protoc-gen-go-grpc asks service types to?
fn embeds_unimplemented_server(st: Node, src: &str) -> bool {
    let mut stack = vec![st];
    while let Some(n) = stack.pop() {
        if n.kind() == "field_declaration" && n.child_by_field_name("name").is_none() {
            let Some(mut t) = n.child_by_field_name("type") else {
                continue;
            };
            if t.kind() == "pointer_type"
                && let Some(inner) = t.named_child(0)
            {
                t = inner;
            }
            let name = match t.kind() {
                "qualified_type" => t.child_by_field_name("name").map(|x| text(x, src)),
                "type_identifier" => Some(text(t, src)),
                _ => None,
            };
            if name.is_some_and(|n| {
                (n.starts_with("Unimplemented") || n.starts_with("Unsafe")) && n.ends_with("Server")
            }) {
                return true;
            }
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// A gRPC handler's signature: unary `(ctx context.Context, req *pb.Req)
/// (*pb.Resp, error)`, or streaming `(req *pb.Req, stream pb.S_MServer)
/// error` / `(stream pb.S_MServer) error`.
fn is_grpc_method(func: Node, file: &super::GoFile) -> bool {
    let src = file.text();
    let Some(name) = func.child_by_field_name("name") else {
        return false;
    };
    if !text(name, src).starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    let Some(params) = func.child_by_field_name("parameters") else {
        return false;
    };
    let params = param_types(params);
    let result = func
        .child_by_field_name("result")
        .map(|r| text(r, src).trim().to_string())
        .unwrap_or_default();
    let unary = params.len() == 2
        && is_type(params[0], file, &["context"], "Context", false)
        && result.starts_with('(')
        && result.ends_with("error)")
        && result.contains(',');
    let streaming = !params.is_empty()
        && params.len() <= 2
        && result == "error"
        && params.last().is_some_and(|t| {
            let t = text(*t, src);
            t.ends_with("Server") && t.contains('_')
        });
    unary || streaming
}

/// Functions a call registers as handlers: (the function expression, style).
fn registered<'t>(call: Node<'t>, file: &super::GoFile) -> Vec<(Node<'t>, Style)> {
    let src = file.text();
    let Some(callee) = call.child_by_field_name("function") else {
        return Vec::new();
    };
    let Some(args) = call.child_by_field_name("arguments") else {
        return Vec::new();
    };
    let mut c = args.walk();
    let args: Vec<Node> = args
        .named_children(&mut c)
        .filter(|a| a.kind() != "comment")
        .collect();
    if callee.kind() != "selector_expression" {
        return Vec::new();
    }
    let (Some(operand), Some(field)) = (
        callee.child_by_field_name("operand"),
        callee.child_by_field_name("field"),
    ) else {
        return Vec::new();
    };
    let method = text(field, src);
    let path = (operand.kind() == "identifier")
        .then(|| file.imports.resolve(text(operand, src)))
        .flatten();
    let nth = |i: usize| args.get(i).copied();
    let picked: Option<(Node, Style)> = match (path, method) {
        (Some(LAMBDA), m) if m.starts_with("Start") || m == "NewHandler" => {
            nth(0).map(|a| (a, Style::Lambda))
        }
        (Some(FUNCTIONS), "HTTP" | "CloudEvent" | "Typed") => {
            nth(1).map(|a| (a, Style::Registered))
        }
        (Some(FUNCFRAMEWORK), m) if m.starts_with("Register") => {
            args.last().copied().map(|a| (a, Style::Registered))
        }
        // Pub/Sub `sub.Receive(ctx, func(ctx, m) {...})`: once per message.
        (None, "Receive") => {
            return args
                .iter()
                .filter(|a| {
                    a.kind() == "func_literal"
                        && a.child_by_field_name("parameters")
                            .is_some_and(|p| param_types(p).len() == 2)
                })
                .map(|a| (*a, Style::Event))
                .collect();
        }
        _ if ROUTER_METHODS.contains(&method) => {
            // The handler is usually the last argument; middlewares may follow the path.
            return args
                .iter()
                .skip(1)
                .filter(|a| {
                    a.kind() == "func_literal"
                        && a.child_by_field_name("parameters")
                            .is_some_and(|p| p.named_child_count() > 0)
                })
                .map(|a| (*a, Style::Registered))
                .collect();
        }
        _ => None,
    };
    match picked {
        Some((a, s))
            if matches!(
                a.kind(),
                "func_literal" | "identifier" | "selector_expression"
            ) =>
        {
            vec![(a, s)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(files: &[(&str, &str)]) -> GoPackage {
        GoPackage::from_sources("/p", files)
    }

    /// Names of the per-request functions (literals as `lit@line`).
    fn per_request(pkg: &GoPackage) -> Vec<String> {
        let catalog = GoCatalog::built_in().unwrap();
        let pr = PerRequest::of(pkg, &catalog);
        let mut out = Vec::new();
        for (fi, file) in pkg.files.iter().enumerate() {
            let src = file.text();
            let mut stack = vec![file.root()];
            while let Some(n) = stack.pop() {
                if is_function(n)
                    && let Some(s) = pr.style(fi, n)
                {
                    let name = n
                        .child_by_field_name("name")
                        .map(|x| text(x, src).to_string())
                        .unwrap_or_else(|| format!("lit@{}", n.start_position().row + 1));
                    out.push(format!("{name}:{s:?}"));
                }
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn handler_styles() {
        let pkg = package(&[(
            "a.go",
            r#"package fn

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
)

type PubSubMessage struct{ Data []byte }

type server struct{}

func plain(w http.ResponseWriter, r *http.Request) { helper(r.Context()) }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.load() }

func (s *server) load() {}

func helper(ctx context.Context) {}

func notHandler(ctx context.Context, id string) error { return nil }

func HelloPubSub(ctx context.Context, m PubSubMessage) error { return nil }

func ginH(c *gin.Context) {}

func echoH(c echo.Context) error { return nil }

func fiberH(c *fiber.Ctx) error { return nil }

func handle(ctx context.Context, ev map[string]string) (string, error) { return "", nil }

func setup(mux *http.ServeMux) {
	mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {})
	router.GET("/y", func(c *custom.Ctx) {})
	cache.Get("k", func() (int, error) { return 1, nil })
}

func main() {
	lambda.Start(handle)
}
"#,
        )]);
        assert_eq!(
            per_request(&pkg),
            vec![
                "HelloPubSub:Event",
                "ServeHTTP:NetHttp",
                "echoH:Echo",
                "fiberH:Fiber",
                "ginH:Gin",
                "handle:Lambda",
                "helper:Helper",
                "lit@38:NetHttp",
                "lit@39:Registered",
                "load:Helper",
                "plain:NetHttp",
            ]
        );
    }

    #[test]
    fn event_functions_need_an_event_type() {
        let pkg = package(&[(
            "a.go",
            "package main\n\nimport \"context\"\n\ntype Event struct{}\n\ntype Config struct{}\n\nfunc handle(ctx context.Context, e Event) error { return nil }\n\nfunc Run(ctx context.Context, c Config) error { return nil }\n\nfunc main() {\n\tsub.Receive(ctx, func(ctx context.Context, m *pubsub.Message) {})\n}\n",
        )]);
        assert_eq!(per_request(&pkg), vec!["handle:Event", "lit@14:Event"]);
    }

    #[test]
    fn grpc_service_methods() {
        let pkg = package(&[(
            "a.go",
            "package svc\n\nimport (\n\t\"context\"\n\n\tpb \"example.com/gen/greeter\"\n\t\"google.golang.org/grpc\"\n)\n\ntype greeter struct {\n\tpb.UnimplementedGreeterServer\n}\n\nfunc (g *greeter) SayHello(ctx context.Context, in *pb.HelloRequest) (*pb.HelloReply, error) { return g.reply(ctx) }\n\nfunc (g *greeter) Watch(in *pb.HelloRequest, s pb.Greeter_WatchServer) error { return nil }\n\nfunc (g *greeter) reply(ctx context.Context) (*pb.HelloReply, error) { return nil, nil }\n\nfunc (g *greeter) Close() error { return nil }\n\ntype admin struct{}\n\nfunc (a *admin) Reset(ctx context.Context, in *pb.Empty) (*pb.Empty, error) { return nil, nil }\n\ntype other struct{}\n\nfunc (o *other) Get(ctx context.Context, id *pb.Empty) (*pb.Empty, error) { return nil, nil }\n\nfunc serve(s *grpc.Server) {\n\tpb.RegisterAdminServer(s, &admin{})\n}\n",
        )]);
        assert_eq!(
            per_request(&pkg),
            vec!["Reset:Grpc", "SayHello:Grpc", "Watch:Grpc", "reply:Helper"]
        );
    }
}
