//! Keeps track of the client's frames underneath tungstenite, so that after a message
//! over the size limit the server can linger: answer 1009, then read and discard the
//! rest of the message until the client's close frame arrives (bounded in bytes and
//! time), instead of dropping a socket with unread input, which makes the kernel reset
//! it (the client then sees 1006, not 1009).
//!
//! The guard applies tungstenite's own size rule to each frame header as the bytes go
//! by (a frame longer than the limit, or a fragmented message growing past it). When a
//! frame breaks it, the guard hands tungstenite nothing beyond that frame's end, so the
//! stream stays in step: `linger` skips the rest of that frame and reads whole frames
//! from there. It reads, never writes, and keeps at most one read's worth of bytes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// Where a frame header is being read.
#[derive(Clone, Debug, Default)]
struct Header {
    bytes: Vec<u8>,
}

impl Header {
    /// The header's length once its first two bytes are known.
    fn wanted(&self) -> usize {
        let Some(&second) = self.bytes.get(1) else {
            return 2;
        };
        let extended = match second & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if second & 0x80 != 0 { 4 } else { 0 };
        2 + extended + mask
    }

    /// The opcode, FIN bit and payload length of a complete header.
    fn parse(&self) -> (u8, bool, u64) {
        let opcode = self.bytes[0] & 0x0f;
        let fin = self.bytes[0] & 0x80 != 0;
        let length = match self.bytes[1] & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.bytes[2], self.bytes[3]])),
            127 => u64::from_be_bytes(self.bytes[2..10].try_into().unwrap_or([0xff; 8])),
            short => u64::from(short),
        };
        (opcode, fin, length)
    }
}

/// The frame tracker: where in the byte stream the current frame ends.
#[derive(Clone, Debug, Default)]
struct Frames {
    header: Header,
    /// Payload bytes of the current frame still to come.
    payload_left: u64,
    /// The size of the data message being received so far.
    message_bytes: u64,
}

impl Frames {
    /// Goes through `bytes` from `at`: the rest of the current frame's payload, then a
    /// header; returns that header (opcode, FIN, payload length) once it is complete,
    /// with `at` just after it and its payload in `payload_left`.
    fn next_header(&mut self, bytes: &[u8], at: &mut usize) -> Option<(u8, bool, u64)> {
        while *at < bytes.len() {
            if self.payload_left > 0 {
                let n = self.payload_left.min((bytes.len() - *at) as u64) as usize;
                self.payload_left -= n as u64;
                *at += n;
                continue;
            }
            self.header.bytes.push(bytes[*at]);
            *at += 1;
            if self.header.bytes.len() == self.header.wanted() {
                let header = self.header.parse();
                self.header.bytes.clear();
                self.payload_left = header.2;
                return Some(header);
            }
        }
        None
    }

    /// Takes `bytes` (all of them, or up to the end of a frame that breaks `max`);
    /// returns how many were taken and whether the last one taken ends such a frame.
    fn take(&mut self, bytes: &[u8], max: u64) -> (usize, bool) {
        let mut taken = 0;
        while let Some((opcode, fin, length)) = self.next_header(bytes, &mut taken) {
            let breaks = match opcode {
                0x1 | 0x2 => {
                    self.message_bytes = length;
                    length > max
                }
                0x0 => {
                    self.message_bytes = self.message_bytes.saturating_add(length);
                    length > max || self.message_bytes > max
                }
                _ => length > max,
            };
            if fin && opcode < 0x8 {
                self.message_bytes = 0;
            }
            if breaks {
                // Hand over the rest of this frame's payload that is here, no more.
                let n = (self.payload_left.min((bytes.len() - taken) as u64)) as usize;
                self.payload_left -= n as u64;
                return (taken + n, true);
            }
        }
        (taken, false)
    }
}

/// An IO stream that watches the client's frames for tungstenite.
pub struct FrameGuard<S> {
    inner: S,
    max_message_bytes: u64,
    frames: Frames,
    /// A frame broke the limit: tungstenite gets no byte beyond its end.
    broken: bool,
    /// Bytes read from `inner` beyond a breaking frame, not handed to tungstenite.
    held: Vec<u8>,
}

impl<S> FrameGuard<S> {
    /// Watches `inner` for messages over `max_message_bytes`.
    pub fn new(inner: S, max_message_bytes: usize) -> FrameGuard<S> {
        FrameGuard {
            inner,
            max_message_bytes: max_message_bytes as u64,
            frames: Frames::default(),
            broken: false,
            held: Vec::new(),
        }
    }
}

/// How lingering after a 1009 ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linger {
    /// The client's close frame arrived: the closing handshake is complete.
    CloseReceived,
    /// The client closed the TCP connection.
    Ended,
    /// The byte or time budget ran out first.
    GaveUp,
}

impl<S: AsyncRead + Unpin> FrameGuard<S> {
    /// After a message over the limit (and the server's close frame): reads and
    /// discards until the client's close frame arrives, at most `max_bytes` and `within`.
    pub async fn linger(&mut self, max_bytes: u64, within: Duration) -> Linger {
        tokio::time::timeout(within, self.read_until_close(max_bytes))
            .await
            .unwrap_or(Linger::GaveUp)
    }

    async fn read_until_close(&mut self, budget: u64) -> Linger {
        let mut pending = std::mem::take(&mut self.held);
        let mut read = 0u64;
        let mut buffer = vec![0u8; 16 * 1024];
        let mut frames = Frames {
            message_bytes: 0,
            ..self.frames.clone()
        };
        loop {
            let mut at = 0;
            while let Some((opcode, _, _)) = frames.next_header(&pending, &mut at) {
                if opcode == 0x8 {
                    return Linger::CloseReceived;
                }
            }
            pending.clear();
            if read >= budget {
                return Linger::GaveUp;
            }
            match self.inner.read(&mut buffer).await {
                Ok(0) | Err(_) => return Linger::Ended,
                Ok(n) => {
                    read += n as u64;
                    pending.extend_from_slice(&buffer[..n]);
                }
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FrameGuard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.broken && this.frames.payload_left > 0 {
            // Still inside the breaking frame: hand over at most the rest of it.
            let wanted = this.frames.payload_left.min(buf.remaining() as u64) as usize;
            let mut scratch = vec![0u8; wanted.min(16 * 1024)];
            let mut limited = ReadBuf::new(&mut scratch);
            let polled = Pin::new(&mut this.inner).poll_read(cx, &mut limited);
            if let Poll::Ready(Ok(())) = polled {
                let got = limited.filled();
                this.frames.payload_left -= got.len() as u64;
                buf.put_slice(got);
            }
            return polled;
        }
        if this.broken {
            // tungstenite asked for more after the breaking frame: it did not stop there
            // after all, so the stream goes on as it came.
            if !this.held.is_empty() {
                let n = this.held.len().min(buf.remaining());
                buf.put_slice(&this.held[..n]);
                this.held.drain(..n);
                return Poll::Ready(Ok(()));
            }
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let start = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let end = buf.filled().len();
            let (taken, breaks) = this
                .frames
                .take(&buf.filled()[start..end], this.max_message_bytes);
            if breaks {
                this.broken = true;
                this.held
                    .extend_from_slice(&buf.filled()[start + taken..end]);
                buf.set_filled(start + taken);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FrameGuard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, bytes)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame with `opcode`, `fin` and `length` payload bytes.
    fn frame(opcode: u8, fin: bool, length: usize) -> Vec<u8> {
        let mut out = vec![opcode | if fin { 0x80 } else { 0 }];
        match length {
            0..=125 => out.push(0x80 | length as u8),
            126..=65535 => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(length as u16).to_be_bytes());
            }
            _ => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(length as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&[1, 2, 3, 4]);
        out.extend(std::iter::repeat_n(b'x', length));
        out
    }

    #[test]
    fn frames_within_the_limit_pass_whole() {
        let mut frames = Frames::default();
        let mut bytes = frame(0x1, true, 100);
        bytes.extend(frame(0x2, true, 1000));
        bytes.extend(frame(0x9, true, 4));
        assert_eq!(frames.take(&bytes, 1000), (bytes.len(), false));
    }

    #[test]
    fn a_frame_over_the_limit_stops_the_hand_over_at_its_end() {
        let mut frames = Frames::default();
        let mut bytes = frame(0x1, true, 10);
        let big = frame(0x2, true, 2000);
        let end = bytes.len() + big.len();
        bytes.extend(big);
        bytes.extend(frame(0x8, true, 2));
        assert_eq!(frames.take(&bytes, 1000), (end, true));
    }

    #[test]
    fn a_fragmented_message_growing_past_the_limit_stops_at_that_fragment() {
        let mut frames = Frames::default();
        let mut bytes = frame(0x1, false, 600);
        bytes.extend(frame(0x9, true, 3)); // a ping between fragments
        let second = frame(0x0, false, 600);
        let end = bytes.len() + second.len();
        bytes.extend(second);
        bytes.extend(frame(0x0, true, 600));
        // Byte by byte, as a slow network would hand them over.
        let mut taken = 0;
        loop {
            let (n, breaks) = frames.take(&bytes[taken..taken + 1], 1000);
            taken += n;
            if breaks {
                break;
            }
        }
        // Its header is in; the rest of that fragment is all that may still follow.
        assert_eq!(taken as u64 + frames.payload_left, end as u64);
    }

    /// A reader that hands over at most `chunk` bytes per read, as a network does.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        chunk: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            let n = this
                .chunk
                .min(buf.remaining())
                .min(this.bytes.len() - this.at);
            buf.put_slice(&this.bytes[this.at..this.at + n]);
            this.at += n;
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_breaking_fragment_read_in_pieces_is_handed_over_to_its_end_and_no_further() {
        let mut wire = frame(0x1, false, 600);
        let second = frame(0x0, false, 600);
        let end = wire.len() + second.len();
        wire.extend(second);
        wire.extend(frame(0x0, true, 600));
        wire.extend(frame(0x8, true, 2));
        let trickle = Trickle {
            bytes: wire,
            at: 0,
            chunk: 100,
        };
        let mut guard = FrameGuard::new(trickle, 1000);
        // tungstenite reads the breaking fragment to its end (it checks the size then).
        let mut handed = 0;
        let mut chunk = [0u8; 4096];
        while handed < end {
            let n = guard.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            handed += n;
        }
        assert_eq!(handed, end, "not a byte of the next frame");
        assert_eq!(
            guard.linger(1 << 20, Duration::from_secs(1)).await,
            Linger::CloseReceived
        );
    }

    #[tokio::test]
    async fn lingering_skips_the_rest_of_the_message_and_finds_the_close() {
        let mut wire = frame(0x1, true, 5);
        wire.extend(frame(0x2, true, 300_000));
        wire.extend(frame(0x0, true, 70_000)); // a stray continuation
        wire.extend(frame(0x8, true, 2));
        let mut guard = FrameGuard::new(std::io::Cursor::new(wire), 1000);
        // tungstenite reads until it meets the breaking frame.
        let mut seen = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = guard.read(&mut chunk).await.unwrap();
            seen.extend_from_slice(&chunk[..n]);
            if guard.broken || n == 0 {
                break;
            }
        }
        assert!(guard.broken);
        assert_eq!(
            guard.linger(1 << 20, Duration::from_secs(1)).await,
            Linger::CloseReceived
        );

        let endless = FrameGuard::new(tokio::io::repeat(0x02), 1000); // binary frames forever
        let mut endless = endless;
        assert_eq!(
            endless.linger(64 * 1024, Duration::from_secs(1)).await,
            Linger::GaveUp,
            "bounded in bytes"
        );
    }
}
