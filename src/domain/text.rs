//! Checks for free-text fields.

use crate::error::FieldError;

/// A required text: at most `max` characters as sent, trimmed, not empty, no control
/// characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    within(field, value, max)?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    checked(field, trimmed)
}

/// An optional text: at most `max` characters as sent, trimmed; empty becomes `None`.
pub fn optional(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    if let Some(value) = value {
        within(field, value, max)?;
    }
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => checked(field, v).map(Some),
    }
}

/// The length limit counts the text as sent, surrounding white space included, which is what
/// the OpenAPI document's `maxLength` can say.
fn within(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

fn checked(field: &str, value: &str) -> Result<String, FieldError> {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// The form in which two names count as "the same": trimmed, runs of whitespace collapsed to
/// one space, case-folded. Used for every "same name" comparison and for sorting by name.
pub fn normalize_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_lengths_and_emptiness() {
        assert_eq!(required("name", "  Milk ", 200).unwrap(), "Milk");
        assert!(required("name", "   ", 200).is_err());
        assert!(required("name", &"x".repeat(201), 200).is_err());
        assert!(required("name", &format!(" {} ", "x".repeat(199)), 200).is_err());
        assert!(optional("unit", Some(&" ".repeat(11)), 10).is_err());
        assert!(required("name", &"é".repeat(200), 200).is_ok());
        assert!(required("name", "a\u{0}b", 200).is_err());
        assert_eq!(optional("unit", Some(" "), 10).unwrap(), None);
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize_name("  Oat   MILK \t"), "oat milk");
        assert_eq!(normalize_name("oat milk"), normalize_name("Oat Milk"));
    }
}
