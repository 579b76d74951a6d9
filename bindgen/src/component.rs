//! Wrapping a rewritten core module as a component of its WIT world.

use anyhow::{Context, Result};
use wit_parser::{Resolve, WorldId};

/// Embeds `world` (of `resolve`) in `core` and encodes the component wit-component makes of it.
/// Not validated here: `rewrite` validates the composed component, which contains this one.
pub fn wrap(mut core: Vec<u8>, resolve: &Resolve, world: WorldId) -> Result<Vec<u8>> {
    wit_component::embed_component_metadata(&mut core, resolve, world, wit_component::StringEncoding::UTF8, false)?;
    wit_component::ComponentEncoder::default()
        .validate(false)
        .module(&core)
        .context("wrapping the rewritten module as a component")?
        .encode()
        .context("encoding the guest component")
}
