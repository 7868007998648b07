//! Malformed, mistyped, oversized and unauthenticated requests get the spec's errors and change
//! nothing.

use chrono::Duration;
use magnate_server::Config;
use serde_json::json;

use crate::support::{check, TestApp, PASSWORD};

#[tokio::test]
async fn malformed_json_is_a_parse_error_and_creates_nothing() {
    let app = TestApp::new().await;
    let response = app
        .post_raw(
            "/auth/register/",
            &[("content-type", "application/json")],
            br#"{"username": "mario", "password": "#,
        )
        .await;
    assert_eq!(response.status.as_u16(), 400);
    let detail = response.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.starts_with("JSON parse error - "), "{detail}");
    assert_eq!(response.json().as_object().unwrap().len(), 1);
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn json_that_is_not_an_object_is_rejected_with_its_python_type() {
    let app = TestApp::new().await;
    for (body, kind) in [
        ("[1,2]", "list"),
        ("\"x\"", "str"),
        ("7", "int"),
        ("1.5", "float"),
        ("true", "bool"),
        ("null", "NoneType"),
    ] {
        let response = app
            .post_raw(
                "/auth/login/",
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
            .await;
        check(
            &response,
            400,
            json!({"non_field_errors": [format!("Datos inválidos. Se esperaba un diccionario pero es un {kind}.")]}),
        );
    }
}

#[tokio::test]
async fn wrong_field_types_get_field_errors() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            json!({"username": {"a": 1}, "password": [PASSWORD], "password2": null}),
        )
        .await;
    check(
        &response,
        400,
        json!({
            "username": ["No es una cadena válida."],
            "password": ["No es una cadena válida."],
            "password2": ["Este campo no puede ser nulo."]
        }),
    );
    assert_eq!(app.user_count().await, 0);
    // Numbers are read as text, as the reference's CharField does.
    let response = app
        .post(
            "/auth/register/",
            None,
            json!({"username": 12345, "password": PASSWORD, "password2": PASSWORD}),
        )
        .await;
    assert_eq!(response.status.as_u16(), 201);
    assert_eq!(response.json()["user"]["username"], "12345");
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            json!({"username": "mario", "password": PASSWORD, "password2": PASSWORD,
                   "email": "m@example.com", "points": 1_000_000, "role": "admin"}),
        )
        .await;
    assert_eq!(response.status.as_u16(), 201);
    assert_eq!(response.json()["user"]["points"], 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_change_nothing() {
    let app = TestApp::with_config(Config {
        max_body_bytes: 1024,
        ..Config::default()
    })
    .await;
    let body = json!({"username": "mario", "password": PASSWORD, "password2": PASSWORD,
                      "padding": "x".repeat(4096)});
    let response = app.post("/auth/register/", None, body).await;
    check(
        &response,
        413,
        json!({"detail": "El cuerpo de la solicitud es demasiado grande."}),
    );
    assert_eq!(app.user_count().await, 0);
    // A body without a declared length is cut off while it is read.
    let stream = futures_stream_body(vec![vec![b' '; 800], vec![b' '; 800]]);
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/auth/login/")
        .header("content-type", "application/json")
        .body(stream)
        .unwrap();
    check(
        &app.send(request).await,
        413,
        json!({"detail": "El cuerpo de la solicitud es demasiado grande."}),
    );
}

fn futures_stream_body(chunks: Vec<Vec<u8>>) -> axum::body::Body {
    axum::body::Body::from_stream(futures_util::stream::iter(
        chunks.into_iter().map(Ok::<_, std::io::Error>),
    ))
}

#[tokio::test]
async fn unsupported_media_type_is_415_and_form_bodies_are_accepted() {
    let app = TestApp::new().await;
    let response = app
        .post_raw(
            "/auth/register/",
            &[("content-type", "text/plain")],
            b"username=mario",
        )
        .await;
    check(
        &response,
        415,
        json!({"detail": "Tipo de medio \"text/plain\" incompatible en la solicitud."}),
    );
    let response = app
        .post_raw(
            "/auth/register/",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"username=mario&password=Segura123%21&password2=Segura123%21",
        )
        .await;
    assert_eq!(response.status.as_u16(), 201);
    assert_eq!(app.user_count().await, 1);

    let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nluigi\r\n\
                     --XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nSegura123!\r\n\
                     --XyZ--\r\n";
    let response = app
        .post_raw(
            "/auth/login/",
            &[("content-type", "multipart/form-data; boundary=XyZ")],
            multipart.as_bytes(),
        )
        .await;
    assert_eq!(response.status.as_u16(), 401, "{:?}", response.body);
    check(&response, 401, json!({"error": "bad credentials"}));
    let response = app
        .post_raw(
            "/auth/login/",
            &[("content-type", "multipart/form-data; boundary=XyZ")],
            multipart.replace("luigi", "mario").as_bytes(),
        )
        .await;
    assert_eq!(response.status.as_u16(), 200, "{:?}", response.body);
    let response = app
        .post_raw(
            "/auth/login/",
            &[("content-type", "multipart/form-data")],
            b"garbage",
        )
        .await;
    assert_eq!(response.status.as_u16(), 400);
    let detail = response.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.starts_with("Multipart form parse error - "),
        "{detail}"
    );
}

#[tokio::test]
async fn purchases_without_valid_auth_change_nothing() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store().grant_points(user.id, 1000).await.unwrap();
    let tampered = format!("{}x", user.access);
    for token in [
        None,
        Some("garbage"),
        Some(tampered.as_str()),
        Some(user.refresh.as_str()),
    ] {
        let response = app.post("/shop/buy/", token, json!({"custom_id": 1})).await;
        assert_eq!(response.status.as_u16(), 401);
    }
    app.clock.advance(Duration::minutes(6));
    let response = app
        .post("/shop/buy/", Some(&user.access), json!({"custom_id": 1}))
        .await;
    assert_eq!(response.status.as_u16(), 401);
    assert_eq!(
        response.json()["messages"][0]["message"],
        "Token is expired"
    );
    let response = app
        .post(
            "/user/change-piece/",
            Some(&user.access),
            json!({"custom_id": 1}),
        )
        .await;
    assert_eq!(response.status.as_u16(), 401);
    // Log in again and look: nothing was bought.
    let login = app
        .post(
            "/auth/login/",
            None,
            json!({"username": "mario", "password": PASSWORD}),
        )
        .await;
    let access = login.json()["tokens"]["access"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app.get("/user/info/", Some(&access)).await;
    assert_eq!(response.json()["points"], 1000);
    check(
        &app.get("/shop/user-pieces/", Some(&access)).await,
        200,
        json!([]),
    );
}

#[tokio::test]
async fn odd_paths_and_bodies_never_cause_a_server_error() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let token = Some(user.access.as_str());
    for path in [
        "/game/summary/99999999999999999999999/",
        "/lobby/check-code/%FF%FE/",
        "/lobby/check-code/a%2Fb/",
        "//",
        "/info/user-name-piece//",
    ] {
        let response = app.get(path, token).await;
        assert!(
            response.status.as_u16() < 500,
            "{path}: {}",
            response.status
        );
    }
    for body in [
        json!({"custom_id": 1e300}),
        json!({"custom_id": "9".repeat(400)}),
        json!({"custom_id": -1}),
        json!({"custom_id": " 1.000 "}),
    ] {
        let response = app.post("/shop/buy/", token, body.clone()).await;
        assert!(
            response.status.as_u16() < 500,
            "{body}: {}",
            response.status
        );
    }
}

#[tokio::test]
async fn store_failures_answer_a_generic_500_without_details() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store()
        .raw_execute("DROP TABLE user_items")
        .await
        .unwrap();
    for response in [
        app.get("/shop/items/", Some(&user.access)).await,
        app.post("/shop/buy/", Some(&user.access), json!({"custom_id": 1}))
            .await,
    ] {
        check(&response, 500, json!({"detail": "Internal server error."}));
        let text = String::from_utf8_lossy(&response.body);
        assert!(!text.contains("user_items") && !text.to_lowercase().contains("sql"));
    }
}
