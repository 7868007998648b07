// Tests 2 and 3: two people matched through the public queue play several turns, with an
// auction (one declines, the other bids) and a property trade proposed and accepted; each sees
// the other's moves. Then a reload mid-game and a server restart restore the same board, and
// chat goes across; last, a private room joined by its code.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, register, shot, clickFirst } from "./support.js";

let server;
let alice;
let bob;
let gameUrl;

before(async () => {
  server = await startServer({ AUCTION_DURATION: "20" });
  alice = await startBrowser();
  bob = await startBrowser({ width: 390, height: 844 });
});

after(async () => {
  await alice?.close();
  await bob?.close();
  await server?.stop();
});

/** What the board shows: owners, buildings and mortgages of each square, and the pieces. */
function boardPicture(page) {
  return page.$eval("svg.board", (svg) => ({
    squares: [...svg.querySelectorAll(".square")].map((square) => square.querySelector("title").textContent),
    pieces: [...svg.querySelectorAll(".piece")].map((piece) => `${piece.dataset.player}@${piece.querySelector("circle").getAttribute("cx")},${piece.querySelector("circle").getAttribute("cy")}`).sort(),
    money: [...document.querySelectorAll("[data-money]")].map((cell) => cell.textContent),
  }));
}

async function logText(page) {
  return page.textContent("#log");
}

test("two people matched in the public queue play with an auction and an accepted trade", { timeout: 300_000 }, async () => {
  const a = alice.page;
  const b = bob.page;
  await register(a, server.url, "alice");
  await register(b, server.url, "bob");
  await a.click("#queue-join");
  await a.waitForFunction(() => document.querySelector("#queue-state")?.textContent.includes("number 1"));
  await shot(a, "02-queue-waiting");
  await b.click("#queue-join");
  await a.waitForSelector("svg.board .piece");
  await b.waitForSelector("svg.board .piece");
  assert.equal(a.url(), b.url(), "both are in the same game");
  gameUrl = a.url();
  await shot(a, "02-game-alice");
  await shot(b, "02-game-bob-phone");

  const goals = { declined: null, bid: false, proposed: false, accepted: false, turns: 0 };
  const deadline = Date.now() + 240_000;
  while (!(goals.accepted && goals.bid && goals.turns >= 6)) {
    assert.ok(Date.now() < deadline, `not done in time: ${JSON.stringify(goals)}`);
    if (await a.locator("#end").isVisible()) break;
    let acted = false;
    for (const page of [a, b]) {
      const actor = page === a ? "alice" : "bob";
      const bid = page.locator("#bid-amount");
      if ((await bid.count()) && (await bid.isVisible())) {
        await bid.fill("15");
        await page.click("[data-action=bid]");
        goals.bid = true;
        acted = true;
        await shot(page, "02-after-bid");
        continue;
      }
      if (await clickFirst(page, ["[data-action=trade-accept]"])) {
        goals.accepted = true;
        acted = true;
        continue;
      }
      if (!goals.declined && (await clickFirst(page, ["[data-action=decline]"]))) {
        goals.declined = actor;
        acted = true;
        continue;
      }
      if (await clickFirst(page, ["[data-action=buy]"])) {
        acted = true;
        continue;
      }
      // Propose a trade once the other player owns something: ask for it, offer money.
      const ask = page.locator(".trade input[data-side=ask]");
      if (!goals.proposed && goals.bid && (await ask.count())) {
        await page.click(".trade-box summary");
        await ask.first().check();
        await page.fill("#trade-offer-money", "30");
        await shot(page, "02-trade-compose");
        await page.click("[data-action=trade-propose]");
        goals.proposed = actor;
        acted = true;
        continue;
      }
      const clicked = await clickFirst(page, [
        "[data-action=throw]",
        "[data-action=card-revealed]",
        "[data-action=bail]",
        "[data-action=tram]",
        "[data-action=next-phase]",
      ]);
      if (clicked === "[data-action=throw]") goals.turns += 1;
      if (clicked) acted = true;
      else {
        const choice = page.locator("svg.board .square.choice").first();
        if ((await choice.count()) && (await choice.isVisible())) {
          // Bob picks destinations with the keyboard: the offered squares are focusable.
          if (page === b) {
            await choice.focus();
            await page.keyboard.press("Enter");
            goals.keyboard = true;
          } else await choice.click();
          acted = true;
        }
      }
    }
    await a.waitForTimeout(acted ? 150 : 300);
  }
  await a.waitForTimeout(500);
  await shot(a, "02-after-trade-alice");
  await shot(b, "02-after-trade-bob-phone");
  assert.ok(goals.declined, "someone declined a purchase");
  assert.ok(goals.bid, "the other bid in the auction");
  assert.ok(goals.accepted, "a trade was accepted");
  // Each sees the other's moves, in words.
  const [logA, logB] = [await logText(a), await logText(b)];
  assert.match(logA, /declined .*: it goes to auction/);
  assert.match(logB, /declined .*: it goes to auction/);
  assert.match(logA, /won the auction for/);
  assert.match(logB, /won the auction for/);
  assert.match(logA, /accepted the trade/);
  assert.match(logB, /accepted the trade/);
  assert.match(logA, /bob\d+ threw/);
  assert.match(logB, /alice\d+ threw/);
  // Both boards agree.
  assert.deepEqual((await boardPicture(a)).squares, (await boardPicture(b)).squares);
});

test("a reload mid-game and a dropped connection (server restart) restore the same board; chat reaches the other player", { timeout: 60_000 }, async () => {
  assert.ok(gameUrl, "the game of the first test is running");
  const a = alice.page;
  const b = bob.page;
  const before = await boardPicture(a);
  await a.reload();
  await a.waitForSelector("svg.board .piece");
  await a.waitForSelector("[data-money]");
  assert.equal(a.url(), gameUrl);
  assert.deepEqual(await boardPicture(a), before);
  await shot(a, "03-after-reload");
  await a.fill("#chat-text", "hello from alice");
  await a.press("#chat-text", "Enter");
  await b.waitForFunction(() => document.querySelector("#chat")?.textContent.includes("hello from alice"));
  await b.fill("#chat-text", "hi alice");
  await b.click("#chat + form button");
  await a.waitForFunction(() => document.querySelector("#chat")?.textContent.includes("hi alice"));
  await shot(b, "03-chat-bob-phone");
  // A dropped connection: the server restarts (closing every socket); both pages reconnect on
  // their own and show the same game again from the fresh snapshot.
  const beforeRestart = await boardPicture(b);
  const opened = async (page) => Number(await page.getAttribute("#connection", "data-opened"));
  const openedBefore = [await opened(a), await opened(b)];
  await server.restart();
  for (const [index, page] of [a, b].entries()) {
    await page.waitForFunction(
      (count) => Number(document.querySelector("#connection")?.dataset.opened) > count,
      openedBefore[index],
      { timeout: 20_000 },
    );
    await page.waitForSelector("svg.board .piece");
  }
  assert.deepEqual(await boardPicture(b), beforeRestart);
  await a.fill("#chat-text", "still here");
  await a.press("#chat-text", "Enter");
  await b.waitForFunction(() => document.querySelector("#chat")?.textContent.includes("still here"));
  await shot(b, "03-after-restart-bob-phone");
});

test("a private room joined by its code shows members, settings, chat and the host's change", { timeout: 60_000 }, async () => {
  const a = alice.page;
  const b = bob.page;
  await a.goto(`${server.url}/#/`);
  await a.click("#room-create");
  const code = (await (await a.waitForSelector("#room-code-shown")).textContent()).trim();
  await a.waitForSelector("#room-members li");
  await b.goto(`${server.url}/#/`);
  await b.fill("#room-code", code);
  await b.press("#room-code", "Enter");
  await b.waitForFunction(() => document.querySelectorAll("#room-members li").length === 2);
  await a.waitForFunction(() => document.querySelectorAll("#room-members li").length === 2);
  assert.match(await b.textContent("#room-host"), /Host: alice/);
  assert.equal(await b.locator("#room-start").isVisible(), false, "only the host may start");
  assert.equal(await b.locator("#room-bot-level").isEnabled(), false, "only the host may change settings");
  await a.selectOption("#room-bot-level", "hard");
  await a.click("form.settings button[type=submit]");
  await b.waitForFunction(() => document.querySelector("#room-bot-level").value === "hard");
  await a.fill("#room-chat-text", "welcome, bob");
  await a.press("#room-chat-text", "Enter");
  await b.waitForFunction(() => document.querySelector("#room-chat").textContent.includes("welcome, bob"));
  await shot(b, "05-room-bob-phone");
  // The host leaves: bob becomes the host.
  await a.goto(`${server.url}/#/profile`);
  await b.waitForFunction(() => document.querySelector("#room-host").textContent === "You are the host.");
  assert.equal(await b.locator("#room-start").isVisible(), true);
  await shot(b, "05-room-new-host-phone");
});
