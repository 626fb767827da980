import {test} from "node:test";
import assert from "node:assert/strict";

import {HIDDEN, clippedPath, linePixels, markerPlaces} from "./clip.js";

test("a line inside the box is drawn as it is", () => {
  assert.equal(clippedPath([[0, 0], [10, 5], [20, 0]], 100, 100),
               "M0.00,0.00L10.00,5.00L20.00,0.00");
});

test("a segment leaving the box is cut at its edge (box + margin)", () => {
  const d = clippedPath([[10, 10], [10, 1e7]], 100, 100, 50);
  assert.equal(d, "M10.00,10.00L10.00,150.00");
});

test("gaps lift the pen and far segments vanish", () => {
  assert.equal(clippedPath([[0, 0], null, [5, 5], [6, 6]], 100, 100),
               "M0.00,0.00M5.00,5.00L6.00,6.00");
  assert.equal(clippedPath([[1e6, 1e6], [2e6, 2e6]], 100, 100), "");
  // Re-entering the box: a new subpath starts where the segment comes back in.
  assert.equal(clippedPath([[0, 0], [0, 1000], [10, 0]], 100, 100, 0),
               "M0.00,0.00L0.00,100.00M9.00,100.00L10.00,0.00");
});

test("linePixels: implicit steps, log axis, gaps", () => {
  const px = linePixels(null, [100, 10, 0, NaN], (v) => 10 * v, [0, 2], 200, true);
  assert.deepEqual(px, [[0, 0], [10, 100], null, null]);
  const lin = linePixels([1, 2], [0, 1], (v) => v, [0, 1], 50, false);
  assert.deepEqual(lin, [[1, 50], [2, 0]]);
});

test("markers move to their points' new places, rounded to the hundredth as Plotly's", () => {
  assert.deepEqual(markerPlaces([[0, 0], null, [1, 1]], [[1.234, 5], null, [7, 8.006]]),
                   ["translate(1.23,5)", "translate(7,8.01)"]);
});

test("a marker whose point has no place now is hidden; a new place needs Plotly", () => {
  assert.deepEqual(markerPlaces([[0, 0], [1, 1]], [[2, 2], null]), ["translate(2,2)", HIDDEN]);
  assert.equal(markerPlaces([[0, 0], null], [[2, 2], [3, 3]]), null);
  assert.equal(markerPlaces([[0, 0]], [[0, 0], [1, 1]]), null);
});
