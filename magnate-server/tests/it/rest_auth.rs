//! R1–R3 and the JWT rules: C1–C19.

use axum::http::{Method, Request, StatusCode};
use chrono::Duration;
use magnate_server::Config;
use serde_json::{json, Value};

use crate::support::{check, invalid_token_body, payload, sign, start_time, TestApp, PASSWORD};

fn register_body(username: &str, password: &str, password2: &str) -> Value {
    json!({"username": username, "password": password, "password2": password2})
}

#[tokio::test]
async fn c1_register_returns_message_profile_and_tokens() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("mario", PASSWORD, PASSWORD),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    let body = response.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["message", "tokens", "user"]);
    assert_eq!(body["message"], "correctly registered user");
    let id = body["user"]["pk"].as_i64().unwrap();
    assert_eq!(
        body["user"],
        json!({
            "pk": id, "username": "mario", "points": 0, "exp": 0, "elo": 0,
            "date_joined": "2026-04-16T10:15:30.123456Z",
            "num_played_games": 0, "num_won_games": 0, "user_piece": 1
        })
    );
    let tokens = body["tokens"].as_object().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        payload(tokens["access"].as_str().unwrap())["token_type"],
        "access"
    );
    assert_eq!(
        payload(tokens["refresh"].as_str().unwrap())["token_type"],
        "refresh"
    );
    // The new account owns nothing.
    let items = app
        .get("/shop/user-pieces/", tokens["access"].as_str())
        .await;
    check(&items, 200, json!([]));
}

#[tokio::test]
async fn c2_register_with_different_passwords_is_rejected() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("mario", PASSWORD, "Segura123?"),
        )
        .await;
    check(
        &response,
        400,
        json!({"password": ["Las contraseñas no coinciden."]}),
    );
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn c3_register_with_1234_lists_three_password_messages_in_order() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("mario", "1234", "1234"),
        )
        .await;
    check(
        &response,
        400,
        json!({"password": [
            "La contraseña es demasiado corta. Debe contener por lo menos 8 caracteres.",
            "Esta contraseña es demasiado común.",
            "Esta contraseña es completamente numérica."
        ]}),
    );
}

#[tokio::test]
async fn common_password_check_ignores_case_and_numeric_check_needs_only_digits() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("mario", "PassWord", "PassWord"),
        )
        .await;
    check(
        &response,
        400,
        json!({"password": ["Esta contraseña es demasiado común."]}),
    );
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("mario", "83920174615", "83920174615"),
        )
        .await;
    check(
        &response,
        400,
        json!({"password": ["Esta contraseña es completamente numérica."]}),
    );
    // The similarity check never runs in the reference (docs/protocol.md).
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("luigi12345", "luigi12345", "luigi12345"),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
}

#[tokio::test]
async fn c4_register_duplicate_username_is_rejected_but_case_differs() {
    let app = TestApp::new().await;
    app.register("mario").await;
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("mario", PASSWORD, PASSWORD),
        )
        .await;
    check(
        &response,
        400,
        json!({"username": ["Ya existe usuario con este username."]}),
    );
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("MARIO", PASSWORD, PASSWORD),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(app.user_count().await, 2);
}

#[tokio::test]
async fn c5_register_empty_object_lists_three_required_fields() {
    let app = TestApp::new().await;
    let response = app.post("/auth/register/", None, json!({})).await;
    check(
        &response,
        400,
        json!({
            "username": ["Este campo es requerido."],
            "password": ["Este campo es requerido."],
            "password2": ["Este campo es requerido."]
        }),
    );
}

#[tokio::test]
async fn register_blank_fields_and_mismatch_only_after_field_checks() {
    let app = TestApp::new().await;
    let response = app
        .post("/auth/register/", None, register_body("  ", "1234", ""))
        .await;
    check(
        &response,
        400,
        json!({
            "username": ["Este campo no puede estar en blanco."],
            "password": [
                "La contraseña es demasiado corta. Debe contener por lo menos 8 caracteres.",
                "Esta contraseña es demasiado común.",
                "Esta contraseña es completamente numérica."
            ],
            "password2": ["Este campo no puede estar en blanco."]
        }),
    );
}

#[tokio::test]
async fn c6_register_41_character_username_is_rejected_and_40_accepted() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body(&"a".repeat(41), PASSWORD, PASSWORD),
        )
        .await;
    check(
        &response,
        400,
        json!({"username": ["Asegúrese de que este campo no tenga más de 40 caracteres."]}),
    );
    // Characters are counted, not bytes.
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body(&"ñ".repeat(40), PASSWORD, PASSWORD),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
}

#[tokio::test]
async fn c7_register_accepts_spaces_punctuation_and_unicode() {
    let app = TestApp::new().await;
    for name in ["bad name!", "josé-maría@x", "用户"] {
        let response = app
            .post(
                "/auth/register/",
                None,
                register_body(name, PASSWORD, PASSWORD),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{name}");
        assert_eq!(response.json()["user"]["username"], name);
    }
}

#[tokio::test]
async fn c8_register_trims_whitespace_and_login_works() {
    let app = TestApp::new().await;
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("  spaced  ", " Segura123! ", "Segura123!"),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.json()["user"]["username"], "spaced");
    let response = app
        .post(
            "/auth/login/",
            None,
            json!({"username": " spaced", "password": "Segura123!  "}),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["user"]["username"], "spaced");
}

#[tokio::test]
async fn c9_login_returns_profile_and_tokens() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let response = app
        .post(
            "/auth/login/",
            None,
            json!({"username": "mario", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body["message"], "succesful login");
    assert_eq!(body["user"], app.profile(&user).await);
    let access = body["tokens"]["access"].as_str().unwrap();
    assert_eq!(
        app.get("/user/info/", Some(access)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn c10_login_rejects_wrong_password_unknown_user_bot_and_inactive_user() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.create_bot("bot_easy", Some("botpass")).await;
    let inactive = app.register("retired").await;
    app.store().set_active(inactive.id, false).await.unwrap();
    for (username, password) in [
        ("mario", "Segura123?"),
        ("nobody", PASSWORD),
        ("bot_easy", "botpass"),
        ("retired", PASSWORD),
        ("Mario", PASSWORD),
    ] {
        let response = app
            .post(
                "/auth/login/",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        check(&response, 401, json!({"error": "bad credentials"}));
        assert_eq!(response.header("www-authenticate"), None, "{username}");
    }
    // Nothing about the account changed.
    assert_eq!(app.profile(&user).await["username"], "mario");
}

#[tokio::test]
async fn c11_login_missing_or_blank_fields_are_field_errors() {
    let app = TestApp::new().await;
    let response = app
        .post("/auth/login/", None, json!({"username": "mario"}))
        .await;
    check(
        &response,
        400,
        json!({"password": ["Este campo es requerido."]}),
    );
    let response = app
        .post(
            "/auth/login/",
            None,
            json!({"username": "", "password": " "}),
        )
        .await;
    check(
        &response,
        400,
        json!({
            "username": ["Este campo no puede estar en blanco."],
            "password": ["Este campo no puede estar en blanco."]
        }),
    );
}

#[tokio::test]
async fn c12_open_endpoints_reject_an_invalid_bearer_header() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let login = app
        .post(
            "/auth/login/",
            Some("garbage"),
            json!({"username": "mario", "password": PASSWORD}),
        )
        .await;
    check(&login, 401, invalid_token_body("Token is invalid"));
    assert_eq!(
        login.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
    let register = app
        .post(
            "/auth/register/",
            Some("garbage"),
            register_body("luigi", PASSWORD, PASSWORD),
        )
        .await;
    check(&register, 401, invalid_token_body("Token is invalid"));
    assert_eq!(app.user_count().await, 1);
    let lookup = app
        .get(
            &format!("/info/user-name-piece/{}/", user.id),
            Some("garbage"),
        )
        .await;
    check(&lookup, 401, invalid_token_body("Token is invalid"));
    // Another scheme counts as no credentials, so the open endpoint still answers.
    let request = Request::builder()
        .method(Method::POST)
        .uri("/auth/login/")
        .header("authorization", "Token abc")
        .header("content-type", "application/json")
        .body(
            json!({"username": "mario", "password": PASSWORD})
                .to_string()
                .into(),
        )
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn c13_refresh_returns_new_access_and_refresh_tokens() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.clock.advance(Duration::seconds(10));
    let response = app
        .post("/auth/refresh/", None, json!({"refresh": user.refresh}))
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let body = response.json();
    assert_eq!(body.as_object().unwrap().len(), 2);
    let access = body["access"].as_str().unwrap();
    let refresh = body["refresh"].as_str().unwrap();
    assert_ne!(refresh, user.refresh);
    assert_eq!(payload(refresh)["token_type"], "refresh");
    let claims = payload(refresh);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        604_800
    );
    assert_eq!(
        claims["iat"].as_i64().unwrap(),
        start_time().timestamp() + 10
    );
    assert_eq!(
        app.get("/user/info/", Some(access)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_ignores_the_authorization_header() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    let response = app
        .post(
            "/auth/refresh/",
            Some("garbage"),
            json!({"refresh": user.refresh}),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn c14_refresh_rejects_access_token_garbage_and_expired_token() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    for (token, detail) in [
        (user.access.as_str(), "Token has wrong type"),
        ("garbage", "Token is invalid"),
    ] {
        let response = app
            .post("/auth/refresh/", None, json!({"refresh": token}))
            .await;
        check(
            &response,
            401,
            json!({"detail": detail, "code": "token_not_valid"}),
        );
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer realm=\"api\"")
        );
    }
    let no_jti = sign(&json!({
        "token_type": "refresh", "exp": start_time().timestamp() + 100,
        "iat": start_time().timestamp(), "user_id": user.id.to_string()
    }));
    let response = app
        .post("/auth/refresh/", None, json!({"refresh": no_jti}))
        .await;
    check(
        &response,
        401,
        json!({"detail": "Token has no id", "code": "token_not_valid"}),
    );
    let response = app.post("/auth/refresh/", None, json!({})).await;
    check(
        &response,
        400,
        json!({"refresh": ["Este campo es requerido."]}),
    );

    app.clock.advance(Duration::days(7));
    let response = app
        .post("/auth/refresh/", None, json!({"refresh": user.refresh}))
        .await;
    check(
        &response,
        401,
        json!({"detail": "Token is expired", "code": "token_not_valid"}),
    );
}

#[tokio::test]
async fn refresh_for_inactive_or_deleted_user_has_no_active_account() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    app.store().set_active(user.id, false).await.unwrap();
    let response = app
        .post("/auth/refresh/", None, json!({"refresh": user.refresh}))
        .await;
    check(
        &response,
        401,
        json!({"detail": "No active account found for the given token."}),
    );
    let ghost = sign(&json!({
        "token_type": "refresh", "exp": start_time().timestamp() + 100,
        "iat": start_time().timestamp(), "jti": "0123456789abcdef0123456789abcdef",
        "user_id": "999"
    }));
    let response = app
        .post("/auth/refresh/", None, json!({"refresh": ghost}))
        .await;
    check(
        &response,
        401,
        json!({"detail": "No active account found for the given token."}),
    );
}

#[tokio::test]
async fn c15_rotated_refresh_token_stays_valid_by_default() {
    let app = TestApp::new().await;
    let user = app.register("mario").await;
    for _ in 0..2 {
        let response = app
            .post("/auth/refresh/", None, json!({"refresh": user.refresh}))
            .await;
        assert_eq!(response.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn rotated_refresh_token_is_rejected_when_blacklisting_is_enabled() {
    let app = TestApp::with_config(Config {
        blacklist_after_rotation: true,
        ..Config::default()
    })
    .await;
    let user = app.register("mario").await;
    let first = app
        .post("/auth/refresh/", None, json!({"refresh": user.refresh}))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let again = app
        .post("/auth/refresh/", None, json!({"refresh": user.refresh}))
        .await;
    check(
        &again,
        401,
        json!({"detail": "Token is blacklisted", "code": "token_not_valid"}),
    );
    // The rotated-in token still works once.
    let rotated = first.json()["refresh"].as_str().unwrap().to_owned();
    let response = app
        .post("/auth/refresh/", None, json!({"refresh": rotated}))
        .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn users_migrated_with_django_hashes_can_log_in_and_are_rehashed() {
    let app = TestApp::new().await;
    let django_hash =
        "pbkdf2_sha256$1000$Zq3vS8xRk2Lw$VOErAfQbOTopBISMwLj0G+KKgJOlzsMw/dOYpJzXV1A=";
    let outcome = app
        .store()
        .create_user(magnate_server::store::NewUser {
            username: "legacy".into(),
            password_hash: Some(django_hash.into()),
            bot_level: None,
            date_joined: app.clock.now(),
        })
        .await
        .unwrap();
    let magnate_server::store::CreateUserOutcome::Created(user) = outcome else {
        panic!("not created");
    };
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/auth/login/",
                None,
                json!({"username": "legacy", "password": password}),
            )
            .await
        }
    };
    check(
        &login("Segura123?").await,
        401,
        json!({"error": "bad credentials"}),
    );
    let stored = app.store().user(user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some(django_hash));
    assert_eq!(login(PASSWORD).await.status, StatusCode::OK);
    let stored = app.store().user(user.id).await.unwrap().unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    assert_eq!(login(PASSWORD).await.status, StatusCode::OK);
    check(
        &login("Segura123?").await,
        401,
        json!({"error": "bad credentials"}),
    );
}

/// Issue "no ordinary account can exhaust the server", item 13: a name with control, bidi or
/// zero-width characters could impersonate another player in chat and lobbies.
#[tokio::test]
async fn usernames_with_control_bidi_or_invisible_characters_are_refused() {
    let app = TestApp::new().await;
    for name in [
        "ma\u{200B}rio", // zero-width space
        "ma\u{200D}rio", // zero-width joiner
        "\u{202E}oiram", // right-to-left override
        "mario\u{2066}", // left-to-right isolate
        "ma\u{200F}rio", // right-to-left mark
        "\u{FEFF}mario", // byte order mark
        "ma\u{00AD}rio", // soft hyphen
        "ma\u{0007}rio", // bell
        "ma\nrio",       // line feed
        "ma\u{2028}rio", // line separator
        "ma\u{E000}rio", // private use
    ] {
        let response = app
            .post(
                "/auth/register/",
                None,
                register_body(name, PASSWORD, PASSWORD),
            )
            .await;
        check(
            &response,
            400,
            json!({"username": [
                "El nombre de usuario no puede contener caracteres de control ni invisibles."
            ]}),
        );
    }
    assert_eq!(app.user_count().await, 0);
}

/// Item 13: compatibility look-alikes (full-width letters, ligatures, mathematical letters) are
/// folded with NFKC before the uniqueness check, and login finds the account under either form.
#[tokio::test]
async fn usernames_are_nfkc_normalized_before_the_uniqueness_check() {
    let app = TestApp::new().await;
    app.register("mario").await;
    for look_alike in ["ｍａｒｉｏ", "𝐦𝐚𝐫𝐢𝐨", "mario\u{3000}"] {
        let response = app
            .post(
                "/auth/register/",
                None,
                register_body(look_alike, PASSWORD, PASSWORD),
            )
            .await;
        check(
            &response,
            400,
            json!({"username": ["Ya existe usuario con este username."]}),
        );
    }
    // The stored name is the normalized one; the case rule is unchanged (case-sensitive).
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("ﬁgaro", PASSWORD, PASSWORD),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.json()["user"]["username"], "figaro");
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body("ＭＡＲＩＯ", PASSWORD, PASSWORD),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    assert_eq!(response.json()["user"]["username"], "MARIO");
    for typed in ["figaro", "ｆｉｇａｒｏ", "ﬁgaro"] {
        let response = app
            .post(
                "/auth/login/",
                None,
                json!({"username": typed, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{typed}");
        assert_eq!(response.json()["user"]["username"], "figaro");
    }
    // The length limit applies to the normalized name: U+FDFA expands to 18 characters.
    let response = app
        .post(
            "/auth/register/",
            None,
            register_body(&format!("{}\u{FDFA}", "a".repeat(30)), PASSWORD, PASSWORD),
        )
        .await;
    check(
        &response,
        400,
        json!({"username": ["Asegúrese de que este campo no tenga más de 40 caracteres."]}),
    );
}

/// Item 13: an account stored before names were normalized can still log in with its name.
#[tokio::test]
async fn an_account_stored_with_an_unnormalized_name_can_still_log_in() {
    let app = TestApp::new().await;
    app.store()
        .create_user(magnate_server::store::NewUser {
            username: "ｏｌｄ".into(),
            password_hash: Some(magnate_server::auth::Passwords::insecure_fast().hash(PASSWORD)),
            bot_level: None,
            date_joined: app.clock.now(),
        })
        .await
        .unwrap();
    let response = app
        .post(
            "/auth/login/",
            None,
            json!({"username": "ｏｌｄ", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["user"]["username"], "ｏｌｄ");
}

/// Item 8: private rooms name their bots `Bot_<code>_<n>`; a human who takes such a name blocks
/// that room's bot games (or impersonates a bot), so the whole `Bot_` namespace is reserved, in
/// any case and in any compatibility form.
#[tokio::test]
async fn bot_style_usernames_are_reserved() {
    let app = TestApp::new().await;
    for name in [
        "Bot_ABC123_1",
        "bot_abc123_2",
        "BOT_X_1_2",
        "Bot_",
        "ＢＯＴ＿room_1",
    ] {
        let response = app
            .post(
                "/auth/register/",
                None,
                register_body(name, PASSWORD, PASSWORD),
            )
            .await;
        check(
            &response,
            400,
            json!({"username": ["Los nombres que empiezan por \"Bot_\" están reservados para los bots."]}),
        );
    }
    assert_eq!(app.user_count().await, 0);
    // Names that merely contain the word are fine.
    for name in ["Bot", "Botella", "robot_1", "my_Bot_1"] {
        app.register(name).await;
    }
}
