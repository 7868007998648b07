//! Username rules beyond the reference's: compatibility normalization and refused characters.
//!
//! Names are NFKC-normalized before anything else looks at them, so full-width letters,
//! ligatures and mathematical letters (`ｍａｒｉｏ`, `ﬁgaro`, `𝐦𝐚𝐫𝐢𝐨`) are the same name as their
//! plain forms, and uniqueness is checked on that form (case-sensitively, as before). Characters
//! that do not show, or that reorder or hide their neighbours (controls, format characters such
//! as bidi overrides and zero-width joiners, separators, private-use and unassigned code points,
//! and the other default-ignorable characters), are refused, so one player cannot display as
//! another in chat and lobbies. Every other character stays allowed, as in the reference.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The field error for a name with a refused character.
pub const USERNAME_INVISIBLE: &str =
    "El nombre de usuario no puede contener caracteres de control ni invisibles.";

/// The field error for a name in the bots' namespace.
pub const USERNAME_RESERVED: &str =
    "Los nombres que empiezan por \"Bot_\" están reservados para los bots.";

/// The prefix of bot account names: private rooms name their bots `Bot_<code>_<n>`
/// (`lobby::create_bot`), and a human holding such a name would block that room's bot games.
pub const BOT_NAME_PREFIX: &str = "Bot_";

/// Whether `name` (normalized) is in the bots' namespace: it starts with [`BOT_NAME_PREFIX`] in
/// any letter case.
pub fn is_reserved_for_bots(name: &str) -> bool {
    name.as_bytes()
        .get(..BOT_NAME_PREFIX.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(BOT_NAME_PREFIX.as_bytes()))
}

/// The form a username is stored, compared and looked up in: NFKC, then trimmed again (a
/// compatibility character may become a space).
pub fn normalize_username(raw: &str) -> String {
    let normalized: String = raw.nfkc().collect();
    normalized.trim().to_owned()
}

/// Whether `name` (normalized) has a character that is refused in usernames.
pub fn has_refused_character(name: &str) -> bool {
    name.chars().any(is_refused)
}

fn is_refused(character: char) -> bool {
    matches!(
        character.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    ) || is_default_ignorable_outside_format(character)
}

/// Default-ignorable code points (Unicode's `Default_Ignorable_Code_Point`) that are not format
/// characters: they render as nothing, like a zero-width space.
fn is_default_ignorable_outside_format(character: char) -> bool {
    matches!(
        character,
        '\u{034F}'                      // combining grapheme joiner
            | '\u{115F}'..='\u{1160}'   // Hangul fillers
            | '\u{17B4}'..='\u{17B5}'   // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors
            | '\u{3164}'                // Hangul filler
            | '\u{FE00}'..='\u{FE0F}'   // variation selectors
            | '\u{FFA0}'                // half-width Hangul filler
            | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_forms_fold_to_their_plain_letters() {
        assert_eq!(normalize_username("ｍａｒｉｏ"), "mario");
        assert_eq!(normalize_username("ﬁgaro"), "figaro");
        assert_eq!(normalize_username("𝐦𝐚𝐫𝐢𝐨"), "mario");
        assert_eq!(normalize_username("Ｍario"), "Mario");
        assert_eq!(normalize_username("jose\u{301}"), "josé");
        assert_eq!(normalize_username("用户"), "用户");
    }

    #[test]
    fn the_bot_prefix_is_reserved_in_any_case() {
        for name in ["Bot_A_1", "bot_a_1", "BOT_", "bOt_x"] {
            assert!(is_reserved_for_bots(name), "{name}");
        }
        for name in ["Bot", "Bot-1", "Botella", "robot_1", "ñBot_", ""] {
            assert!(!is_reserved_for_bots(name), "{name}");
        }
    }

    #[test]
    fn invisible_and_reordering_characters_are_refused() {
        for name in [
            "a\u{0}b",
            "a\u{7F}b",
            "a\u{85}b",
            "a\u{AD}b",
            "a\u{200B}b",
            "a\u{200C}b",
            "a\u{200D}b",
            "a\u{200E}b",
            "a\u{202A}b",
            "a\u{202E}b",
            "a\u{2060}b",
            "a\u{2066}b",
            "a\u{2069}b",
            "a\u{FEFF}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{E000}b",
            "a\u{FE0F}b",
            "a\u{3164}b",
            "a\u{034F}b",
            "a\u{E0001}b",
            "a\u{10FFFF}b",
        ] {
            assert!(has_refused_character(name), "{name:?}");
        }
        for name in [
            "bad name!",
            "josé-maría@x",
            "用户",
            "Ñandú_01",
            "ąčęėįšųūž",
            "😀",
        ] {
            assert!(!has_refused_character(name), "{name:?}");
        }
    }
}
