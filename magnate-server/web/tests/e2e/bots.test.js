// Tests 1 and 4: a new user plays a whole private-room game against three bots only by
// clicking, sees the end screen, then replays the game step by step.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, register, logIn, shot, clickFirst } from "./support.js";

let server;
let browser;
let page;
let gameUrl;
let endWorth;

before(async () => {
  server = await startServer({ BOT_DELAY_MS: "40" });
  browser = await startBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Reads the end screen's final worth: username → text. */
async function finalWorth(selector) {
  return page.$$eval(`${selector} [data-worth]`, (cells) =>
    Object.fromEntries(cells.map((cell) => [cell.dataset.worth, cell.textContent])));
}

test("a new user plays a private game against three bots by clicking until the end screen", { timeout: 300_000 }, async () => {
  // The server's refusals are shown in words: a password it finds too weak...
  await page.goto(`${server.url}/#/register`);
  await page.fill("#reg-username", "weakling");
  await page.fill("#reg-password", "12345678");
  await page.fill("#reg-password2", "12345678");
  await page.click("button[type=submit]");
  await page.waitForSelector("#toast:not([hidden])");
  assert.match(await page.textContent("#toast"), /password: .*(común|numérica)/);
  await shot(page, "01-register-refused");
  const user = await register(page, server.url, "solo");
  // Log out and in again through the form (a wrong password first).
  await page.click("text=Log out");
  await page.waitForSelector("#login-username");
  await page.fill("#login-username", user.username);
  await page.fill("#login-password", "not-the-password");
  await page.click("button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#toast")?.textContent === "Wrong user name or password.");
  await logIn(page, server.url, user);
  // A reload keeps the user logged in (the refresh token is traded for a fresh pair).
  await page.reload();
  await page.waitForSelector("[data-testid=whoami]");
  assert.equal(await page.textContent("[data-testid=whoami]"), user.username);
  await shot(page, "01-home");

  await page.click("#room-create");
  await page.waitForSelector("#room-code-shown");
  await page.waitForSelector("#room-members li");
  await page.selectOption("#room-seats", "4");
  await page.selectOption("#room-bot-level", "easy");
  await page.fill("#room-max-turns", "30");
  await page.click("form.settings button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#room-chat")?.textContent.includes("turn limit 30"));
  await page.fill("#room-chat-text", "good luck, bots");
  await page.press("#room-chat-text", "Enter");
  await page.waitForSelector("#room-chat li.chat-line");
  await page.click("#room-ready");
  await page.waitForFunction(() => document.querySelector("#room-members")?.textContent.includes("— ready"));
  await shot(page, "01-room");
  await page.click("#room-start");
  await page.waitForSelector("svg.board .piece");
  gameUrl = page.url();
  await shot(page, "01-game-start");

  const done = new Map();
  let mortgaged = false;
  const deadline = Date.now() + 240_000;
  while (!(await page.locator("#end").isVisible())) {
    if (Date.now() > deadline) {
      await shot(page, "01-stuck");
      assert.fail(`the game did not end in time; controls: ${await page.textContent("#controls")}`);
    }
    // Mortgage one property once, then lift it again when money allows.
    if (!mortgaged && (await clickFirst(page, ["[data-action=mortgage]"]))) {
      mortgaged = true;
      done.set("mortgage", true);
      await shot(page, "01-mortgaged");
      await page.waitForTimeout(150);
      continue;
    }
    const bid = page.locator("#bid-amount");
    if ((await bid.count()) && (await bid.isVisible())) {
      await bid.fill("20");
      await page.click("[data-action=bid]");
      done.set("bid", true);
      await page.waitForTimeout(150);
      continue;
    }
    const clicked = await clickFirst(page, [
      "[data-action=buy]",
      "[data-action=build]",
      "[data-action=throw]",
      "[data-action=card-revealed]",
      "[data-action=bail]",
      "[data-action=tram]",
      "[data-action=trade-reject]",
      "[data-action=next-phase]",
      // Negative money: raise it, or give up (the game goes on without us).
      "[data-action=mortgage]",
      "[data-action=demolish]",
      "[data-action=trade-accept]",
    ]);
    if (clicked) {
      done.set(clicked.replace(/.*=(.*)\]/, "$1"), true);
    } else {
      const choice = page.locator("svg.board .square.choice").first();
      if ((await choice.count()) && (await choice.isVisible())) {
        await choice.click();
        done.set("move", true);
      } else if (/raise money.*up to you/.test(await page.textContent("#phase-line")) && (await clickFirst(page, ["[data-action=surrender]"]))) {
        await page.click("dialog.confirm button.danger");
        done.set("surrender", true);
      }
    }
    if (done.get("buy") && !done.get("shot-buy")) {
      done.set("shot-buy", true);
      await page.waitForTimeout(200);
      await shot(page, "01-bought");
    }
    await page.waitForTimeout(120);
  }
  await page.waitForSelector("#final-worth [data-worth]");
  await shot(page, "01-end");
  assert.ok(done.get("throw"), "threw the dice");
  assert.ok(done.get("buy"), "bought a square");
  assert.ok(done.get("next-phase"), "ended a phase");
  assert.ok(done.get("mortgage"), "mortgaged a property");
  assert.ok(done.get("bid"), "bid in an auction a bot started");
  console.log("actions clicked:", [...done.keys()].join(", "));
  const winner = await page.textContent("#winner");
  assert.match(winner, /Winner: \S+/);
  endWorth = await finalWorth("#final-worth");
  assert.equal(Object.keys(endWorth).length, 4, "four players in the final worth");
});

test("the replay of the finished game steps forward and back and ends on the same worth", { timeout: 60_000 }, async () => {
  assert.ok(endWorth, "the game of the first test ended");
  await page.click("text=Watch the replay");
  await page.waitForSelector("#replay-slider");
  const total = Number(await page.getAttribute("#replay-slider", "max"));
  assert.ok(total > 10, `a whole game has many steps (${total})`);
  assert.match(await page.textContent("#replay-step"), /^Step 0 of/);
  await page.click("#replay-forward");
  await page.click("#replay-forward");
  await page.click("#replay-forward");
  assert.match(await page.textContent("#replay-step"), /^Step 3 of/);
  await page.click("#replay-back");
  assert.match(await page.textContent("#replay-step"), /^Step 2 of/);
  await page.focus("#replay-slider");
  await page.$eval("#replay-slider", (slider, value) => {
    slider.value = value;
    slider.dispatchEvent(new Event("input"));
  }, Math.floor(total / 2));
  assert.match(await page.textContent("#replay-step"), new RegExp(`^Step ${Math.floor(total / 2)} of`));
  await shot(page, "04-replay-middle");
  await page.click("#replay-last");
  assert.match(await page.textContent("#replay-step"), new RegExp(`^Step ${total} of ${total}`));
  await shot(page, "04-replay-end");
  const replayWorth = await finalWorth("#replay-players");
  assert.deepEqual(replayWorth, endWorth);
  // Back to the game: the finished game still shows its end screen.
  await page.goto(gameUrl);
  await page.waitForSelector("#final-worth [data-worth]");
  assert.deepEqual(await finalWorth("#final-worth"), endWorth);
  // The profile lists the game with its summary and a replay link; the shop lists its items.
  await page.click("nav >> text=Profile");
  await page.waitForSelector("table.games a[href^='#/replay/']");
  await shot(page, "04-profile");
  await page.click("nav >> text=Shop");
  await page.waitForSelector("ul.shop li");
  assert.equal(await page.locator("ul.shop li").count(), 6);
  await shot(page, "04-shop");
});

test("a player who surrenders (after confirming) keeps watching the bots to the end", { timeout: 120_000 }, async () => {
  await page.goto(`${server.url}/#/`);
  await page.click("#room-create");
  await page.waitForSelector("#room-members li");
  await page.selectOption("#room-seats", "3");
  await page.fill("#room-max-turns", "8");
  await page.click("form.settings button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#room-chat")?.textContent.includes("turn limit 8"));
  await page.click("#room-ready");
  await page.waitForFunction(() => document.querySelector("#room-members")?.textContent.includes("— ready"));
  await page.click("#room-start");
  await page.waitForSelector("[data-action=surrender]");
  // Cancelling the confirmation changes nothing.
  await page.click("[data-action=surrender]");
  await page.click("dialog.confirm >> text=Cancel");
  assert.equal(await page.locator("[data-action=surrender]").isVisible(), true);
  await page.click("[data-action=surrender]");
  await shot(page, "05-surrender-confirm");
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector("text=You are out of this game");
  const logLength = await page.locator("#log li").count();
  // The bots play on, and the watcher sees their moves, then the end screen.
  await page.waitForFunction((count) => document.querySelectorAll("#log li").length > count + 3, logLength);
  await shot(page, "05-watching");
  await page.waitForSelector("#final-worth [data-worth]", { timeout: 90_000 });
  assert.match(await page.textContent("#final-worth"), /₥0/);
  await shot(page, "05-watched-end");
});
