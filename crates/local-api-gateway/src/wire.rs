//! What more than one part of the gateway does to HTTP: read a client response's body up to a
//! limit, percent-decode, and check a header can be sent.

use axum::http::{HeaderName, HeaderValue};
use percent_encoding::percent_decode_str;

/// Reads `response`'s body if it is at most `max` bytes; `Ok(None)` as soon as it is larger.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    max: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// `%2F` -> `/`; invalid UTF-8 is replaced, as API Gateway's events show it.
pub(crate) fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The header as HTTP can carry it, or `None`.
pub(crate) fn header(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::try_from(name).ok()?,
        HeaderValue::try_from(value).ok()?,
    ))
}
