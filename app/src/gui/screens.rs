//! One module per screen.

pub mod history;
pub mod results;
pub mod running;
pub mod settings;
pub mod start;
