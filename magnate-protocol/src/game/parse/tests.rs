//! Tests of the client-frame parser.

use super::*;
use serde_json::json;

/// Game 1's relationship ids (101–155) overlap the tile ids 100–113: the reading whose square
/// the proposer (offer) or the recipient (ask) holds wins.
#[test]
fn in_game_one_a_trade_number_means_the_square_its_owner_holds() {
    use magnate_core::{HouseRules, Phase, PlayerSpec, Seed, Setup, TimerSettings, Timestamp};
    let (alice, bob) = (PlayerId(7), PlayerId(9));
    let setup = Setup {
        players: [alice, bob]
            .map(|id| PlayerSpec { id, is_bot: false })
            .to_vec(),
        rules: HouseRules::default(),
        timers: TimerSettings::default(),
    };
    let mut game = Game::new(setup, Seed(1), Timestamp(0)).unwrap();
    // Relationship 101 of game 1 is square 1; tile 101 is another square.
    assert_eq!(relationship_square(1, 101), Some(SquareId(1)));
    game.edit()
        .turn_order(&[alice, bob])
        .phase(Phase::Business, alice)
        .own(SquareId(101), alice, -1, false)
        .own(SquareId(1), bob, -1, false);
    let trade = |offered: i64, asked: i64| WireAction::Trade {
        destination_user: bob,
        offered_money: 0,
        asked_money: 0,
        offered_properties: vec![offered],
        asked_properties: vec![asked],
    };
    // The desktop client's tile ids: alice offers tile 101 (hers), asks tile 1 (bob's).
    let Ok(Action::TradeProposal {
        offered_properties,
        asked_properties,
        ..
    }) = trade(101, 1).resolve(1, &game)
    else {
        panic!("refused");
    };
    assert_eq!(offered_properties, [SquareId(101)]);
    assert_eq!(asked_properties, [SquareId(1)]);
    // The reference's relationship ids: 101 asked of bob is his square 1.
    let Ok(Action::TradeProposal {
        asked_properties, ..
    }) = trade(101, 101).resolve(1, &game)
    else {
        panic!("refused");
    };
    assert_eq!(asked_properties, [SquareId(1)]);
}

#[track_caller]
fn error_of(text: &str) -> String {
    match parse_frame(text) {
        Err(error) => error.message,
        Ok(frame) => panic!("{text} was accepted as {frame:?}"),
    }
}

#[test]
fn an_oversized_action_is_echoed_with_its_own_keys_only() {
    let padded = format!(
        r#"{{"type":"ActionBuySquare","square":6,"game":1,"client_seq":3,"pad":"{}"}}"#,
        "x".repeat(10_000)
    );
    let Ok(ClientFrame::Action { echo, .. }) = parse_frame(&padded) else {
        panic!("refused");
    };
    let keys: Vec<&str> = echo.keys().map(String::as_str).collect();
    assert_eq!(keys, ["game", "square", "type"]);
    // A small object keeps its extra keys, as the reference echoed them.
    let small = r#"{"type":"ActionBuySquare","square":6,"client_seq":3}"#;
    let Ok(ClientFrame::Action { echo, .. }) = parse_frame(small) else {
        panic!("refused");
    };
    assert_eq!(echo["client_seq"], 3);
}

#[test]
fn each_refusal_has_its_code() {
    let code_of = |text: &str| parse_frame(text).unwrap_err().code;
    let large = format!(r#"{{"type":"ChatMessage","msg":"{}"}}"#, "a".repeat(70_000));
    assert_eq!(code_of(&large), code::TOO_LARGE);
    assert_eq!(code_of("[1]"), code::MALFORMED_JSON);
    assert_eq!(code_of("{}"), code::INVALID_DATA);
    assert_eq!(code_of(r#"{"type":"ActionBuySquare"}"#), code::INVALID_DATA);
    assert_eq!(code_of(r#"{"type":"ActionFly"}"#), code::UNKNOWN_ACTION);
    assert_eq!(
        code_of(r#"{"type":"ChatMessage","msg":7}"#),
        code::INVALID_CHAT
    );
}

#[test]
fn frames_that_are_not_objects_are_malformed() {
    for text in ["not json", "[1,2]", "\"x\"", "3", "null", "{"] {
        assert_eq!(error_of(text), MALFORMED_JSON, "{text}");
    }
    let large = format!(r#"{{"type":"ChatMessage","msg":"{}"}}"#, "a".repeat(70_000));
    assert_eq!(error_of(&large), MESSAGE_TOO_LARGE);
}

#[test]
fn missing_and_unknown_types_name_the_type_field() {
    assert_eq!(
        error_of("{}"),
        r#"Invalid data: {"type":["This field is required to identify the action."]}"#
    );
    let unknown = error_of(r#"{"type":"Nope"}"#);
    assert!(
        unknown.starts_with(r#"Invalid data: {"type":["Invalid action type 'Nope'. Valid options are: ['ActionThrowDices', "#),
        "{unknown}"
    );
}

#[test]
fn field_errors_use_the_reference_messages() {
    assert_eq!(
        error_of(r#"{"type":"ActionBuySquare"}"#),
        r#"Invalid data: {"square":["Este campo es requerido."]}"#
    );
    assert_eq!(
        error_of(r#"{"type":"ActionBuySquare","square":77}"#),
        r#"Invalid data: {"square":["Objeto con custom_id=77 no existe."]}"#
    );
    assert_eq!(
        error_of(r#"{"type":"ActionBuySquare","square":"abc"}"#),
        r#"Invalid data: {"square":["Valor inválido."]}"#
    );
    assert_eq!(
        error_of(r#"{"type":"ActionBid","amount":-5}"#),
        r#"Invalid data: {"amount":["Asegúrese de que este valor es mayor o igual a 0."]}"#
    );
    assert_eq!(
        error_of(r#"{"type":"ActionBid","amount":"x"}"#),
        r#"Invalid data: {"amount":["Introduzca un número entero válido."]}"#
    );
    assert_eq!(
        error_of(r#"{"type":"ActionTradeAnswer","choose":"maybe"}"#),
        r#"Invalid data: {"choose":["Debe ser un booleano válido."]}"#
    );
    assert_eq!(
        error_of(r#"{"type":"ActionTradeProposal","destination_user":true}"#),
        r#"Invalid data: {"destination_user":["Tipo incorrecto. Se esperaba valor de clave primaria y se recibió bool."]}"#
    );
    assert_eq!(
        error_of(r#"{"type":"ActionTradeProposal","destination_user":2,"offered_properties":5}"#),
        r#"Invalid data: {"offered_properties":["Se esperaba una lista de elementos en vez del tipo \"int\"."]}"#
    );
}

#[test]
fn valid_frames_keep_the_echo_and_lenient_values() {
    let frame = parse_frame(r#"{"type":"ActionBid","amount":"12","extra":1}"#).unwrap();
    let ClientFrame::Action { action, echo } = frame else {
        panic!("not an action");
    };
    assert_eq!(action, WireAction::Plain(Action::Bid { amount: 12 }));
    assert_eq!(echo["amount"], json!("12"));
    assert_eq!(echo["extra"], json!(1));
    assert_eq!(
        parse_frame(r#"{"type":"ActionDemolish","square":"8"}"#).unwrap(),
        ClientFrame::Action {
            action: WireAction::Plain(Action::Demolish {
                square: SquareId(8),
                houses: 0
            }),
            echo: serde_json::from_str(r#"{"type":"ActionDemolish","square":"8"}"#).unwrap(),
        }
    );
    let trade = parse_frame(
        r#"{"type":"ActionTradeProposal","destination_user":"9","offered_properties":[4203]}"#,
    )
    .unwrap();
    let ClientFrame::Action { action, .. } = trade else {
        panic!("not an action");
    };
    assert_eq!(
        action,
        WireAction::Trade {
            destination_user: PlayerId(9),
            offered_money: 0,
            asked_money: 0,
            offered_properties: vec![4203],
            asked_properties: vec![],
        }
    );
}

#[test]
fn chat_is_trimmed_limited_and_falsy_values_are_ignored() {
    assert_eq!(
        parse_frame(r#"{"type":"ChatMessage","msg":" hi "}"#).unwrap(),
        ClientFrame::Chat("hi".into())
    );
    for msg in [r#""""#, "null", "0", "false", "[]", "{}"] {
        let text = format!(r#"{{"type":"ChatMessage","msg":{msg}}}"#);
        assert_eq!(
            parse_frame(&text).unwrap(),
            ClientFrame::IgnoredChat,
            "{msg}"
        );
    }
    assert_eq!(
        parse_frame(r#"{"type":"ChatMessage"}"#).unwrap(),
        ClientFrame::IgnoredChat
    );
    let long = format!(r#"{{"type":"ChatMessage","msg":"{}"}}"#, "é".repeat(501));
    assert_eq!(error_of(&long), BAD_CHAT);
    let exact = format!(r#"{{"type":"ChatMessage","msg":"{}"}}"#, "é".repeat(500));
    assert!(matches!(parse_frame(&exact), Ok(ClientFrame::Chat(_))));
    assert_eq!(error_of(r#"{"type":"ChatMessage","msg":5}"#), BAD_CHAT);
}

#[test]
fn the_reference_clients_spellings_are_understood() {
    // The web client answers trades with `accept`; `choose` wins when both are sent.
    let answer = |text: &str| match parse_frame(text).unwrap() {
        ClientFrame::Action {
            action: WireAction::Plain(action),
            ..
        } => action,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        answer(r#"{"type":"ActionTradeAnswer","accept":true,"game":3,"player":5}"#),
        Action::TradeAnswer { choose: true }
    );
    assert_eq!(
        answer(r#"{"type":"ActionTradeAnswer","choose":false,"accept":true}"#),
        Action::TradeAnswer { choose: false }
    );
    // The command-line client names the card choice `chosen_card`.
    assert_eq!(
        answer(r#"{"type":"ActionChooseCard","chosen_card":true}"#),
        Action::ChooseCard {
            chosen_revealed_card: true
        }
    );
    // GUI clients send tile ids, as integers or padded strings, in trade proposals.
    let ClientFrame::Action {
        action: WireAction::Trade {
            offered_properties,
            asked_properties,
            ..
        },
        ..
    } = parse_frame(
        r#"{"type":"ActionTradeProposal","destination_user":5,"offered_money":0,"asked_money":0,"offered_properties":["016"],"asked_properties":[11]}"#,
    )
    .unwrap()
    else {
        panic!("a trade")
    };
    assert_eq!((offered_properties, asked_properties), (vec![16], vec![11]));
}

#[test]
fn chat_objects_are_relayed_within_limits() {
    let web = r#"{"type":"ChatMessage","msg":{"type":"SendChatMessage","text":"hola web"}}"#;
    assert_eq!(
        parse_frame(web).unwrap(),
        ClientFrame::Chat(json!({"type": "SendChatMessage", "text": "hola web"}))
    );
    for msg in [
        r#"{"type":"SendChatMessage"}"#.to_owned(),
        r#"{"text":"   "}"#.to_owned(),
        r#"{"text":5}"#.to_owned(),
        format!(r#"{{"text":"{}"}}"#, "a".repeat(MAX_CHAT_CHARS + 1)),
        format!(
            r#"{{"text":"hi","pad":"{}"}}"#,
            "a".repeat(MAX_CHAT_OBJECT_BYTES)
        ),
    ] {
        let text = format!(r#"{{"type":"ChatMessage","msg":{msg}}}"#);
        assert_eq!(error_of(&text), BAD_CHAT, "{msg}");
    }
}

#[test]
fn errors_quote_at_most_a_few_characters_of_the_client_text() {
    let huge = "X".repeat(60_000);
    let message = error_of(&format!(r#"{{"type":"{huge}"}}"#));
    assert!(message.len() < 1_000, "{} bytes", message.len());
    assert!(message.contains(&format!("'{}…'", "X".repeat(MAX_QUOTED_CHARS))));
    let message = error_of(&format!(r#"{{"type":"ActionMoveTo","square":"{huge}"}}"#));
    assert!(message.len() < 1_000, "{} bytes", message.len());
}
