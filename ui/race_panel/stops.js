// Slider stops: which stop a value is, and how a value is shown. Pure; unit-tested.

// Python's f"{value:g}": 6 significant digits, no trailing zeros, exponent below 1e-4 or
// from 1e6 on (so the panel's labels read as the sidebar and the URL write them).
export function label(value) {
  if (value === 0) return "0";
  if (!Number.isFinite(value)) return String(value);
  const exp = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(6)))));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = value.toExponential(5).split("e");
    const m = mant.replace(/\.?0+$/, "");
    const n = Number(e);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const text = value.toFixed(Math.max(0, 5 - exp));
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

// The index of the stop nearest `value` (exact stops first: a value from the server is one).
export function nearestStop(values, value) {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (Math.abs(values[i] - value) < Math.abs(values[best] - value)) best = i;
  }
  return best;
}

// The stop index a key moves to from `index` among `count` stops (null: not a slider key).
export function keyStep(key, index, count) {
  const last = count - 1;
  const to = {ArrowRight: index + 1, ArrowUp: index + 1, ArrowLeft: index - 1,
              ArrowDown: index - 1, Home: 0, End: last,
              PageUp: index + 5, PageDown: index - 5}[key];
  return to === undefined ? null : Math.max(0, Math.min(last, to));
}
