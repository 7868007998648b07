// The profile (piece, points, statistics, past games) and the shop.

import { api } from "./api.js";
import { h, mount, attempt, money, notify, pieceSymbol } from "./ui.js";

const ITEM_NAMES = { 1: "Round piece", 2: "Square piece", 3: "Triangle piece", 4: "Diamond piece", 5: "Emoji pack: faces", 6: "Emoji pack: party" };

export async function showProfile() {
  const [info, played, pieces] = await Promise.all([
    api("GET", "/user/info/"),
    api("GET", "/user/games-played/"),
    api("GET", "/shop/user-pieces/"),
  ]);
  const games = h("tbody", {});
  const recent = [...played.games].reverse().slice(0, 20);
  for (const id of recent) {
    const row = h("tr", {}, h("td", {}, `#${id}`), h("td", {}, "running or unavailable"), h("td", {}, h("a", { href: `#/game/${id}` }, "Open")));
    games.append(row);
    api("GET", `/game/summary/${id}/`).then((summary) => {
      const ranking = Object.entries(summary.final_money).sort((a, b) => b[1] - a[1]);
      row.replaceChildren(
        h("td", {}, `#${id}`),
        h("td", {}, `${summary.end_date.slice(0, 16).replace("T", " ")} · ${ranking.map(([user, worth]) => `${user} ${money(worth)}`).join(", ")}`),
        h("td", {}, h("a", { href: `#/replay/${id}` }, "Replay")),
      );
    }).catch(() => {});
  }
  const pieceSelect = h("select", { id: "piece-select", "aria-label": "Piece" }, pieces.map((item) => h("option", { value: item.custom_id }, `${pieceSymbol(item.custom_id)} ${ITEM_NAMES[item.custom_id]}`)));
  const change = h("button", { type: "submit" }, "Use this piece");
  const pieceForm = h("form", { class: "row" }, pieceSelect, change);
  pieceForm.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(change, async () => {
      await api("POST", "/user/change-piece/", { custom_id: Number(pieceSelect.value) });
      notify("Piece changed.", "ok");
      await showProfile();
    });
  });
  mount(
    h("h1", {}, info.username),
    h("section", { class: "card" },
      h("p", {}, "Piece: ", h("span", { class: "piece-big" }, pieceSymbol(info.user_piece)), ` ${ITEM_NAMES[info.user_piece] || ""}`),
      pieces.length ? pieceForm : h("p", { class: "hint" }, "Buy pieces in the shop to change yours."),
      h("dl", { class: "stats" },
        h("dt", {}, "Points"), h("dd", { id: "points" }, info.points),
        h("dt", {}, "Games played"), h("dd", {}, info.num_played_games),
        h("dt", {}, "Games won"), h("dd", {}, info.num_won_games),
        h("dt", {}, "Experience"), h("dd", {}, info.exp),
        h("dt", {}, "Rating"), h("dd", {}, info.elo),
        h("dt", {}, "Member since"), h("dd", {}, info.date_joined.slice(0, 10)))),
    h("section", { class: "card" }, h("h2", {}, "Past games"), recent.length ? h("table", { class: "games" }, games) : h("p", {}, "No games yet.")),
  );
}

export async function showShop() {
  const [items, info] = await Promise.all([api("GET", "/shop/items/"), api("GET", "/user/info/")]);
  const list = items.map((item) => {
    const buy = h("button", { disabled: item.owned, "data-item": item.custom_id }, item.owned ? "Owned" : `Buy for ${item.price} points`);
    buy.addEventListener("click", () =>
      attempt(buy, async () => {
        const answer = await api("POST", "/shop/buy/", { custom_id: item.custom_id });
        notify(`Bought. ${answer.points_remaining} points left.`, "ok");
        await showShop();
      }));
    return h("li", { class: "item" }, h("span", { class: "piece-big" }, item.itemType === "piece" ? pieceSymbol(item.custom_id) : "☺"), h("span", {}, ITEM_NAMES[item.custom_id] || `Item ${item.custom_id}`), buy);
  });
  mount(h("h1", {}, "Shop"), h("p", {}, `You have ${info.points} points. Points come from playing, when the server gives rewards.`), h("ul", { class: "shop" }, list));
}
