// Registration and login.

import { signIn } from "./api.js";
import { h, mount, attempt } from "./ui.js";

/** The server's password rules (docs/protocol.md, `POST /auth/register/`). */
const PASSWORD_RULES = [
  "at least 8 characters",
  "not a common password",
  "not only digits",
  "typed the same twice",
];

const USERNAME_RULES = "1–40 characters, no invisible characters, not starting with “Bot_”.";

export function showLogin() {
  const username = h("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Log in"),
    h("label", { for: "login-username" }, "User name"),
    username,
    h("label", { for: "login-password" }, "Password"),
    password,
    submit,
    h("p", {}, "New here? ", h("a", { href: "#/register" }, "Create an account")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(submit, async () => {
      await signIn("/auth/login/", { username: username.value, password: password.value });
      location.hash = "#/";
    });
  });
  mount(form);
}

export function showRegister() {
  const username = h("input", { id: "reg-username", name: "username", autocomplete: "username", maxlength: 40, required: true });
  const password = h("input", { id: "reg-password", name: "password", type: "password", autocomplete: "new-password", required: true });
  const password2 = h("input", { id: "reg-password2", name: "password2", type: "password", autocomplete: "new-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Create account");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "reg-title" },
    h("h1", { id: "reg-title" }, "Create an account"),
    h("label", { for: "reg-username" }, "User name"),
    username,
    h("p", { class: "hint" }, USERNAME_RULES),
    h("label", { for: "reg-password" }, "Password"),
    password,
    h("label", { for: "reg-password2" }, "Password again"),
    password2,
    h("div", { class: "hint" }, "The password must be:", h("ul", { class: "rules" }, PASSWORD_RULES.map((rule) => h("li", {}, rule)))),
    submit,
    h("p", {}, "Already registered? ", h("a", { href: "#/login" }, "Log in")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(submit, async () => {
      await signIn("/auth/register/", {
        username: username.value,
        password: password.value,
        password2: password2.value,
      });
      location.hash = "#/";
    });
  });
  mount(form);
}
