//! A shared memory mapping of a file, unmapped when dropped: the RAII
//! guard under this crate's record and ClockBound's segment.

use std::fs::File;
use std::os::fd::AsRawFd;

/// The first `len` bytes of a file, mapped shared (`MAP_SHARED`): what
/// one process stores there, every other process mapping the file sees.
pub(crate) struct Mapping {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is only ever accessed through shared references to
// atomics (the record's and the segment's fields), which are made to be
// shared between threads; the pointer itself is never written through
// otherwise.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes (> 0) of `file`, which must already be
    /// at least that long: read-only, or read-write when `write`.
    pub(crate) fn new(file: &File, len: usize, write: bool) -> std::io::Result<Self> {
        let prot = if write {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        // SAFETY: a fresh shared mapping of `len` bytes of an open file;
        // the kernel chooses the address, so no existing memory is
        // affected. The result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapping { ptr, len })
    }

    /// The start of the mapping: page-aligned, valid for `len` bytes
    /// until `self` is dropped.
    pub(crate) fn as_ptr(&self) -> *mut libc::c_void {
        self.ptr
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from a successful mmap of `len` bytes, and no
        // borrow of the memory outlives `self` (the accessors tie theirs
        // to it).
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}
