//! The stylesheets, script and icon, built into the binary: the server needs no files
//! beside it and fetches nothing at run time. Pages link each asset with a hash of its
//! bytes in the query, so browsers may cache it for a year and still see a new build's.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// FNV-1a of the bytes, hex: the cache-busting query and the ETag.
    hash: String,
}

/// GOV.UK Frontend as `scripts/vendor-govuk-frontend.sh` vendored it, then ours.
const FILES: [(&str, &str, &[u8]); 5] = [
    ("govuk-frontend.min.css", "text/css; charset=utf-8", include_bytes!("../assets/govuk-frontend.min.css")),
    ("govuk-frontend.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/govuk-frontend.min.js")),
    ("app.css", "text/css; charset=utf-8", include_bytes!("../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
    ("icon.svg", "image/svg+xml", include_bytes!("../assets/icon.svg")),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, content_type, bytes)| Asset { name, content_type, bytes, hash: format!("{:016x}", fnv1a(bytes)) })
        .collect()
});

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The URL a page links an asset by. Panics on a name not in `FILES`: a typo in a page.
pub fn url(name: &str) -> String {
    let asset = ASSETS.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no asset `{name}`"));
    format!("/assets/{}?v={}", asset.name, asset.hash)
}

/// `GET /assets/{name}`: the bytes, cacheable for a year (the URL changes with them), or
/// 304 when the browser already has them.
pub async fn serve(Path(name): Path<String>, request: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    (headers, asset.bytes).into_response()
}
