//! The JWT rules on protected endpoints: C16–C19 and the other Bearer failures of docs/protocol.md.

use axum::http::{Request, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};

use crate::support::{check, invalid_token_body, jwt_header, payload, sign, start_time, TestApp};

#[tokio::test]
async fn c16_access_token_has_reference_header_and_claims() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    assert_eq!(
        jwt_header(&user.access),
        json!({"alg": "HS256", "typ": "JWT"})
    );
    let claims = payload(&user.access);
    let mut keys: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["exp", "iat", "jti", "token_type", "user_id"]);
    assert_eq!(claims["token_type"], "access");
    assert_eq!(claims["user_id"], json!(user.id.to_string()));
    assert_eq!(claims["iat"], json!(start_time().timestamp()));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(jti.len(), 32);
    assert!(jti
        .bytes()
        .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')));
    // The signature is HS256 over the raw bytes of the key.
    let key = jsonwebtoken::DecodingKey::from_secret(crate::support::SECRET.as_bytes());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(&user.access, &key, &validation).expect("valid signature");
}

#[tokio::test]
async fn c17_integer_user_id_claim_is_accepted() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let token = sign(&json!({
        "token_type": "access", "exp": start_time().timestamp() + 300,
        "iat": start_time().timestamp(), "jti": "0123456789abcdef0123456789abcdef",
        "user_id": user.id
    }));
    let response = app.get("/user/info/", Some(&token)).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["pk"], json!(user.id));
}

#[tokio::test]
async fn c18_missing_header_or_other_scheme_is_not_authenticated() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let expected = json!({"detail": "Las credenciales de autenticación no se proveyeron."});
    let response = app.get("/user/info/", None).await;
    check(&response, 401, expected.clone());
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
    let request = Request::builder()
        .uri("/user/info/")
        .header("authorization", format!("Token {}", user.access))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.send(request).await;
    check(&response, 401, expected);
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
}

#[tokio::test]
async fn c19_expired_token_and_refresh_token_as_access_are_rejected() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let response = app.get("/user/info/", Some(&user.refresh)).await;
    check(&response, 401, invalid_token_body("Token has wrong type"));
    let exp = payload(&user.access)["exp"].as_i64().unwrap();
    let at_exp = chrono::DateTime::from_timestamp(exp, 0).unwrap();
    app.clock.set(at_exp - Duration::microseconds(1));
    assert_eq!(
        app.get("/user/info/", Some(&user.access)).await.status,
        StatusCode::OK
    );
    // Leeway 0: at exactly `exp` the token is expired.
    app.clock.set(at_exp);
    let response = app.get("/user/info/", Some(&user.access)).await;
    check(&response, 401, invalid_token_body("Token is expired"));
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
}

#[tokio::test]
async fn bearer_header_problems_give_the_reference_bodies() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let now = start_time().timestamp();
    let tampered = {
        let mut parts: Vec<String> = user.access.split('.').map(str::to_owned).collect();
        let forged = sign(&json!({
            "token_type": "access", "exp": now + 300, "iat": now,
            "jti": "0123456789abcdef0123456789abcdef", "user_id": "1"
        }));
        parts[1] = forged.split('.').nth(1).unwrap().to_owned();
        parts[2] = "AAAA".to_owned();
        parts.join(".")
    };
    let no_jti =
        sign(&json!({"token_type": "access", "exp": now + 300, "iat": now, "user_id": "1"}));
    let no_exp = sign(&json!({"token_type": "access", "iat": now, "jti": "x", "user_id": "1"}));
    let no_user = sign(&json!({"token_type": "access", "exp": now + 300, "iat": now, "jti": "x"}));
    let ghost = sign(&json!({
        "token_type": "access", "exp": now + 300, "iat": now, "jti": "x", "user_id": "999"
    }));
    let other_key = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"token_type": "access", "exp": now + 300, "iat": now, "jti": "x", "user_id": "1"}),
        &jsonwebtoken::EncodingKey::from_secret(b"another key"),
    )
    .unwrap();
    let cases = [
        (tampered, invalid_token_body("Token is invalid")),
        (other_key, invalid_token_body("Token is invalid")),
        (no_jti, invalid_token_body("Token has no id")),
        (no_exp, invalid_token_body("Token has no 'exp' claim")),
        (
            no_user,
            json!({"detail": "Token contained no recognizable user identification",
                   "code": "token_not_valid"}),
        ),
        (
            ghost,
            json!({"detail": "User not found", "code": "user_not_found"}),
        ),
    ];
    for (token, body) in cases {
        let response = app.get("/user/info/", Some(&token)).await;
        check(&response, 401, body);
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer realm=\"api\"")
        );
    }
    for header in ["Bearer", "Bearer a b"] {
        let request = Request::builder()
            .uri("/user/info/")
            .header("authorization", header)
            .body(axum::body::Body::empty())
            .unwrap();
        check(
            &app.send(request).await,
            401,
            json!({"detail": "Authorization header must contain two space-delimited values",
                   "code": "bad_authorization_header"}),
        );
    }
    app.store().set_active(user.id, false).await.unwrap();
    let response = app.get("/user/info/", Some(&user.access)).await;
    check(
        &response,
        401,
        json!({"detail": "User is inactive", "code": "user_inactive"}),
    );
}
