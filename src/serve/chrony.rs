//! chrony's SOCK reference clock (`refclock SOCK PATH` in chrony.conf):
//! each estimate is sent to chronyd's Unix datagram socket as one
//! `sock_sample` (chrony's refclock_sock.c), so chrony can use ptpscope's
//! estimate as a reference clock beside its NTP sources.
//!
//! A sample is 40 octets in the host's byte order (64-bit Linux):
//!
//! | octets | field | meaning |
//! |---|---|---|
//! | 0..8 | `tv.tv_sec` | when the offset held: CLOCK_REALTIME, s |
//! | 8..16 | `tv.tv_usec` | µs |
//! | 16..24 | `offset` | true time minus system time, s (f64) |
//! | 24..28 | `pulse` | 0: not a PPS pulse |
//! | 28..32 | `leap` | 0 none, 1 insert, 2 delete a leap second |
//! | 32..36 | padding | 0 |
//! | 36..40 | `magic` | 0x534f434b ("SOCK") |
//!
//! chrony's sign is the opposite of the published record's: the record's
//! `offset_ns` is CLOCK_REALTIME minus the grandmaster's time, chrony's
//! `offset` the true time minus the system time.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

/// `SOCK_MAGIC` of chrony's refclock_sock.c.
pub const MAGIC: u32 = 0x534f_434b;
/// Octets of one sample.
pub const SAMPLE_LEN: usize = 40;

/// Leap-second warning of a sample: chrony's values (0 none, 1 insert,
/// 2 delete) are those of the published record's.
pub use ptpscope_clock::Leap;

/// One sample: at `real_ns` (CLOCK_REALTIME, ns since the epoch), the
/// system clock was `offset_ns` ahead of the true time (the published
/// record's sign).
pub fn sample(real_ns: i64, offset_ns: i64, leap: Leap) -> [u8; SAMPLE_LEN] {
    let mut b = [0u8; SAMPLE_LEN];
    let sec = real_ns.div_euclid(1_000_000_000);
    // The timeval drops the ns below a µs: the instant moves by less than
    // a µs, the offset at it by a part in 10^6 of the frequency error.
    let usec = real_ns.rem_euclid(1_000_000_000) / 1000;
    b[0..8].copy_from_slice(&sec.to_ne_bytes());
    b[8..16].copy_from_slice(&usec.to_ne_bytes());
    let offset_s = -(offset_ns as f64) * 1e-9;
    b[16..24].copy_from_slice(&offset_s.to_ne_bytes());
    b[24..28].copy_from_slice(&0i32.to_ne_bytes());
    b[28..32].copy_from_slice(&(leap as i32).to_ne_bytes());
    b[36..40].copy_from_slice(&MAGIC.to_ne_bytes());
    b
}

/// Sends samples to chronyd's socket. chronyd creates the socket when it
/// starts: until then, or while it is restarted, sends fail and are
/// counted, and the daemon goes on.
#[derive(Debug)]
pub struct ChronySock {
    socket: UnixDatagram,
    path: PathBuf,
    /// Samples sent, and sends that failed.
    pub sent: u64,
    pub failed: u64,
    last_error: Option<io::ErrorKind>,
    last_sent_ns: Option<i64>,
}

impl ChronySock {
    pub fn new(path: &Path) -> io::Result<Self> {
        let socket = UnixDatagram::unbound()?;
        // A chronyd that does not read (stopped, busy) must never stall
        // the daemon: a full queue fails the send, which is counted.
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket,
            path: path.to_owned(),
            sent: 0,
            failed: 0,
            last_error: None,
            last_sent_ns: None,
        })
    }

    /// Sends one sample; returns the error when it is another than the
    /// last one (so that a missing chronyd is said once, not per sample).
    pub fn send(&mut self, real_ns: i64, offset_ns: i64, leap: Leap) -> Option<io::Error> {
        match self
            .socket
            .send_to(&sample(real_ns, offset_ns, leap), &self.path)
        {
            Ok(_) => {
                self.sent += 1;
                self.last_error = None;
                self.last_sent_ns = Some(real_ns);
                None
            }
            Err(e) => {
                self.failed += 1;
                let new = self.last_error != Some(e.kind());
                self.last_error = Some(e.kind());
                new.then_some(e)
            }
        }
    }

    /// The instant of the last sample sent.
    pub fn last_sent_ns(&self) -> Option<i64> {
        self.last_sent_ns
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_layout_and_sign() {
        // 1.5 s past an epoch second and 1,234 ns; the clock 2 µs ahead.
        let real = 1_700_000_001_500_001_234;
        let b = sample(real, 2_000, Leap::Insert);
        assert_eq!(
            i64::from_ne_bytes(b[0..8].try_into().unwrap()),
            1_700_000_001
        );
        assert_eq!(i64::from_ne_bytes(b[8..16].try_into().unwrap()), 500_001);
        let offset = f64::from_ne_bytes(b[16..24].try_into().unwrap());
        // True time minus system time: -2 µs.
        assert!((offset - (-2_000e-9)).abs() < 1e-15, "{offset}");
        assert_eq!(i32::from_ne_bytes(b[24..28].try_into().unwrap()), 0);
        assert_eq!(i32::from_ne_bytes(b[28..32].try_into().unwrap()), 1);
        assert_eq!(&b[32..36], &[0; 4]);
        assert_eq!(&b[36..40], &MAGIC.to_ne_bytes());
        // Before the epoch the timeval stays normalised.
        let b = sample(-1, 0, Leap::None);
        assert_eq!(i64::from_ne_bytes(b[0..8].try_into().unwrap()), -1);
        assert_eq!(i64::from_ne_bytes(b[8..16].try_into().unwrap()), 999_999);
    }

    #[test]
    fn samples_reach_a_socket_and_a_missing_one_is_said_once() {
        let dir = std::env::temp_dir().join(format!("ptpscope-chrony-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chrony.sock");
        let _ = std::fs::remove_file(&path);
        let mut sock = ChronySock::new(&path).unwrap();
        assert!(sock.send(1, 0, Leap::None).is_some());
        assert!(sock.send(2, 0, Leap::None).is_none());
        assert_eq!((sock.sent, sock.failed), (0, 2));
        let listener = UnixDatagram::bind(&path).unwrap();
        assert!(sock.send(3_000_000_000, -5, Leap::None).is_none());
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(n, SAMPLE_LEN);
        assert_eq!(buf[..n], sample(3_000_000_000, -5, Leap::None));
        assert_eq!(sock.sent, 1);
        // A reader that stops reading: its queue fills, and then sends
        // fail at once instead of blocking the daemon.
        let mut n = 0;
        while sock.failed == 2 {
            sock.send(4_000_000_000 + n, 0, Leap::None);
            n += 1;
            assert!(n < 1_000_000, "the queue never filled");
        }
        assert!(sock.sent > 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
