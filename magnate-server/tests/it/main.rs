//! Integration tests for magnate-server: REST conformance (docs/protocol.md C1–C34), bad input, the
//! store's end-of-game bookkeeping, and a few checks against a real listening server.

mod abandoned;
mod backend;
mod bad_input;
mod cluster;
mod cluster_support;
mod config;
mod contract;
mod exhaustion;
mod game_support;
mod handshake;
mod limits;
mod metrics;
mod openapi;
mod real_server;
mod recovery;
mod rest_auth;
mod rest_http;
mod rest_jwt;
mod rest_queue;
mod rest_shop;
mod rest_user;
mod sigkill;
mod startup;
mod store;
mod store_pg;
mod support;
mod throttles;
mod web_client;
mod ws_game;
mod ws_game_legal;
mod ws_game_phases;
mod ws_queue;
mod ws_room;
mod ws_room_defaults;
mod ws_support;
