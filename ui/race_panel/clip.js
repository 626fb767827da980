// SVG paths for lines and places for markers, drawn straight into the chart (sketch.js)
// instead of by Plotly's own redraw, which recomputes the whole figure. Pure; tested.

// An SVG path through `points` (pixels; null = a gap), each segment clipped to the plot area
// plus a margin (Liang-Barsky): a diverging line runs far off the chart, and a dashed line
// that long takes the browser a long time to paint.
export function clippedPath(points, width, height, pad = 50) {
  const x0 = -pad, x1 = width + pad, y0 = -pad, y1 = height + pad;
  const fmt = (x, y) => x.toFixed(2) + "," + y.toFixed(2);
  let d = "", at = null;  // `at`: where the pen is (null: lifted)
  const visit = (a, b) => {  // the part of segment a->b inside the box, or null
    let t0 = 0, t1 = 1;
    const dx = b[0] - a[0], dy = b[1] - a[1];
    for (const [p, q] of [[-dx, a[0] - x0], [dx, x1 - a[0]], [-dy, a[1] - y0], [dy, y1 - a[1]]]) {
      if (p === 0) { if (q < 0) return null; continue; }
      const t = q / p;
      if (p < 0) { if (t > t1) return null; if (t > t0) t0 = t; } else {
        if (t < t0) return null; if (t < t1) t1 = t;
      }
    }
    return [[a[0] + t0 * dx, a[1] + t0 * dy], [a[0] + t1 * dx, a[1] + t1 * dy], t1 < 1];
  };
  for (let k = 0; k < points.length; k++) {
    const b = points[k], a = k ? points[k - 1] : null;
    if (!b) { at = null; continue; }
    if (!a) {  // a line (re)starts here, if this point is in view
      if (visit(b, b)) { d += "M" + fmt(b[0], b[1]); at = b; }
      continue;
    }
    const part = visit(a, b);
    if (!part) { at = null; continue; }
    const [from, to, cut] = part;
    if (at === null || from[0] !== a[0] || from[1] !== a[1]) d += "M" + fmt(from[0], from[1]);
    d += "L" + fmt(to[0], to[1]);
    at = cut ? null : to;
  }
  return d;
}

// Pixels of a line's points on linear x and (linear or log) y axes: `xs` null means the
// steps 0, 1, ...; `x` maps data to pixels; y uses `range` ([lo, hi], log10 on a log axis)
// over `height` pixels. Non-finite points (and y <= 0 on a log axis) are gaps (null).
export function linePixels(xs, ys, x, range, height, log) {
  const span = range[1] - range[0], out = new Array(ys.length);
  for (let k = 0; k < ys.length; k++) {
    const xv = xs ? xs[k] : k, yv = ys[k];
    const ok = Number.isFinite(xv) && Number.isFinite(yv) && !(log && yv <= 0);
    out[k] = ok ? [x(xv), height * (range[1] - (log ? Math.log10(yv) : yv)) / span] : null;
  }
  return out;
}

// Where an element drawn for a point goes: its `transform`, rounded as Plotly rounds pixels.
function translate([x, y]) {
  const round = (v) => Math.round(v * 100) / 100;
  return `translate(${round(x)},${round(y)})`;
}

// Out of every view: a marker whose point has no place now (Plotly would remove it; its next
// draw places or removes it again).
export const HIDDEN = "translate(-99999,-99999)";

// Where the markers Plotly drew for the points `drawn` go for the points `points` (pixels;
// null = a point Plotly cannot place, for which it draws no marker, so that its markers are,
// in order, those of the other points): per marker its new `transform`, HIDDEN where its
// point has no place now. Null where a point with a place has no marker (Plotly must add one).
export function markerPlaces(drawn, points) {
  if (drawn.length !== points.length) return null;
  const out = [];
  for (let i = 0; i < points.length; i++) {
    if (drawn[i]) out.push(points[i] ? translate(points[i]) : HIDDEN);
    else if (points[i]) return null;
  }
  return out;
}
