//! Identifier newtypes.
//!
//! Every id type writes an integer (or, as a JSON object key, the unpadded decimal string) and
//! reads both, since a map keyed by ids comes back with string keys.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A player, identified by the platform's user id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PlayerId(pub u64);

/// A square of the board, identified by its `custom_id` (0–39, 100–113 and 201 on board1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SquareId(pub u16);

/// The seed of a game's random generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(transparent)]
pub struct Seed(pub u64);

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for SquareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for PlayerId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl Serialize for SquareId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.0)
    }
}

impl<'de> Deserialize<'de> for PlayerId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UnsignedVisitor).map(PlayerId)
    }
}

impl<'de> Deserialize<'de> for SquareId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(UnsignedVisitor)?;
        u16::try_from(value)
            .map(SquareId)
            .map_err(|_| de::Error::custom(format!("square id {value} out of range")))
    }
}

/// Parses a non-negative integer written as a JSON number or as a decimal string.
pub(crate) fn parse_unsigned(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Accepts a non-negative integer given as a number or a decimal string (padding allowed).
struct UnsignedVisitor;

impl Visitor<'_> for UnsignedVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer or a decimal string")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
        u64::try_from(value)
            .map_err(|_| E::custom(format!("expected a non-negative id, got {value}")))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<u64, E> {
        if value.fract() == 0.0 && value >= 0.0 && value < u64::MAX as f64 {
            Ok(value as u64)
        } else {
            Err(E::custom(format!("expected an integer id, got {value}")))
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<u64, E> {
        parse_unsigned(value).ok_or_else(|| E::custom(format!("invalid id {value:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_ids_accept_integers_and_padded_strings() {
        let a: SquareId = serde_json::from_str("0").unwrap();
        let b: SquareId = serde_json::from_str("\"000\"").unwrap();
        let c: SquareId = serde_json::from_str("\"15\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(c, SquareId(15));
        assert_eq!(serde_json::to_string(&b).unwrap(), "0");
    }

    #[test]
    fn ids_reject_negative_and_garbage() {
        assert!(serde_json::from_str::<SquareId>("-1").is_err());
        assert!(serde_json::from_str::<SquareId>("\"1a\"").is_err());
        assert!(serde_json::from_str::<SquareId>("\"\"").is_err());
        assert!(serde_json::from_str::<SquareId>("70000").is_err());
        assert!(serde_json::from_str::<PlayerId>("true").is_err());
        assert_eq!(parse_unsigned(" 7 "), Some(7));
    }
}
