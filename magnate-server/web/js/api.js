// REST calls and socket URLs, with the token pair kept in localStorage.
//
// The access token lives 5 minutes by default; the refresh token a week. Before any socket is
// opened the page makes sure it holds a fresh access token (sockets check it only at the
// handshake), and a REST call refused with an expired token is refreshed and retried once.

const KEY = "magnate.auth";

/** The stored session: `{refresh, access, user: {pk, username}}`, or null. */
export function session() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

/** Stores a session (or removes it with `null`). */
export function setSession(value) {
  if (value) localStorage.setItem(KEY, JSON.stringify(value));
  else localStorage.removeItem(KEY);
}

/** An error with the server's status and body, worded by `describe`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body;
  }
}

/** Words for a REST error body: field errors, `detail`, `error` or the status. */
export function describe(status, body) {
  if (body && typeof body === "object") {
    if (body.error === "bad credentials") return "Wrong user name or password.";
    if (typeof body.detail === "string") return body.detail;
    if (typeof body.error === "string") return body.error;
    const parts = [];
    for (const [field, messages] of Object.entries(body)) {
      if (Array.isArray(messages)) {
        const label = field === "non_field_errors" ? "" : `${field}: `;
        parts.push(label + messages.join(" "));
      }
    }
    if (parts.length) return parts.join(" · ");
  }
  if (status === 0) return "The server cannot be reached.";
  return `The server answered ${status}.`;
}

function tokenExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return payload.exp * 1000;
  } catch {
    return 0;
  }
}

let refreshing = null;

/** Trades the refresh token for a new pair; clears the session if it is refused. */
export async function refresh() {
  const current = session();
  if (!current) throw new ApiError(401, { detail: "You are not logged in." });
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const pair = await request("POST", "/auth/refresh/", { refresh: current.refresh }, null);
        setSession({ ...current, ...pair });
        return pair.access;
      } catch (error) {
        if (error.status === 401) setSession(null);
        throw error;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/** An access token valid for at least another 30 s, refreshing if needed. */
export async function freshAccess() {
  const current = session();
  if (!current) throw new ApiError(401, { detail: "You are not logged in." });
  if (tokenExpiry(current.access) - Date.now() > 30_000) return current.access;
  return refresh();
}

async function request(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/** An authenticated REST call; one refresh and retry after a 401. */
export async function api(method, path, body) {
  try {
    return await request(method, path, body, await freshAccess());
  } catch (error) {
    if (error.status !== 401 || !session()) throw error;
    return request(method, path, body, await refresh());
  }
}

/** A REST call without credentials (register, login, board, user names). */
export function open(method, path, body) {
  return request(method, path, body, null);
}

/** Logs in or registers: stores the pair and the user. */
export async function signIn(path, body) {
  const answer = await open("POST", path, body);
  setSession({ ...answer.tokens, user: { pk: answer.user.pk, username: answer.user.username } });
  return answer.user;
}

/** A socket URL with a fresh access token in its query string. */
export async function socketUrl(path, extra = "") {
  const token = await freshAccess();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}?token=${encodeURIComponent(token)}${extra}`;
}

const names = new Map();

/** `{username, piece}` of a user id (cached). */
export async function userName(id) {
  if (!names.has(id)) {
    names.set(
      id,
      open("GET", `/info/user-name-piece/${id}/`).catch(() => ({ username: `#${id}`, piece: 1 })),
    );
  }
  return names.get(id);
}

let board = null;

/** The board from `GET /board/`, indexed by square id (cached). */
export async function getBoard() {
  if (!board) {
    board = open("GET", "/board/").then((body) => {
      const squares = new Map();
      for (const square of body.squares) squares.set(square.id, square);
      return squares;
    });
  }
  return board;
}
