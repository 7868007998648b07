//! Shared helpers: a test application on in-memory SQLite with a manual clock.

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, Method, Request, StatusCode},
};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use magnate_server::{
    auth::Passwords,
    store::{CreateUserOutcome, NewUser, UserId},
    AppState, Clock, Config, Store,
};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The JWT key of every test application.
pub const SECRET: &str = "test-secret-key";
/// A password that passes every check of docs/protocol.md.
pub const PASSWORD: &str = "Segura123!";

/// The fixed start time of the manual clock.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-04-16T10:15:30.123456Z")
        .expect("valid literal")
        .with_timezone(&Utc)
}

/// A test application and handles to its parts.
pub struct TestApp {
    pub state: AppState,
    pub clock: Clock,
}

/// A collected response.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON; panics with the raw body if it is not JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is not JSON ({error}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("ASCII header"))
    }
}

/// Asserts status and exact JSON body.
#[track_caller]
pub fn check(response: &TestResponse, status: u16, body: Value) {
    assert_eq!(
        response.status.as_u16(),
        status,
        "unexpected status; body {:?}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.json(), body);
}

/// Tokens of a registered test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: UserId,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    /// A fresh application with default configuration.
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    /// A fresh application with `config`.
    pub async fn with_config(config: Config) -> Self {
        let clock = Clock::manual(start_time());
        let store = crate::backend::test_store().await;
        let state = AppState::new(
            config,
            store,
            Some(SECRET.to_owned()),
            clock.clone(),
            Passwords::insecure_fast(),
        )
        .await
        .expect("state");
        Self { state, clock }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Sends a request through the router without a socket.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = magnate_server::app(self.state.clone())
            .oneshot(request)
            .await
            .expect("infallible router");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// Sends `method path` with an optional Bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        self.send(request).await
    }

    /// `GET path` with an optional token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.call(Method::GET, path, token, None).await
    }

    /// `POST path` with a JSON body and an optional token.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> TestResponse {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// `POST` with a raw body and headers.
    pub async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> TestResponse {
        let mut builder = Request::builder().method(Method::POST).uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(Body::from(body.to_vec())).expect("request"))
            .await
    }

    /// Registers `username` with [`PASSWORD`] through R1.
    pub async fn register(&self, username: &str) -> TestUser {
        let response = self
            .post(
                "/auth/register/",
                None,
                json!({"username": username, "password": PASSWORD, "password2": PASSWORD}),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{:?}", response.body);
        let body = response.json();
        TestUser {
            id: body["user"]["pk"].as_i64().expect("pk"),
            access: body["tokens"]["access"]
                .as_str()
                .expect("access")
                .to_owned(),
            refresh: body["tokens"]["refresh"]
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }

    /// Creates a bot account directly in the store; `password` is hashed if given.
    pub async fn create_bot(&self, username: &str, password: Option<&str>) -> UserId {
        let outcome = self
            .store()
            .create_user(NewUser {
                username: username.to_owned(),
                password_hash: password.map(|password| Passwords::insecure_fast().hash(password)),
                bot_level: Some("medium".to_owned()),
                date_joined: self.clock.now(),
            })
            .await
            .expect("store");
        match outcome {
            CreateUserOutcome::Created(user) => user.id,
            CreateUserOutcome::UsernameTaken => panic!("bot name taken"),
        }
    }

    /// The user's profile as R4 returns it.
    pub async fn profile(&self, user: &TestUser) -> Value {
        let response = self.get("/user/info/", Some(&user.access)).await;
        assert_eq!(response.status, StatusCode::OK);
        response.json()
    }

    /// Number of users in the database.
    pub async fn user_count(&self) -> i64 {
        self.store()
            .raw_int("SELECT COUNT(*) FROM users", vec![])
            .await
            .expect("count")
    }
}

/// Signs arbitrary claims with the test key.
pub fn sign(claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign")
}

/// Decodes the payload of a JWT without checking it.
pub fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&base64_url_decode(part)).expect("json payload")
}

/// Decodes the header of a JWT without checking it.
pub fn jwt_header(token: &str) -> Value {
    let part = token.split('.').next().expect("three parts");
    serde_json::from_slice(&base64_url_decode(part)).expect("json header")
}

/// Minimal unpadded base64url decoder, enough for JWT parts.
fn base64_url_decode(text: &str) -> Vec<u8> {
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    let mut out = Vec::new();
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {byte}"),
        };
        bits = (bits << 6) | u32::from(value);
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            out.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    out
}

/// The 401 body for a refused Bearer access token.
pub fn invalid_token_body(message: &str) -> Value {
    json!({
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}]
    })
}
