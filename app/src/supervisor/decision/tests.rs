//! Every branch of the decision table, without a model or a process.

use super::*;

const V: u32 = shared_ipc::PROTOCOL_VERSION;
const ABORT: WorkerEnd = WorkerEnd::Signalled(Signal::SIGABRT as i32);
const SIGKILL: WorkerEnd = WorkerEnd::Signalled(Signal::SIGKILL as i32);

fn policy() -> RestartPolicy {
    RestartPolicy {
        base: Duration::from_millis(100),
        cap: Duration::from_millis(1_000),
        max_attempts: 3,
    }
}

/// A worker that said hello and was working at `site`.
fn working(site: Option<DeathSite>) -> Attempt {
    Attempt {
        protocol_version: Some(V),
        site,
        ..Attempt::default()
    }
}

fn at(file_index: usize, position_ms: u64) -> Option<DeathSite> {
    Some(DeathSite {
        file_index,
        stage: DeathStage::Transcription { position_ms },
    })
}

fn decide_now(history: &mut History, attempt: &Attempt, end: WorkerEnd, requests: Requests) -> Decision {
    decide(history, attempt, end, &requests, &policy(), V)
}

fn died(decision: Decision) -> Death {
    match decision {
        Decision::Died(death) => death,
        other => panic!("expected a death, got {other:?}"),
    }
}

#[test]
fn a_finished_worker_is_finished() {
    let attempt = Attempt {
        finished: Some((2, 1)),
        ..working(None)
    };
    assert_eq!(
        decide_now(
            &mut History::default(),
            &attempt,
            WorkerEnd::Exited(0),
            Requests::default()
        ),
        Decision::End(Outcome::Finished {
            files_done: 2,
            files_failed: 1
        })
    );
}

#[test]
fn after_the_users_stop_any_end_is_a_stop() {
    for end in [WorkerEnd::Exited(exit_code::STOPPED), SIGKILL, ABORT] {
        let requests = Requests {
            stop: true,
            skip: Some(Skip::File(1)),
        };
        assert_eq!(
            decide_now(&mut History::default(), &working(at(0, 5_000)), end, requests),
            Decision::End(Outcome::Stopped),
            "{end:?}"
        );
    }
    // A SIGTERM from someone else (a logout, `kill`): the worker stopped as asked.
    assert_eq!(
        decide_now(
            &mut History::default(),
            &Attempt {
                stopping: Some(StopCause::Requested),
                ..working(None)
            },
            WorkerEnd::Exited(exit_code::STOPPED),
            Requests::default()
        ),
        Decision::End(Outcome::Stopped)
    );
}

#[test]
fn a_worker_of_another_protocol_is_one_clear_error_and_never_restarted() {
    let attempt = Attempt {
        protocol_version: Some(V - 1),
        ..Attempt::default()
    };
    let decision = decide_now(&mut History::default(), &attempt, SIGKILL, Requests::default());
    let Decision::End(Outcome::Unrunnable { reason }) = decision else {
        panic!("{decision:?}")
    };
    assert!(
        reason.contains(&format!("speaks protocol {}, this app expects {V}", V - 1)),
        "{reason}"
    );
}

#[test]
fn skip_marks_the_file_and_resets_the_failure_count() {
    let mut history = History::default();
    died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
    died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
    let requests = Requests {
        stop: false,
        skip: Some(Skip::Summary(2)),
    };
    assert_eq!(
        decide_now(
            &mut history,
            &working(at(2, 0)),
            WorkerEnd::Exited(exit_code::STOPPED),
            requests
        ),
        Decision::Skip(Skip::Summary(2))
    );
    let death = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
    assert_eq!(
        death.next,
        AfterDeath::Restart {
            attempt: 1,
            delay: Duration::from_millis(100)
        }
    );
}

#[test]
fn a_worker_that_refuses_the_job_is_unrunnable_with_its_reason() {
    for code in [
        exit_code::MODEL_ERROR,
        exit_code::JOB_ERROR,
        exit_code::ALREADY_RUNNING,
        exit_code::USAGE,
    ] {
        let attempt = Attempt {
            error: Some("model /m.bin is unusable: model is truncated".into()),
            ..working(None)
        };
        assert_eq!(
            decide_now(
                &mut History::default(),
                &attempt,
                WorkerEnd::Exited(code),
                Requests::default()
            ),
            Decision::End(Outcome::Unrunnable {
                reason: "model /m.bin is unusable: model is truncated".into()
            })
        );
    }
    let Decision::End(Outcome::Unrunnable { reason }) = decide_now(
        &mut History::default(),
        &Attempt::default(),
        WorkerEnd::Exited(exit_code::INTERNAL_ERROR),
        Requests::default(),
    ) else {
        panic!("a worker that never said hello cannot run the job")
    };
    assert!(reason.contains("before it started"), "{reason}");
}

#[test]
fn crashes_restart_with_backoff_and_two_at_one_place_quarantine_the_file() {
    let mut history = History::default();
    let first = died(decide_now(
        &mut history,
        &working(at(1, 30_000)),
        ABORT,
        Requests::default(),
    ));
    assert_eq!(first.how, "was killed by SIGABRT");
    assert_eq!(first.quarantine, None);
    assert_eq!(
        first.next,
        AfterDeath::Restart {
            attempt: 1,
            delay: Duration::from_millis(100)
        }
    );
    let second = died(decide_now(
        &mut history,
        &working(at(1, 30_000)),
        ABORT,
        Requests::default(),
    ));
    let quarantine = second.quarantine.expect("poison");
    assert_eq!(quarantine.site, at(1, 30_000).expect("site"));
    assert_eq!(
        quarantine.reason,
        "the worker was killed by SIGABRT twice at 30.0 s of this file"
    );
    assert_eq!(
        second.next,
        AfterDeath::Restart {
            attempt: 2,
            delay: Duration::from_millis(200)
        }
    );
    // Deaths at two different places are not poison.
    let mut history = History::default();
    died(decide_now(&mut history, &working(at(0, 0)), ABORT, Requests::default()));
    let other = died(decide_now(
        &mut history,
        &working(at(0, 30_000)),
        ABORT,
        Requests::default(),
    ));
    assert_eq!(other.quarantine, None);
}

#[test]
fn a_panic_or_internal_error_blames_the_input() {
    for code in [RUST_PANIC_EXIT, exit_code::INTERNAL_ERROR] {
        let mut history = History::default();
        died(decide_now(
            &mut history,
            &working(at(0, 0)),
            WorkerEnd::Exited(code),
            Requests::default(),
        ));
        let death = died(decide_now(
            &mut history,
            &working(at(0, 0)),
            WorkerEnd::Exited(code),
            Requests::default(),
        ));
        assert!(death.quarantine.is_some(), "code {code}");
    }
}

#[test]
fn an_outside_sigkill_never_blames_the_file() {
    let mut history = History::default();
    for _ in 0..3 {
        let death = died(decide_now(
            &mut history,
            &working(at(0, 60_000)),
            SIGKILL,
            Requests::default(),
        ));
        assert_eq!(death.how, "was killed by SIGKILL");
        assert_eq!(death.quarantine, None);
    }
}

#[test]
fn a_death_during_a_summary_quarantines_only_the_summary() {
    let summary = Some(DeathSite {
        file_index: 2,
        stage: DeathStage::Summary,
    });
    let mut history = History::default();
    died(decide_now(&mut history, &working(summary), ABORT, Requests::default()));
    let death = died(decide_now(&mut history, &working(summary), ABORT, Requests::default()));
    let quarantine = death.quarantine.expect("poison");
    assert_eq!(quarantine.site.stage, DeathStage::Summary);
    assert!(quarantine.reason.contains("while summarising"), "{}", quarantine.reason);
}

#[test]
fn a_death_while_opening_or_probing_a_file_quarantines_it() {
    let opening = Some(DeathSite {
        file_index: 3,
        stage: DeathStage::Opening,
    });
    let mut history = History::default();
    assert_eq!(
        died(decide_now(&mut history, &working(opening), ABORT, Requests::default())).quarantine,
        None
    );
    let death = died(decide_now(&mut history, &working(opening), ABORT, Requests::default()));
    assert_eq!(
        death.quarantine.map(|q| q.reason),
        Some("the worker was killed by SIGABRT twice while opening this file".into())
    );
}

#[test]
fn a_death_between_files_blames_no_file() {
    let mut history = History::default();
    for _ in 0..2 {
        assert_eq!(
            died(decide_now(&mut history, &working(None), ABORT, Requests::default())).quarantine,
            None
        );
    }
}

#[test]
fn a_silent_or_stalled_worker_is_restarted_and_poison_when_it_hangs_twice_at_one_place() {
    for kill in [
        WatchdogKill::Silent {
            for_: Duration::from_secs(30),
        },
        WatchdogKill::Stalled {
            for_: Duration::from_secs(12),
            limit: Duration::from_secs(12),
        },
    ] {
        let attempt = Attempt {
            watchdog: Some(kill),
            ..working(at(0, 0))
        };
        let mut history = History::default();
        let first = died(decide_now(&mut history, &attempt, SIGKILL, Requests::default()));
        assert_eq!(first.watchdog, Some(kill));
        assert!(matches!(first.next, AfterDeath::Restart { attempt: 1, .. }));
        let second = died(decide_now(&mut history, &attempt, SIGKILL, Requests::default()));
        let reason = second.quarantine.expect("poison").reason;
        match kill {
            WatchdogKill::Silent { .. } => assert!(reason.contains("stopped responding"), "{reason}"),
            WatchdogKill::Stalled { .. } => {
                assert!(reason.contains("made no progress for 12 s"), "{reason}")
            }
        }
    }
}

#[test]
fn a_worker_that_lost_its_supervisor_is_restarted_without_blame() {
    let attempt = Attempt {
        stopping: Some(StopCause::ParentDied),
        ..working(at(0, 0))
    };
    let mut history = History::default();
    for _ in 0..2 {
        let death = died(decide_now(
            &mut history,
            &attempt,
            WorkerEnd::Exited(exit_code::STOPPED),
            Requests::default(),
        ));
        assert!(death.how.contains("lost contact with the app"), "{}", death.how);
        assert_eq!(death.quarantine, None);
    }
}

#[test]
fn it_gives_up_after_the_limit_without_progress_and_progress_starts_the_count_again() {
    let mut history = History::default();
    for attempt in 1..=3 {
        let death = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
        assert!(matches!(death.next, AfterDeath::Restart { attempt: a, .. } if a == attempt));
    }
    let progressed = Attempt {
        progressed: true,
        ..working(None)
    };
    let death = died(decide_now(&mut history, &progressed, SIGKILL, Requests::default()));
    assert!(
        matches!(death.next, AfterDeath::Restart { attempt: 1, .. }),
        "{death:?}"
    );
    for attempt in 2..=3 {
        let death = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
        assert!(matches!(death.next, AfterDeath::Restart { attempt: a, .. } if a == attempt));
    }
    let last = died(decide_now(&mut history, &working(None), SIGKILL, Requests::default()));
    assert_eq!(
        last.next,
        AfterDeath::GiveUp {
            reason: "the worker was killed by SIGKILL, 4 times in a row without progress".into()
        }
    );
}

#[test]
fn running_out_of_memory_is_named_and_twice_at_one_place_fails_the_file() {
    let attempt = Attempt {
        out_of_memory: true,
        ..working(at(2, 12_000))
    };
    let mut history = History::default();
    let first = died(decide_now(&mut history, &attempt, SIGKILL, Requests::default()));
    assert_eq!(
        first.how,
        "was killed by the kernel: there was not enough memory for it"
    );
    assert_eq!(first.quarantine, None);
    let second = died(decide_now(&mut history, &attempt, SIGKILL, Requests::default()));
    assert_eq!(
        second.quarantine.map(|q| q.reason),
        Some(
            "it needs more memory than is available: the worker ran out of memory twice at 12.0 s of this file".into()
        )
    );
}

#[test]
fn a_hang_while_the_machine_is_short_of_memory_blames_no_file() {
    let attempt = Attempt {
        watchdog: Some(WatchdogKill::Silent {
            for_: Duration::from_secs(30),
        }),
        memory_pressure: true,
        ..working(at(0, 30_000))
    };
    let mut history = History::default();
    for _ in 0..3 {
        let death = died(decide_now(&mut history, &attempt, SIGKILL, Requests::default()));
        assert_eq!(death.quarantine, None, "a swap storm is not the file's fault");
        assert!(
            death.how.contains("while the machine was short of memory"),
            "{}",
            death.how
        );
    }
}

#[test]
fn a_leaking_worker_stopped_at_a_commit_is_replaced_at_once_and_never_loops() {
    let mut history = History::default();
    let stopped = WorkerEnd::Exited(exit_code::STOPPED);
    let leaked_after_work = Attempt {
        leaked: true,
        progressed: true,
        ..working(at(0, 30_000))
    };
    assert_eq!(
        decide_now(&mut history, &leaked_after_work, stopped, Requests::default()),
        Decision::Fresh
    );
    // Leaking again before committing anything counts like a death, up to giving up.
    let leaked_at_once = Attempt {
        leaked: true,
        ..working(at(0, 30_000))
    };
    for attempt in 1..=3 {
        let death = died(decide_now(&mut history, &leaked_at_once, stopped, Requests::default()));
        assert!(death.how.contains("its memory kept growing"), "{}", death.how);
        assert!(matches!(death.next, AfterDeath::Restart { attempt: a, .. } if a == attempt));
        assert_eq!(death.quarantine, None, "a leak says nothing about the input");
    }
    let last = died(decide_now(&mut history, &leaked_at_once, stopped, Requests::default()));
    assert!(matches!(last.next, AfterDeath::GiveUp { .. }));
    // One that would not stop was killed after the grace period: said so, restarted.
    let killed = died(decide_now(
        &mut History::default(),
        &leaked_after_work,
        SIGKILL,
        Requests::default(),
    ));
    assert_eq!(
        killed.how,
        "kept growing in memory and did not stop when asked, so it was killed"
    );
    assert!(matches!(killed.next, AfterDeath::Restart { .. }));
    // The user's Stop still wins.
    let stop = Requests { stop: true, skip: None };
    assert_eq!(
        decide_now(&mut History::default(), &leaked_after_work, stopped, stop),
        Decision::End(Outcome::Stopped)
    );
}
