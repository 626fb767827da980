// Playback of a race: the figure at step k, built from the traces (viz.race_figure's
// layout.meta.motion says which traces are paths, losses and animated). The race unfolds:
// each path and loss curve is drawn up to step k only; at the last step, in full. Pure.

// The Plotly update (traces and their data) that shows step `k` of a race whose entries
// have `paths[e] = {x, y}` (up to the last finite point) and `curves[e]` (loss per step);
// the loss cursor spans `cursor` ([lo, hi]; null: the span it has).
export function frameAt(motion, paths, curves, k, cursor = null) {
  const n = paths.length, trail = motion.trail;
  const cx = new Float64Array(n * trail), cy = new Float64Array(n * trail);
  const hy = new Float64Array(n);
  const data = [];
  for (let e = 0; e < n; e++) {
    const {x, y} = paths[e], last = x.length - 1;
    for (let t = 0; t < trail; t++) {
      const s = Math.min(Math.max(k - trail + 1 + t, 0), last);
      cx[e * trail + t] = x[s];
      cy[e * trail + t] = y[s];
    }
    hy[e] = curves[e][Math.min(k, curves[e].length - 1)];
    data.push({x: x.subarray(0, Math.min(k + 1, x.length)),
               y: y.subarray(0, Math.min(k + 1, y.length))});
  }
  for (let e = 0; e < n; e++) data.push({y: curves[e].subarray(0, k + 1)});
  data.push({x: cx, y: cy}, {x: new Array(n).fill(k), y: hy},
            cursor ? {x: [k, k], y: cursor.slice()} : {x: [k, k]});
  return {data, traces: [...motion.paths, ...motion.losses, ...motion.animated]};
}

// frameAt's update restricted to what a slider stop changes: the path and loss curve of the
// entries `moving`, and the animated traces (comets, loss heads, cursor), which follow every
// entry. The other traces are left as they are drawn.
export function stopFrame(motion, paths, curves, k, cursor, moving) {
  const full = frameAt(motion, paths, curves, k, cursor), n = paths.length;
  const keep = [...moving, ...moving.map((e) => n + e), 2 * n, 2 * n + 1, 2 * n + 2];
  return {data: keep.map((j) => full.data[j]), traces: keep.map((j) => full.traces[j])};
}

// The last step of a race (what the chart shows when it is not playing).
export function lastStep(motion) {
  return motion.frames[motion.frames.length - 1];
}

// What drawing a stop changes besides the lines: the traces' names and the loss axis range,
// each null where it stays as it is (so that no Plotly call is made for it). While stops
// are drawn the loss axis only grows, to hold the stop's range too: an axis that jumps at
// every stop of a drag is hard to read, and each change costs a redraw of the whole chart.
// The rerun after the release brings the stop's own range.
export function stopChanges(namesNow, names, rangeNow, range) {
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const grown = grownRange(rangeNow, range);
  return {names: same(namesNow, names) ? null : names.slice(),
          range: same(rangeNow, grown) ? null : grown};
}

// The loss axis range holding both `rangeNow` (if any) and a stop's `range`.
export function grownRange(rangeNow, range) {
  if (!rangeNow || rangeNow.length !== 2) return range.slice();
  return [Math.min(rangeNow[0], range[0]), Math.max(rangeNow[1], range[1])];
}
