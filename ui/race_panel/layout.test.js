import {test} from "node:test";
import assert from "node:assert/strict";

import {MAP_SHARE, fitDomains, mapAspect, withDomains} from "./layout.js";

const margin = {l: 55, r: 10, t: 50, b: 45};

test("a narrow chart keeps the map's share and the loss chart its place", () => {
  const fit = fitDomains({width: 575, height: 480, margin, aspect: 1});
  assert.deepEqual(fit.map, [0, MAP_SHARE]);
  assert.ok(fit.loss[0] > MAP_SHARE && fit.loss[0] < 0.8);
  assert.equal(fit.loss[1], 1);
});

test("a short wide chart gives the map its exact width and the rest to the loss chart", () => {
  const width = 905, height = 420;
  const fit = fitDomains({width, height, margin, aspect: 1});
  const plotWidth = width - 65, plotHeight = height - 95;
  assert.ok(Math.abs(fit.map[1] * plotWidth - plotHeight) < 1e-9);  // square map, no gap
  assert.ok(fit.colorbarX > fit.map[1] && (fit.colorbarX - fit.map[1]) * plotWidth < 7);
  assert.ok((1 - fit.loss[0]) * plotWidth > 0.4 * plotWidth);  // wider than 45 % of 55 %
});

test("larger type keeps more room for the labels between map and loss chart", () => {
  const small = fitDomains({width: 900, height: 400, margin, aspect: 1, fontSize: 14});
  const large = fitDomains({width: 900, height: 400, margin, aspect: 1, fontSize: 20});
  assert.ok(large.loss[0] - large.map[1] > small.loss[0] - small.map[1]);
});

test("withDomains moves the axes and the colour bar, and leaves the spec as it was", () => {
  const spec = {
    data: [{name: "contours"}, {name: "level scale", marker: {colorbar: {x: 0.555, len: 0.8}}}],
    layout: {xaxis: {range: [-2, 2], domain: [0, 0.55]}, yaxis: {range: [-1, 1]},
             xaxis2: {domain: [0.74, 1]}, height: 500},
  };
  const fit = {map: [0, 0.4], colorbarX: 0.41, loss: [0.6, 1]};
  const out = withDomains(spec, fit);
  assert.deepEqual(out.layout.xaxis.domain, [0, 0.4]);
  assert.deepEqual(out.layout.xaxis.range, [-2, 2]);
  assert.deepEqual(out.layout.xaxis2.domain, [0.6, 1]);
  assert.equal(out.data[1].marker.colorbar.x, 0.41);
  assert.equal(out.data[1].marker.colorbar.len, 0.8);
  assert.equal(out.data[0], spec.data[0]);
  assert.deepEqual(spec.layout.xaxis.domain, [0, 0.55]);  // untouched
  assert.equal(spec.data[1].marker.colorbar.x, 0.555);
  assert.equal(mapAspect(spec.layout), 2);
});
