//! stagegate core (WIP)
pub mod parse;
pub mod source;
