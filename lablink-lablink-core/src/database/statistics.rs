//! Aggregate figures of the command history per instrument.

use serde::{Deserialize, Serialize};

/// Counts and execution-time figures of one instrument's commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquipmentStatistics {
    /// The instrument.
    pub equipment_id: String,
    /// Number of logged commands.
    pub command_count: u64,
    /// Number of those that succeeded.
    pub success_count: u64,
    /// Mean execution time in milliseconds.
    pub avg_execution_time_ms: f64,
    /// Shortest execution time in milliseconds.
    pub min_execution_time_ms: f64,
    /// Longest execution time in milliseconds.
    pub max_execution_time_ms: f64,
}

impl EquipmentStatistics {
    /// Number of failed commands.
    pub fn failure_count(&self) -> u64 {
        self.command_count.saturating_sub(self.success_count)
    }

    /// Fraction of commands that succeeded, from 0.0 to 1.0 (0.0 when there are none).
    pub fn success_rate(&self) -> f64 {
        if self.command_count == 0 {
            0.0
        } else {
            self.success_count as f64 / self.command_count as f64
        }
    }
}
