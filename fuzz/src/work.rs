//! Per-process scratch directories for the targets that need a node on disk. AFL forks one
//! child per run of the persistent loop, so each process makes its own directory, named after
//! its pid, and removes those of processes that are gone (a crash or timeout leaves one).

use std::path::PathBuf;

/// `$PARTAGE_FUZZ_WORK`, else /dev/shm/partage-fuzz-work (memory), else the temp dir.
pub fn root() -> PathBuf {
    if let Some(dir) = std::env::var_os("PARTAGE_FUZZ_WORK") {
        return PathBuf::from(dir);
    }
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() { shm.join("partage-fuzz-work") } else { std::env::temp_dir().join("partage-fuzz-work") }
}

/// A fresh directory `<root>/<target>-<pid>`, after removing those of dead processes.
pub fn dir(target: &str) -> PathBuf {
    let root = root();
    std::fs::create_dir_all(&root).expect("create fuzz work root");
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.rsplit('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
            if !PathBuf::from(format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = root.join(format!("{target}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create fuzz work dir");
    dir
}

/// Removes this process's directory for `target` (for tools that exit normally).
pub fn cleanup(target: &str) {
    let _ = std::fs::remove_dir_all(root().join(format!("{target}-{}", std::process::id())));
}
