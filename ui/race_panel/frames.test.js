import {test} from "node:test";
import assert from "node:assert/strict";

import {frameAt, lastStep, stopChanges, stopFrame} from "./frames.js";

const motion = {frames: [0, 2, 4], trail: 3, paths: [2, 3], losses: [4, 5],
                animated: [6, 7, 8]};
const paths = [
  {x: new Float64Array([0, 1, 2, 3, 4]), y: new Float64Array([0, 10, 20, 30, 40])},
  {x: new Float64Array([5, 6]), y: new Float64Array([50, 60])},  // diverged after step 1
];
const curves = [new Float64Array([9, 8, 7, 6, 5]), new Float64Array([4, 3, NaN, NaN, NaN])];

test("the race unfolds: paths and loss curves up to step k only", () => {
  const {data, traces} = frameAt(motion, paths, curves, 2);
  assert.deepEqual(traces, [2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(data[0].x), [0, 1, 2]);
  assert.deepEqual(Array.from(data[1].x), [5, 6]);  // a diverged path stops where it left
  assert.deepEqual(Array.from(data[2].y), [9, 8, 7]);
  assert.deepEqual(Array.from(data[3].y), [4, 3, NaN]);
});

test("comets trail the last points, held at a diverged path's end; heads and cursor", () => {
  const {data} = frameAt(motion, paths, curves, 2);
  const [comet, heads, cursor] = data.slice(4);
  assert.deepEqual(Array.from(comet.x), [0, 1, 2, 5, 6, 6]);
  assert.deepEqual(Array.from(heads.y), [7, NaN]);
  assert.deepEqual(heads.x, [2, 2]);
  assert.deepEqual(cursor.x, [2, 2]);
});

test("at the last step the paths are whole", () => {
  const k = lastStep(motion);
  assert.equal(k, 4);
  const {data} = frameAt(motion, paths, curves, k);
  assert.equal(data[0].x.length, 5);
  assert.equal(data[2].y.length, 5);
});

test("stopChanges names only what a stop changes", () => {
  const names = ["SGD", "Adam"], range = [-2.15, 3.15];
  assert.deepEqual(stopChanges(names, ["SGD", "Adam"], range, [-2.15, 3.15]),
                   {names: null, range: null});
  const moved = stopChanges(names, ["SGD (diverged at step 9)", "Adam"], range, [-1.15, 5.15]);
  assert.deepEqual(moved, {names: ["SGD (diverged at step 9)", "Adam"], range: [-2.15, 5.15]});
  assert.deepEqual(stopChanges(names, names, undefined, range), {names: null, range});
});

test("while stops are drawn the loss axis only grows", () => {
  const names = ["SGD"], range = [-4.15, 1.15];
  assert.deepEqual(stopChanges(names, names, range, [-3.15, 0.15]), {names: null, range: null});
  assert.deepEqual(stopChanges(names, names, range, [-6.15, 0.15]).range, [-6.15, 1.15]);
  assert.deepEqual(stopChanges(names, names, range, [-1.15, 2.15]).range, [-4.15, 2.15]);
});

test("a stop's frame: the moving entries' path and loss, every comet, head and the cursor", () => {
  const k = lastStep(motion);
  const {data, traces} = stopFrame(motion, paths, curves, k, [0.5, 9], [1]);
  assert.deepEqual(traces, [3, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(data[0].x), [5, 6]);
  assert.deepEqual(Array.from(data[1].y), [4, 3, NaN, NaN, NaN]);
  assert.equal(data[2].x.length, 2 * motion.trail);  // the comets of both entries
  assert.deepEqual(data[4], {x: [k, k], y: [0.5, 9]});
  assert.deepEqual(frameAt(motion, paths, curves, k).data[6], {x: [k, k]});  // span kept
});
