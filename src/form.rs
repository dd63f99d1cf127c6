//! Request bodies: `application/x-www-form-urlencoded` in PHP bracket syntax
//! (`ballot[1][]=3`, `entityIds[]=13`). A form POST is a CORS "simple
//! request": no preflight, one HTTP request per call from a browser.

use crate::prelude::*;
/// A form body under construction.
#[derive(Clone, Default)]
pub struct Form {
    body: String,
}

impl Form {
    /// Adds `name=value`, both percent-encoded.
    pub fn text(&mut self, name: &str, value: &str) {
        if !self.body.is_empty() {
            self.body.push('&');
        }
        encode_into(&mut self.body, name);
        self.body.push('=');
        encode_into(&mut self.body, value);
    }

    /// Adds `name=<integer>`.
    pub fn number(&mut self, name: &str, value: u64) {
        self.text(name, &value.to_string());
    }

    /// The encoded body.
    pub fn finish(self) -> String {
        self.body
    }
}

impl core::fmt::Debug for Form {
    // The body may hold `auth=<token>`: never print it.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Form({} bytes)", self.body.len())
    }
}

/// Percent-encodes as `URLSearchParams` does: unreserved bytes stay, space
/// becomes `+`, everything else `%XX`.
fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(hex_digit(byte >> 4));
                out.push(hex_digit(byte & 15));
            }
        }
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).map_or('0', |c| c.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_brackets_and_unicode_are_encoded() {
        let mut form = Form::default();
        form.number("ballot[1][]", 3);
        form.number("ballot[1][]", 5);
        form.text("actionUuid", "a b&c=d");
        form.text("text", "Привет");
        assert_eq!(
            form.finish(),
            "ballot%5B1%5D%5B%5D=3&ballot%5B1%5D%5B%5D=5&actionUuid=a+b%26c%3Dd&text=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82"
        );
    }

    #[test]
    fn debug_hides_the_body() {
        let mut form = Form::default();
        form.text("auth", "secret-token");
        assert!(!format!("{form:?}").contains("secret"));
    }
}
