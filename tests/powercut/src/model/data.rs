//! File data: the dirty pages over the backing file (read, write, truncate, fsync).

use super::*;

impl Disk {
    /// Reads `size` bytes at `offset` as the page cache shows them.
    pub fn read(&mut self, ino: u64, offset: u64, size: u32) -> R<Vec<u8>> {
        self.check()?;
        let f = self.file_mut(ino)?;
        let end = (offset + u64::from(size)).min(f.len);
        if offset >= end {
            return Ok(Vec::new());
        }
        let mut out = vec![0u8; (end - offset) as usize];
        let mut pos = offset;
        while pos < end {
            let page = pos / PAGE;
            let in_page = pos % PAGE;
            let n = (PAGE - in_page).min(end - pos);
            let dst = &mut out[(pos - offset) as usize..(pos - offset + n) as usize];
            match f.dirty.get(&page) {
                Some(p) => dst.copy_from_slice(&p[in_page as usize..(in_page + n) as usize]),
                None => base_read(f, pos, dst)?,
            }
            pos += n;
        }
        Ok(out)
    }

    /// Writes through handle `fh` (at `offset`, or at the end for an append handle); returns
    /// the bytes written. Nothing reaches the disk before an `fsync`.
    pub fn write(&mut self, fh: u64, ino: u64, offset: u64, data: &[u8]) -> R<u32> {
        self.check()?;
        let append = self
            .handles
            .get(&fh)
            .is_some_and(|h| h.append && h.ino == ino);
        self.stats.writes += 1;
        let f = self.file_mut(ino)?;
        let offset = if append { f.len } else { offset };
        let mut pos = offset;
        let end = offset + data.len() as u64;
        while pos < end {
            let page = pos / PAGE;
            let in_page = pos % PAGE;
            let n = (PAGE - in_page).min(end - pos);
            let p = dirty_page(f, page)?;
            p[in_page as usize..(in_page + n) as usize]
                .copy_from_slice(&data[(pos - offset) as usize..(pos - offset + n) as usize]);
            pos += n;
        }
        f.len = f.len.max(end);
        let i = self.inode_mut(ino)?;
        i.mtime = SystemTime::now();
        u32::try_from(data.len()).map_err(|_| libc::EFBIG)
    }

    /// Sets the visible length (truncate or extend with zeros).
    pub fn truncate(&mut self, ino: u64, len: u64) -> R<()> {
        self.check()?;
        let f = self.file_mut(ino)?;
        if len < f.len {
            let keep_pages = len.div_ceil(PAGE);
            f.dirty.retain(|p, _| *p < keep_pages);
            if !len.is_multiple_of(PAGE) {
                let page = len / PAGE;
                let p = dirty_page(f, page)?;
                p[(len % PAGE) as usize..].fill(0);
            }
            f.zero_from = Some(f.zero_from.map_or(len, |z| z.min(len)));
        }
        f.len = len;
        let i = self.inode_mut(ino)?;
        i.mtime = SystemTime::now();
        Ok(())
    }

    /// `fallocate` mode 0: the file is at least `offset + len` long.
    pub fn allocate(&mut self, ino: u64, offset: u64, len: u64) -> R<()> {
        self.check()?;
        let cur = self.file_mut(ino)?.len;
        if offset + len > cur {
            self.truncate(ino, offset + len)?;
        }
        Ok(())
    }

    /// `fsync`/`fdatasync` of a file: its data and length are on disk when this returns.
    pub fn fsync(&mut self, ino: u64) -> R<()> {
        self.check()?;
        self.stats.fsyncs += 1;
        let f = self.file_mut(ino)?;
        for (page, data) in &f.dirty {
            let start = page * PAGE;
            if start >= f.len {
                continue;
            }
            let n = (f.len - start).min(PAGE) as usize;
            f.file
                .write_all_at(&data[..n], start)
                .map_err(|e| io_errno(&e))?;
        }
        f.file.set_len(f.len).map_err(|e| io_errno(&e))?;
        f.dirty.clear();
        f.durable_len = f.len;
        f.zero_from = None;
        Ok(())
    }
}

/// Reads visible bytes of a clean page range from the backing file (zeros past its end or past
/// an unsynced truncation).
fn base_read(f: &FileData, pos: u64, dst: &mut [u8]) -> R<()> {
    dst.fill(0);
    let limit = f.zero_from.unwrap_or(u64::MAX).min(f.durable_len);
    if pos >= limit {
        return Ok(());
    }
    let n = ((limit - pos) as usize).min(dst.len());
    let mut done = 0;
    while done < n {
        match f.file.read_at(&mut dst[done..n], pos + done as u64) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_errno(&e)),
        }
    }
    Ok(())
}

/// The dirty copy of `page`, made from the visible content if the page was clean.
fn dirty_page(f: &mut FileData, page: u64) -> R<&mut Vec<u8>> {
    if !f.dirty.contains_key(&page) {
        let mut buf = vec![0u8; PAGE as usize];
        let start = page * PAGE;
        if start < f.len {
            let n = (f.len - start).min(PAGE) as usize;
            base_read(f, start, &mut buf[..n])?;
        }
        f.dirty.insert(page, buf);
    }
    f.dirty.get_mut(&page).ok_or(libc::EIO)
}
