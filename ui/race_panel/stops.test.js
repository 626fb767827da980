import {test} from "node:test";
import assert from "node:assert/strict";

import {keyStep, label, nearestStop} from "./stops.js";

test("label writes values as Python's f'{v:g}' does", () => {
  const cases = [[0.001, "0.001"], [0.0013, "0.0013"], [0.00107, "0.00107"], [10, "10"],
                 [0.9985, "0.9985"], [0, "0"], [1e-5, "1e-05"], [0.0001, "0.0001"],
                 [2.5e6, "2.5e+06"], [0.1 + 0.2, "0.3"], [123456.7, "123457"], [1, "1"]];
  for (const [value, text] of cases) assert.equal(label(value), text, String(value));
});

test("nearestStop picks the closest stop", () => {
  assert.equal(nearestStop([0, 0.5, 0.9, 0.99], 0.9), 2);
  assert.equal(nearestStop([0, 0.5, 0.9, 0.99], 0.97), 3);
  assert.equal(nearestStop([0.1], 5), 0);
});

test("keyStep steps, jumps to the ends and stays inside", () => {
  assert.equal(keyStep("ArrowRight", 3, 10), 4);
  assert.equal(keyStep("ArrowLeft", 0, 10), 0);
  assert.equal(keyStep("End", 3, 10), 9);
  assert.equal(keyStep("Home", 3, 10), 0);
  assert.equal(keyStep("PageUp", 8, 10), 9);
  assert.equal(keyStep("a", 3, 10), null);
});
