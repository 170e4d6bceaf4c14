//! Async wrappers that run the blocking backup work on tokio's blocking thread pool.

use std::path::PathBuf;

use super::{
    BackupError, BackupManager, BackupManifest, BackupRequest, BackupResult, RestoreResult,
};

impl BackupManager {
    /// [`create_backup`](Self::create_backup) on the blocking pool; the runtime stays responsive.
    ///
    /// # Errors
    ///
    /// As for [`create_backup`](Self::create_backup), plus [`BackupError::NoRuntime`] outside a
    /// tokio runtime and [`BackupError::BackgroundTask`] if the task fails.
    pub async fn create_backup_async(
        &self,
        request: BackupRequest,
    ) -> Result<BackupResult, BackupError> {
        let manager = self.clone();
        run_blocking(move || manager.create_backup(&request)).await
    }

    /// [`verify_backup`](Self::verify_backup) on the blocking pool.
    ///
    /// # Errors
    ///
    /// As for [`verify_backup`](Self::verify_backup), plus [`BackupError::NoRuntime`] and
    /// [`BackupError::BackgroundTask`].
    pub async fn verify_backup_async(
        &self,
        backup_id: &str,
    ) -> Result<BackupManifest, BackupError> {
        let manager = self.clone();
        let backup_id = backup_id.to_owned();
        run_blocking(move || manager.verify_backup(&backup_id)).await
    }

    /// [`restore_backup`](Self::restore_backup) on the blocking pool.
    ///
    /// # Errors
    ///
    /// As for [`restore_backup`](Self::restore_backup), plus [`BackupError::NoRuntime`] and
    /// [`BackupError::BackgroundTask`].
    pub async fn restore_backup_async(
        &self,
        backup_id: &str,
        target_dir: PathBuf,
    ) -> Result<RestoreResult, BackupError> {
        let manager = self.clone();
        let backup_id = backup_id.to_owned();
        run_blocking(move || manager.restore_backup(&backup_id, &target_dir)).await
    }

    /// [`list_backups`](Self::list_backups) on the blocking pool.
    ///
    /// # Errors
    ///
    /// As for [`list_backups`](Self::list_backups), plus [`BackupError::NoRuntime`] and
    /// [`BackupError::BackgroundTask`].
    pub async fn list_backups_async(&self) -> Result<Vec<BackupManifest>, BackupError> {
        let manager = self.clone();
        run_blocking(move || manager.list_backups()).await
    }

    /// [`cleanup_old_backups`](Self::cleanup_old_backups) on the blocking pool.
    ///
    /// # Errors
    ///
    /// As for [`cleanup_old_backups`](Self::cleanup_old_backups), plus
    /// [`BackupError::NoRuntime`] and [`BackupError::BackgroundTask`].
    pub async fn cleanup_old_backups_async(&self) -> Result<Vec<String>, BackupError> {
        let manager = self.clone();
        run_blocking(move || manager.cleanup_old_backups()).await
    }
}

/// Runs `work` with `spawn_blocking` on the current runtime and awaits it.
async fn run_blocking<T, F>(work: F) -> Result<T, BackupError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, BackupError> + Send + 'static,
{
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| BackupError::NoRuntime)?;
    runtime
        .spawn_blocking(work)
        .await
        .map_err(|error| BackupError::BackgroundTask {
            reason: error.to_string(),
        })?
}
