//! Replays every kept fuzz input (`fuzz/regressions/<target>/`: crashes found and fixed, and
//! the seeds the fuzzers start from) through its check, so each stays fixed in the normal
//! test suite.

use std::path::PathBuf;

use castmill_fuzz_checks::CHECKS;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn every_kept_fuzz_input_passes_its_check() {
    let mut replayed = 0;
    for (target, check) in CHECKS {
        let dir = fuzz_dir().join("regressions").join(target);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no kept inputs for {target} in {}", dir.display());
        for input in inputs {
            let bytes = std::fs::read(&input).expect("read kept input");
            // A panic here names the input, so the failing file is one click away.
            eprintln!("{target}: {}", input.display());
            check(&bytes);
            replayed += 1;
        }
    }
    eprintln!("{replayed} kept inputs replayed");
}

#[test]
fn every_fuzz_target_has_a_check_and_every_check_a_target() {
    let targets_dir = fuzz_dir().join("fuzz_targets");
    let mut targets: Vec<String> = std::fs::read_dir(&targets_dir)
        .expect("fuzz targets")
        .map(|e| {
            let path = e.expect("entry").path();
            path.file_stem().expect("stem").to_string_lossy().into_owned()
        })
        .collect();
    targets.sort();
    let mut checks: Vec<String> = CHECKS.iter().map(|(name, _)| name.to_string()).collect();
    checks.sort();
    assert_eq!(targets, checks);
}
