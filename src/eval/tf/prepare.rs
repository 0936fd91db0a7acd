//! Building the modules of a scan: variables (defaults, tfvars, module
//! inputs), locals, resources, module calls and the templates that
//! `templatefile()` reaches; notices for what evaluation will not follow.

use super::{Binding, Frame, MAX_TFVARS_BYTES, Module, Scope, Workspace};
use crate::eval::MAX_DEPTH;
use crate::finding::FileId;
use crate::report::Notice;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, NodeKind, Span, Syntax};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Builds the modules of a scan and gives Terraform files and templates
/// their scope.
pub fn prepare(files: &mut [SourceFile]) -> Vec<Notice> {
    let mut notices = Vec::new();
    let mut ws = Workspace::default();
    let mut module_of_dir: HashMap<PathBuf, usize> = HashMap::new();
    let dir_of = |f: &SourceFile| normalize(f.path.parent().unwrap_or(Path::new("")));
    let is_tf = |f: &SourceFile| f.kind == FileKind::Terraform && f.syntax == Some(Syntax::Hcl);
    // `terraform.tfvars.json` and `*.auto.tfvars.json` set variables too.
    let is_vars = |f: &SourceFile| {
        is_tf(f) || (f.kind == FileKind::Terraform && f.display.ends_with(".tfvars.json"))
    };
    for f in files.iter().filter(|f| is_tf(f)) {
        let dir = dir_of(f);
        if !module_of_dir.contains_key(&dir) {
            module_of_dir.insert(dir.clone(), ws.modules.len());
            ws.modules.push(Module {
                dir,
                ..Module::default()
            });
        }
    }
    if ws.modules.is_empty() {
        return notices;
    }
    struct Call {
        caller: usize,
        file: FileId,
        name: String,
        block: Node,
        source: String,
    }
    let mut calls: Vec<Call> = Vec::new();
    let mut defaults: HashMap<(usize, String), Binding> = HashMap::new();
    let mut auto_vars: HashMap<(usize, String), Vec<Binding>> = HashMap::new();
    let mut other_vars: HashMap<(usize, String), Vec<Binding>> = HashMap::new();
    let mut templatefiles: Vec<(usize, FileId, Node, String)> = Vec::new();
    for f in files.iter().filter(|f| is_vars(f)) {
        let Some(&m) = module_of_dir.get(&dir_of(f)) else {
            continue;
        };
        let Some(root) = f.roots().first() else {
            continue;
        };
        let name = f.display.rsplit('/').next().unwrap_or("");
        if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
            if f.text.len() > MAX_TFVARS_BYTES {
                notices.push(Notice {
                    path: f.display.clone(),
                    reason: format!(
                        "tfvars file larger than {MAX_TFVARS_BYTES} bytes: its values are not evaluated"
                    ),
                });
                continue;
            }
            let auto = matches!(name, "terraform.tfvars" | "terraform.tfvars.json")
                || name.ends_with(".auto.tfvars")
                || name.ends_with(".auto.tfvars.json");
            for e in root.entries().unwrap_or(&[]) {
                if matches!(e.value.kind, NodeKind::Block(_)) {
                    continue;
                }
                let binding = Binding {
                    module: m,
                    file: f.id,
                    node: e.value.clone(),
                    note: format!("{} in {name}", e.key.text),
                };
                let target = if auto {
                    &mut auto_vars
                } else {
                    &mut other_vars
                };
                target
                    .entry((m, e.key.text.to_string()))
                    .or_default()
                    .push(binding);
            }
            continue;
        }
        let module = &mut ws.modules[m];
        for e in root.entries().unwrap_or(&[]) {
            let NodeKind::Block(block) = &e.value.kind else {
                continue;
            };
            let labels: Vec<&str> = block.labels.iter().map(|l| l.text.as_str()).collect();
            match (e.key.text.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    if let Some(default) = e.value.get("default") {
                        defaults.insert(
                            (m, (*name).to_owned()),
                            Binding {
                                module: m,
                                file: f.id,
                                node: default.clone(),
                                note: format!("default of variable {name}"),
                            },
                        );
                    }
                }
                ("locals", []) => {
                    for local in block.body.iter() {
                        module.locals.insert(
                            local.key.text.to_string(),
                            Binding {
                                module: m,
                                file: f.id,
                                node: local.value.clone(),
                                note: format!("local.{}", local.key.text),
                            },
                        );
                    }
                }
                ("resource", [ty, name]) => {
                    module.resources.insert(
                        format!("{ty}.{name}"),
                        Binding {
                            module: m,
                            file: f.id,
                            node: e.value.clone(),
                            note: String::new(),
                        },
                    );
                }
                ("data", [ty, name]) => {
                    module.resources.insert(
                        format!("data.{ty}.{name}"),
                        Binding {
                            module: m,
                            file: f.id,
                            node: e.value.clone(),
                            note: String::new(),
                        },
                    );
                }
                ("module", [name]) => {
                    if let Some(source) = e.value.get("source").and_then(Node::as_str) {
                        calls.push(Call {
                            caller: m,
                            file: f.id,
                            name: (*name).to_owned(),
                            block: e.value.clone(),
                            source: source.to_owned(),
                        });
                    }
                }
                _ => {}
            }
        }
        for e in root.entries().unwrap_or(&[]) {
            // The block holding the call names the policy it renders.
            let owner = match &e.value.kind {
                NodeKind::Block(b) => {
                    let labels: Vec<&str> = b.labels.iter().map(|l| l.text.as_str()).collect();
                    match (e.key.text.as_str(), labels.as_slice()) {
                        ("resource", [ty, name]) => format!("{ty}.{name}"),
                        ("data", [ty, name]) => format!("data.{ty}.{name}"),
                        ("module", [name]) => format!("module.{name}"),
                        ("locals", []) => "locals".to_owned(),
                        _ => String::new(),
                    }
                }
                _ => String::new(),
            };
            collect_templatefile_calls(&e.value, m, f.id, &owner, &mut templatefiles, 0);
        }
    }
    // Module calls whose code is in the scan: local sources, and downloaded
    // ones located by `.terraform/modules/modules.json`. The call's
    // arguments are the module's variables.
    let downloaded = downloaded_modules(files);
    let mut inputs: HashMap<(usize, String), Vec<Binding>> = HashMap::new();
    for call in &calls {
        let caller_dir = ws.modules[call.caller].dir.clone();
        let dir = if call.source.starts_with("./") || call.source.starts_with("../") {
            normalize(&caller_dir.join(&call.source))
        } else {
            match downloaded.locate(&caller_dir, &call.name) {
                Some(dir) => dir,
                None => continue,
            }
        };
        let Some(&child) = module_of_dir.get(&dir) else {
            continue;
        };
        ws.modules[call.caller]
            .calls_on_disk
            .insert(call.name.clone());
        if child == call.caller {
            notices.push(Notice {
                path: files
                    .get(call.file)
                    .map_or_else(String::new, |f| f.display.clone()),
                reason: format!(
                    "module \"{}\" sources its own directory: its inputs are not followed",
                    call.name
                ),
            });
            continue;
        }
        for e in call.block.entries().unwrap_or(&[]) {
            if matches!(e.value.kind, NodeKind::Block(_))
                || matches!(
                    e.key.text.as_str(),
                    "source" | "version" | "providers" | "count" | "for_each" | "depends_on"
                )
            {
                continue;
            }
            inputs
                .entry((child, e.key.text.to_string()))
                .or_default()
                .push(Binding {
                    module: call.caller,
                    file: call.file,
                    node: e.value.clone(),
                    note: format!("input {} of module {}", e.key.text, call.name),
                });
        }
    }
    let mut names: Vec<(usize, String)> = defaults
        .keys()
        .chain(auto_vars.keys())
        .chain(other_vars.keys())
        .chain(inputs.keys())
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    for key in names {
        let mut bindings = Vec::new();
        if let Some(given) = inputs.get(&key) {
            bindings.extend(given.iter().cloned());
        } else if let Some(auto) = auto_vars.get(&key) {
            bindings.extend(auto.iter().cloned());
        } else {
            bindings.extend(defaults.get(&key).cloned());
            bindings.extend(other_vars.get(&key).into_iter().flatten().cloned());
        }
        ws.modules[key.0].vars.insert(key.1, bindings);
    }
    notices.extend(check_locals(&ws, files));

    let ws = Arc::new(ws);
    // Templates reached by `templatefile(path, vars)`.
    let by_path: HashMap<PathBuf, FileId> = files
        .iter()
        .filter(|f| crate::eval::template::is_template(&f.display))
        .map(|f| (normalize(&f.path), f.id))
        .collect();
    let mut reached: HashMap<FileId, Vec<Binding>> = HashMap::new();
    let mut template_module: HashMap<FileId, usize> = HashMap::new();
    for (m, file, call, owner) in &templatefiles {
        let NodeKind::Call(c) = &call.kind else {
            continue;
        };
        let Some(path_node) = c.args.first() else {
            continue;
        };
        let scope = Scope {
            ws: ws.clone(),
            module: *m,
            reading: *file,
            vars: None,
            loops: Arc::default(),
            each: None,
        };
        let ev = scope.evaluator();
        let paths = ev
            .node(
                path_node,
                Frame {
                    module: *m,
                    file: *file,
                },
                0,
            )
            .scalars();
        for p in paths {
            if p.is_dynamic() {
                continue;
            }
            let path = PathBuf::from(&p.text);
            let path = if path.is_absolute() || path.starts_with(&ws.modules[*m].dir) {
                normalize(&path)
            } else {
                normalize(&ws.modules[*m].dir.join(&path))
            };
            let Some(&target) = by_path.get(&path) else {
                continue;
            };
            if target == *file {
                continue;
            }
            let vars = c
                .args
                .get(1)
                .cloned()
                .unwrap_or_else(|| Node::new(Span::default(), NodeKind::Map(Box::new([]))));
            reached.entry(target).or_default().push(Binding {
                module: *m,
                file: *file,
                node: vars,
                note: owner.clone(),
            });
            template_module.entry(target).or_insert(*m);
        }
    }
    for f in files.iter_mut() {
        if is_tf(f) {
            if let Some(&m) = module_of_dir.get(&dir_of(f)) {
                f.scope = Some(Scope {
                    ws: ws.clone(),
                    module: m,
                    reading: f.id,
                    vars: None,
                    loops: Arc::default(),
                    each: None,
                });
            }
        } else if let (Some(vars), Some(&m)) = (reached.remove(&f.id), template_module.get(&f.id)) {
            if crate::eval::template::includes_itself(f) {
                notices.push(Notice {
                    path: f.display.clone(),
                    reason: "template includes itself through templatefile(): not followed".into(),
                });
            }
            let loops = crate::eval::template::loops(&f.text);
            f.scope = Some(Scope {
                ws: ws.clone(),
                module: m,
                reading: f.id,
                vars: Some(Arc::new(vars)),
                loops: Arc::new(loops),
                each: None,
            });
        }
    }
    notices
}

fn collect_templatefile_calls(
    node: &Node,
    module: usize,
    file: FileId,
    owner: &str,
    out: &mut Vec<(usize, FileId, Node, String)>,
    depth: usize,
) {
    if depth > 64 || out.len() > 10_000 {
        return;
    }
    if let NodeKind::Call(call) = &node.kind
        && call.name == "templatefile"
    {
        out.push((module, file, node.clone(), owner.to_owned()));
    }
    for child in node.children() {
        collect_templatefile_calls(child, module, file, owner, out, depth + 1);
    }
}

/// Locals that refer to each other in a cycle, or chain deeper than
/// evaluation follows: a notice each, once per module.
fn check_locals(ws: &Workspace, files: &[SourceFile]) -> Vec<Notice> {
    let mut notices = Vec::new();
    let re = regex::Regex::new(r"\blocal\.([A-Za-z_][A-Za-z0-9_-]*)").ok();
    let Some(re) = re else {
        return notices;
    };
    for module in &ws.modules {
        let mut names: Vec<&String> = module.locals.keys().collect();
        names.sort();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
        let mut display = String::new();
        for (i, name) in names.iter().enumerate() {
            let b = &module.locals[*name];
            let Some(file) = files.get(b.file).filter(|f| f.id == b.file) else {
                continue;
            };
            if display.is_empty() {
                display = file.display.clone();
            }
            let text = file.slice(b.node.span);
            for c in re.captures_iter(text) {
                if let Some(&j) = c.get(1).and_then(|m| index.get(m.as_str())) {
                    edges[i].push(j);
                }
            }
        }
        // Iterative depth-first search: colour 1 on the stack, 2 done;
        // `height` is the longest chain below a local.
        let mut colour = vec![0u8; names.len()];
        let mut height = vec![0usize; names.len()];
        let mut cycle: Option<Vec<usize>> = None;
        for start in 0..names.len() {
            if colour[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            colour[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&child) = edges[node].get(*next) {
                    *next += 1;
                    match colour[child] {
                        0 => {
                            colour[child] = 1;
                            stack.push((child, 0));
                        }
                        1 => {
                            if cycle.is_none() {
                                let from = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                                cycle = Some(stack[from..].iter().map(|(n, _)| *n).collect());
                            }
                        }
                        _ => height[node] = height[node].max(height[child] + 1),
                    }
                } else {
                    colour[node] = 2;
                    stack.pop();
                    if let Some(&(parent, _)) = stack.last() {
                        height[parent] = height[parent].max(height[node] + 1);
                    }
                }
            }
        }
        if let Some(cycle) = cycle {
            let chain: Vec<String> = cycle
                .iter()
                .chain(cycle.first())
                .map(|i| format!("local.{}", names[*i]))
                .collect();
            notices.push(Notice {
                path: display.clone(),
                reason: format!(
                    "locals refer to each other in a cycle ({}): left unevaluated",
                    chain.join(" -> ")
                ),
            });
        }
        if let Some(deepest) = height.iter().max()
            && *deepest > MAX_DEPTH
        {
            notices.push(Notice {
                path: display.clone(),
                reason: format!(
                    "locals chained {deepest} deep: evaluation follows {MAX_DEPTH} and leaves the rest unknown"
                ),
            });
        }
    }
    notices
}

/// Where `terraform init` put registry and git modules, from each
/// `.terraform/modules/modules.json` in the scan: `{"Modules": [{"Key":
/// "ci_role", "Dir": ".terraform/modules/ci_role"}, ...]}`, keys of nested
/// calls joined by dots, directories relative to the root module.
#[derive(Default)]
struct Downloaded {
    /// (root module directory, key) -> module directory.
    dirs: HashMap<(PathBuf, String), PathBuf>,
    /// module directory -> (root module directory, key).
    keys: HashMap<PathBuf, (PathBuf, String)>,
}

impl Downloaded {
    fn locate(&self, caller: &Path, name: &str) -> Option<PathBuf> {
        let (root, key) = match self.keys.get(caller) {
            Some((root, key)) if !key.is_empty() => (root.clone(), format!("{key}.{name}")),
            _ => (caller.to_path_buf(), name.to_owned()),
        };
        self.dirs.get(&(root, key)).cloned()
    }
}

fn downloaded_modules(files: &[SourceFile]) -> Downloaded {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(rename = "Modules", default)]
        modules: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Key", default)]
        key: String,
        #[serde(rename = "Dir", default)]
        dir: String,
    }
    let mut out = Downloaded::default();
    for f in files {
        let path = normalize(&f.path);
        if !path.ends_with(".terraform/modules/modules.json") {
            continue;
        }
        let Some(root) = path.parent().and_then(Path::parent).and_then(Path::parent) else {
            continue;
        };
        let Ok(manifest) = serde_json::from_str::<Manifest>(&f.text) else {
            continue;
        };
        for entry in manifest.modules.into_iter().take(10_000) {
            let dir = normalize(&root.join(&entry.dir));
            out.keys
                .insert(dir.clone(), (root.to_path_buf(), entry.key.clone()));
            out.dirs.insert((root.to_path_buf(), entry.key), dir);
        }
    }
    out
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
