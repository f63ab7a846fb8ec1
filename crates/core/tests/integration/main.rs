//! One integration-test binary: policy fixtures, end-to-end fixtures, parse fixtures, API.

mod api;
mod collection;
mod discovery;
mod e2e;
#[path = "../common/engines.rs"]
mod engines;
mod expect;
mod hostile;
mod parse_fixtures;
mod policies;
mod terraform;
mod waivers;
