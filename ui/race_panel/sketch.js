// A Plotly frame drawn straight into the SVG Plotly drew for its traces: each line's path and
// each marker's place, at once. Plotly's own draw of a frame (Plotly.animate) runs its whole
// pipeline again (the defaults and the calc of every trace of the figure, the contour line
// included) for what is, at a slider stop, new coordinates for elements already there.
//
// The sketch only moves what Plotly drew: it never adds or removes an element (a marker whose
// point has no place now moves out of view). Where that cannot show the frame as Plotly would
// (a line Plotly drew no path for, a point with a place and no marker, a trace of another
// kind), it says so, and Plotly draws the frame.

import {clippedPath, linePixels, markerPlaces} from "./clip.js";

// Plotly's layout key of an axis id ("x" -> "xaxis", "y2" -> "yaxis2").
function axisKey(id) {
  return id[0] + "axis" + id.slice(1);
}

// Draw `frame` ({data, traces}, as Plotly.animate takes it; a trace's data without `x` is
// drawn over the steps 0, 1, ...) into the chart `gd`, the loss axis (y2) spanning
// `lossRange` (which may be ahead of Plotly's own). Returns false where it could not draw all
// of it (what it drew then stays until Plotly draws the frame).
export function sketchFrame(gd, frame, lossRange) {
  const L = gd._fullLayout, full = gd._fullData || [];
  if (!L) return false;
  for (let j = 0; j < frame.traces.length; j++) {
    const trace = full[frame.traces[j]], data = frame.data[j];
    if (!trace || !data.y) return false;
    if (trace.visible !== true) continue;  // hidden from the legend: Plotly draws nothing
    const g = gd.querySelector(`.trace${trace.uid}`);
    const xa = L[axisKey(trace.xaxis)], ya = L[axisKey(trace.yaxis)];
    if (!g || !xa || !ya) return false;
    const log = ya.type === "log", range = trace.yaxis === "y2" ? lossRange : ya.range;
    const at = (xs, ys) => linePixels(xs, ys, (v) => xa.c2p(v), range, ya._length, log);
    const points = at(data.x || null, data.y);
    if (trace.mode === "lines") {
      const d = clippedPath(points, xa._length, ya._length), path = g.querySelector("path.js-line");
      if (!path) {
        if (d) return false;
        continue;
      }
      path.setAttribute("d", d);
    } else if (trace.mode === "markers") {
      // Plotly drew a marker for each point of its own data it could place, in order.
      const marks = g.querySelectorAll("path.point");
      const places = markerPlaces(at(trace.x || null, trace.y || []), points);
      if (!places || marks.length !== places.length) return false;
      marks.forEach((mark, i) => mark.setAttribute("transform", places[i]));
    } else {
      return false;
    }
  }
  return true;
}
