//! Reading game records of every format version (docs/record-format.md).
//!
//! Version 1 named actions the reference's way (`{"type": "ActionThrowDices"}`); version 2 names
//! them as the core does (`{"type": "throw_dice"}`), nothing else changed; version 3 changed the
//! state-hash format of the entries (the core reads versions 2 and 3). These readers accept all
//! three and hand the core version 1 as version 2 (the same hashes), so records and databases
//! written before the changes replay as they are. Write records with serde (always the current
//! version).

use magnate_core::record::RECORD_FORMAT;
use magnate_core::{GameRecord, RecordEntry, RecordHeader};
use serde_json::Value;

use crate::names::action_kind;

/// A whole record (`{"header": …, "entries": […]}`) of any version.
pub fn parse_record(bytes: &[u8]) -> Result<GameRecord, serde_json::Error> {
    let mut record: Value = serde_json::from_slice(bytes)?;
    if let Some(header) = record.get_mut("header") {
        upgrade_header(header);
    }
    if let Some(Value::Array(entries)) = record.get_mut("entries") {
        entries.iter_mut().for_each(upgrade_entry);
    }
    serde_json::from_value(record)
}

/// A record header of any version, as the current version.
pub fn parse_header(text: &str) -> Result<RecordHeader, serde_json::Error> {
    let mut header: Value = serde_json::from_str(text)?;
    upgrade_header(&mut header);
    serde_json::from_value(header)
}

/// One record entry of any version.
pub fn parse_entry(text: &str) -> Result<RecordEntry, serde_json::Error> {
    let mut entry: Value = serde_json::from_str(text)?;
    upgrade_entry(&mut entry);
    serde_json::from_value(entry)
}

fn upgrade_header(header: &mut Value) {
    let is_v1 = header.get("format").and_then(Value::as_str) == Some(RECORD_FORMAT)
        && header.get("version").and_then(Value::as_u64) == Some(1);
    if is_v1 {
        // Version 2 hashes its entries as version 1 did.
        header["version"] = Value::from(magnate_core::record::OLDEST_RECORD_VERSION);
    }
}

/// Renames a version-1 action `type`; entries of version 2 have no such names and pass as
/// they are, so a game whose record mixes both (begun before an upgrade) reads whole.
fn upgrade_entry(entry: &mut Value) {
    let Some(Value::String(name)) = entry.pointer_mut("/input/action/type") else {
        return;
    };
    if let Some(kind) = action_kind(name) {
        if let Ok(Value::String(current)) = serde_json::to_value(kind) {
            *name = current;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use magnate_core::{Action, Input, PlayerId, SquareId};

    #[test]
    fn version_one_entries_and_headers_read_as_version_two() {
        let entry = parse_entry(
            r#"{"index":1,"now":5,"input":{"input":"action","player":1,"action":{"type":"ActionBuild","square":8,"houses":1}},"hash":"00000000000000ff"}"#,
        )
        .unwrap();
        assert_eq!(
            entry.input,
            Input::action(
                PlayerId(1),
                Action::Build {
                    square: SquareId(8),
                    houses: 1
                }
            )
        );
        let current = serde_json::to_string(&entry).unwrap();
        assert!(current.contains(r#""type":"build""#), "{current}");
        assert_eq!(parse_entry(&current).unwrap(), entry);

        let header = magnate_core::RecordHeader::new(
            magnate_core::Setup::new([PlayerId(1), PlayerId(2)]),
            magnate_core::Seed(3),
            magnate_core::Timestamp(0),
        );
        let mut old = serde_json::to_value(&header).unwrap();
        old["version"] = Value::from(1);
        let read = parse_header(&old.to_string()).unwrap();
        assert_eq!(read.version, 2, "version 1 hashes as version 2 does");
        assert_eq!(read.hash_format(), Some(magnate_core::HashFormat::V1));
        assert_eq!(
            magnate_core::RecordHeader {
                version: header.version,
                ..read
            },
            header
        );
        old["version"] = Value::from(2);
        assert_eq!(parse_header(&old.to_string()).unwrap().version, 2);
        old["version"] = Value::from(7);
        assert_eq!(parse_header(&old.to_string()).unwrap().version, 7);
    }
}
