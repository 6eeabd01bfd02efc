//! When a failed call is tried again, and after how long.

use std::time::Duration;

use crate::cloud::ErrorClass;

/// Most attempts of one call, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// A throttle asking for a longer wait than this is handed to the controller instead.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);

/// Whether repeating an action can never do it twice: reads, creates carrying a ClientToken,
/// and writes that set a value rather than add to it.
pub fn is_safe_to_repeat(action: &str) -> bool {
    action.starts_with("Describe")
        || action.starts_with("List")
        || matches!(
            action,
            "CreateDBInstance"
                | "ModifySecurityIps"
                | "ModifyAuditLogFilter"
                | "ModifyAuditPolicy"
                | "TagResources"
                | "ModifyDBInstanceDescription"
                | "ModifyDBInstanceMaintainTime"
                | "ModifyAccountDescription"
        )
}

/// The wait before attempt `attempt + 1` (0-based `attempt` just failed), or `None` to stop.
/// `unit` is a random number in `[0, 1)` for jitter. A throttled call was refused before the
/// cloud acted on it, so any action may be repeated after it; other faults (a 5xx, a reset, a
/// timeout) may have struck after the change was made, so only safe actions repeat.
pub fn next_delay(action: &str, class: ErrorClass, attempt: u32, unit: f64) -> Option<Duration> {
    let throttled = matches!(class, ErrorClass::Throttled { .. });
    if attempt + 1 >= MAX_ATTEMPTS || !(throttled || is_safe_to_repeat(action)) {
        return None;
    }
    let backoff = Duration::from_millis(200 << attempt.min(6)).mul_f64(0.5 + unit.clamp(0.0, 1.0));
    match class {
        ErrorClass::Transient => Some(backoff),
        ErrorClass::Throttled {
            retry_after: Some(wait),
        } if wait <= MAX_INLINE_WAIT => Some(wait),
        ErrorClass::Throttled { retry_after: None } => Some(backoff * 2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_table() {
        let throttled = |s| ErrorClass::Throttled { retry_after: s };
        let cases = [
            (
                "read retries transient faults",
                "DescribeDBInstances",
                ErrorClass::Transient,
                0,
                true,
            ),
            (
                "read retries throttling",
                "DescribeDBInstanceAttribute",
                throttled(None),
                0,
                true,
            ),
            (
                "short retry-after is honoured inline",
                "DescribeSecurityIps",
                throttled(Some(Duration::from_secs(2))),
                1,
                true,
            ),
            (
                "long retry-after goes to the controller",
                "DescribeSecurityIps",
                throttled(Some(Duration::from_secs(30))),
                0,
                false,
            ),
            (
                "create with client token retries",
                "CreateDBInstance",
                ErrorClass::Transient,
                0,
                true,
            ),
            (
                "attempts are bounded",
                "DescribeDBInstances",
                ErrorClass::Transient,
                MAX_ATTEMPTS - 1,
                false,
            ),
            (
                "restart never repeats",
                "RestartDBInstance",
                ErrorClass::Transient,
                0,
                false,
            ),
            (
                "delete never repeats",
                "DeleteDBInstance",
                ErrorClass::Transient,
                0,
                false,
            ),
            (
                "backup never repeats",
                "CreateBackup",
                ErrorClass::Transient,
                0,
                false,
            ),
            (
                "spec change never repeats",
                "ModifyDBInstanceSpec",
                ErrorClass::Transient,
                0,
                false,
            ),
            (
                "a throttled restart was refused, so it repeats",
                "RestartDBInstance",
                throttled(Some(Duration::from_secs(1))),
                0,
                true,
            ),
            (
                "a throttled backup without retry-after repeats after backoff",
                "CreateBackup",
                throttled(None),
                0,
                true,
            ),
            (
                "terminal errors stop",
                "DescribeDBInstances",
                ErrorClass::Terminal,
                0,
                false,
            ),
            (
                "busy instances go to the controller",
                "ModifySecurityIps",
                ErrorClass::InvalidState,
                0,
                false,
            ),
            (
                "not found stops",
                "DescribeDBInstanceAttribute",
                ErrorClass::NotFound,
                0,
                false,
            ),
        ];
        for (name, action, class, attempt, retries) in cases {
            assert_eq!(
                next_delay(action, class, attempt, 0.5).is_some(),
                retries,
                "case {name}"
            );
        }
    }

    #[test]
    fn backoff_grows_with_jitter() {
        let first =
            next_delay("DescribeDBInstances", ErrorClass::Transient, 0, 0.5).expect("retry");
        let second =
            next_delay("DescribeDBInstances", ErrorClass::Transient, 1, 0.5).expect("retry");
        assert_eq!(first, Duration::from_millis(200));
        assert_eq!(second, Duration::from_millis(400));
        assert_eq!(
            next_delay("DescribeDBInstances", ErrorClass::Transient, 0, 0.0),
            Some(Duration::from_millis(100))
        );
    }
}
