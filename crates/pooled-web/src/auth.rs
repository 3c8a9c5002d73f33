//! Who is asking: the layer around every page and API route. A request is let in with a
//! live session (the `pooled_session` cookie) or an API token (`Authorization: Bearer`);
//! anything else is refused before a handler runs. A session's unsafe requests (POST and
//! the like) must also carry its CSRF token, checked here for every form in one place:
//! an `X-CSRF-Token` header, a `csrf_token` field of a urlencoded form, or the first part
//! of a multipart upload, which the page puts first so it is read before the file.
//! API tokens are not sent by browsers on their own, so they need no CSRF token.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::StreamExt;
use pooled_store::{User, sha256_hex};

use crate::data::Web;
use crate::edge::body_error;
use crate::error::WebError;
use crate::layout::encode;

pub const SESSION_COOKIE: &str = "pooled_session";
/// How far into a multipart upload its first part (the CSRF token) must end.
const FIRST_PART_LIMIT: usize = 16 << 10;

/// The signed-in person, put on the request by [`require_login`]; a handler takes it as
/// an argument.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user: User,
    /// The session's CSRF token, which the page's forms carry; `None` with an API token.
    pub csrf_token: Option<String>,
}

impl Identity {
    /// Who the audit log says made a change.
    pub fn actor(&self) -> &str {
        &self.user.username
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Identity, WebError> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .ok_or_else(|| WebError::Internal("this route is outside the sign-in layer".into()))
    }
}

/// The layer: lets in a request with a live session or API token, checks the CSRF token
/// of a session's unsafe request, and refuses the rest.
pub async fn require_login(State(web): State<Arc<Web>>, mut request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let refuse = |e: WebError| if api { e.into_json_response() } else { e.into_response() };
    let identity = match identify(&web, request.headers()).await {
        Ok(Some(identity)) => identity,
        Ok(None) if api => {
            let why = "Sign in, or send an API token as `Authorization: Bearer <token>`.";
            return refuse(WebError::Unauthorized(why.into()));
        }
        Ok(None) => return refuse_anonymous(&request),
        Err(e) => return refuse(e),
    };
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if let (false, Some(expected)) = (safe, &identity.csrf_token) {
        request = match check_csrf(request, expected, web.max_upload_bytes).await {
            Ok(request) => request,
            Err(e) => return refuse(e),
        };
    }
    request.extensions_mut().insert(identity);
    let mut response = next.run(request).await;
    // Figures and names are for the signed-in person only: no browser or proxy keeps them.
    response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn identify(web: &Arc<Web>, headers: &HeaderMap) -> Result<Option<Identity>, WebError> {
    if let Some(token) = bearer_token(headers) {
        let hash = sha256_hex(token);
        let found = web.stores.run(move |store| Ok(store.api_token(&hash)?)).await?;
        return match found {
            Some((_, user)) => Ok(Some(Identity { user, csrf_token: None })),
            None => Err(WebError::Unauthorized("The API token is not known, or was revoked.".into())),
        };
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let hash = sha256_hex(&secret);
    let found = web.stores.run(move |store| Ok(store.session(&hash)?)).await?;
    Ok(found.map(|(session, user)| Identity { user, csrf_token: Some(session.csrf_token) }))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The value of the cookie `name`, if the browser sent it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: never readable by scripts, sent on top-level navigation from
/// other sites (a link in an email) but not on their forms, and only over HTTPS unless
/// the server was told it runs on plain HTTP.
pub fn set_cookie(web: &Web, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if web.secure_cookies { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
}

/// No session on a page: a GET is sent to sign in first and come back; anything else is
/// told plainly.
fn refuse_anonymous(request: &Request) -> Response {
    let path = request.uri().path();
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        let back = request.uri().path_and_query().map_or(path, |pq| pq.as_str());
        return Redirect::to(&format!("/login?next={}", encode(back))).into_response();
    }
    WebError::Unauthorized("Your session has ended. Sign in again, then repeat what you were doing.".into())
        .into_response()
}

/// Lets `request` on if it carries `expected`, giving it back with its body intact.
async fn check_csrf(request: Request, expected: &str, max_upload_bytes: usize) -> Result<Request, WebError> {
    let refused = || {
        WebError::Forbidden(
            "This form has expired or did not come from this service. Go back, reload the page and try again.".into(),
        )
    };
    if let Some(sent) = request.headers().get("x-csrf-token") {
        return if csrf_matches(sent.as_bytes(), expected) { Ok(request) } else { Err(refused()) };
    }
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (parts, body) = request.into_parts();
    let body = if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes =
            axum::body::to_bytes(body, crate::edge::FORM_BYTES).await.map_err(|e| body_error(&e, max_upload_bytes))?;
        let sent = form_field(&bytes, "csrf_token");
        if !sent.is_some_and(|s| csrf_matches(s.as_bytes(), expected)) {
            return Err(refused());
        }
        Body::from(bytes)
    } else if let Some(boundary) = multipart_boundary(&content_type) {
        let (first, rest) = read_first_part(body, &boundary, max_upload_bytes).await?;
        if !first_part_token(&first, &boundary).is_some_and(|s| csrf_matches(s, expected)) {
            return Err(refused());
        }
        let head = futures_util::stream::once(async move { Ok::<Bytes, axum::Error>(first) });
        Body::from_stream(head.chain(rest))
    } else {
        return Err(refused());
    };
    Ok(Request::from_parts(parts, body))
}

/// The session's CSRF token as a page carries it, masked afresh for each page: a random
/// pad, then the token XORed with it, in hex. Pages are compressed, and a secret that
/// stood the same on every page, beside text a visitor's link can put there, could be
/// guessed from the compressed sizes (BREACH); a masked one never repeats.
pub fn masked_csrf(token: &str) -> String {
    let pad = pooled_app::password::random_bytes(token.len());
    let hex = |bytes: &mut dyn Iterator<Item = u8>| bytes.map(|b| format!("{b:02x}")).collect::<String>();
    let masked = hex(&mut pad.iter().zip(token.bytes()).map(|(p, t)| p ^ t));
    format!("{}{masked}", hex(&mut pad.iter().copied()))
}

/// Whether `sent` is the session's token `expected`, masked ([`masked_csrf`]) or not.
fn csrf_matches(sent: &[u8], expected: &str) -> bool {
    if sent.len() != 4 * expected.len() {
        return same(sent, expected.as_bytes());
    }
    let bytes: Option<Vec<u8>> = sent
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    let Some(bytes) = bytes else { return false };
    let (pad, masked) = bytes.split_at(expected.len());
    let token: Vec<u8> = pad.iter().zip(masked).map(|(p, m)| p ^ m).collect();
    same(&token, expected.as_bytes())
}

/// Compares without stopping at the first difference, so timing does not reveal a token.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The first value of `name` in an urlencoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let rest = content_type.strip_prefix("multipart/form-data")?;
    let boundary = rest.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary="))?;
    Some(boundary.trim_matches('"').to_string())
}

/// Reads the body until its first part has ended; gives the bytes read and the rest.
async fn read_first_part(
    body: Body,
    boundary: &str,
    max_upload_bytes: usize,
) -> Result<(Bytes, axum::body::BodyDataStream), WebError> {
    let mut stream = body.into_data_stream();
    let mut read = Vec::new();
    let second = format!("\r\n--{boundary}");
    while find(&read, second.as_bytes()).is_none() {
        if read.len() > FIRST_PART_LIMIT {
            break;
        }
        match stream.next().await {
            Some(Ok(chunk)) => read.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(body_error(&e, max_upload_bytes)),
            None => break,
        }
    }
    Ok((Bytes::from(read), stream))
}

/// The value of the first part if it is the field `csrf_token`.
fn first_part_token<'a>(body: &'a [u8], boundary: &str) -> Option<&'a [u8]> {
    let opening = format!("--{boundary}\r\n");
    let rest = body.strip_prefix(opening.as_bytes())?;
    let headers_end = find(rest, b"\r\n\r\n")?;
    let headers = std::str::from_utf8(&rest[..headers_end]).ok()?;
    if !headers.contains("name=\"csrf_token\"") {
        return None;
    }
    let value = &rest[headers_end + 4..];
    let end = find(value, format!("\r\n--{boundary}").as_bytes())?;
    Some(&value[..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_part_of_an_upload_carries_the_token() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nx,y\r\n--XyZ--\r\n";
        assert_eq!(first_part_token(body, "XyZ"), Some(&b"abc123"[..]));
        let file_first = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc123\r\n--XyZ--\r\n";
        assert_eq!(first_part_token(file_first, "XyZ"), None);
        assert_eq!(multipart_boundary("multipart/form-data; boundary=\"XyZ\""), Some("XyZ".into()));
        assert_eq!(multipart_boundary("text/plain"), None);
    }

    #[test]
    fn cookies_and_tokens_are_read_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; pooled_session=s3cret; b=2"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer tok"));
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("s3cret"));
        assert_eq!(cookie(&headers, "c"), None);
        assert_eq!(bearer_token(&headers), Some("tok"));
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }

    #[test]
    fn csrf_tokens_are_masked_afresh_and_still_match() {
        let token = "0123456789abcdef".repeat(4);
        let (a, b) = (masked_csrf(&token), masked_csrf(&token));
        assert_ne!(a, b, "a page's token never repeats");
        assert!(!a.contains(&token));
        for sent in [a.as_str(), b.as_str(), token.as_str()] {
            assert!(csrf_matches(sent.as_bytes(), &token), "{sent}");
        }
        let other = masked_csrf(&"f".repeat(64));
        let mut tampered = a.clone().into_bytes();
        tampered[200] = if tampered[200] == b'0' { b'1' } else { b'0' };
        for sent in [other.as_bytes(), &tampered, &a.as_bytes()[..128], b"zz".repeat(128).as_slice(), b""] {
            assert!(!csrf_matches(sent, &token), "{}", String::from_utf8_lossy(sent));
        }
    }
}
