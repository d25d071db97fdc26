//! `partage init` and `partage whoami`.

use crate::error::CliResult;
use crate::output::Out;
use partage::Node;

/// Prints the new member id alone (or the identity as JSON).
pub fn init(node: &Node, name: &str, out: &mut Out) -> CliResult {
    let info = node.init(name)?;
    if out.json {
        return out.identity(&info);
    }
    out.line(info.member)
}

pub fn whoami(node: &Node, out: &mut Out) -> CliResult {
    let info = node.identity()?.ok_or(partage::Error::NoIdentity)?;
    out.identity(&info)
}
