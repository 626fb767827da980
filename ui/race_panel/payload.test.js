import {test} from "node:test";
import assert from "node:assert/strict";
import {deflateSync} from "node:zlib";

import {GAP, LEVELS, decodeAxis, decodeTyped, dequantize, undelta} from "./payload.js";

const b64 = (bytes) => Buffer.from(bytes).toString("base64");

test("decodeTyped reads Plotly's base64 typed arrays and plain lists", () => {
  const f4 = new Float32Array([1.5, -2, 3.25]);
  assert.deepEqual(Array.from(decodeTyped({dtype: "f4", bdata: b64(new Uint8Array(f4.buffer))})),
                   [1.5, -2, 3.25]);
  assert.deepEqual(decodeTyped([1, 2]), [1, 2]);
  assert.deepEqual(decodeTyped(undefined), []);
});

test("undelta sums modulo 2^16", () => {
  assert.deepEqual(Array.from(undelta(new Uint16Array([65534, 5, 65535]))), [65534, 3, 2]);
});

test("dequantize maps 0..LEVELS to [lo, hi] and GAP to NaN", () => {
  const out = dequantize(new Uint16Array([0, LEVELS, LEVELS / 2, GAP]), -1, 1);
  assert.deepEqual(Array.from(out.subarray(0, 3)), [-1, 1, 0]);
  assert.ok(Number.isNaN(out[3]));
});

function encode(series) {
  // viz.scrub's encoding: delta coded per series, little-endian uint16, zlib, base64.
  const all = [];
  for (const s of series) s.forEach((v, i) => all.push((v - (i ? s[i - 1] : 0)) & 0xffff));
  const bytes = Buffer.alloc(2 * all.length);
  all.forEach((v, i) => bytes.writeUInt16LE(v, 2 * i));
  return deflateSync(bytes).toString("base64");
}

test("decodeAxis unpacks each held stop's paths and loss curves", async () => {
  const axis = {
    values: [0.1, 0.2], moving: [0], box: [0, 10, -5, 5],
    stops: [null, {names: ["SGD"], range: [-1, 1], dtick: 1, cursor: [0.1, 10], log: true,
                   lengths: [[3, 3]], loss: [[-1, 1]], attribution: "a"}],
    data: encode([[0, LEVELS / 2, GAP], [LEVELS, 0, GAP], [0, LEVELS, LEVELS / 2]]),
  };
  const [none, stop] = await decodeAxis(axis);
  assert.equal(none, null);
  assert.deepEqual(Array.from(stop.paths[0].x.subarray(0, 2)), [0, 5]);
  assert.deepEqual(Array.from(stop.paths[0].y.subarray(0, 2)), [5, -5]);
  assert.ok(Number.isNaN(stop.paths[0].x[2]) && Number.isNaN(stop.paths[0].y[2]));
  assert.deepEqual(Array.from(stop.curves[0]), [0.1, 10, 1]);  // log axis: 10 ** t
  assert.equal(stop.attribution, "a");
});
