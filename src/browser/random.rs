//! A random seed from the browser's cryptographic source, for core's seeded generator.

/// 64 random bits from `crypto.getRandomValues`, or a time-based fallback.
pub fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if filled {
        u64::from_le_bytes(bytes)
    } else {
        (super::clock::now() * 1000.0) as u64
    }
}
