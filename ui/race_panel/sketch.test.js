import {test} from "node:test";
import assert from "node:assert/strict";

import {HIDDEN} from "./clip.js";
import {sketchFrame} from "./sketch.js";

// A chart as sketchFrame reads it: Plotly's axes and traces, and per trace the elements Plotly
// drew (a line's path, or a marker per point it could place).
function element() {
  return {attrs: {}, setAttribute(k, v) { this.attrs[k] = v; }};
}

function chart(traces) {
  const axis = (length, range, type = "linear") => ({_length: length, range, type,
                                                     c2p: (v) => v * 10});
  const groups = {};
  for (const t of traces) {
    groups[t.uid] = {
      line: t.mode === "lines" && t.drawn !== false ? element() : null,
      marks: t.mode === "markers" ? t.y.filter(Number.isFinite).map(element) : [],
    };
  }
  return {
    groups,
    _fullLayout: {xaxis: axis(100, [0, 10]), yaxis: axis(100, [0, 10]),
                  xaxis2: axis(100, [0, 10]), yaxis2: axis(100, [-2, 2], "log")},
    _fullData: traces.map((t) => Object.assign({visible: true}, t)),
    querySelector(selector) {
      const g = groups[selector.slice(".trace".length)];
      return g && {querySelector: () => g.line, querySelectorAll: () => g.marks};
    },
  };
}

const MAP = {xaxis: "x", yaxis: "y"}, LOSS = {xaxis: "x2", yaxis: "y2"};

test("a frame's lines and markers go where Plotly draws them", () => {
  const gd = chart([{uid: "a", mode: "lines", ...MAP},
                    {uid: "b", mode: "markers", x: [1, 2], y: [1, 2], ...LOSS}]);
  const frame = {traces: [0, 1], data: [{x: [0, 5], y: [10, 5]}, {x: [3, 4], y: [1, 100]}]};
  assert.equal(sketchFrame(gd, frame, [-2, 2]), true);
  assert.equal(gd.groups.a.line.attrs.d, "M0.00,0.00L50.00,50.00");
  // log axis over [-2, 2] decades, 100 px: 1 -> 50 px, 100 -> 0 px
  assert.deepEqual(gd.groups.b.marks.map((m) => m.attrs.transform),
                   ["translate(30,50)", "translate(40,0)"]);
});

test("the loss axis is drawn at the range asked for (ahead of Plotly's)", () => {
  const gd = chart([{uid: "b", mode: "markers", x: [1], y: [1], ...LOSS}]);
  sketchFrame(gd, {traces: [0], data: [{x: [3], y: [1]}]}, [-4, 0]);
  assert.deepEqual(gd.groups.b.marks.map((m) => m.attrs.transform), ["translate(30,0)"]);
});

test("a marker whose point has no place now is hidden; one that needs a new marker fails", () => {
  const gd = chart([{uid: "b", mode: "markers", x: [1, 2], y: [1, NaN], ...LOSS}]);
  assert.equal(sketchFrame(gd, {traces: [0], data: [{x: [3, 4], y: [NaN, NaN]}]}, [-2, 2]),
               true);
  assert.deepEqual(gd.groups.b.marks.map((m) => m.attrs.transform), [HIDDEN]);
  assert.equal(sketchFrame(gd, {traces: [0], data: [{x: [3, 4], y: [1, 1]}]}, [-2, 2]), false);
});

test("a line Plotly drew no path for, a trace hidden from the legend, a frame without y", () => {
  const gd = chart([{uid: "a", mode: "lines", drawn: false, ...MAP},
                    {uid: "c", mode: "lines", visible: "legendonly", drawn: false, ...MAP}]);
  assert.equal(sketchFrame(gd, {traces: [0], data: [{x: [1, 2], y: [1, 2]}]}, [-2, 2]), false);
  assert.equal(sketchFrame(gd, {traces: [0], data: [{x: [], y: []}]}, [-2, 2]), true);
  assert.equal(sketchFrame(gd, {traces: [1], data: [{x: [1, 2], y: [1, 2]}]}, [-2, 2]), true);
  assert.equal(sketchFrame(gd, {traces: [0], data: [{x: [1, 2]}]}, [-2, 2]), false);
});
