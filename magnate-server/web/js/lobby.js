// Finding a game: the public queue and private rooms.

import { api, socketUrl, session } from "./api.js";
import { h, mount, notify, attempt } from "./ui.js";

const BOT_LEVELS = [
  ["very_easy", "Very easy"],
  ["easy", "Easy"],
  ["medium", "Medium"],
  ["hard", "Hard"],
  ["very_hard", "Very hard"],
  ["expert", "Expert"],
];

/** The home view: return to a running game, the public queue, private rooms. */
export async function showHome() {
  let queueSocket = null;
  const status = await api("GET", "/game/queue/").catch(() => ({ status: "idle" }));
  const queueState = h("p", { id: "queue-state", role: "status" });
  const cancel = h("button", { id: "queue-cancel", hidden: true, onclick: cancelQueue }, "Leave the queue");
  const join = h("button", { id: "queue-join", class: "primary", onclick: joinQueue }, "Find a public game");

  async function joinQueue() {
    await attempt(join, async () => {
      const socket = new WebSocket(await socketUrl("/ws/queue/public/"));
      queueSocket = socket;
      join.hidden = true;
      cancel.hidden = false;
      queueState.textContent = "Joining the queue…";
      socket.onmessage = (message) => {
        const frame = JSON.parse(message.data);
        if (frame.action === "queued") queueState.textContent = `Waiting for players: you are number ${frame.position} in the queue.`;
        else if (frame.action === "match_found") {
          queueState.textContent = "Match found!";
          queueSocket = null;
          socket.close();
          location.hash = `#/game/${frame.game_id}`;
        } else if (frame.action === "error") notify(frame.message);
      };
      socket.onclose = (event) => {
        if (queueSocket !== socket) return;
        queueSocket = null;
        join.hidden = false;
        cancel.hidden = true;
        queueState.textContent = event.code === 4000 ? "You left the queue." : "The queue connection closed.";
      };
    });
  }

  function cancelQueue() {
    if (queueSocket) queueSocket.send(JSON.stringify({ action: "cancel" }));
  }

  const code = h("input", { id: "room-code", name: "code", maxlength: 10, pattern: "[A-Za-z0-9_]{1,10}", placeholder: "ABC123", autocomplete: "off" });
  const joinRoom = h("button", { type: "submit" }, "Join room");
  const joinForm = h("form", { class: "row", "aria-label": "Join a private room" }, h("label", { for: "room-code" }, "Room code"), code, joinRoom);
  joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(joinRoom, async () => {
      const wanted = code.value.trim();
      if (!/^[A-Za-z0-9_]{1,10}$/.test(wanted)) throw new Error("A room code is 1–10 letters, digits or _.");
      const { exists } = await api("GET", `/lobby/check-code/${encodeURIComponent(wanted)}/`);
      if (!exists) throw new Error(`No room is open with the code ${wanted}.`);
      location.hash = `#/room/${wanted}`;
    });
  });
  const create = h("button", { id: "room-create", class: "primary" }, "Create a private room");
  create.addEventListener("click", () =>
    attempt(create, async () => {
      const { code: fresh } = await api("GET", "/lobby/get-private-code");
      location.hash = `#/room/${fresh}`;
    }),
  );

  mount(
    h("h1", {}, `Welcome, ${session().user.username}`),
    status.status === "matched"
      ? h("section", { class: "card" }, h("h2", {}, "Your game is still running"), h("a", { class: "button primary", href: `#/game/${status.game_id}` }, `Return to game ${status.game_id}`))
      : null,
    h("section", { class: "card" }, h("h2", {}, "Public game"), h("p", {}, "Play against other people: you are matched with the next players who join."), join, cancel, queueState),
    h("section", { class: "card" }, h("h2", {}, "Private room"), h("p", {}, "Create a room, share its code with friends, fill the empty seats with bots."), create, joinForm),
  );
  return () => {
    if (queueSocket) {
      const socket = queueSocket;
      queueSocket = null;
      socket.close();
    }
  };
}

/** A private room: members, settings, ready, start, chat. */
export async function showRoom(code) {
  const me = session().user.username;
  let room = { owner: "", players: [], bot_level: "medium", target_players: 1, max_turns: null };
  let leaving = false;
  const socket = new WebSocket(await socketUrl(`/ws/queue/private/${encodeURIComponent(code)}/`));
  const send = (frame) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(frame));

  const members = h("ul", { class: "members", id: "room-members" });
  const hostLine = h("p", { id: "room-host" });
  const level = h("select", { id: "room-bot-level" }, BOT_LEVELS.map(([value, label]) => h("option", { value }, label)));
  const seats = h("select", { id: "room-seats" }, [2, 3, 4].map((n) => h("option", { value: n }, `${n} players`)));
  const turns = h("input", { id: "room-max-turns", type: "number", min: 0, step: 1, placeholder: "none" });
  const apply = h("button", { type: "submit" }, "Apply settings");
  const settings = h(
    "form",
    { class: "settings", "aria-label": "Room settings" },
    h("label", { for: "room-bot-level" }, "Bot level"), level,
    h("label", { for: "room-seats" }, "Seats (people and bots)"), seats,
    h("label", { for: "room-max-turns" }, "Turn limit (0 = none)"), turns,
    apply,
  );
  settings.addEventListener("submit", (event) => {
    event.preventDefault();
    const frame = { command: "update_settings", bot_level: level.value, target_players: Number(seats.value) };
    if (turns.value !== "") frame.max_turns = Number(turns.value);
    send(frame);
  });
  const ready = h("button", { id: "room-ready", onclick: () => send({ command: "ready_status", is_ready: !isReady() }) }, "I am ready");
  const startButton = h("button", { id: "room-start", class: "primary", onclick: () => send({ command: "start_game" }) }, "Start the game");
  const chatLog = h("ol", { class: "chat", id: "room-chat", "aria-live": "polite" });
  const chatText = h("input", { id: "room-chat-text", maxlength: 500, "aria-label": "Chat message", autocomplete: "off" });
  const chatForm = h("form", { class: "row" }, chatText, h("button", { type: "submit" }, "Send"));
  chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (chatText.value.trim()) send({ command: "chat_message", message: chatText.value });
    chatText.value = "";
  });

  function isReady() {
    return room.players.some((p) => p.username === me && p.ready_to_play);
  }

  function render() {
    const host = room.owner === me;
    hostLine.textContent = host ? "You are the host." : `Host: ${room.owner}`;
    members.replaceChildren(
      ...room.players.map((p) =>
        h("li", {}, p.username, p.username === room.owner ? " (host)" : "", " — ", p.ready_to_play ? "ready" : "not ready",
          host && p.username !== me
            ? h("button", { class: "small", "aria-label": `Remove ${p.username} from the room`, onclick: () => send({ command: "kick_player", user: p.username }) }, "Remove")
            : null),
      ),
    );
    level.value = room.bot_level;
    seats.value = String(Math.max(2, room.target_players));
    if (document.activeElement !== turns) turns.value = room.max_turns ?? "";
    for (const control of [level, seats, turns, apply]) control.disabled = !host;
    startButton.hidden = !host;
    ready.textContent = isReady() ? "Not ready" : "I am ready";
    ready.setAttribute("aria-pressed", String(isReady()));
  }

  socket.onmessage = (message) => {
    const frame = JSON.parse(message.data);
    if (frame.error) {
      notify(frame.error);
      return;
    }
    switch (frame.action) {
      case "room_created":
        break;
      case "joined":
      case "player_left":
        room = { ...room, ...frame };
        if (frame.action === "player_left") addLine(`${frame.user_left} left the room.`);
        else addLine(`${frame.user} joined the room.`);
        break;
      case "ready_status":
        room.players = room.players.map((p) => (p.username === frame.user ? { ...p, ready_to_play: frame.is_ready } : p));
        room.owner = frame.owner;
        break;
      case "settings_changed":
        room = { ...room, bot_level: frame.bot_level, target_players: frame.target_players, max_turns: frame.max_turns };
        addLine(`Settings: ${frame.target_players} players, bots ${frame.bot_level.replace("_", " ")}, turn limit ${frame.max_turns ?? "none"}.`);
        break;
      case "chat_message":
        addLine(`${frame.user}: ${frame.message}`, "chat-line");
        break;
      case "game_start":
        leaving = true;
        socket.close();
        location.hash = `#/game/${frame.game_id}`;
        return;
      case "error":
        notify(frame.message);
        break;
    }
    render();
  };
  socket.onclose = (event) => {
    if (leaving) return;
    if (event.code === 1000) notify("You joined another room, or the host removed you.");
    else if (event.code !== 4003) notify("The room connection closed.");
    location.hash = "#/";
  };

  function addLine(text, kind = "notice") {
    chatLog.append(h("li", { class: kind }, text));
    while (chatLog.children.length > 200) chatLog.firstChild.remove();
    chatLog.scrollTop = chatLog.scrollHeight;
  }

  mount(
    h("h1", {}, "Private room"),
    h("section", { class: "card" },
      h("p", { class: "code-line" }, "Share this code: ", h("strong", { id: "room-code-shown", class: "code" }, code)),
      hostLine, members, settings, h("div", { class: "row" }, ready, startButton)),
    h("section", { class: "card" }, h("h2", {}, "Chat"), chatLog, chatForm),
  );
  render();
  return () => {
    leaving = true;
    socket.close();
  };
}
