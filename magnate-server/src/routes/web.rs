//! The browser client: `GET /` and `GET /web/<file>`, served from files embedded in the binary
//! (`magnate-server/web/`), so nothing beside the binary is needed at run time.
//!
//! The client is plain ES modules and one stylesheet, with no build step; it speaks only the
//! public REST API and sockets of docs/protocol.md. These routes are not part of the REST API
//! and not in the OpenAPI document.

use axum::{
    extract::Path,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use crate::state::AppState;

/// One embedded file: its name under `/web/`, its media type and its contents.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $media_type:expr) => {
        Asset {
            name: $name,
            media_type: $media_type,
            body: include_str!(concat!("../../web/", $name)),
        }
    };
}

/// Every file of the client. `index.html` is also served at `/`.
const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("app.css", CSS),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/ui.js", JS),
    asset!("js/account.js", JS),
    asset!("js/lobby.js", JS),
    asset!("js/board.js", JS),
    asset!("js/game.js", JS),
    asset!("js/controls.js", JS),
    asset!("js/words.js", JS),
    asset!("js/replay.js", JS),
    asset!("js/profile.js", JS),
];

/// The page's content security policy: only this origin's scripts, styles and sockets.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; \
base-uri 'none'; form-action 'none'";

/// Routes of the browser client (no credentials: the page logs in itself).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(get_index))
        .route("/web/{*file}", get(get_asset))
}

async fn get_index() -> Response {
    serve(&ASSETS[0])
}

async fn get_asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.name == file) {
        Some(asset) => serve(asset),
        None => super::unknown_path().await,
    }
}

fn serve(asset: &Asset) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.media_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_embedded() {
        for asset in ASSETS.iter().filter(|asset| asset.media_type == JS) {
            for line in asset.body.lines() {
                let Some(rest) = line.trim_start().strip_prefix("import ") else {
                    continue;
                };
                let Some(start) = rest.find("\"./") else {
                    continue;
                };
                let target = &rest[start + 3..];
                let target = &target[..target.find('"').unwrap_or(target.len())];
                let path = format!("js/{target}");
                assert!(
                    ASSETS.iter().any(|asset| asset.name == path),
                    "{} imports {path}, which is not embedded",
                    asset.name
                );
            }
        }
    }
}
