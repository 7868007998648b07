//! Field validation with the reference's messages: the errors of a request body or a client
//! frame, keyed by field, and the lenient readers every parser here shares (a string field, an
//! integer field that also takes `"3"`, `" 3 "`, `3.0` and `"3.0"`).

use serde_json::{json, Map, Value};

/// Missing field.
pub const REQUIRED: &str = "Este campo es requerido.";
/// Empty (or whitespace-only) string.
pub const BLANK: &str = "Este campo no puede estar en blanco.";
/// JSON `null` for a field that needs a value.
pub const NULL: &str = "Este campo no puede ser nulo.";
/// A value that cannot be a string (object, array, boolean).
pub const NOT_A_STRING: &str = "No es una cadena válida.";
/// A value that is not an integer.
pub const NOT_AN_INTEGER: &str = "Introduzca un número entero válido.";

/// Field name to messages, in the order the checks ran. Serialized as a JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    entries: Vec<(String, Vec<String>)>,
}

impl FieldErrors {
    /// An empty set of errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `message` to the list of `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let message = message.into();
        match self.entries.iter_mut().find(|(name, _)| name == field) {
            Some((_, messages)) => messages.push(message),
            None => self.entries.push((field.to_owned(), vec![message])),
        }
    }

    /// Whether no field has an error.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `field` has at least one error.
    pub fn has(&self, field: &str) -> bool {
        self.entries.iter().any(|(name, _)| name == field)
    }

    /// `Ok` when no field has an error, else the errors (a driver converts them into its own
    /// error type with `?`).
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The JSON object `{"field": ["msg", ...], ...}`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        for (field, messages) in &self.entries {
            object.insert(field.clone(), json!(messages));
        }
        Value::Object(object)
    }
}

/// Reads a required string field the way the reference's `CharField` does: numbers are turned
/// into text, surrounding whitespace is stripped, and an empty result is "blank".
/// Adds the matching message to `errors` and returns `None` on failure.
pub fn read_string(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<String> {
    let text = match body.get(field) {
        None => {
            errors.add(field, REQUIRED);
            return None;
        }
        Some(Value::Null) => {
            errors.add(field, NULL);
            return None;
        }
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Number(number)) => number.to_string(),
        Some(_) => {
            errors.add(field, NOT_A_STRING);
            return None;
        }
    };
    if text.is_empty() {
        errors.add(field, BLANK);
        return None;
    }
    Some(text)
}

/// Reads a required integer field the way the reference's `IntegerField` does: integers,
/// integral floats and numeric strings (`"3"`, `" 3 "`, `"3.0"`) are accepted.
pub fn read_integer(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<i64> {
    let parsed = match body.get(field) {
        None => {
            errors.add(field, REQUIRED);
            return None;
        }
        Some(Value::Null) => {
            errors.add(field, NULL);
            return None;
        }
        Some(value) => integer_value(value),
    };
    if parsed.is_none() {
        errors.add(field, NOT_AN_INTEGER);
    }
    parsed
}

/// An integer the way the reference's `IntegerField` reads one: a JSON integer, an integral
/// float, or a decimal string (surrounding spaces and a zero fraction allowed: `" 3 "`, `"3.0"`).
/// The one integer reader of every parser in this crate.
pub fn integer_value(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64().or_else(|| {
            number
                .as_f64()
                .filter(|float| float.fract() == 0.0 && float.abs() < 9.0e15)
                .map(|float| float as i64)
        }),
        Value::String(text) => {
            let trimmed = text.trim();
            // The reference strips a trailing decimal point followed only by zeros.
            let whole = match trimmed.find('.') {
                Some(dot) if trimmed[dot + 1..].bytes().all(|byte| byte == b'0') => &trimmed[..dot],
                _ => trimmed,
            };
            whole.parse().ok()
        }
        _ => None,
    }
}
