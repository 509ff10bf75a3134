//! Locating the scripts and the cache, and provisioning the source servers once per process.
//!
//! `scripts/provision-sources.sh` installs MariaDB 10.11, unpacks MySQL 9.7 and builds the
//! data-directory templates under the cache directory, then writes the marker file
//! `provisioned-v1`. [`ensure_provisioned`] runs the script at most once per process, only when
//! the marker is missing, and remembers the outcome (a failure is reported to every caller
//! with the script's output).

use std::path::PathBuf;
use std::process::Stdio;

use tokio::sync::OnceCell;

use crate::TestbedError;

/// The name of the marker file `provision-sources.sh` writes when it has finished.
const MARKER: &str = "provisioned-v1";

/// The repository's `scripts/` directory (`M2S_SCRIPTS_DIR` overrides it).
///
/// Found at run time from the `CARGO_MANIFEST_DIR` that cargo and nextest give the test process
/// (the nearest ancestor holding `scripts/source-server.sh`), so a test binary reused from a
/// build in another checkout still runs this checkout's scripts; the directory this crate was
/// compiled in is the last resort.
pub fn scripts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("M2S_SCRIPTS_DIR") {
        return PathBuf::from(dir);
    }
    let runtime_manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let compiled_manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for start in runtime_manifest.iter().chain([&compiled_manifest]) {
        if let Some(root) = start
            .ancestors()
            .find(|dir| dir.join("scripts/source-server.sh").is_file())
        {
            return root.join("scripts");
        }
    }
    compiled_manifest.join("../../scripts")
}

/// The cache holding the MySQL root and the templates: `M2S_CACHE_DIR`, else
/// `/var/cache/mysql2starrocks` (the same rule as the scripts).
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("M2S_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("/var/cache/mysql2starrocks"),
    }
}

static PROVISIONED: OnceCell<Result<(), String>> = OnceCell::const_new();

/// Makes sure the source servers are provisioned: returns at once if the cache marker exists,
/// else runs `scripts/provision-sources.sh` (once per process; it needs root and network) and
/// fails with its output if it fails.
pub async fn ensure_provisioned() -> Result<(), TestbedError> {
    let outcome = PROVISIONED
        .get_or_init(|| async {
            if cache_dir().join(MARKER).exists() {
                return Ok(());
            }
            run_provision_script().await
        })
        .await;
    outcome.clone().map_err(TestbedError::Provision)
}

async fn run_provision_script() -> Result<(), String> {
    let script = scripts_dir().join("provision-sources.sh");
    let output = tokio::process::Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| {
            format!(
                "cannot run {}: {e}; run it by hand as root: sudo {}",
                script.display(),
                script.display()
            )
        })?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{} exited with {} (run it by hand as root to see more):\n{}{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
