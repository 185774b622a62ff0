//! Unix: command-line output into a closed pipe (`castmill jobs list | head`) ends the
//! process quietly, as other command-line tools do, instead of a panic from `println!`.
//! Rust ignores SIGPIPE by default; the window keeps that, the commands restore the default.

pub fn exit_quietly_on_broken_pipe() {
    // SAFETY: setting a signal's disposition to its default at start-up, before any thread
    // is spawned, races with nothing.
    let _ =
        unsafe { nix::sys::signal::signal(nix::sys::signal::Signal::SIGPIPE, nix::sys::signal::SigHandler::SigDfl) };
}
