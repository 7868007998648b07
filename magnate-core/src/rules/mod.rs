//! The rules, split by topic. Each module adds the methods of its topic to [`crate::Game`].

mod auction;
mod bankruptcy;
mod building;
pub mod cards;
mod movement;
mod purchase;
pub mod rent;
mod trade;

pub use movement::{step_options, walk, Walk};
