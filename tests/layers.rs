//! The layering holds by imports (DESIGN.md, "Layout"): each top-level
//! module of the crate imports only the layers below it, nothing imports
//! `cli`, and no two sibling modules import each other (directly or round
//! a longer loop). Read from the sources, so a new import that breaks the
//! layering fails here with the file and the line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may import (besides itself).
const ALLOWED: &[(&str, &[&str])] = &[
    ("wire", &[]),
    ("capture", &["wire"]),
    ("analysis", &["wire"]),
    ("estimate", &["wire", "analysis"]),
    ("simulate", &["wire", "capture", "analysis", "estimate"]),
    ("score", &["wire", "analysis", "estimate", "simulate"]),
    (
        "pipeline",
        &[
            "wire", "capture", "analysis", "estimate", "simulate", "score",
        ],
    ),
    (
        "report",
        &[
            "wire", "capture", "analysis", "estimate", "pipeline", "simulate", "score",
        ],
    ),
    (
        "serve",
        &[
            "wire", "capture", "analysis", "estimate", "pipeline", "report",
        ],
    ),
    (
        "cli",
        &[
            "wire", "capture", "analysis", "estimate", "pipeline", "simulate", "score", "report",
            "serve",
        ],
    ),
];

/// Every .rs file under src/ with its module path (`analysis::health`).
fn modules() -> Vec<(Vec<String>, PathBuf)> {
    fn walk(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                let mut next = prefix.to_vec();
                next.push(name);
                walk(&p, &next, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let mut m = prefix.to_vec();
                if name != "mod" && name != "lib" && name != "main" {
                    m.push(name);
                }
                out.push((m, p));
            }
        }
    }
    let mut v = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut v,
    );
    v
}

/// `use crate::{a::X, b::{c, d}}` written out as `crate::a::X crate::b::c
/// crate::b::d`, on the line of the opening brace; the lines inside the
/// group are kept as empty lines, so that line numbers stay right.
fn expand_groups(text: &str) -> String {
    fn items(prefix: &str, body: &str, out: &mut Vec<String>) {
        let (mut depth, mut start) = (0, 0);
        let mut parts = Vec::new();
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&body[start..]);
        for p in parts {
            let p: String = p.split_whitespace().collect();
            if p.is_empty() {
                continue;
            }
            match p.find("::{") {
                Some(i) if p.ends_with('}') => items(
                    &format!("{prefix}{}::", &p[..i]),
                    &p[i + 3..p.len() - 1],
                    out,
                ),
                _ => out.push(format!("{prefix}{p}")),
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("::{") {
        // The path before the group: crate / super(::super)*, or anything.
        let head = &rest[..i];
        let start = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |j| j + 1);
        let prefix = &head[start..];
        let body_start = i + 3;
        let mut depth = 1;
        let mut end = None;
        for (j, c) in rest[body_start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(body_start + j);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let body = &rest[body_start..end];
        let mut expanded = Vec::new();
        items(&format!("{prefix}::"), body, &mut expanded);
        out.push_str(&head[..start]);
        out.push_str(&expanded.join(" "));
        out.push_str(&"\n".repeat(body.matches('\n').count()));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The module paths a file refers to (`crate::a::b`, `super::x`, and
/// inside `use` groups), with the line, resolved against the known
/// modules (longest prefix).
fn references(
    module: &[String],
    is_mod_rs: bool,
    text: &str,
    known: &BTreeSet<Vec<String>>,
) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    let text = expand_groups(text);
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let words: Vec<&str> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .filter(|w| w.starts_with("crate::") || w.starts_with("super::"))
            .collect();
        for w in words {
            let parts: Vec<&str> = w.split("::").filter(|p| !p.is_empty()).collect();
            let mut path: Vec<String> = Vec::new();
            let mut rest = &parts[..];
            if parts[0] == "crate" {
                rest = &parts[1..];
            } else {
                // A file's `super` is its parent module; a mod.rs is its
                // own module, so its `super` is one further up.
                path = module.to_vec();
                if !is_mod_rs {
                    path.pop();
                }
                let mut supers = 0;
                while rest.first() == Some(&"super") {
                    supers += 1;
                    rest = &rest[1..];
                }
                for _ in 1..supers {
                    path.pop();
                }
                if is_mod_rs {
                    path.pop();
                }
            }
            for p in rest {
                let mut longer = path.clone();
                longer.push((*p).to_owned());
                if known.contains(&longer) {
                    path = longer;
                } else {
                    break;
                }
            }
            if !path.is_empty() {
                out.push((path, n + 1));
            }
        }
    }
    out
}

#[test]
fn each_layer_imports_only_those_below_it_and_none_imports_cli() {
    let mods = modules();
    let known: BTreeSet<Vec<String>> = mods.iter().map(|(m, _)| m.clone()).collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for (m, path) in &mods {
        let Some(top) = m.first() else { continue };
        let may = allowed
            .get(top.as_str())
            .unwrap_or_else(|| panic!("src/{top}: a top-level module with no place in ALLOWED"));
        let text = std::fs::read_to_string(path).unwrap();
        let is_mod = path.file_name().is_some_and(|f| f == "mod.rs");
        for (r, line) in references(m, is_mod, &text, &known) {
            let to = r[0].as_str();
            if to != top && !may.contains(&to) {
                wrong.push(format!(
                    "{}:{line}: {top} imports {}",
                    path.display(),
                    r.join("::")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layering:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_sibling_modules_import_each_other() {
    let mods = modules();
    let known: BTreeSet<Vec<String>> = mods.iter().map(|(m, _)| m.clone()).collect();
    // Edges between modules neither of which contains the other.
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, path) in &mods {
        let text = std::fs::read_to_string(path).unwrap();
        let is_mod = path.file_name().is_some_and(|f| f == "mod.rs");
        for (r, _) in references(m, is_mod, &text, &known) {
            if r.starts_with(m) || m.starts_with(&r) {
                continue;
            }
            // Lift both ends to the children of their common ancestor.
            let common = m.iter().zip(&r).take_while(|(a, b)| a == b).count();
            let from = m[..=common.min(m.len() - 1)].to_vec();
            let to = r[..=common.min(r.len() - 1)].to_vec();
            if from != to {
                edges.entry(from).or_default().insert(to);
            }
        }
    }
    // Any cycle in that graph.
    fn visit(
        n: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let c: Vec<String> = stack[i..].iter().map(|m| m.join("::")).collect();
            cycles.push(format!("{} -> {}", c.join(" -> "), n.join("::")));
            return;
        }
        if !done.insert(n.clone()) {
            return;
        }
        stack.push(n.clone());
        for next in edges.get(n).into_iter().flatten() {
            visit(next, edges, stack, done, cycles);
        }
        stack.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        visit(n, &edges, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle_and_a_wrong_import() {
    // The resolver on made-up files: a sibling reference and a crate path.
    let known: BTreeSet<Vec<String>> = [
        vec!["analysis".to_owned()],
        vec!["analysis".to_owned(), "health".to_owned()],
        vec!["analysis".to_owned(), "ledger".to_owned()],
        vec!["cli".to_owned()],
    ]
    .into_iter()
    .collect();
    let health = vec!["analysis".to_owned(), "health".to_owned()];
    let r = references(
        &health,
        false,
        "use super::ledger::X;\nuse crate::cli::Y;",
        &known,
    );
    assert_eq!(
        r,
        [
            (vec!["analysis".to_owned(), "ledger".to_owned()], 1),
            (vec!["cli".to_owned()], 2)
        ]
    );
    // Grouped, nested and over several lines.
    let grouped = "use crate::{cli::Cli};\nuse crate::{\n    analysis::{ledger::Z, W},\n    cli,\n};\nuse super::{ledger};";
    let r = references(&health, false, grouped, &known);
    let ledger = vec!["analysis".to_owned(), "ledger".to_owned()];
    let cli = vec!["cli".to_owned()];
    assert_eq!(
        r,
        [
            (cli.clone(), 1),
            (ledger.clone(), 2),
            (vec!["analysis".to_owned()], 2),
            (cli, 2),
            (ledger, 6)
        ]
    );
}
