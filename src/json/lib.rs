//! b24-vote's JSON reader and writer, a crate of their own so that the
//! release profile builds this hot path with opt-level 3 while everything
//! else (model, decoder, client) stays size-optimised.
//!
//! A small JSON pull reader and writer for the portal's responses.
//!
//! Why not serde_json: in the wasm build its generic deserializers were
//! about 45 KB of the gzipped package and most of the decode time. This
//! reader validates all of the input (unknown values are skipped, not
//! trusted), never recurses into values it skips, never panics, and its
//! errors name the JSON path and the line and column.

#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// Deeper nesting than this is refused (the portal's responses have 6).
const MAX_DEPTH: usize = 256;

/// Where and why reading failed; the path is collected while unwinding.
#[derive(Debug)]
pub struct Fault {
    /// Byte offset in the input.
    pub at: usize,
    /// What was wrong.
    pub message: String,
    /// Path segments, innermost first.
    path: Vec<String>,
    /// Whether the input is not JSON at all (as opposed to the wrong shape).
    pub syntax: bool,
}

impl Fault {
    /// `result.attach.QUESTIONS.1`, or `$` at the top.
    pub fn path(&self) -> String {
        if self.path.is_empty() {
            return "$".into();
        }
        let mut path = String::new();
        for segment in self.path.iter().rev() {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(segment);
        }
        path
    }

    fn within(mut self: Box<Self>, segment: impl Into<String>) -> Box<Self> {
        self.path.push(segment.into());
        self
    }
}

/// Shorthand for reader results. The fault is boxed: every read returns a
/// `Result`, and a pointer-sized error keeps the success path cheap.
pub type Read<T> = Result<T, Box<Fault>>;

/// What the next value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{`
    Object,
    /// `[`
    Array,
    /// `"`
    String,
    /// `-` or a digit
    Number,
    /// `true` or `false`
    Bool,
    /// `null`
    Null,
    /// Anything else, or the end of the input.
    Invalid,
}

/// Reads one JSON document from the start.
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Reader { text, pos: 0 }
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A syntax fault at the current position.
    fn syntax(&self, message: &str) -> Box<Fault> {
        Box::new(Fault {
            at: self.pos,
            message: message.into(),
            path: Vec::new(),
            syntax: true,
        })
    }

    /// A shape fault (valid JSON, unexpected value) at `at`.
    pub fn shape(&self, at: usize, message: impl Into<String>) -> Box<Fault> {
        Box::new(Fault {
            at,
            message: message.into(),
            path: Vec::new(),
            syntax: false,
        })
    }

    /// The current byte offset.
    pub fn here(&self) -> usize {
        self.pos
    }

    /// Byte offset of the next value.
    pub fn position(&mut self) -> usize {
        self.skip_whitespace();
        self.pos
    }

    /// The kind of the next value, without consuming it.
    pub fn peek(&mut self) -> Kind {
        self.skip_whitespace();
        match self.byte() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Invalid,
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        if self.byte() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn consume(&mut self, byte: u8, message: &str) -> Read<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.syntax(message))
        }
    }

    /// After the document: only whitespace may follow.
    pub fn finish(&mut self) -> Read<()> {
        self.skip_whitespace();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(self.syntax("unexpected text after the JSON value"))
        }
    }

    /// Reads an object, calling `field` with each key; `field` must read
    /// (or skip) the value. Faults inside get the key on their path.
    pub fn object(&mut self, mut field: impl FnMut(&mut Self, &str) -> Read<()>) -> Read<()> {
        self.any_object(&mut field)
    }

    /// [`Reader::object`]'s loop, compiled once for every caller: the wasm
    /// keeps one copy instead of one per object shape.
    fn any_object(&mut self, field: &mut dyn FnMut(&mut Self, &str) -> Read<()>) -> Read<()> {
        self.consume(b'{', "expected an object")?;
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            if self.byte() != Some(b'"') {
                return Err(self.syntax("expected a key"));
            }
            let key = self.string()?;
            self.consume(b':', "expected ':' after a key")?;
            field(self, &key).map_err(|f| f.within(key.as_ref()))?;
            if self.eat(b',') {
                continue;
            }
            return self.consume(b'}', "expected ',' or '}' in an object");
        }
    }

    /// Reads an array, calling `item` with each index; `item` must read
    /// (or skip) the value.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self, usize) -> Read<()>) -> Read<()> {
        self.any_array(&mut item)
    }

    /// [`Reader::array`]'s loop, compiled once for every caller.
    fn any_array(&mut self, item: &mut dyn FnMut(&mut Self, usize) -> Read<()>) -> Read<()> {
        self.consume(b'[', "expected an array")?;
        if self.eat(b']') {
            return Ok(());
        }
        let mut index = 0;
        loop {
            item(self, index).map_err(|f| f.within(uint_text(index as u64)))?;
            index += 1;
            if self.eat(b',') {
                continue;
            }
            return self.consume(b']', "expected ',' or ']' in an array");
        }
    }

    /// Reads a string; borrowed from the input when it has no escapes.
    pub fn string(&mut self) -> Read<Cow<'a, str>> {
        self.consume(b'"', "expected a string")?;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        // Fast path: scan to the closing quote, a word at a time.
        self.pos = scan_plain(bytes, self.pos);
        match bytes.get(self.pos) {
            Some(b'"') => {
                let value = self.text.get(start..self.pos).unwrap_or_default();
                self.pos += 1;
                return Ok(Cow::Borrowed(value));
            }
            Some(b'\\') => {}
            Some(_) => return Err(self.syntax("control character in a string")),
            None => return Err(self.syntax("unterminated string")),
        }
        let mut owned = String::from(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            let run_start = self.pos;
            self.pos = scan_plain(bytes, self.pos);
            owned.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
            match bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.escape()?;
                    owned.push(escaped);
                }
                Some(_) => return Err(self.syntax("control character in a string")),
                None => return Err(self.syntax("unterminated string")),
            }
        }
    }

    /// One escape after the backslash.
    fn escape(&mut self) -> Read<char> {
        let Some(b) = self.byte() else {
            return Err(self.syntax("unterminated escape"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                if (0xD800..0xDC00).contains(&unit)
                    && self.text.get(self.pos..self.pos + 2) == Some("\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let low = self.hex4()?;
                    if (0xDC00..0xE000).contains(&low) {
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
                    }
                    self.pos = save;
                }
                // A lone surrogate cannot live in a Rust string.
                char::from_u32(unit).unwrap_or('\u{FFFD}')
            }
            _ => return Err(self.syntax("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Read<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("short \\u escape"))?;
        let value =
            u32::from_str_radix(digits, 16).map_err(|_| self.syntax("invalid \\u escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.syntax("invalid \\u escape"));
        }
        self.pos += 4;
        Ok(value)
    }

    /// Reads a number and returns its text, validated against JSON's grammar.
    pub fn number(&mut self) -> Read<&'a str> {
        self.skip_whitespace();
        let start = self.pos;
        let bytes = self.text.as_bytes();
        if bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits = |pos: &mut usize| {
            let from = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos - from
        };
        let whole_start = self.pos;
        let whole = digits(&mut self.pos);
        if whole == 0 || (whole > 1 && bytes.get(whole_start) == Some(&b'0')) {
            return Err(self.syntax("invalid number"));
        }
        if bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(&mut self.pos) == 0 {
                return Err(self.syntax("invalid number"));
            }
        }
        if matches!(bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(&mut self.pos) == 0 {
                return Err(self.syntax("invalid number"));
            }
        }
        Ok(self.text.get(start..self.pos).unwrap_or_default())
    }

    /// Reads `true`, `false` or `null` (`None`).
    pub fn literal(&mut self) -> Read<Option<bool>> {
        self.skip_whitespace();
        let rest = self.text.get(self.pos..).unwrap_or_default();
        for (word, value) in [("true", Some(true)), ("false", Some(false)), ("null", None)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(self.syntax("expected a value"))
    }

    /// Skips one value of any kind, checking its syntax, without recursion.
    pub fn skip(&mut self) -> Read<()> {
        // Open containers, innermost last: true for an object.
        let mut open: Vec<bool> = Vec::new();
        loop {
            // A value.
            match self.peek() {
                Kind::Object | Kind::Array => {
                    if open.len() >= MAX_DEPTH {
                        return Err(self.syntax("nested too deeply"));
                    }
                    let is_object = self.peek() == Kind::Object;
                    self.pos += 1;
                    let close = if is_object { b'}' } else { b']' };
                    if !self.eat(close) {
                        open.push(is_object);
                        if is_object {
                            self.key()?;
                        }
                        continue;
                    }
                }
                Kind::String => {
                    self.string()?;
                }
                Kind::Number => {
                    self.number()?;
                }
                Kind::Bool | Kind::Null => {
                    self.literal()?;
                }
                Kind::Invalid => return Err(self.syntax("expected a value")),
            }
            // After a value: close containers until one continues.
            loop {
                let Some(&is_object) = open.last() else {
                    return Ok(());
                };
                if self.eat(b',') {
                    if is_object {
                        self.key()?;
                    }
                    break;
                }
                let close = if is_object { b'}' } else { b']' };
                self.consume(close, "expected ',' or a closing bracket")?;
                open.pop();
            }
        }
    }

    fn key(&mut self) -> Read<()> {
        self.skip_whitespace();
        if self.byte() != Some(b'"') {
            return Err(self.syntax("expected a key"));
        }
        self.string()?;
        self.consume(b':', "expected ':' after a key")
    }

    /// Line and column (1-based) of a byte offset, for messages.
    pub fn line_column(&self, at: usize) -> (usize, usize) {
        let before = self.text.get(..at.min(self.text.len())).unwrap_or_default();
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        (line, column)
    }
}

/// The offset of the first byte at or after `from` that ends a plain run in
/// a string: `"`, `\\` or a control character (or the end of the input).
/// Tests 8 bytes at a time; strings are most of a response's bytes.
fn scan_plain(bytes: &[u8], mut from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let zero_in = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let quote = zero_in(x ^ (ONES * u64::from(b'"')));
        let backslash = zero_in(x ^ (ONES * u64::from(b'\\')));
        // Bytes below 0x20. In all three masks the lowest set bit marks the
        // first such byte exactly (higher ones may be false alarms).
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let found = quote | backslash | control;
        if found != 0 {
            return from + (found.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while let Some(&b) = bytes.get(from) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        from += 1;
    }
    from
}

/// The decimal digits of `value`: for keys and messages, without pulling
/// `core::fmt` into the wasm.
pub fn uint_text(value: u64) -> String {
    let mut text = String::new();
    push_uint(&mut text, value);
    text
}

fn push_uint(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut n = value;
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skips(text: &str) -> bool {
        let mut reader = Reader::new(text);
        reader.skip().and_then(|()| reader.finish()).is_ok()
    }

    #[test]
    fn skip_validates_like_a_parser() {
        for good in [
            r#"{"a":[1,2,{"b":null}],"c":"x\"y","d":-1.5e3}"#,
            "[]",
            "{}",
            " 0 ",
            r#""\u00e9\ud83d\ude00""#,
        ] {
            assert!(skips(good), "{good}");
        }
        for bad in [
            "{",
            "[1,]",
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            "01",
            "1.",
            "-",
            "tru",
            r#""\x""#,
            "[1 2]",
            "{} x",
            "\"a\u{1}\"",
        ] {
            assert!(!skips(bad), "{bad}");
        }
        assert!(!skips(&"[".repeat(300)));
    }

    #[test]
    fn strings_unescape() {
        let mut reader = Reader::new(r#""a\n\"b\" \u00e9 \ud83d\ude00 \ud800""#);
        assert_eq!(reader.string().unwrap(), "a\n\"b\" é 😀 \u{FFFD}");
    }

    #[test]
    fn faults_carry_the_path() {
        let mut reader = Reader::new(r#"{"a":{"b":[1,{"c":}]}}"#);
        let fault = reader.skip().err();
        assert!(fault.is_some());
        let mut reader = Reader::new(r#"{"a":{"b":[1,2]}}"#);
        let fault = reader
            .object(|r, _| {
                r.object(|r, _| {
                    r.array(|r, i| {
                        if i == 1 {
                            Err(r.shape(0, "no"))
                        } else {
                            r.skip()
                        }
                    })
                })
            })
            .unwrap_err();
        assert_eq!(fault.path(), "a.b.1");
    }
}
