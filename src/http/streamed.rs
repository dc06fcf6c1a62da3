//! Large text answers written on the blocking pool and sent as they are
//! written, so that a region's score matrix (hundreds of megabytes) never
//! sits whole in memory and the first bytes leave at once.

use actix_web::web::Bytes;
use futures_util::Stream;
use std::io::{self, Write};
use tokio::sync::mpsc;

/// Bytes gathered before a part is sent (cut at the end of a line).
const PART: usize = 256 * 1024;
/// Parts written ahead of a slow reader before the writer waits.
const PARTS_AHEAD: usize = 4;

/// Streams what `write` writes, in parts of whole lines, each passed
/// through `edit(part, is_first_part)` first. The writer runs on the
/// blocking pool and waits while the client reads; it stops when the
/// client goes away.
pub fn lines<W, E>(write: W, edit: E) -> impl Stream<Item = Result<Bytes, io::Error>>
where
    W: FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static,
    E: Fn(&str, bool) -> String + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Bytes>(PARTS_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut out = Parts {
            buffer: Vec::with_capacity(PART + 1024),
            first: true,
            tx,
            edit,
        };
        let written = write(&mut out).and_then(|()| out.send());
        if let Err(e) = written
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::error!(error = %e, "a streamed answer failed midway");
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|part| (Ok(part), rx))
    })
}

/// A writer that sends whole lines in parts.
struct Parts<E> {
    buffer: Vec<u8>,
    first: bool,
    tx: mpsc::Sender<Bytes>,
    edit: E,
}

impl<E: Fn(&str, bool) -> String> Parts<E> {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8(std::mem::take(&mut self.buffer))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let part = (self.edit)(&text, self.first);
        self.first = false;
        self.buffer = text.into_bytes();
        self.buffer.clear();
        self.tx
            .blocking_send(Bytes::from(part))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl<E: Fn(&str, bool) -> String> Write for Parts<E> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= PART && self.buffer.ends_with(b"\n") {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
