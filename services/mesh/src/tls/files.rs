//! Writing key and certificate files: private keys are created with mode
//! 0600 and every file is replaced atomically (write, sync, rename), so a
//! crash mid-renewal leaves the old pair or the new one, never half of each.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Who may read a file we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Only the owner: private keys.
    Private,
    /// Anyone: certificates.
    Public,
}

/// Write `contents` to `path` atomically.
pub(crate) fn write_atomically(path: &Path, contents: &[u8], access: Access) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mode = match access {
        Access::Private => 0o600,
        Access::Public => 0o644,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

/// Create a file that must not exist yet (the CA key is never overwritten).
pub(crate) fn create_new(path: &Path, contents: &[u8], access: Access) -> io::Result<()> {
    if path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", path.display()),
        ));
    }
    write_atomically(path, contents, access)
}
