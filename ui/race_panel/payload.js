// Decoding what the server sends the race panel (viz/scrub.py is the reference encoder):
// Plotly typed arrays ({dtype, bdata}) and slider axes (16-bit quantized, delta coded,
// deflated, base64). Pure functions: no DOM, no Plotly; unit-tested with `node --test`.

export const GAP = 65535;
export const LEVELS = 65534;

const TYPED = {f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array,
               i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array};

export function base64Bytes(text) {
  const raw = atob(text), bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// A Plotly array spec ({dtype, bdata} or a plain list) as numbers.
export function decodeTyped(v) {
  if (!v || !v.bdata) return Array.isArray(v) ? v.slice() : [];
  const bytes = base64Bytes(v.bdata);
  return new TYPED[v.dtype](bytes.buffer);
}

// zlib (RFC 1950) bytes, inflated with the platform's DecompressionStream.
export async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// Running sums mod 2^16 of delta-coded values (viz.scrub.delta's inverse).
export function undelta(d) {
  const out = new Uint16Array(d.length);
  let acc = 0;
  for (let i = 0; i < d.length; i++) { acc = (acc + d[i]) & 0xffff; out[i] = acc; }
  return out;
}

// 0..LEVELS back to [lo, hi]; GAP to NaN.
export function dequantize(q, lo, hi) {
  const out = new Float64Array(q.length), scale = (hi - lo) / LEVELS;
  for (let i = 0; i < q.length; i++) out[i] = q[i] === GAP ? NaN : lo + q[i] * scale;
  return out;
}

// Little-endian uint16 values of `bytes`.
function uint16s(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint16Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint16(2 * i, true);
  return out;
}

// A slider axis (viz.scrub.encode_axis) as its stops: per stop null (not held) or its meta
// with, for each moving entry, `paths[j] = {x, y}` and `curves[j]` (the loss values).
export async function decodeAxis(axis) {
  const raw = uint16s(await inflate(base64Bytes(axis.data)));
  const [x0, x1, y0, y1] = axis.box;
  let at = 0;
  const take = (n) => { const chunk = undelta(raw.subarray(at, at + n)); at += n; return chunk; };
  return axis.stops.map((stop) => {
    if (stop === null) return null;
    const paths = [], curves = [];
    stop.lengths.forEach(([nPath, nLoss], j) => {
      const x = dequantize(take(nPath), x0, x1), y = dequantize(take(nPath), y0, y1);
      const [lo, hi] = stop.loss[j], t = dequantize(take(nLoss), lo, hi);
      if (stop.log) for (let i = 0; i < t.length; i++) t[i] = Math.pow(10, t[i]);
      paths.push({x, y});
      curves.push(t);
    });
    return Object.assign({}, stop, {paths, curves});
  });
}
