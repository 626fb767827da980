// The chart's PNG download: the modebar's camera, replaced by one that draws the attribution
// line (surface and settings) under the chart, so that a slide says what it shows.

function link(url, filename) {
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// Plotly's `config` with the download button; `attribution()` is the annotation to add;
// `ready()` settles once Plotly's data is what the chart shows.
export function withDownload(config, gd, attribution, onError, ready = () => null) {
  const options = config.toImageButtonOptions || {};
  const download = () => Promise.resolve(ready()).then(() => {
    const L = gd._fullLayout, extra = 28;
    const margin = Object.assign({}, gd.layout.margin, {b: (gd.layout.margin || {}).b + extra});
    const note = attribution() ? [Object.assign({}, attribution(), {yshift: -margin.b + 4})] : [];
    const layout = Object.assign({}, gd.layout, {
      annotations: [...(gd.layout.annotations || []), ...note], margin,
      width: L.width, height: L.height + extra,
    });
    const format = options.format || "png";
    window.Plotly.toImage({data: gd.data, layout, config: {}}, {
      format, scale: options.scale || 1, width: layout.width, height: layout.height,
    }).then((url) => link(url, (options.filename || "descent") + "." + format));
  }).catch(onError);
  return Object.assign({responsive: true}, config, {
    modeBarButtonsToRemove: [...(config.modeBarButtonsToRemove || []), "toImage"],
    modeBarButtonsToAdd: [{name: "download-png", title: "Download the chart as a PNG",
                           icon: window.Plotly.Icons.camera, click: download}],
  });
}
