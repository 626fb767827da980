// The ring on the start of the race, over the map: drag it, or move it with the arrow keys,
// to restart the race there. Its own elements only (the panel's `handle` and chart `gd`).

export class StartRing {
  // `start()`: the race's start {x, y} (data) or null; `send(point)`: restart the race at
  // `point` (data), false when it cannot (no server to tell yet).
  constructor(handle, gd, start, send) {
    Object.assign(this, {handle, gd, start, send, dragging: false, dropAt: null});
    handle.addEventListener("pointerdown", (ev) => this.grab(ev));
    handle.addEventListener("pointermove", (ev) => this.drag(ev));
    handle.addEventListener("pointerup", () => this.drop());
    handle.addEventListener("keydown", (ev) => this.nudge(ev));
  }

  // Where the start is, in pixels of the panel (null: no race drawn).
  pixels() {
    const L = this.gd._fullLayout, at = this.start();
    if (!L || !L.xaxis || !at) return null;
    return [this.gd.offsetLeft + L.xaxis._offset + L.xaxis.d2p(at.x),
            this.gd.offsetTop + L.yaxis._offset + L.yaxis.d2p(at.y)];
  }

  place() {
    if (this.dragging) return;
    const at = this.pixels();
    this.handle.hidden = !at;
    if (at) Object.assign(this.handle.style, {left: `${at[0]}px`, top: `${at[1]}px`});
  }

  // The arrow keys move the start by a fiftieth of the map (the ring has the focus).
  nudge(ev) {
    const L = this.gd._fullLayout, at = this.start();
    const dir = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1]};
    if (!dir[ev.key] || !L || !at) return;
    const [dx, dy] = dir[ev.key], xr = L.xaxis.range, yr = L.yaxis.range;
    const clamp = (v, r) => Math.max(Math.min(r[0], r[1]), Math.min(Math.max(r[0], r[1]), v));
    if (this.send({x: clamp(at.x + dx * (xr[1] - xr[0]) / 50, xr),
                   y: clamp(at.y + dy * (yr[1] - yr[0]) / 50, yr)}) !== false) {
      ev.preventDefault();
    }
  }

  grab(ev) {
    if (!this.gd._fullLayout) return;
    this.dragging = true;
    this.handle.setPointerCapture(ev.pointerId);
    ev.preventDefault();
  }

  // The ring follows the pointer, inside the map.
  drag(ev) {
    if (!this.dragging) return;
    const L = this.gd._fullLayout, box = this.gd.getBoundingClientRect();
    const clamp = (v, a) => Math.max(a._offset, Math.min(a._offset + a._length, v));
    const px = clamp(ev.clientX - box.left, L.xaxis), py = clamp(ev.clientY - box.top, L.yaxis);
    Object.assign(this.handle.style, {left: `${this.gd.offsetLeft + px}px`,
                                      top: `${this.gd.offsetTop + py}px`});
    this.dropAt = {x: L.xaxis.p2d(px - L.xaxis._offset), y: L.yaxis.p2d(py - L.yaxis._offset)};
  }

  drop() {
    if (!this.dragging) return;
    this.dragging = false;
    if (this.dropAt) this.send(this.dropAt);
    this.dropAt = null;
  }
}
