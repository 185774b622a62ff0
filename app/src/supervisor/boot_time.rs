//! When the machine last booted, to tell a job the machine's restart ended from one whose
//! worker or app crashed. Linux reads it from `/proc/stat`; elsewhere it is unknown.

/// The boot time, in ms since the epoch, where the system says.
pub fn booted_at_ms() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        parse_btime(&stat).map(|s| s * 1000)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The `btime` line of `/proc/stat`: seconds since the epoch.
fn parse_btime(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|line| line.strip_prefix("btime "))
        .and_then(|s| s.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_boot_time_line() {
        assert_eq!(
            parse_btime("cpu  1 2 3\nbtime 1764670000\nprocesses 9\n"),
            Some(1_764_670_000)
        );
        assert_eq!(parse_btime("cpu  1 2 3\n"), None);
        #[cfg(target_os = "linux")]
        {
            let booted = booted_at_ms().expect("linux says when it booted");
            assert!(booted < shared_ipc::now_unix_ms());
        }
    }
}
