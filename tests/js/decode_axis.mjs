// Decode a slider axis with the race panel's own decoder and print what it holds, for
// tests/test_race_panel.py to compare with viz.scrub.decode_axis.
// Usage: node decode_axis.mjs AXIS.json
import {readFileSync} from "node:fs";

import {decodeAxis} from "../../ui/race_panel/payload.js";

const axis = JSON.parse(readFileSync(process.argv[2], "utf8"));
const stops = await decodeAxis(axis);
const plain = (a) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));
process.stdout.write(JSON.stringify(stops.map((s) => s && {
  names: s.names, paths: s.paths.map((p) => [plain(p.x), plain(p.y)]),
  curves: s.curves.map(plain)})));
