//! Reading stdin without holding more than a limit in memory, whatever the stream holds.

use std::io::{BufRead, Read};

/// All of stdin, if it holds at most `max` bytes of UTF-8 text; more is refused, not cut, and
/// not read on (a pipe that never ends, or the wrong file).
pub(crate) fn read_stdin(max: usize) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(max as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it holds more than {} KiB", max / 1024),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// One line of a stream, read by [`read_line`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// Without its line break (`\n` or `\r\n`); bytes that are not UTF-8 replaced.
    Text(String),
    /// Longer than the limit: nothing after the limit was read.
    TooLong,
    End,
}

/// The next line of `reader`, holding at most `max` bytes in memory whatever the stream holds.
pub(crate) fn read_line(reader: &mut impl BufRead, max: usize) -> std::io::Result<Line> {
    let mut line = Vec::new();
    if reader.take(max as u64 + 1).read_until(b'\n', &mut line)? == 0 {
        return Ok(Line::End);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    } else if line.len() > max {
        return Ok(Line::TooLong);
    }
    Ok(Line::Text(String::from_utf8_lossy(&line).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_up_to_a_limit() {
        let mut reader = std::io::Cursor::new(b"short\r\nline\n0123456789\nlast".to_vec());
        let mut next = || read_line(&mut reader, 8).unwrap();
        assert_eq!(next(), Line::Text("short".into()));
        assert_eq!(next(), Line::Text("line".into()));
        assert_eq!(next(), Line::TooLong);
        let mut endless = std::io::repeat(b'x');
        let mut endless = std::io::BufReader::new(&mut endless);
        assert_eq!(read_line(&mut endless, 8).unwrap(), Line::TooLong);
        let mut reader = std::io::Cursor::new(b"12345678\nlast".to_vec());
        assert_eq!(
            read_line(&mut reader, 8).unwrap(),
            Line::Text("12345678".into())
        );
        assert_eq!(
            read_line(&mut reader, 8).unwrap(),
            Line::Text("last".into())
        );
        assert_eq!(read_line(&mut reader, 8).unwrap(), Line::End);
    }
}
