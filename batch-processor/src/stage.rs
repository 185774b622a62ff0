//! The stage layer: what every stage of a job shares, below the stages themselves. One
//! context a stage is run with ([`context`]), one outcome type ([`outcome`]), committing to
//! the checkpoint ([`commit`]), reading a committed transcript ([`transcript`]), writing an
//! episode's note ([`notes`]) and saying an I/O failure in plain words ([`plain_io`]).
//! Stages import this layer and never each other, so a new stage plugs in beside them.

pub mod commit;
pub mod context;
pub mod notes;
pub mod outcome;
pub mod plain_io;
pub mod transcript;
