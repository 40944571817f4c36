//! A minimal HTTP/1.1 server: keep-alive, `Content-Length` bodies, JSON responses. Enough for
//! kube's hyper client, and nothing more.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::net::tcp::OwnedReadHalf;

use crate::{RecordedRequest, Shared};

/// Longest request line or header line accepted.
const MAX_LINE: u64 = 64 * 1024;
/// Most headers accepted per request.
const MAX_HEADERS: usize = 100;
/// Largest request body read (and ignored: the API served is read-only).
const MAX_BODY: usize = 1024 * 1024;

/// One parsed request.
struct Request {
    recorded: RecordedRequest,
    authorization: Option<String>,
    close: bool,
}

/// Accept connections until the runtime is shut down.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut reader = BufReader::new(read);
                    loop {
                        let (request, (code, body)) = match read_request(&mut reader).await {
                            Ok(Some(req)) => {
                                let response =
                                    shared.handle(&req.recorded, req.authorization.as_deref());
                                (Some(req), response)
                            }
                            Ok(None) => return,
                            Err(message) => (None, crate::api::status(400, "BadRequest", message)),
                        };
                        let close = request.as_ref().is_none_or(|r| r.close);
                        let body = body.to_string();
                        let head = format!(
                            "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n",
                            reason(code),
                            body.len(),
                            if close { "Connection: close\r\n" } else { "" },
                        );
                        if write.write_all(head.as_bytes()).await.is_err()
                            || write.write_all(body.as_bytes()).await.is_err()
                            || write.flush().await.is_err()
                            || close
                        {
                            return;
                        }
                    }
                });
            }
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

async fn read_line(reader: &mut BufReader<OwnedReadHalf>) -> Result<Option<String>, &'static str> {
    let mut buf = Vec::new();
    let n = (&mut *reader)
        .take(MAX_LINE)
        .read_until(b'\n', &mut buf)
        .await
        .map_err(|_| "read error")?;
    if n == 0 {
        return Ok(None);
    }
    if !buf.ends_with(b"\n") {
        return Err("line too long or truncated");
    }
    let line = String::from_utf8(buf).map_err(|_| "request is not UTF-8")?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Read one request; `Ok(None)` when the client closed the connection between requests.
async fn read_request(
    reader: &mut BufReader<OwnedReadHalf>,
) -> Result<Option<Request>, &'static str> {
    let request_line = loop {
        match read_line(reader).await? {
            None => return Ok(None),
            Some(line) if line.is_empty() => continue, // stray CRLF between requests
            Some(line) => break line,
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line");
    };
    let mut authorization = None;
    let mut user_agent = None;
    let mut content_length = 0usize;
    let mut close = version != "HTTP/1.1";
    let mut chunked = false;
    for count in 0.. {
        let line = read_line(reader)
            .await?
            .ok_or("connection closed in headers")?;
        if line.is_empty() {
            break;
        }
        if count >= MAX_HEADERS {
            return Err("too many headers");
        }
        let (name, value) = line.split_once(':').ok_or("malformed header")?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "authorization" => authorization = Some(value.to_owned()),
            "user-agent" => user_agent = Some(value.to_owned()),
            "content-length" => content_length = value.parse().map_err(|_| "bad content-length")?,
            "connection" => close |= value.eq_ignore_ascii_case("close"),
            "transfer-encoding" => chunked = !value.eq_ignore_ascii_case("identity"),
            _ => {}
        }
    }
    if content_length > MAX_BODY {
        return Err("body too large");
    }
    let mut body = vec![0; content_length];
    reader
        .read_exact(&mut body)
        .await
        .map_err(|_| "truncated body")?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    Ok(Some(Request {
        recorded: RecordedRequest {
            method: method.to_owned(),
            path: percent_decode(path),
            query,
            user_agent,
        },
        authorization,
        // A chunked body is not read: answer, then close rather than misparse what follows.
        close: close || chunked,
    }))
}

/// Decode `%XX` escapes and `+` (form encoding, as kube writes query strings).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_form_encoding() {
        assert_eq!(
            percent_decode("owner%3Dhelm%2Cname%3Dweb"),
            "owner=helm,name=web"
        );
        assert_eq!(percent_decode("a+b%2"), "a b%2");
        assert_eq!(percent_decode("%zz%"), "%zz%");
    }
}
