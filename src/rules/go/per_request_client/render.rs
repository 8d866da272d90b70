//! The text of a new accessor, and constructor arguments rendered for the
//! file the accessor lands in.

use super::*;

impl<'a> Planner<'a> {
    /// Renders `node` of file `from` as code for file `to`: the context
    /// replaced, inlined names written out, package names translated (and
    /// imported when `to` lacks them).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn render_for(
        &self,
        to: usize,
        from: usize,
        node: Node<'a>,
        env: &Env<'_, 'a>,
        imports: &mut Vec<(String, String)>,
        qualifiers: &mut HashSet<String>,
        depth: usize,
    ) -> Result<String, String> {
        if depth > 8 {
            return Err("the arguments are defined through too many names".into());
        }
        let file = self.file(from);
        let target = self.file(to);
        let src = file.text();
        let mut failure: Option<String> = None;
        let out = render(node, src, &mut |n| {
            if env.ctx.is_some_and(|c| c.id() == n.id()) {
                return env.ctx_text.clone();
            }
            if let Some(inl) = env.defs.get(&(from, n.id())) {
                let inner = match self.render_for(
                    to,
                    inl.def_file,
                    inl.def,
                    env,
                    imports,
                    qualifiers,
                    depth + 1,
                ) {
                    Ok(t) => t,
                    Err(e) => {
                        failure = Some(e);
                        return Some(String::new());
                    }
                };
                let def_source = &self.file(inl.def_file).parsed.source;
                if inner.contains('\n')
                    && (inl.def_file != to
                        || def_source.indent_at(inl.def.start_byte()) != env.indent
                        || has_multiline_raw_string(inl.def, self.file(inl.def_file).text()))
                {
                    failure = Some("a value the call needs spans several lines".into());
                }
                return Some(
                    if matches!(inl.def.kind(), "binary_expression") && needs_parens(n) {
                        format!("({inner})")
                    } else {
                        inner
                    },
                );
            }
            let path = qualifier_path(n, file, src)?;
            let here = text(n, src);
            if from == to {
                qualifiers.insert(here.to_string());
                return None;
            }
            let name = match target.imports.name_of(path) {
                Some(name) => name.to_string(),
                None if import_is_unaliased(file, path) => {
                    if !imports.iter().any(|(p, _)| p == path) {
                        imports.push((path.to_string(), here.to_string()));
                    }
                    here.to_string()
                }
                None => {
                    failure = Some(format!(
                        "a value the call needs uses `{path}` under another name"
                    ));
                    return None;
                }
            };
            qualifiers.insert(name.clone());
            Some(name)
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// The text of a new accessor for site `s`, written in its file.
    pub(super) fn render_accessor(
        &self,
        s: &Site<'a>,
        a: &AccessorSite<'a>,
        name: &str,
    ) -> Result<Rendered, String> {
        let file = self.file(s.fi);
        let src = file.text();
        let source = &file.parsed.source;
        let nl = source.newline();
        let ty =
            s.ty.as_ref()
                .ok_or("leakfix does not know the client's type")?;
        let value = configs::VALUE_TYPES.contains(&ty.to_string().as_str());
        let pointer = !value && !INTERFACE_TYPES.contains(&ty.to_string().as_str());
        let mut imports: Vec<(String, String)> = Vec::new();
        let own = ty.package == self.pkg.import_path;
        let ty_pkg = match file
            .imports
            .name_of(&ty.package)
            .map(str::to_string)
            .filter(|n| qualifier_usable(file, n))
        {
            Some(n) => n,
            // A type of this package: written without a qualifier.
            None if own => String::new(),
            // Imported by its last path element when nothing else has that name.
            None => {
                let n = ty.package.rsplit('/').next().unwrap_or("").to_string();
                let free = !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && file.imports.resolve(&n).is_none()
                    && !self.top_level_names().contains(&n);
                if !free {
                    return Err(format!(
                        "the accessor must name `{ty}`, whose package this file does not import"
                    ));
                }
                imports.push((ty.package.clone(), n.clone()));
                n
            }
        };
        let mut qualifiers: HashSet<String> = HashSet::new();
        if !own {
            qualifiers.insert(ty_pkg.clone());
        }
        let want = |path: &str,
                    default: &str,
                    imports: &mut Vec<(String, String)>|
         -> Result<String, String> {
            let n = file
                .imports
                .name_of(path)
                .map(str::to_string)
                .unwrap_or_else(|| default.to_string());
            if self.top_level_names().contains(&n) {
                return Err(format!(
                    "the name `{n}` is taken in this package, so `{path}` cannot be imported"
                ));
            }
            imports.push((path.to_string(), n.clone()));
            Ok(n)
        };
        let sync = want("sync", "sync", &mut imports)?;
        qualifiers.insert(sync.clone());
        let go_ok = self.pkg.module.as_ref().is_some_and(|m| m.at_least(1, 19));
        let atomic = if pointer && go_ok {
            let n = file
                .imports
                .name_of("sync/atomic")
                .unwrap_or("atomic")
                .to_string();
            let clash = file.imports.resolve(&n).is_some_and(|p| p != "sync/atomic")
                || self.top_level_names().contains(&n);
            if clash {
                None
            } else {
                imports.push(("sync/atomic".into(), n.clone()));
                qualifiers.insert(n.clone());
                Some(n)
            }
        } else {
            None
        };
        let ctx_name = if a.ctx_arg.is_some() {
            let n = want("context", "context", &mut imports)?;
            qualifiers.insert(n.clone());
            Some(n)
        } else {
            None
        };
        // The constructor call, with the request's context replaced, names
        // written out and package names translated.
        let defs = inline_map(&a.inlined);
        let ctx_text = ctx_name.as_ref().map(|n| format!("{n}.Background()"));
        let call_text = self.render_for(
            s.fi,
            s.fi,
            s.call,
            &Env {
                ctx: a.ctx_arg,
                ctx_text: &ctx_text,
                defs: &defs,
                indent: source.indent_at(s.stmt.start_byte()),
            },
            &mut imports,
            &mut qualifiers,
            0,
        )?;
        if call_text.contains('\n') && has_multiline_raw_string(s.call, src) {
            return Err("the constructor's arguments hold a multi-line raw string".into());
        }
        let from = source.indent_at(s.stmt.start_byte());
        let call_text = reindent(&call_text, from, "\t").ok_or(
            "the constructor's arguments are laid out in a way leakfix does not re-indent",
        )?;
        let star = if pointer { "*" } else { "" };
        let dot = if own { "" } else { "." };
        let t = format!("{star}{ty_pkg}{dot}{}", ty.name);
        let inner_t = format!("{ty_pkg}{dot}{}", ty.name);
        let errors = s.resource.error;
        let zero = if value {
            format!("{inner_t}{{}}")
        } else {
            "nil".to_string()
        };
        let (ret_t, ok, fail) = if errors {
            (format!("({t}, error)"), ", nil", format!("{zero}, err"))
        } else {
            (t.clone(), "", String::new())
        };
        let ctor = &s.callee;
        let cache = format!("{name}Cache");
        let mut o = String::new();
        o.push_str(nl);
        let noun = s.resource.kind.noun();
        for line in wrap(&format!("{cache} holds the {noun} that {name} shares."), 74) {
            o.push_str(&format!("// {line}{nl}"));
        }
        o.push_str(&format!("var {cache} struct {{{nl}"));
        o.push_str(&format!("\tmu     {sync}.Mutex{nl}"));
        if value {
            o.push_str(&format!("\tbuilt  bool{nl}"));
        }
        match &atomic {
            Some(at) => o.push_str(&format!("\tclient {at}.Pointer[{inner_t}]{nl}")),
            None => o.push_str(&format!("\tclient {t}{nl}")),
        }
        o.push_str(&format!("}}{nl}{nl}"));
        for line in wrap(
            &format!(
                "{name} returns the {noun} built by {ctor}, building it on first use and sharing it afterwards. It is safe for concurrent use{}.{}",
                if configs::needs_no_release(&s.resource) {
                    ""
                } else {
                    "; callers must not close it"
                },
                if errors {
                    " A failed build is not kept: the next call tries again."
                } else {
                    ""
                }
            ),
            74,
        ) {
            o.push_str(&format!("// {line}{nl}"));
        }
        o.push_str(&format!("func {name}() {ret_t} {{{nl}"));
        match &atomic {
            Some(_) => {
                o.push_str(&format!(
                    "\tif c := {cache}.client.Load(); c != nil {{{nl}\t\treturn c{ok}{nl}\t}}{nl}"
                ));
                o.push_str(&format!(
                    "\t{cache}.mu.Lock(){nl}\tdefer {cache}.mu.Unlock(){nl}"
                ));
                o.push_str(&format!(
                    "\tif c := {cache}.client.Load(); c != nil {{{nl}\t\treturn c{ok}{nl}\t}}{nl}"
                ));
            }
            None => {
                o.push_str(&format!(
                    "\t{cache}.mu.Lock(){nl}\tdefer {cache}.mu.Unlock(){nl}"
                ));
                let built = if value {
                    format!("{cache}.built")
                } else {
                    format!("{cache}.client != nil")
                };
                o.push_str(&format!(
                    "\tif {built} {{{nl}\t\treturn {cache}.client{ok}{nl}\t}}{nl}"
                ));
            }
        }
        if errors {
            o.push_str(&format!("\tc, err := {call_text}{nl}"));
            o.push_str(&format!(
                "\tif err != nil {{{nl}\t\treturn {fail}{nl}\t}}{nl}"
            ));
        } else {
            o.push_str(&format!("\tc := {call_text}{nl}"));
        }
        match &atomic {
            Some(_) => o.push_str(&format!("\t{cache}.client.Store(c){nl}")),
            None => o.push_str(&format!("\t{cache}.client = c{nl}")),
        }
        if value {
            o.push_str(&format!("\t{cache}.built = true{nl}"));
        }
        o.push_str(&format!("\treturn c{ok}{nl}}}{nl}"));
        Ok(Rendered {
            text: o,
            imports,
            qualifiers,
        })
    }
}

/// Result types the catalog names that are interfaces, not pointers.
pub(super) const INTERFACE_TYPES: [&str; 13] = [
    "github.com/redis/go-redis/v9.UniversalClient",
    "github.com/go-redis/redis/v8.UniversalClient",
    "github.com/IBM/sarama.Client",
    "github.com/IBM/sarama.SyncProducer",
    "github.com/IBM/sarama.AsyncProducer",
    "github.com/IBM/sarama.ClusterAdmin",
    "github.com/Shopify/sarama.Client",
    "github.com/Shopify/sarama.SyncProducer",
    "github.com/Shopify/sarama.AsyncProducer",
    "github.com/Shopify/sarama.ClusterAdmin",
    "github.com/eclipse/paho.mqtt.golang.Client",
    "github.com/ClickHouse/clickhouse-go/v2/lib/driver.Conn",
    "google.golang.org/api/transport/grpc.ConnPool",
];

/// What `render_for` substitutes.
pub(super) struct Env<'e, 'a> {
    pub(super) ctx: Option<Node<'a>>,
    pub(super) ctx_text: &'e Option<String>,
    pub(super) defs: &'e HashMap<(usize, usize), Inline<'a>>,
    /// The indentation of the statement holding the construction: a
    /// definition written out over several lines must share it.
    pub(super) indent: &'e str,
}

pub(super) struct Rendered {
    pub(super) text: String,
    pub(super) imports: Vec<(String, String)>,
    pub(super) qualifiers: HashSet<String>,
}

/// Would an inlined binary expression need parentheses where `n` stands?
pub(super) fn needs_parens(n: Node) -> bool {
    n.parent().is_some_and(|p| {
        !matches!(
            p.kind(),
            "argument_list" | "expression_list" | "literal_element" | "parenthesized_expression"
        )
    })
}

/// Words of `text` in lines of at most `width` characters.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}
