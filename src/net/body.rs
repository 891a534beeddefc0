//! An answer's body read up to a limit, so that an endless or huge answer costs at most that.

/// A body read up to a limit.
pub(crate) struct Capped {
    /// At most the limit's worth of bytes.
    pub(crate) bytes: Vec<u8>,
    /// False when the answer went on past the limit: it was not read further.
    pub(crate) complete: bool,
}

/// Reads the body chunk by chunk and stops as soon as it exceeds `max` bytes, so an endless or
/// huge answer costs at most `max` bytes of memory.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Capped, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Capped {
                bytes,
                complete: false,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Capped {
        bytes,
        complete: true,
    })
}
