//! What can go wrong running a speaker network.

use crate::weights::WeightsError;

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("the speaker model is not usable")]
    Weights(#[from] WeightsError),
    #[error("the speaker network failed")]
    Compute(#[from] candle_core::Error),
}
