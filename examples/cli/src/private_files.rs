//! The CLI keeps its data private to the user: the data directory is mode 0700 and every file in
//! it 0600 (the store holds the secret keys; on a desktop there is no Keystore or Keychain). Apps
//! keep the keys in a secret store instead (ADR 0018).

use crate::error::{CliError, CliResult};
use std::path::Path;

/// Creates `dir` (0700) if needed, before the store is created in it: no file is ever readable
/// by others, even for the moment before [`restrict_files`] runs.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> CliResult<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| io(dir, &e))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| io(dir, &e))
}

/// Sets every file directly in `dir` to 0600 (the store and its companions).
#[cfg(unix)]
pub fn restrict_files(dir: &Path) -> CliResult<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, &e))? {
        let path = entry.map_err(|e| io(dir, &e))?.path();
        if path.is_file() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io(&path, &e))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn create_private_dir(_dir: &Path) -> CliResult<()> {
    Ok(())
}

#[cfg(not(unix))]
pub fn restrict_files(_dir: &Path) -> CliResult<()> {
    Ok(())
}

fn io(path: &Path, e: &std::io::Error) -> CliError {
    CliError::msg(format!("could not make {} private: {e}", path.display()))
}
