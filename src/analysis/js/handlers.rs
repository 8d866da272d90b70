//! Which functions run once per request or message: route handlers and
//! middleware (Express, Fastify, Koa, Hono and their routers), plain
//! `http.createServer` listeners, Next.js API routes (pages/api and app
//! router `route.ts` files), AWS Lambda handlers, and queue or message
//! consumers (kafkajs, amqplib, BullMQ/Bull, sqs-consumer, `on("message")`).

use std::ops::Range;
use std::path::Path;

use tree_sitter::Node;

use super::JsFile;
use super::scope::{parameters, visit};
use crate::lang::js::{is_function, strip_ts};
use crate::lang::text;

/// What kind of code calls the function once per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerKind {
    /// A route handler or middleware registered on an app or router.
    Route,
    /// An `http.createServer` (or `server.on("request")`) listener.
    Server,
    /// A Next.js API route.
    NextApi,
    /// An AWS Lambda handler.
    Lambda,
    /// A queue or message consumer's callback.
    Consumer,
}

impl HandlerKind {
    pub fn describe(self) -> &'static str {
        match self {
            HandlerKind::Route => "a route handler",
            HandlerKind::Server => "a request listener",
            HandlerKind::NextApi => "a Next.js API route",
            HandlerKind::Lambda => "a Lambda handler",
            HandlerKind::Consumer => "a message consumer",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handler {
    /// Byte range of the function.
    pub range: Range<usize>,
    pub kind: HandlerKind,
}

/// Methods that register route handlers or middleware.
const ROUTE_METHODS: [&str; 12] = [
    "get", "post", "put", "patch", "delete", "del", "all", "options", "head", "use", "any", "on",
];

/// Modules whose apps and routers register handlers with `ROUTE_METHODS`.
const APP_MODULES: [&str; 10] = [
    "express",
    "fastify",
    "koa",
    "@koa/router",
    "koa-router",
    "hono",
    "polka",
    "restify",
    "router",
    "connect",
];

/// Names people give apps and routers.
const APP_NAMES: [&str; 8] = [
    "app", "router", "server", "fastify", "api", "routes", "route", "instance",
];

/// Every function in the file that runs once per request or message.
pub fn find(file: &JsFile) -> Vec<Handler> {
    let src = file.text();
    let mut out = Vec::new();
    let add = |f: Node, kind: HandlerKind, out: &mut Vec<Handler>| {
        let h = Handler {
            range: f.byte_range(),
            kind,
        };
        if !out.contains(&h) {
            out.push(h);
        }
    };
    visit(file.root(), &mut |n| match n.kind() {
        "call_expression" => {
            for (f, kind) in registered(file, n) {
                add(f, kind, &mut out);
            }
        }
        "new_expression" => {
            // BullMQ: new Worker(queueName, async (job) => { ... })
            if let Some(ctor) = n.child_by_field_name("constructor")
                && file
                    .resolve(ctor)
                    .is_some_and(|v| v.module == "bullmq" && v.path == "Worker")
                && let Some(args) = n.child_by_field_name("arguments")
                && let Some(f) = args.named_child(1)
            {
                for f in function_values(file, f) {
                    add(f, HandlerKind::Consumer, &mut out);
                }
            }
        }
        "method_definition" => {
            // NestJS: @Get() / @Post() ... on a controller method;
            // @MessagePattern() / @EventPattern() on a microservice handler.
            if let Some(kind) = nest_handler(file, n) {
                add(n, kind, &mut out);
            }
        }
        "assignment_expression" => {
            // exports.handler = async (event) => { ... }
            if let (Some(l), Some(r)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) {
                let l = text(l, src);
                if l == "exports.handler" || l == "module.exports.handler" {
                    for f in function_values(file, r) {
                        add(f, HandlerKind::Lambda, &mut out);
                    }
                }
            }
        }
        _ => {}
    });
    exported(file, &mut |f, kind| add(f, kind, &mut out));
    out
}

/// NestJS route and message handlers: a method whose decorators (the
/// `decorator` siblings just before it in the class body) are route or
/// message decorators imported from @nestjs/common or @nestjs/microservices.
fn nest_handler(file: &JsFile, method: Node) -> Option<HandlerKind> {
    let mut prev = method.prev_named_sibling();
    while let Some(d) = prev {
        if d.kind() != "decorator" {
            break;
        }
        let call = d.named_child(0)?;
        let callee = if call.kind() == "call_expression" {
            call.child_by_field_name("function")?
        } else {
            call
        };
        if let Some(v) = file.resolve(callee) {
            let route = v.module == "@nestjs/common"
                && matches!(
                    v.path.as_str(),
                    "Get" | "Post" | "Put" | "Patch" | "Delete" | "All" | "Options" | "Head"
                );
            let message = v.module == "@nestjs/microservices"
                && matches!(v.path.as_str(), "MessagePattern" | "EventPattern");
            if route {
                return Some(HandlerKind::Route);
            }
            if message {
                return Some(HandlerKind::Consumer);
            }
        }
        prev = d.prev_named_sibling();
    }
    None
}

/// Functions a call registers as handlers.
fn registered<'t>(file: &'t JsFile, call: Node<'t>) -> Vec<(Node<'t>, HandlerKind)> {
    let src = file.text();
    let mut out = Vec::new();
    let Some(callee) = call.child_by_field_name("function").map(strip_ts) else {
        return out;
    };
    let Some(args) = call.child_by_field_name("arguments") else {
        return out;
    };
    let mut c = args.walk();
    let arg_list: Vec<Node> = args
        .named_children(&mut c)
        .filter(|a| a.kind() != "comment")
        .collect();
    let (object, method) = match callee.kind() {
        "member_expression" => (
            callee.child_by_field_name("object").map(strip_ts),
            callee
                .child_by_field_name("property")
                .map(|p| text(p, src))
                .unwrap_or(""),
        ),
        "identifier" => (None, text(callee, src)),
        _ => return out,
    };
    let first_is_event = |name: &str| {
        arg_list
            .first()
            .and_then(|a| super::bindings::string_value(*a, src))
            .is_some_and(|s| s == name)
    };
    // http.createServer(listener), createServer(options, listener)
    if method == "createServer"
        && file.resolve(callee).is_some_and(|v| {
            matches!(v.module.as_str(), "http" | "https" | "http2") && v.path == "createServer"
        })
    {
        if let Some(last) = arg_list.last() {
            for f in function_values(file, *last) {
                out.push((f, HandlerKind::Server));
            }
        }
        return out;
    }
    let Some(object) = object else { return out };
    match method {
        // server.on("request", listener); socket.on("message", listener)
        "on" | "once" | "addListener" if first_is_event("request") => {
            if let Some(f) = arg_list.get(1) {
                for f in function_values(file, *f) {
                    out.push((f, HandlerKind::Server));
                }
            }
            return out;
        }
        "on" | "once" | "addListener" if first_is_event("message") => {
            if let Some(f) = arg_list.get(1) {
                for f in function_values(file, *f) {
                    out.push((f, HandlerKind::Consumer));
                }
            }
            return out;
        }
        "on" => return out,
        // kafkajs: consumer.run({ eachMessage, eachBatch })
        "run" => {
            if let Some(obj) = arg_list.first() {
                for key in ["eachMessage", "eachBatch"] {
                    if let Some(v) = property(*obj, key, src) {
                        for f in function_values(file, v) {
                            out.push((f, HandlerKind::Consumer));
                        }
                    }
                }
            }
            return out;
        }
        // sqs-consumer: Consumer.create({ handleMessage })
        "create" if text(object, src) == "Consumer" => {
            if let Some(obj) = arg_list.first() {
                for key in ["handleMessage", "handleMessageBatch"] {
                    if let Some(v) = property(*obj, key, src) {
                        for f in function_values(file, v) {
                            out.push((f, HandlerKind::Consumer));
                        }
                    }
                }
            }
            return out;
        }
        // amqplib: channel.consume(queue, onMessage)
        "consume" if arg_list.len() >= 2 => {
            for f in function_values(file, arg_list[1]) {
                out.push((f, HandlerKind::Consumer));
            }
            return out;
        }
        // Bull: queue.process([name], [concurrency], processor)
        "process" if text(object, src).to_lowercase().contains("queue") => {
            if let Some(last) = arg_list.last() {
                for f in function_values(file, *last) {
                    out.push((f, HandlerKind::Consumer));
                }
            }
            return out;
        }
        // fastify.route({ method, url, handler })
        "route" if arg_list.len() == 1 && arg_list[0].kind() == "object" => {
            for key in ["handler", "preHandler", "onRequest"] {
                if let Some(v) = property(arg_list[0], key, src) {
                    for f in function_values(file, v) {
                        out.push((f, HandlerKind::Route));
                    }
                }
            }
            return out;
        }
        _ => {}
    }
    if !ROUTE_METHODS.contains(&method) {
        return out;
    }
    let path_like = arg_list.first().is_some_and(|a| is_route_path(*a, src));
    if !(path_like || is_app(file, object)) {
        return out;
    }
    for (i, a) in arg_list.iter().enumerate() {
        if i == 0 && path_like {
            continue;
        }
        for f in function_values(file, *a) {
            out.push((f, HandlerKind::Route));
        }
        // fastify.get(path, { handler }) and { preHandler: [...] }
        if a.kind() == "object" {
            for key in ["handler", "preHandler", "onRequest"] {
                if let Some(v) = property(*a, key, src) {
                    for f in function_values(file, v) {
                        out.push((f, HandlerKind::Route));
                    }
                }
            }
        }
    }
    out
}

/// `"/users/:id"`, `` `/api/${v}` ``, `/^\/x/`, `["/a", "/b"]`, `"*"`.
fn is_route_path(a: Node, src: &str) -> bool {
    match a.kind() {
        "string" | "template_string" => {
            let t = text(a, src);
            let inner = t.get(1..).unwrap_or("");
            inner.starts_with('/') || inner.starts_with('*')
        }
        "regex" => true,
        "array" => {
            let mut c = a.walk();
            let all: Vec<Node> = a.named_children(&mut c).collect();
            !all.is_empty() && all.iter().all(|x| is_route_path(*x, src))
        }
        _ => false,
    }
}

/// Is `object` an app or router: built by one of APP_MODULES, a
/// `router.route("/x")` chain, or named like one?
fn is_app(file: &JsFile, object: Node) -> bool {
    let src = file.text();
    let object = strip_ts(object);
    match object.kind() {
        "identifier" => {
            let name = text(object, src);
            if let Some(b) = file.bindings.built(name) {
                return APP_MODULES.contains(&b.ctor.module.as_str());
            }
            APP_NAMES.contains(&name) || name.ends_with("Router") || name.ends_with("App")
        }
        "member_expression" => {
            // this.app, this.router, server.app
            let prop = object
                .child_by_field_name("property")
                .map(|p| text(p, src))
                .unwrap_or("");
            APP_NAMES.contains(&prop) || prop.ends_with("Router")
        }
        "call_expression" => {
            // router.route("/x").get(...), express.Router().get(...)
            let f = object.child_by_field_name("function").map(strip_ts);
            f.is_some_and(|f| {
                f.kind() == "member_expression"
                    && f.child_by_field_name("property").is_some_and(|p| {
                        matches!(
                            text(p, src),
                            "route" | "get" | "post" | "put" | "patch" | "delete" | "all" | "use"
                        )
                    })
            })
        }
        _ => false,
    }
}

/// The function(s) an argument stands for: a function literal, a function
/// declared in the file by that name, or a function wrapped in a call
/// (`asyncHandler(async (req, res) => ...)`), or an array of those.
fn function_values<'t>(file: &'t JsFile, arg: Node<'t>) -> Vec<Node<'t>> {
    let arg = strip_ts(arg);
    if is_function(arg) {
        return vec![arg];
    }
    match arg.kind() {
        "identifier" => top_level_function(file, text(arg, file.text()))
            .into_iter()
            .collect(),
        "call_expression" => {
            let Some(args) = arg.child_by_field_name("arguments") else {
                return Vec::new();
            };
            let mut c = args.walk();
            args.named_children(&mut c)
                .filter(|a| is_function(strip_ts(*a)))
                .map(strip_ts)
                .collect()
        }
        "array" => {
            let mut c = arg.walk();
            arg.named_children(&mut c)
                .flat_map(|a| function_values(file, a))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// A function the top level declares under `name`: `function name() {}`
/// or `const name = (...) => {}`.
pub fn top_level_function<'t>(file: &'t JsFile, name: &str) -> Option<Node<'t>> {
    let src = file.text();
    let root = file.root();
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        let decl = if stmt.kind() == "export_statement" {
            stmt.child_by_field_name("declaration").unwrap_or(stmt)
        } else {
            stmt
        };
        match decl.kind() {
            "function_declaration" | "generator_function_declaration"
                if decl
                    .child_by_field_name("name")
                    .is_some_and(|n| text(n, src) == name) =>
            {
                return Some(decl);
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut dc = decl.walk();
                for d in decl.named_children(&mut dc) {
                    if d.child_by_field_name("name")
                        .is_some_and(|n| text(n, src) == name)
                        && let Some(v) = d.child_by_field_name("value").map(strip_ts)
                    {
                        if is_function(v) {
                            return Some(v);
                        }
                        // const h = asyncHandler(async (req, res) => ...)
                        if v.kind() == "call_expression" {
                            return function_values(file, v).into_iter().next();
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// The value of `key` in an object literal.
fn property<'t>(obj: Node<'t>, key: &str, src: &str) -> Option<Node<'t>> {
    let obj = strip_ts(obj);
    if obj.kind() != "object" {
        return None;
    }
    let mut c = obj.walk();
    for p in obj.named_children(&mut c) {
        match p.kind() {
            "pair" => {
                let k = p.child_by_field_name("key")?;
                if text(k, src).trim_matches(['"', '\'']) == key {
                    return p.child_by_field_name("value");
                }
            }
            "shorthand_property_identifier" if text(p, src) == key => return Some(p),
            "method_definition"
                if p.child_by_field_name("name")
                    .is_some_and(|n| text(n, src) == key) =>
            {
                return Some(p);
            }
            _ => {}
        }
    }
    None
}

/// Handlers a file exports by convention: Next.js API routes, Lambda
/// handlers.
fn exported<'t>(file: &'t JsFile, add: &mut dyn FnMut(Node<'t>, HandlerKind)) {
    let src = file.text();
    let path = &file.parsed.path;
    let pages_api = in_pages_api(path);
    let app_route = is_app_route(path);
    let root = file.root();
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        if stmt.kind() != "export_statement" {
            continue;
        }
        let is_default = text(stmt, src).starts_with("export default");
        if is_default && pages_api {
            if let Some(d) = stmt
                .child_by_field_name("declaration")
                .or_else(|| stmt.child_by_field_name("value"))
            {
                for f in function_values(file, d) {
                    add(f, HandlerKind::NextApi);
                }
                if is_function(d) {
                    add(d, HandlerKind::NextApi);
                }
            } else {
                let mut sc = stmt.walk();
                for ch in stmt.named_children(&mut sc) {
                    for f in function_values(file, ch) {
                        add(f, HandlerKind::NextApi);
                    }
                }
            }
            continue;
        }
        let Some(decl) = stmt.child_by_field_name("declaration") else {
            continue;
        };
        let mut named = |name: &str, f: Node<'t>| {
            if name == "handler" {
                add(f, HandlerKind::Lambda);
            } else if app_route
                && matches!(
                    name,
                    "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
                )
            {
                add(f, HandlerKind::NextApi);
            }
        };
        match decl.kind() {
            "function_declaration" => {
                if let Some(n) = decl.child_by_field_name("name") {
                    named(text(n, src), decl);
                }
            }
            "lexical_declaration" | "variable_declaration" => {
                let mut dc = decl.walk();
                for d in decl.named_children(&mut dc) {
                    if let (Some(n), Some(v)) = (
                        d.child_by_field_name("name"),
                        d.child_by_field_name("value"),
                    ) {
                        for f in function_values(file, v) {
                            named(text(n, src), f);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn in_pages_api(path: &Path) -> bool {
    let comps: Vec<&str> = path
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    comps.windows(2).any(|w| w == ["pages", "api"])
}

fn is_app_route(path: &Path) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem == "route" && path.components().any(|c| c.as_os_str() == "app")
}

/// The parameter names of a handler, by role: `(req, res, next)`,
/// `(request, reply)`, `(ctx, next)`.
pub struct Roles {
    pub request: Option<String>,
    pub response: Option<String>,
    pub next: Option<String>,
}

pub fn roles(func: Node, src: &str) -> Roles {
    let names: Vec<Option<String>> = parameters(func)
        .into_iter()
        .map(|p| (p.kind() == "identifier").then(|| text(p, src).to_string()))
        .collect();
    let get = |i: usize| names.get(i).cloned().flatten();
    // Express error middleware: (err, req, res, next).
    let offset = usize::from(names.len() == 4);
    let next = names
        .last()
        .cloned()
        .flatten()
        .filter(|n| n == "next" && names.len() >= 3);
    Roles {
        request: get(offset),
        response: get(offset + 1),
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::js::test_support::file;

    fn kinds(name: &str, src: &str) -> Vec<(String, HandlerKind)> {
        let f = file(name, src);
        let mut v: Vec<(String, HandlerKind)> = find(&f)
            .into_iter()
            .map(|h| {
                let t = &f.text()[h.range.clone()];
                (t.lines().next().unwrap().to_string(), h.kind)
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn express_and_friends() {
        let got = kinds(
            "a.js",
            "const express = require('express');\nconst app = express();\nconst cache = new Map();\napp.get('/u/:id', auth, async (req, res) => {});\nasync function auth(req, res, next) {}\napp.use(function mw(req, res, next) {});\ncache.get('k', () => {});\nrouter.route('/x').post(asyncHandler(async (req, res) => {}));\nhttp.createServer((req, res) => {});\n",
        );
        let names: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "async (req, res) => {}",
                "async (req, res) => {}",
                "async function auth(req, res, next) {}",
                "function mw(req, res, next) {}",
            ]
        );
    }

    #[test]
    fn servers_lambdas_consumers_and_next() {
        let got = kinds(
            "svc.mjs",
            "import http from 'node:http';\nimport { Worker } from 'bullmq';\nhttp.createServer(async (req, res) => {});\nexport const handler = async (event) => {};\nnew Worker('q', async (job) => {});\nconsumer.run({ eachMessage: async ({ message }) => {} });\n",
        );
        let k: Vec<HandlerKind> = got.iter().map(|(_, k)| *k).collect();
        assert!(k.contains(&HandlerKind::Server));
        assert!(k.contains(&HandlerKind::Lambda));
        assert_eq!(k.iter().filter(|x| **x == HandlerKind::Consumer).count(), 2);
        let next = kinds(
            "pages/api/users.ts",
            "export default async function handler(req, res) {}\n",
        );
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].1, HandlerKind::NextApi);
    }

    #[test]
    fn nest_controllers() {
        let got = kinds(
            "cats.controller.ts",
            "import { Controller, Get, Injectable } from '@nestjs/common';\n@Controller('cats')\nexport class CatsController {\n  @Get(':id')\n  async findOne(id: string) {\n    return id;\n  }\n\n  helper() {}\n}\n",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].0.starts_with("async findOne"));
    }

    #[test]
    fn roles_by_position() {
        let f = file("a.js", "function h(err, req, res, next) {}\n");
        let func = f.root().named_child(0).unwrap();
        let r = roles(func, f.text());
        assert_eq!(r.request.as_deref(), Some("req"));
        assert_eq!(r.response.as_deref(), Some("res"));
        assert_eq!(r.next.as_deref(), Some("next"));
    }
}
