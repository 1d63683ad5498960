//! The crate's shape, checked on every `cargo test` (issue 12): the JavaScript crates
//! (`js_sys`, `wasm_bindgen`, `web_sys`, `gloo_*`) appear only under `src/js/`, so the core
//! builds and is tested natively; and no two modules import each other, directly or around a
//! longer loop.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const JS_CRATES: [&str; 5] = [
    "js_sys",
    "wasm_bindgen",
    "web_sys",
    "gloo_timers",
    "gloo_net",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            (name, fs::read_to_string(&path).expect("readable source"))
        })
        .collect()
}

/// The module a file is, as a path: `providers/lensmor.rs` is `providers::lensmor`.
fn module_of(file: &str) -> String {
    let path = file.trim_end_matches(".rs");
    let path = path.trim_end_matches("/mod");
    if path == "lib" {
        return "crate".into();
    }
    path.replace('/', "::")
}

/// The sibling or crate modules a file names in `use super::x`, `super::x::`, `use crate::x`,
/// `crate::x::`, as module paths comparable with [`module_of`].
fn imports(module: &str, text: &str) -> BTreeSet<String> {
    let parent = match module.rsplit_once("::") {
        Some((parent, _)) => parent.to_string(),
        None => String::new(),
    };
    let mut out = BTreeSet::new();
    for (prefix, base) in [("super::", parent.as_str()), ("crate::", "")] {
        for (at, _) in text.match_indices(prefix) {
            let rest = &text[at + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() || name.chars().next().is_some_and(char::is_uppercase) {
                continue; // `crate::Error`: a re-export at the crate root, not a module
            }
            let target = if base.is_empty() {
                name
            } else {
                format!("{base}::{name}")
            };
            if target != module {
                out.insert(target);
            }
        }
    }
    out
}

#[test]
fn js_crates_only_under_src_js() {
    let mut offenders = Vec::new();
    for (file, text) in sources() {
        if file.starts_with("js/") {
            continue;
        }
        for krate in JS_CRATES {
            if text.contains(&format!("{krate}::")) || text.contains(&format!("use {krate}")) {
                offenders.push(format!("{file} uses {krate}"));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn no_module_imports_itself_around_a_loop() {
    let files = sources();
    let modules: BTreeSet<String> = files.iter().map(|(f, _)| module_of(f)).collect();
    let graph: BTreeMap<String, BTreeSet<String>> = files
        .iter()
        .map(|(file, text)| {
            let module = module_of(file);
            // Test modules may reach anywhere; only the shipped code's imports count.
            let code = text.split("#[cfg(test)]").next().unwrap_or(text);
            let edges = imports(&module, code)
                .into_iter()
                .filter(|m| modules.contains(m) && !module.starts_with(&format!("{m}::")))
                .collect();
            (module, edges)
        })
        .collect();
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        let cycle = visit(module, &graph, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "module cycle: {}",
            cycle.unwrap_or_default().join(" -> ")
        );
    }
    // The check sees imports at all: the client imports the poll loop.
    assert!(graph["js::client"].contains("js::watch"), "{graph:#?}");
}
