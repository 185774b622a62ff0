//! A balloon for the memory tests: takes (and touches) the megabytes it is given, says
//! `ready` on stdout, and holds them until its stdin closes — started inside a test's
//! memory cgroup, it is the other program that leaves a job short of memory.

use std::io::{Read, Write};

fn main() {
    let megabytes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: castmill-balloon MEGABYTES");
    // Written, so every page is really taken.
    let held: Vec<Vec<u8>> = (0..megabytes).map(|_| vec![1u8; 1 << 20]).collect();
    std::hint::black_box(&held);
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "ready");
    let _ = stdout.flush();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
