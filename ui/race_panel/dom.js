// The race panel's markup: chart, playback, messages, and the sliders beside them. Only
// elements of our own, built here; the panel fills them (panel.js).

export const AXES = ["lr", "momentum", "decay"];

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const child of children) node.appendChild(child);
  return node;
}

// "**bold** rest" -> DOM nodes (the warnings' only markup), never HTML from the server.
export function richText(text) {
  const out = document.createDocumentFragment();
  String(text).split("**").forEach((part, i) => {
    out.appendChild(i % 2 ? el("b", {text: part}) : document.createTextNode(part));
  });
  return out;
}

// The panel's elements in `parent`: {root, gd, handle, playback, playButton, stepInput,
// stepLabel, notes, attribution, error, kind, caption, sliders: {axis: {input, value, name,
// group}}}.
export function buildPanel(parent) {
  const p = {};
  p.gd = el("div", {class: "rp-chart", role: "img", "aria-label": "The race"});
  p.playButton = el("button", {type: "button", class: "rp-play-btn",
                               "aria-label": "Play the race", text: "▶ Play"});
  p.stepInput = el("input", {type: "range", min: "0", max: "0", step: "1", value: "0",
                             class: "rp-step", "aria-label": "Step of the race"});
  p.stepLabel = el("span", {class: "rp-step-label", "aria-live": "off"});
  p.notes = el("div", {class: "rp-notes", "aria-live": "polite"});
  p.attribution = el("div", {class: "rp-attribution"});
  p.error = el("div", {class: "rp-error", role: "alert"});
  p.handle = el("div", {class: "rp-start", role: "button", tabindex: "0",
                        title: "Drag to move the start of the race",
                        "aria-label":
                          "Start of the race: drag it, or move it with the arrow keys"});
  p.sliders = {};
  const side = el("div", {class: "rp-side"});
  for (const axis of AXES) {
    const input = el("input", {type: "range", min: "0", max: "0", step: "1", value: "0",
                               class: "rp-slider", id: `rp-${axis}`});
    const value = el("output", {class: "rp-value", for: `rp-${axis}`});
    const name = el("label", {class: "rp-label", for: `rp-${axis}`});
    const group = el("div", {class: `rp-group rp-${axis}-group`},
                     [el("div", {class: "rp-head"}, [name, value]), input]);
    p.sliders[axis] = {input, value, name, group, values: [], index: 0};
    if (axis === "decay") {
      p.kind = el("select", {class: "rp-kind", "aria-label": "Learning-rate decay"});
      side.appendChild(el("div", {class: "rp-group"}, [
        el("div", {class: "rp-head"}, [el("label", {class: "rp-label",
                                                     text: "Learning-rate decay"})]),
        p.kind]));
    }
    side.appendChild(group);
  }
  p.caption = el("div", {class: "rp-caption"});
  side.appendChild(p.caption);
  p.playback = el("div", {class: "rp-playback"}, [p.playButton, p.stepInput,
                                                   p.stepLabel]);
  const main = el("div", {class: "rp-main"}, [p.gd, p.handle, p.playback, p.notes,
                                              p.attribution, p.error]);
  p.root = el("div", {class: "rp"}, [main, side]);
  parent.appendChild(p.root);
  return p;
}
