// The race panel: the race chart (map + loss), its playback, and the mission's three
// sliders (learning rate, momentum, decay), in the page (Streamlit Custom Components v2).
//
// The server sends, with each figure, the races along each slider through the current
// settings (viz/scrub.py, decoded by payload.js): all three sliders' on a first visit, then
// the released slider's, and another slider's as soon as it is grabbed or focused (`want`).
// Dragging a slider draws each stop it crosses from those at once (`input` events), straight
// into the chart's SVG (sketch.js); Plotly is called only for what that cannot draw (new
// legend names, a grown loss axis) and catches up with its own data later. The release
// reports the settings to Python (`setStateValue`), whose rerun updates the table, the
// warnings and the URL, and sends the exact figure and the new axes. Where the panel holds no
// race for a stop (noisy gradients, a stop a batch cannot race, a slider's races not arrived
// yet), it waits for that rerun.
//
// Plotly is loaded once from the app's static folder (no CDN: a lecture hall may have no
// internet). Nothing here reads or writes the page around the panel except the keys that
// play and step the race when no input has the focus.

import {decodeAxis, decodeTyped} from "./payload.js";
import {frameAt, grownRange, lastStep, stopChanges, stopFrame} from "./frames.js";
import {sketchFrame} from "./sketch.js";
import {keyStep, label, nearestStop} from "./stops.js";
import {AXES, buildPanel, el, richText} from "./dom.js";
import {withDownload} from "./download.js";
import {fitDomains, mapAspect, withDomains} from "./layout.js";
import {StartRing} from "./start.js";
const panels = new WeakMap();  // parentElement -> its panel (the module is called per render)

// A frame shown at once, as the step slider and a stop show it (no transition).
const AT_ONCE = {mode: "immediate", transition: {duration: 0},
                 frame: {duration: 0, redraw: false}};
// How long a sketched stop may rest before Plotly's own data is brought to it, when no figure
// from the server (which replaces it) came first.
const CATCH_UP_MS = 500;

let plotlyLoading = null;  // one script tag for every panel of the page
function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(src, window.location.href).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error("could not load " + src));
      document.head.appendChild(script);
    });
  }
  return plotlyLoading;
}

class Panel {
  constructor(parent) {
    this.parent = parent;
    Object.assign(this, buildPanel(parent));

    this.specText = null;  // the server's figure on screen, as sent
    this.spec = null;  // ... parsed
    this.axes = {};  // axis -> {values, moving, stops: Promise, decoded: stops once ready}
    this.axesText = null;
    this.race = null;  // {paths, curves, cursor} of what is drawn (for playback)
    // A stop drawn into the SVG whose data Plotly does not hold yet: {axis, index, frame,
    // moving (its entries), range (the stop's loss range), drawn (false: the sketch could
    // not draw it all)}.
    this.ahead = null;
    this.catchUpTimer = null;
    this.shownStop = {};  // axis -> index drawn from the axis (absent: the server's figure)
    // Axes made stale by a release until the rerun brings new ones: the other sliders'
    // (a new lr moves every momentum stop); the released slider's own axis still holds.
    this.stale = new Set();
    this.asked = new Set();  // the axes asked for since the scene last changed (want)
    this.seq = 0;
    this.k = null;  // the step shown (null: the last)
    this.timer = null;
    this.drawing = Promise.resolve();
    this.wanted = null;  // the latest stop asked for while a draw was under way
    this.bind();
  }

  bind() {
    for (const axis of AXES) {
      const s = this.sliders[axis];
      s.input.addEventListener("input", () => this.onSlide(axis, Number(s.input.value)));
      s.input.addEventListener("change", () => this.report(axis));
      s.input.addEventListener("pointerdown", () => { this.sliding = true; this.want(axis); });
      s.input.addEventListener("focus", () => this.want(axis));
      s.input.addEventListener("pointerup", () => { this.sliding = false; });
    }
    this.kind.addEventListener("change", () => this.report(null));
    this.playButton.addEventListener("click", () => this.togglePlay());
    this.stepInput.addEventListener("input", () => {
      this.stop();
      this.showStep(this.motion().frames[Number(this.stepInput.value)]);
    });
    this.onKey = (ev) => this.key(ev);
    document.addEventListener("keydown", this.onKey);
    this.onResize = () => this.queue(() => this.fit());
    window.addEventListener("resize", this.onResize);
    // The sidebar opening or closing changes the chart's width, not the window's.
    this.resizes = window.ResizeObserver ? new ResizeObserver(this.onResize) : null;
    if (this.resizes) this.resizes.observe(this.gd);
    this.gd.addEventListener("click", (ev) => this.click(ev));
    // Plotly's hover, zoom and legend read its own data: it catches up before the pointer
    // does anything on the chart.
    this.gd.addEventListener("pointermove", () => this.catchUpSoon(), true);
    this.ring = new StartRing(this.handle, this.gd, () => this.startPoint(), (point) => {
      if (!this.api) return false;
      this.api.setTriggerValue("start", point);
      return true;
    });
  }

  // The start of the race drawn ({x, y}; null: none).
  startPoint() {
    const path = this.race && this.race.paths[0];
    return path && path.x.length ? {x: path.x[0], y: path.y[0]} : null;
  }

  destroy() {
    this.stop();
    clearTimeout(this.catchUpTimer);
    document.removeEventListener("keydown", this.onKey);
    window.removeEventListener("resize", this.onResize);
    if (this.resizes) this.resizes.disconnect();
    if (window.Plotly) window.Plotly.purge(this.gd);
    this.root.remove();
  }

  motion() {
    return ((this.spec || {}).layout.meta || {}).motion || null;
  }

  // -- from the server ---------------------------------------------------------------------

  async render(data, api) {
    this.api = api;
    this.data = data;
    const Plotly = await loadPlotly(data.plotly);
    this.showControls(data);
    // The server has caught up with the sliders (set from it unless one is held): its axes
    // hold again.
    const values = data.values || {};
    if (AXES.every((a) => this.sliders[a].group.hidden || this.shown(a) === values[a]) &&
        this.kind.value === values.schedule) {
      this.stale = new Set();
    }
    this.notes.replaceChildren(...(data.notes || []).map((n) => el("p", {}, [richText(n)])));
    this.caption.replaceChildren(richText(data.caption || ""));
    this.root.classList.toggle("rp-presenting", Boolean(data.presenting));
    this.gd.style.cursor = data.clickable ? "crosshair" : "";
    if (data.axes !== this.axesText) {
      this.axesText = data.axes;
      const axes = JSON.parse(data.axes || "{}");
      this.axes = {};
      for (const axis of AXES) {
        if (axis in axes && axes[axis]) {
          const held = {values: axes[axis].values, moving: axes[axis].moving,
                        stops: decodeAxis(axes[axis]), decoded: null};
          held.stops.then((stops) => { held.decoded = stops; }, () => null);
          this.axes[axis] = held;
        }
      }
    }
    if (data.spec !== this.specText || this.drawnStop()) {
      if (data.spec !== this.specText) this.asked = new Set();
      this.specText = data.spec;
      await this.queue(() => this.drawFigure(Plotly, data));
    } else {
      this.showAttribution(data.attribution);
    }
  }

  drawnStop() {
    return Object.keys(this.shownStop).length > 0;
  }

  async drawFigure(Plotly, data) {
    const spec = JSON.parse(data.spec);
    this.spec = JSON.parse(data.spec);  // Plotly keeps (and may change) what it is given
    this.shownStop = {};
    const height = this.height();
    const fitted = withDomains(spec, this.domains(spec.layout, height));
    const layout = Object.assign(fitted.layout, {height, autosize: true});
    if (this.ahead) {
      // The SVG shows a stop Plotly's data lacks: every trace is drawn again, even one whose
      // new data equals what Plotly holds.
      layout.datarevision = `ahead-${this.seq}-${Date.now()}`;
      this.ahead = null;
    }
    clearTimeout(this.catchUpTimer);
    try {
      await Plotly.react(this.gd, fitted.data, layout, this.config(data.config || {}));
      this.error.textContent = "";
    } catch (err) {
      this.error.textContent = "The chart could not be drawn: " + (err.message || err);
    }
    const m = this.motion();
    this.race = m ? {
      paths: m.paths.map((i) => ({x: decodeTyped(this.spec.data[i].x),
                                  y: decodeTyped(this.spec.data[i].y)})),
      curves: m.losses.map((i) => decodeTyped(this.spec.data[i].y)),
    } : null;
    this.showAttribution(data.attribution);
    this.k = null;
    this.syncStep();
    if (!this.listening && this.gd.on) {
      this.listening = true;  // Plotly keeps its event handlers across react
      this.gd.on("plotly_afterplot", () => this.ring.place());
      this.gd.on("plotly_relayout", () => { this.ring.place(); this.catchUpSoon(); });
    }
    this.ring.place();
  }

  showControls(data) {
    const values = data.values || {};
    const kinds = data.schedules || [];
    if (this.kind.options.length !== kinds.length) {
      this.kind.replaceChildren(...kinds.map(([key, text]) => el("option", {value: key, text})));
    }
    if (document.activeElement !== this.kind) this.kind.value = values.schedule;
    for (const axis of AXES) {
      const s = this.sliders[axis], spec = (data.sliders || {})[axis];
      s.group.hidden = !spec;
      if (!spec) continue;
      s.values = spec.values;
      s.name.textContent = spec.label;
      s.input.max = String(spec.values.length - 1);
      s.input.setAttribute("aria-label", spec.label);
      if (!this.sliding) {
        s.index = nearestStop(spec.values, values[axis]);
        s.input.value = String(s.index);
      }
      this.showValue(axis);
    }
  }

  showValue(axis) {
    const s = this.sliders[axis], text = label(s.values[Number(s.input.value)] ?? 0);
    s.value.textContent = text;
    s.input.ariaValueText = text;  // the ARIA property, not Streamlit's markup
  }

  showAttribution(attribution) {
    this.attributionNow = attribution || null;
    this.attribution.textContent = attribution ? attribution.text : "";
  }

  // -- sliders -----------------------------------------------------------------------------

  onSlide(axis, index) {
    this.showValue(axis);
    this.showStopNow(axis, index);
    this.wanted = {axis, index};
    if (this.busy) return;  // the draw under way picks up the latest stop when it ends
    this.busy = true;
    this.queue(async () => {
      while (this.wanted) {
        const {axis: a, index: i} = this.wanted;
        this.wanted = null;
        await this.drawStop(a, i);
      }
      this.busy = false;
    });
  }

  // Stop `index` of `axis`, if its races are decoded, drawn at once: the race becomes the
  // stop's and what the stop changes (the moving lines, comets, loss heads and cursor) is
  // sketched into the chart's SVG, the loss axis grown to hold it. Plotly follows: drawStop,
  // catchUp. False where the panel holds no race for the stop.
  showStopNow(axis, index) {
    const held = this.axes[axis], m = this.motion();
    const stop = held && held.decoded && held.decoded[index];
    if (!stop || this.stale.has(axis) || !this.race || !m) return false;
    this.stop();
    const paths = this.race.paths.slice(), curves = this.race.curves.slice();
    held.moving.forEach((e, j) => { paths[e] = stop.paths[j]; curves[e] = stop.curves[j]; });
    this.race = {paths, curves, cursor: stop.cursor};
    this.k = null;
    // The entries moved since Plotly last drew stay in the frame until it catches up.
    const moving = [...new Set([...(this.ahead ? this.ahead.moving : []), ...held.moving])];
    const frame = stopFrame(m, paths, curves, lastStep(m), stop.cursor, moving);
    this.ahead = {axis, index, frame, moving, range: stop.range, drawn: false};
    this.ahead.drawn = this.sketch();
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = setTimeout(() => this.catchUpSoon(), CATCH_UP_MS);
    this.shownStop[axis] = index;
    this.showAttribution(Object.assign({}, this.attributionNow || {}, {text: stop.attribution}));
    this.syncStep();
    return true;
  }

  // The stop ahead of Plotly drawn into the SVG, on the loss axis as Plotly draws it, grown
  // to hold the stop (false: not all of it could be).
  sketch() {
    const L = this.gd._fullLayout;
    if (!this.ahead || !L || !L.yaxis2) return false;
    return sketchFrame(this.gd, this.ahead.frame, grownRange(L.yaxis2.range, this.ahead.range));
  }

  // What only Plotly can draw of stop `index` of `axis`: the frame where the sketch could not,
  // and a stop's new legend names and grown loss axis range, in one Plotly.update (each
  // Plotly call runs its whole pipeline again), over which the sketch is drawn again.
  async drawStop(axis, index) {
    const held = this.axes[axis];
    if (!held || this.stale.has(axis) || !this.race || !window.Plotly) return;
    const stops = await held.stops;
    const stop = stops && stops[index];
    const m = this.motion();
    if (!stop || !m) return;
    const ahead = this.ahead;
    if (!ahead || ahead.axis !== axis || ahead.index !== index) {
      if (!this.showStopNow(axis, index)) return;
    }
    if (!this.ahead.drawn) await this.catchUp();
    const traces = [...m.paths, ...m.losses];
    const names = m.paths.map((_, e) => stop.names[e]);
    const yaxis = this.gd.layout.yaxis2 || {};
    const {names: newNames, range} = stopChanges(
      traces.map((i) => this.gd.data[i].name), [...names, ...names], yaxis.range, stop.range);
    // The loss axis keeps its tick spacing until the rerun (a dtick relayout would redraw
    // the whole figure on every stop): its labels stay true, only denser or sparser.
    if (newNames || range) {
      await window.Plotly.update(this.gd, newNames ? {name: newNames} : {},
                                 range ? {"yaxis2.range": range} : {}, traces);
      // Plotly drew the data it holds: the stop goes back over it.
      if (this.ahead && !this.sketch()) await this.catchUp();
    }
  }

  // Plotly's own data brought to the stop sketched ahead of it, so that whatever Plotly draws
  // next (hover, zoom, a resize, the PNG) is that stop. Not needed once the server's figure
  // comes (after a release), which replaces it.
  async catchUp() {
    const ahead = this.ahead;
    clearTimeout(this.catchUpTimer);
    if (!ahead || !window.Plotly) return;
    this.ahead = null;
    await window.Plotly.animate(this.gd, ahead.frame, AT_ONCE);
  }

  catchUpSoon() {
    if (this.ahead) this.queue(() => this.catchUp());
  }

  // A slider is grabbed (or focused) whose races the panel does not hold: ask the server
  // for them (it sends each slider's races only once asked, so that a release races along
  // no other slider). Once per scene: an axis the server cannot hold (noise) stays null.
  want(axis) {
    if (!this.api || (this.axes[axis] && !this.stale.has(axis)) || this.asked.has(axis)) {
      return;
    }
    this.asked.add(axis);
    this.api.setTriggerValue("want", {axis});
  }

  // The value slider `axis` shows (null: hidden).
  shown(axis) {
    const s = this.sliders[axis];
    return s.group.hidden ? null : s.values[Number(s.input.value)];
  }

  // The settings the sliders show, to Python (on the release of `axis`, and on a new decay
  // kind: `axis` null).
  report(axis) {
    if (!this.api) return;
    const value = (a) => this.shown(a);
    this.seq += 1;
    this.stale = new Set(AXES.filter((a) => a !== axis));  // null (a new kind): all
    this.sliding = false;
    this.api.setStateValue("settings", {lr: value("lr"), momentum: value("momentum"),
                                        decay: value("decay"), schedule: this.kind.value,
                                        seq: this.seq});
  }

  // -- playback ----------------------------------------------------------------------------

  syncStep() {
    const m = this.motion();
    this.playButton.disabled = !m;
    if (!m) { this.stepLabel.textContent = ""; return; }
    const k = this.k === null ? lastStep(m) : this.k;
    this.stepInput.max = String(m.frames.length - 1);
    this.stepInput.value = String(nearestStop(m.frames, k));
    this.stepLabel.textContent = `step ${k}`;
    this.stepInput.ariaValueText = `step ${k}`;
  }

  showStep(k) {
    const m = this.motion();
    if (!m || !this.race || !window.Plotly) return;
    this.k = k === lastStep(m) ? null : k;
    // Every moving trace of the race: Plotly holds the sketched stop's data too after it.
    clearTimeout(this.catchUpTimer);
    this.ahead = null;
    const frame = frameAt(m, this.race.paths, this.race.curves, k, this.race.cursor);
    window.Plotly.animate(this.gd, frame, AT_ONCE);
    this.syncStep();
  }

  togglePlay() {
    if (this.timer) { this.stop(); return; }
    const m = this.motion();
    if (!m) return;
    let i = this.k === null ? 0 : nearestStop(m.frames, this.k);
    this.playButton.textContent = "❚❚ Pause";
    this.playButton.setAttribute("aria-label", "Pause the race");
    const tick = () => {
      this.showStep(m.frames[i]);
      i += 1;
      if (i >= m.frames.length) { this.stop(); return; }
      this.timer = setTimeout(tick, m.frame_ms || 50);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.playButton.textContent = "▶ Play";
    this.playButton.setAttribute("aria-label", "Play the race");
  }

  // Space plays and pauses, the arrow keys step the race, while no input has the focus.
  key(ev) {
    const t = ev.target;
    if (!this.root.isConnected || !this.motion()) return;
    if (t && (["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(t.tagName) ||
              t.isContentEditable || (t.getAttribute && t.getAttribute("role") === "slider"))) {
      return;
    }
    const m = this.motion();
    if (ev.code === "Space") {
      this.togglePlay();
      ev.preventDefault();
    } else if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
      this.stop();
      const at = nearestStop(m.frames, this.k === null ? lastStep(m) : this.k);
      this.showStep(m.frames[keyStep(ev.key, at, m.frames.length)]);
      ev.preventDefault();
    }
  }

  // -- the chart ---------------------------------------------------------------------------

  queue(job) {
    this.drawing = this.drawing.then(job).catch((err) => {
      this.error.textContent = "The chart could not be drawn: " + (err.message || err);
    });
    return this.drawing;
  }

  // As tall as the window allows below the panel's top, within [360, 900] px.
  height() {
    const top = this.root.getBoundingClientRect().top + window.scrollY;
    const below = 12 + [this.playback, this.notes, this.attribution]
      .reduce((sum, node) => sum + (node.offsetHeight || 24), 0);
    return Math.max(360, Math.min(900, Math.round(window.innerHeight - top - below)));
  }

  // The map's, colour bar's and loss chart's share of the chart's width at this height.
  domains(layout, height) {
    return fitDomains({width: this.gd.clientWidth || this.root.clientWidth, height,
                       margin: layout.margin || {}, aspect: mapAspect(layout),
                       fontSize: (layout.font && layout.font.size) || 14});
  }

  async fit() {
    if (!window.Plotly || !this.gd.layout || !this.spec) return;
    const h = this.height(), fit = this.domains(this.spec.layout, h);
    const now = this.gd.layout.xaxis.domain || [];
    const moved = Math.abs((now[1] || 0) - fit.map[1]) > 0.005;
    // Plotly's own `responsive` follows the window, not the column (the sidebar coming back
    // narrows the chart at the same window size): the width is checked here too.
    const width = this.gd.clientWidth;
    const resized = width > 0 && Math.abs((this.gd._fullLayout || {}).width - width) > 4;
    if (Math.abs((this.gd.layout.height || 0) - h) > 4 || moved || resized) {
      await this.catchUp();  // the relayout draws what Plotly holds
      const scale = this.gd.data.findIndex((t) => t.name === "level scale");
      const layout = {height: h, autosize: true, "xaxis.domain": fit.map,
                      "xaxis2.domain": fit.loss};
      if (scale < 0) await window.Plotly.relayout(this.gd, layout);
      else await window.Plotly.update(this.gd, {"marker.colorbar.x": fit.colorbarX}, layout,
                                      [scale]);
    }
  }

  config(config) {
    return withDownload(config, this.gd, () => this.attributionNow,
                        (err) => { this.error.textContent = String(err); },
                        () => this.queue(() => this.catchUp()));
  }

  // A click on the map (with "pick the start" on) sends its data coordinates.
  click(ev) {
    if (!this.data || !this.data.clickable || !this.gd._fullLayout || !this.api) return;
    const xa = this.gd._fullLayout.xaxis, ya = this.gd._fullLayout.yaxis;
    const box = this.gd.getBoundingClientRect();
    const px = ev.clientX - box.left - xa._offset, py = ev.clientY - box.top - ya._offset;
    if (px < 0 || py < 0 || px > xa._length || py > ya._length) return;
    this.api.setTriggerValue("start", {x: xa.p2d(px), y: ya.p2d(py)});
  }
}

// Streamlit calls this on every render of the component with the same parentElement.
export function mount(component) {
  const {data, parentElement, setStateValue, setTriggerValue} = component;
  let panel = panels.get(parentElement);
  if (!panel) {
    panel = new Panel(parentElement);
    panels.set(parentElement, panel);
  }
  panel.render(data, {setStateValue, setTriggerValue}).catch((err) => {
    panel.error.textContent = "The race panel could not start: " + (err.message || err);
  });
  return () => {
    panels.delete(parentElement);
    panel.destroy();
  };
}
