// What every browser test shares: a real magnate-server on a free port with a throw-away
// database, Debian's Chromium through playwright-core, and a few page helpers.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../../..");

/** Where the screenshots go (README names this folder). */
export const SCREENSHOTS = path.resolve(here, "../screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

const SERVER_BIN =
  process.env.MAGNATE_SERVER_BIN ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(repo, "target"), "release", "magnate-server");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a server; `env` overrides the test defaults (fast bots, no throttles). */
export async function startServer(env = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "magnate-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const spawnEnv = {
    PATH: process.env.PATH,
    BIND: `127.0.0.1:${port}`,
    DATABASE_PATH: path.join(dir, "magnate.db"),
    SECRET_KEY: "e2e-secret-key-0123456789-abcdefghijklmnop",
    LOG_LEVEL: "warn",
    BOT_DELAY_MS: "60",
    BOT_AUCTION_DELAY_MIN_MS: "50",
    BOT_AUCTION_DELAY_MAX_MS: "100",
    AUCTION_DURATION: "6",
    LOGIN_BURST_PER_ADDRESS: "0",
    LOGINS_PER_MINUTE_PER_ADDRESS: "0",
    REGISTRATION_BURST_PER_ADDRESS: "0",
    REGISTRATIONS_PER_MINUTE_PER_ADDRESS: "0",
    ROOM_CODE_TRY_BURST: "0",
    ROOM_CODE_TRIES_PER_MINUTE: "0",
    WS_ACTIONS_PER_SECOND: "0",
    WS_CHATS_PER_SECOND: "0",
    ...env,
  };
  let child;
  let exited = true;
  async function launch() {
    child = spawn(SERVER_BIN, [], { cwd: dir, env: spawnEnv, stdio: ["ignore", "inherit", "inherit"] });
    exited = false;
    child.on("exit", () => (exited = true));
    for (let i = 0; i < 200; i++) {
      if (exited) throw new Error(`magnate-server (${SERVER_BIN}) exited at start`);
      try {
        const response = await fetch(`${url}/board/`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("magnate-server did not start listening");
  }
  async function halt() {
    if (!exited) {
      const gone = new Promise((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
  }
  await launch();
  return {
    url,
    /** Stops the server and starts it again on the same port and database. */
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Launches Chromium with a new empty profile (its own storage: one user per browser) and
 * returns `{page, context, close}`, the page at `size`.
 */
export async function startBrowser(size = { width: 1280, height: 800 }) {
  const profile = mkdtempSync(path.join(tmpdir(), "magnate-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: size,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on("pageerror", (error) => console.error("page error:", error.message));
  return {
    page,
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot under SCREENSHOTS. */
export async function shot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

let counter = 0;

/** Registers a fresh user through the form; returns their name and password. */
export async function register(page, url, prefix = "player") {
  counter += 1;
  const username = `${prefix}${process.pid % 10000}${counter}${Date.now() % 1000}`;
  const password = "Tranquil-Harbour-42";
  await page.goto(`${url}/#/register`);
  await page.fill("#reg-username", username);
  await page.fill("#reg-password", password);
  await page.fill("#reg-password2", password);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=whoami]");
  return { username, password };
}

/** Logs in through the form. */
export async function logIn(page, url, { username, password }) {
  await page.goto(`${url}/#/login`);
  await page.fill("#login-username", username);
  await page.fill("#login-password", password);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=whoami]");
}

/** Clicks the first visible control among `selectors` (in order); returns which, or null. */
export async function clickFirst(page, selectors) {
  for (const selector of selectors) {
    const control = page.locator(selector).first();
    if ((await control.count()) && (await control.isVisible()) && (await control.isEnabled())) {
      await control.click();
      return selector;
    }
  }
  return null;
}
