//! Close codes: which ones may travel in a close frame.
//!
//! RFC 6455 section 7.4 and the IANA registry: 1000-1003 and 1007-1014 are defined for
//! use on the wire, 3000-4999 are for libraries and applications. 1004 is reserved;
//! 1005, 1006 and 1015 are only ever reported locally and must never be sent; 1016-2999
//! are reserved for future standards; anything below 1000 or above 4999 is invalid.

/// The longest close reason, in UTF-8 bytes, that fits a control frame (125 - 2).
pub const MAX_REASON_BYTES: usize = 123;

/// Whether `code` may be sent in a close frame.
pub fn travels_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_at_every_boundary() {
        let allowed = [1000, 1001, 1003, 1007, 1011, 1014, 3000, 3999, 4000, 4999];
        let refused = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, u16::MAX];
        for code in allowed {
            assert!(travels_on_wire(code), "{code} should travel");
        }
        for code in refused {
            assert!(!travels_on_wire(code), "{code} must not travel");
        }
    }
}
