//! Bytes typed as hex, for sending a binary message: "de ad be ef", "DEADBEEF",
//! "0xde,0xad" all read the same; anything else gets a message that says where.

/// The most bytes a typed binary message may have (1 MiB).
pub const MAX_BYTES: usize = 1 << 20;

/// Reads hex digits in pairs; spaces, commas, colons, dashes and `0x` prefixes between
/// bytes are ignored.
pub fn parse_hex(typed: &str) -> Result<Vec<u8>, String> {
    let mut digits = Vec::new();
    let mut chars = typed.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '0' && matches!(chars.peek(), Some((_, 'x' | 'X'))) && digits.len() % 2 == 0 {
            chars.next();
            continue;
        }
        match c {
            ' ' | '\t' | '\n' | '\r' | ',' | ':' | '-' | '_' => {
                if digits.len() % 2 == 1 {
                    return Err(format!(
                        "hex: a byte needs two digits; the one before position {} has one",
                        at + 1
                    ));
                }
            }
            c if c.is_ascii_hexdigit() => digits.push(c.to_digit(16).unwrap_or(0) as u8),
            other => {
                return Err(format!(
                    "hex: '{other}' at position {} is not a hex digit (0-9, a-f)",
                    at + 1
                ));
            }
        }
        if digits.len() > MAX_BYTES * 2 {
            return Err(format!("hex: more than {MAX_BYTES} bytes"));
        }
    }
    if digits.is_empty() {
        return Err("hex: type at least one byte, e.g. \"de ad be ef\"".into());
    }
    if digits.len() % 2 == 1 {
        return Err("hex: an odd number of digits; every byte needs two".into());
    }
    Ok(digits
        .chunks(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_of_bytes_read_the_same() {
        for typed in [
            "de ad be ef",
            "DEADBEEF",
            "0xde,0xad,0xbe,0xef",
            "de:ad:be:ef",
            " dead beef\n",
        ] {
            assert_eq!(
                parse_hex(typed),
                Ok(vec![0xde, 0xad, 0xbe, 0xef]),
                "{typed}"
            );
        }
        assert_eq!(parse_hex("00"), Ok(vec![0]));
    }

    #[test]
    fn bad_hex_is_refused_with_where_and_why() {
        assert_eq!(
            parse_hex("de ag"),
            Err("hex: 'g' at position 5 is not a hex digit (0-9, a-f)".into())
        );
        assert!(parse_hex("abc").unwrap_err().contains("odd number"));
        assert!(parse_hex("a bc").unwrap_err().contains("two digits"));
        assert!(parse_hex("  ").unwrap_err().contains("at least one byte"));
        assert!(parse_hex("é").unwrap_err().contains("not a hex digit"));
        let too_big = "00".repeat(MAX_BYTES + 1);
        assert!(parse_hex(&too_big).unwrap_err().contains("more than"));
    }
}
