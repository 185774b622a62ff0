//! Parent-death notification (Linux: PR_SET_PDEATHSIG). When the app dies, the kernel sends
//! us SIGHUP — a signal of its own, so it is not mistaken for a stop request — and we stop
//! gracefully. The heartbeat thread also polls the parent PID, which covers platforms
//! without this call.

#[cfg(target_os = "linux")]
pub fn arm() -> std::io::Result<()> {
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGHUP).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
pub fn arm() -> std::io::Result<()> {
    Ok(())
}
