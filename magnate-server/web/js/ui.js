// Small DOM helpers shared by every view.

/** Creates an element: `h("button", {class: "x", onclick}, "text", child)`. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "value") element.value = value;
    else if (name === "style") element.style.cssText = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the page's main content. */
export function mount(...children) {
  const main = document.getElementById("view");
  main.replaceChildren(...children.flat());
  const heading = main.querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

let toastTimer = null;

/** Shows a message in words (errors from the server included); it fades after a while. */
export function notify(message, kind = "error") {
  const toast = document.getElementById("toast");
  toast.textContent = message;
  toast.className = `toast ${kind}`;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), 6000);
}

/** Runs an async action from a button, showing its error; disables the button meanwhile. */
export async function attempt(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (error) {
    notify(error.message || String(error));
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Asks a yes/no question in a modal dialog; resolves to true on yes. */
export function confirmDialog(question, yes = "Yes", no = "Cancel") {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-label": question },
      h("p", {}, question),
      h(
        "div",
        { class: "row" },
        h("button", { class: "danger", onclick: () => done(true) }, yes),
        h("button", { onclick: () => done(false), autofocus: true }, no),
      ),
    );
    function done(answer) {
      dialog.close();
      dialog.remove();
      resolve(answer);
    }
    dialog.addEventListener("cancel", () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Player colours, by seat. */
export const PLAYER_COLOURS = ["#d62839", "#1f77b4", "#2a9d3f", "#e07b00"];

/** A piece's symbol (shop pieces 1–4). */
export function pieceSymbol(piece) {
  return ["●", "■", "▲", "◆"][(Number(piece) - 1 + 4) % 4] || "●";
}

/** Money as text. */
export function money(amount) {
  return `${amount < 0 ? "−" : ""}₥${Math.abs(amount)}`;
}
