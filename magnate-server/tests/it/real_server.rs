//! The server on a real loopback socket with a real HTTP client.

use std::net::SocketAddr;

use magnate_server::{auth::Passwords, AppState, Clock, Config, Store};
use serde_json::{json, Value};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::support::PASSWORD;

struct RunningServer {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    async fn start(store: Store) -> Self {
        let state = AppState::new(
            Config::default(),
            store,
            None,
            Clock::system(),
            Passwords::insecure_fast(),
        )
        .await
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(magnate_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Self {
            address,
            stop: Some(stop),
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    async fn shut_down(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn register(client: &reqwest::Client, server: &RunningServer, name: &str) -> Value {
    let response = client
        .post(server.url("/auth/register/"))
        .json(&json!({"username": name, "password": PASSWORD, "password2": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn register_login_and_profile_over_http() {
    let server = RunningServer::start(crate::backend::test_store().await).await;
    let client = client();
    let registered = register(&client, &server, "mario").await;
    assert_eq!(registered["message"], "correctly registered user");
    let login: Value = client
        .post(server.url("/auth/login/"))
        .json(&json!({"username": "mario", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["message"], "succesful login");
    let access = login["tokens"]["access"].as_str().unwrap();
    let response = client
        .get(server.url("/user/info/"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile, registered["user"]);
    server.shut_down().await;
}

#[tokio::test]
async fn redirects_cors_and_errors_over_http() {
    let server = RunningServer::start(crate::backend::test_store().await).await;
    let client = client();
    let response = client
        .post(server.url("/auth/register"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 308);
    assert_eq!(response.headers()["location"], "/auth/register/");

    let response = client
        .request(reqwest::Method::OPTIONS, server.url("/auth/login/"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );

    let response = client
        .post(server.url("/auth/login/"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .starts_with("JSON parse error - "));

    let response = client
        .post(server.url("/auth/login/"))
        .header("content-type", "application/json")
        .body(vec![b' '; 200 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"detail": "El cuerpo de la solicitud es demasiado grande."})
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_double_buy_over_http_succeeds_once() {
    let store = crate::backend::test_store().await;
    let server = RunningServer::start(store.clone()).await;
    let client = client();
    let registered = register(&client, &server, "mario").await;
    let id = registered["user"]["pk"].as_i64().unwrap();
    store.grant_points(id, 1000).await.unwrap();
    let access = registered["tokens"]["access"].as_str().unwrap().to_owned();
    let buys: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            let url = server.url("/shop/buy/");
            let access = access.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(access)
                    .json(&json!({"custom_id": 4}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for buy in buys {
        statuses.push(buy.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|status| **status == 400).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(store.user(id).await.unwrap().unwrap().points, 0);
    server.shut_down().await;
}

#[tokio::test]
async fn tokens_stay_valid_after_a_restart_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = crate::backend::test_database(dir.path()).await;
    let server = RunningServer::start(Store::open_database(&database).await.unwrap()).await;
    let client = client();
    let registered = register(&client, &server, "mario").await;
    server.shut_down().await;

    let server = RunningServer::start(Store::open_database(&database).await.unwrap()).await;
    let access = registered["tokens"]["access"].as_str().unwrap();
    let response = client
        .get(server.url("/user/info/"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["username"], "mario");
    server.shut_down().await;
}

#[tokio::test]
async fn refresh_rotation_and_game_summary_over_http() {
    use magnate_server::{
        config::Rewards,
        store::{GameResult, NewGame},
    };
    let store = crate::backend::test_store().await;
    let server = RunningServer::start(store.clone()).await;
    let client = client();
    let alice = register(&client, &server, "alice").await;
    let bob = register(&client, &server, "bob").await;
    let refresh = alice["tokens"]["refresh"].as_str().unwrap();
    let rotated: Value = client
        .post(server.url("/auth/refresh/"))
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = rotated["access"].as_str().unwrap().to_owned();
    assert_ne!(rotated["refresh"].as_str().unwrap(), refresh);

    let alice_id = alice["user"]["pk"].as_i64().unwrap();
    let bob_id = bob["user"]["pk"].as_i64().unwrap();
    let started = chrono::Utc::now();
    let game = store
        .create_game(NewGame {
            created_at: started,
            players: vec![alice_id, bob_id],
            is_private: false,
        })
        .await
        .unwrap();
    store.eliminate_player(game, bob_id).await.unwrap();
    store
        .finish_game(
            GameResult {
                game_id: game,
                ended_at: started + chrono::Duration::minutes(5),
                winner: Some(alice_id),
                survivors: vec![(alice_id, 1800)],
            },
            Rewards::default(),
        )
        .await
        .unwrap();

    let games: Value = client
        .get(server.url("/user/games-played/"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(games, json!({"games": [game]}));
    let summary: Value = client
        .get(server.url(&format!("/game/summary/{game}/")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["final_money"], json!({"alice": 1800, "bob": 0}));
    let profile: Value = client
        .get(server.url("/user/info/"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            profile["num_played_games"].as_i64(),
            profile["num_won_games"].as_i64()
        ),
        (Some(1), Some(1))
    );
    server.shut_down().await;
}
