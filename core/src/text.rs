//! Cutting user and server text to a size in bytes without splitting a character:
//! every truncation of text in core goes through here (a `String::truncate` in the
//! middle of a character panics, and a panic in the page is `RuntimeError: unreachable`).

/// The longest prefix of `text` that is at most `max_bytes` long and ends on a
/// character boundary.
pub fn prefix(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Cuts `text` to at most `max_bytes`, on a character boundary.
pub fn truncate(text: &mut String, max_bytes: usize) {
    let keep = prefix(text, max_bytes).len();
    text.truncate(keep);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_inside_a_character_keeps_the_whole_characters_before_it() {
        let euros = "€".repeat(4); // 3 bytes each
        assert_eq!(prefix(&euros, 4), "€");
        assert_eq!(prefix(&euros, 6), "€€");
        assert_eq!(prefix(&euros, 2), "");
        assert_eq!(prefix("abc", 10), "abc");
        let mut padded = format!("{}{}", "a".repeat(1023), "€".repeat(100));
        truncate(&mut padded, 1024);
        assert_eq!(padded, "a".repeat(1023));
    }
}
