// The page's router: `#/…` routes to views; every view gets a fresh access token first.

import { session, setSession, refresh } from "./api.js";
import { h, notify } from "./ui.js";
import { showLogin, showRegister } from "./account.js";
import { showHome, showRoom } from "./lobby.js";
import { showGame, leaveGame } from "./game.js";
import { showReplay } from "./replay.js";
import { showProfile, showShop } from "./profile.js";

function renderNav() {
  const nav = document.getElementById("nav");
  const current = session();
  if (!current) {
    nav.replaceChildren(h("a", { href: "#/login" }, "Log in"), h("a", { href: "#/register" }, "Register"));
    return;
  }
  nav.replaceChildren(
    h("a", { href: "#/" }, "Play"),
    h("a", { href: "#/profile" }, "Profile"),
    h("a", { href: "#/shop" }, "Shop"),
    h("span", { class: "who", "data-testid": "whoami" }, current.user.username),
    h("button", { class: "link", onclick: logOut }, "Log out"),
  );
}

function logOut() {
  leaveGame();
  setSession(null);
  location.hash = "#/login";
}

/** Closes whatever the previous view held open (sockets, timers). */
let cleanup = () => {};

async function route() {
  cleanup();
  cleanup = () => {};
  renderNav();
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("/").filter(Boolean);
  if (!session()) {
    if (parts[0] === "register") return showRegister();
    return showLogin();
  }
  try {
    switch (parts[0]) {
      case "login":
      case "register":
        location.hash = "#/";
        return;
      case "room":
        cleanup = await showRoom(parts[1]);
        return;
      case "game":
        cleanup = await showGame(Number(parts[1]));
        return;
      case "replay":
        cleanup = await showReplay(Number(parts[1]));
        return;
      case "profile":
        return await showProfile();
      case "shop":
        return await showShop();
      default:
        cleanup = await showHome();
    }
  } catch (error) {
    notify(error.message || String(error));
    if (!session()) location.hash = "#/login";
  }
}

async function start() {
  // A reload keeps the user logged in: the refresh token gives a fresh pair before anything
  // else (and before any socket) is opened.
  if (session()) {
    try {
      await refresh();
    } catch (error) {
      if (error.status !== 401) notify(error.message);
    }
  }
  window.addEventListener("hashchange", route);
  await route();
}

start();
