//! The code's shape: no two files of a crate use each other in a loop. A circle means a
//! helper lives in the wrong place (a stage calling back up into the job, two stages
//! reaching into each other), which is what the stage layer and the file-kind API removed.
//! A file depends on another when it names a path into its module (`crate::a::b`,
//! `super::b`); `mod` declarations and the crate root do not count, nor do unit tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each crate's source folder.
/// Every workspace member's source folder, from the workspace's own list, so a new crate
/// is checked without anyone remembering to add it here.
fn crates(root: &Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("read Cargo.toml");
    let members = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("members = ["))
        .expect("a one-line members list");
    let crates: Vec<String> = members
        .trim_end_matches(']')
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .map(|m| format!("{m}/src"))
        .collect();
    assert!(crates.len() >= 7, "members not read: {crates:?}");
    crates
}

type Module = Vec<String>;

#[test]
fn no_crate_has_an_import_circle_between_its_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut circles = Vec::new();
    for krate in crates(&root) {
        let krate = krate.as_str();
        assert!(root.join(krate).is_dir(), "{krate} is not a crate's source folder");
        let modules = modules(&root.join(krate));
        let graph: BTreeMap<Module, BTreeSet<Module>> = modules
            .iter()
            .map(|(module, file)| {
                let code = production_code(&std::fs::read_to_string(file).expect("read source"));
                (module.clone(), dependencies(module, &code, &modules))
            })
            .collect();
        for circle in circles_in(&graph) {
            let files: Vec<String> = circle
                .iter()
                .map(|m| {
                    modules[m]
                        .strip_prefix(&root)
                        .unwrap_or(&modules[m])
                        .display()
                        .to_string()
                })
                .collect();
            circles.push(format!("{krate}: {}", files.join(" -> ")));
        }
    }
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

#[test]
fn a_circle_is_found() {
    let module = |names: &[&str]| -> Module { names.iter().map(|n| n.to_string()).collect() };
    let mut graph = BTreeMap::new();
    graph.insert(module(&["job"]), BTreeSet::from([module(&["stages", "map"])]));
    graph.insert(module(&["stages", "map"]), BTreeSet::from([module(&["job"])]));
    graph.insert(module(&["stage"]), BTreeSet::new());
    assert_eq!(circles_in(&graph).len(), 1);
    let modules = BTreeMap::from([
        (module(&["stage", "context"]), PathBuf::from("context.rs")),
        (module(&["stage", "commit"]), PathBuf::from("commit.rs")),
        (module(&["job"]), PathBuf::from("job.rs")),
    ]);
    let found = dependencies(
        &module(&["stage", "context"]),
        "use super::commit::CheckpointHandle;\nuse crate::{job::run, stage::context::X};",
        &modules,
    );
    assert_eq!(found, BTreeSet::from([module(&["stage", "commit"]), module(&["job"])]));
}

/// Module path → file, for every file under `src` (the crate root is left out: it only
/// declares modules).
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    for file in castmill_e2e::files_under(src) {
        let rel = file.strip_prefix(src).expect("under src");
        if rel.extension().and_then(|e| e.to_str()) != Some("rs") || rel.starts_with("bin") {
            continue;
        }
        let mut module: Module = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|n| n == "mod") {
            module.pop();
        }
        if module == ["lib"] || module == ["main"] {
            continue;
        }
        found.insert(module, file);
    }
    found
}

/// The file's code without comments, string contents and its unit tests.
fn production_code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The modules `module`'s code names paths into.
fn dependencies(module: &Module, code: &str, modules: &BTreeMap<Module, PathBuf>) -> BTreeSet<Module> {
    let mut found = BTreeSet::new();
    for (start, base) in [
        ("crate::", Vec::new()),
        ("super::", module[..module.len() - 1].to_vec()),
    ] {
        let mut rest = code;
        while let Some(at) = rest.find(start) {
            let preceded_by_ident = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            rest = &rest[at + start.len()..];
            if preceded_by_ident {
                continue;
            }
            for path in expand(rest, base.clone()) {
                let target = (1..=path.len())
                    .rev()
                    .map(|n| path[..n].to_vec())
                    .find(|prefix| modules.contains_key(prefix));
                if let Some(target) = target.filter(|t| t != module) {
                    found.insert(target);
                }
            }
        }
    }
    found
}

/// The paths that `text` (what follows `crate::`) names, each appended to `prefix`:
/// `a::b::C` gives one, `a::{b::C, d}` gives two.
fn expand(text: &str, mut prefix: Vec<String>) -> Vec<Vec<String>> {
    let mut rest = text.trim_start();
    loop {
        let ident: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if ident.is_empty() {
            break;
        }
        prefix.push(ident.clone());
        rest = &rest[ident.len()..];
        match rest.strip_prefix("::") {
            Some(next) => rest = next.trim_start(),
            None => return vec![prefix],
        }
    }
    let Some(group) = rest.strip_prefix('{') else {
        return vec![prefix];
    };
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
        .into_iter()
        .flat_map(|item| expand(item, prefix.clone()))
        .collect()
}

/// Every set of modules that depend on each other in a loop (strongly connected components
/// of more than one module), by Tarjan's algorithm.
fn circles_in(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Search<'g> {
        graph: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        circles: Vec<Vec<Module>>,
    }
    impl<'g> Search<'g> {
        fn visit(&mut self, module: &'g Module) {
            let n = self.index.len();
            self.index.insert(module, n);
            self.low.insert(module, n);
            self.stack.push(module);
            self.on_stack.insert(module);
            for next in self.graph.get(module).into_iter().flatten() {
                if !self.graph.contains_key(next) {
                    continue;
                }
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[module].min(self.low[next]);
                    self.low.insert(module, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[module].min(self.index[next]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.clone());
                    if top == module {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.circles.push(component);
                }
            }
        }
    }
    let mut search = Search {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        circles: Vec::new(),
    };
    for module in graph.keys() {
        if !search.index.contains_key(module) {
            search.visit(module);
        }
    }
    search.circles
}
