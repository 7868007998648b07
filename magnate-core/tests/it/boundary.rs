//! The core speaks in game terms: the reference clients' JSON lives in `magnate-protocol`.

use std::path::Path;

/// Strings that only the reference's wire format uses: action and response `type`s and the
/// error catalogue's prefixes.
const WIRE_STRINGS: &[&str] = &[
    "ActionThrowDices",
    "ActionPayBail",
    "ActionMoveTo",
    "ActionChooseCard",
    "ActionBuySquare",
    "ActionDropPurchase",
    "ActionTakeTram",
    "ActionBuild",
    "ActionDemolish",
    "ActionMortgageSet",
    "ActionMortgageUnset",
    "ActionTradeProposal",
    "ActionTradeAnswer",
    "ActionBid",
    "ActionNextPhase",
    "ActionSurrender",
    "\"Response",
    "ResponseThrowDices",
    "ResponseSkipPhase",
    "ResponseChooseSquare",
    "ResponseChooseFantasy",
    "ResponseAuction",
    "ResponseBonus",
    "Potentially malicious",
    "Internal logic error",
    "Invalid data",
];

#[allow(
    clippy::disallowed_methods,
    reason = "this test reads the crate's own sources; the core itself does no I/O"
)]
fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("the core's sources are readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path
            .extension()
            .is_some_and(|ext| ext == "rs" || ext == "json")
        {
            let text = std::fs::read_to_string(&path).expect("a source file is UTF-8");
            found.push((path.display().to_string(), text));
        }
    }
}

#[test]
fn the_core_contains_no_reference_wire_string() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    sources(&root.join("data"), &mut files);
    assert!(files.len() > 20, "the scan found the sources");
    let offending: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            WIRE_STRINGS
                .iter()
                .filter(|wire| text.contains(*wire))
                .map(move |wire| format!("{path}: {wire}"))
        })
        .collect();
    assert!(
        offending.is_empty(),
        "wire strings in the core: {offending:#?}"
    );
}
