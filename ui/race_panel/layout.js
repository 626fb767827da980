// Where the map, its colour bar and the loss chart sit across the race chart's width.
//
// The map keeps equal scales on x and y, so its width follows its height. The figure from
// the server (viz/race.py) puts it in the left 55 % of the plot. When the chart is short
// and wide (a 720p projector in presentation mode), the map is narrower than that share,
// which left a gap between the map and its colour bar and a narrow loss chart. `fitDomains`
// gives the map exactly its width, puts the colour bar beside it and gives the loss chart
// the rest.

// The colour bar with its labels, plus the loss chart's tick labels, at 14 px type (px).
const GAP_PX = 112;

// The map's share of the plot's width when the chart is narrow (as in viz/race.py).
export const MAP_SHARE = 0.55;

// {width, height}: the chart's size (px); margin: its layout.margin {l, r, t, b};
// aspect: the map's (x range) / (y range); fontSize: the figure's type size.
// Returns {map: [0, m], colorbarX, loss: [s, 1]} as fractions of the plot's width.
export function fitDomains({width, height, margin, aspect, fontSize = 14}) {
  const plotWidth = Math.max(1, width - (margin.l || 0) - (margin.r || 0));
  const plotHeight = Math.max(1, height - (margin.t || 0) - (margin.b || 0));
  const share = Math.min(MAP_SHARE, (plotHeight * aspect) / plotWidth);
  const gap = (GAP_PX * fontSize) / 14 / plotWidth;
  const m = Math.max(0.2, share);
  return {map: [0, m], colorbarX: m + 6 / plotWidth, loss: [Math.min(0.85, m + gap), 1]};
}

// The figure `spec` ({data, layout}) with the domains of `fit`: the map's x axis, the colour
// bar of the "level scale" trace and the loss chart's x axis. A new object; `spec` is kept.
export function withDomains(spec, fit) {
  const layout = Object.assign({}, spec.layout, {
    xaxis: Object.assign({}, spec.layout.xaxis, {domain: fit.map}),
    xaxis2: Object.assign({}, spec.layout.xaxis2, {domain: fit.loss}),
  });
  const data = spec.data.map((trace) => {
    if (trace.name !== "level scale" || !trace.marker || !trace.marker.colorbar) return trace;
    const colorbar = Object.assign({}, trace.marker.colorbar, {x: fit.colorbarX});
    return Object.assign({}, trace, {marker: Object.assign({}, trace.marker, {colorbar})});
  });
  return Object.assign({}, spec, {data, layout});
}

// The map's aspect ((x range) / (y range)) from the figure's own axis ranges.
export function mapAspect(layout) {
  const [x0, x1] = layout.xaxis.range;
  const [y0, y1] = layout.yaxis.range;
  return Math.abs(x1 - x0) / Math.max(1e-12, Math.abs(y1 - y0));
}
