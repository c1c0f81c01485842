//! A small seeded random generator (SplitMix64). Core never draws OS randomness: the
//! browser layer seeds this from `crypto.getRandomValues`, and tests seed it by hand, so
//! every jittered schedule is reproducible.

/// A deterministic generator of uniform numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number from 0 to `max`, both included.
    pub fn up_to(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        // The modulo bias is below 2^-40 for the delays used here: irrelevant.
        self.next_u64() % (max + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let a: Vec<u64> = (0..5)
            .scan(SeededRandom::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(SeededRandom::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], SeededRandom::new(8).next_u64());
    }

    #[test]
    fn up_to_stays_in_range_and_covers_it() {
        let mut random = SeededRandom::new(1);
        let draws: Vec<u64> = (0..1000).map(|_| random.up_to(9)).collect();
        assert!(draws.iter().all(|d| *d <= 9));
        for value in 0..=9 {
            assert!(draws.contains(&value), "{value} never drawn");
        }
    }
}
