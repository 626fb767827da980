"""Fuzzing the two parsers that take text from strangers: the URL and the formula box.

Contracts under test:

* ``scene.urlstate.scene_from_query(mapping)`` never raises; it returns ``(Scene,
  warnings)``, every warning a string naming a URL parameter; whatever it accepted survives
  ``scene_to_query`` -> ``scene_from_query`` unchanged and without warnings (idempotence).
* ``surfaces.from_expression(text)`` returns a ``Surface`` or raises ``ExpressionError``,
  never any other exception.
* Neither hangs: every example must use < 2 s of CPU; a watchdog (SIGALRM) turns a hang
  into a failure instead of a stuck test run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scene import Scene
from scene.urlstate import KEYS, scene_from_query, scene_to_query
from surfaces import ExpressionError, Surface, from_expression

CPU_LIMIT = 2.0  # seconds of CPU per example
WATCHDOG = 20  # seconds of wall time before a call counts as hung
URL_KEYS = sorted(KEYS.values())
# FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py  for a longer hunt.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@contextlib.contextmanager
def watchdog(seconds: int = WATCHDOG) -> Iterator[None]:
    """Raise TimeoutError in the main thread if the block runs longer than ``seconds``."""
    def alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer after {seconds} s: hung?")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def bounded(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``fn(*args)`` under the watchdog; returns (result or ExpressionError, CPU seconds)."""
    start = time.process_time()
    with watchdog():
        try:
            out = fn(*args)
        except ExpressionError as err:
            out = err
    cpu = time.process_time() - start
    assert cpu < CPU_LIMIT, f"{fn.__name__} took {cpu:.2f} s of CPU on {args!r:.300}"
    return out, cpu


# -- strategies ----------------------------------------------------------------------------

# Values that are almost valid: the parsers' edge cases, not only random noise.
NEAR_NUMBERS = st.sampled_from([
    "0", "-0", "0.05", "1e-3", "1E-3", "1e308", "1e-320", "inf", "-inf", "nan", "NaN", " 0.1",
    "0.1 ", "+0.1", "0x10", "1_000", "١٢", "１", "1,2", "1;2", "", " ", "10", "100", "2000",
    "2001", "9" * 400, "0." + "0" * 500 + "1", "1e99999", "-1", "0.999", "1.0000000001",
])
NEAR_WORDS = st.sampled_from([
    "bowl", "ravine", "rosenbrock", "Bowl", "sgd", "adam", "sgd,adam", "sgd,,adam", ",",
    "sgd,sgd", "adam.betas=0.8:0.99", "adam.amsgrad=1", "sgd.nesterov=1", "sgd.momentum=0.9",
    "adam.lr=1", "os.system=1", "__class__", "step", "cosine", "3d", "race", "1,2", "0,0",
    "-1.2,1", "99,99", "nan,1", "1,2,3", "\x00", "'", '"', "<script>", "%00", "😀",
])
VALUES = st.one_of(st.text(max_size=60), NEAR_NUMBERS, NEAR_WORDS,
                   st.lists(st.one_of(NEAR_NUMBERS, NEAR_WORDS), max_size=4).map(",".join))
KEYS_ANY = st.one_of(st.sampled_from(URL_KEYS), st.text(max_size=30))

# What the app receives: st.query_params.to_dict() gives str values; parse_qs gives lists.
QUERIES = st.one_of(
    st.dictionaries(KEYS_ANY, VALUES, max_size=16),
    st.dictionaries(KEYS_ANY, st.lists(VALUES, max_size=3), max_size=16),
    st.dictionaries(st.text(), st.text(), max_size=8),
)


def check_scene_from_query(query: Any) -> tuple[Scene, list[str]]:
    (scene, warnings), _ = bounded(scene_from_query, query)
    assert isinstance(scene, Scene)
    assert isinstance(warnings, list)
    assert all(isinstance(w, str) and w.startswith("URL parameter") for w in warnings), warnings
    return scene, warnings


def check_idempotent(scene: Scene) -> None:
    """What was accepted is a fixed point: URL -> scene -> URL -> scene changes nothing."""
    query = scene_to_query(scene)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    again, warnings = check_scene_from_query(query)
    assert (again, warnings) == (scene, [])
    assert scene_to_query(again) == query
    # ...and through a real query string, as a browser sends it.
    via_text, warnings = check_scene_from_query(parse_qs(urlencode(query)))
    assert (via_text, warnings) == (scene, [])


# -- URL -----------------------------------------------------------------------------------


@FUZZ
@given(QUERIES)
@example({"lr": "1e308"})
@example({"s": "bowl", "start": "nan,1"})
@example({"": ""})
@example({"lr": ["0.05", "abc"]})
@example({"opt": ",".join(["sgd"] * 1000)})
def test_scene_from_any_mapping_never_raises_and_round_trips(query):
    scene, _ = check_scene_from_query(query)
    check_idempotent(scene)


@FUZZ
@given(st.text(max_size=300))
@example("s=bowl&opt=sgd,adam&lr=0.05")
@example("lr=0.05&lr=abc&&=&%zz&s=%F0%9F%98%80")
@example("&" * 1000)
def test_scene_from_any_query_string(text):
    scene, _ = check_scene_from_query(parse_qs(text, keep_blank_values=True))
    check_idempotent(scene)
    check_scene_from_query(parse_qs(text))


@FUZZ
@given(st.dictionaries(st.text(max_size=50).filter(lambda k: k not in KEYS.values()),
                       st.text(max_size=20), min_size=1, max_size=6))
def test_every_unknown_parameter_is_named_in_a_warning(query):
    _, warnings = check_scene_from_query(query)
    for key in query:
        assert any(repr(key[:40]) in w for w in warnings), (key, warnings)


@FUZZ
@given(st.sampled_from(URL_KEYS), VALUES)
def test_a_rejected_value_is_named_and_an_accepted_one_is_kept(key, value):
    scene, warnings = check_scene_from_query({"s": "bowl", key: value})
    if key == "s":
        return
    named = [w for w in warnings if repr(key) in w]
    base = scene_from_query({"s": "bowl"})[0]
    if not named:  # accepted: the URL written back carries it (unless it is the default)
        assert scene_to_query(scene).get(key) is not None or scene == base


# -- formulas ------------------------------------------------------------------------------

TOKENS = ["x", "y", "pi", "e", "1", "2", "0.5", "1e308", "1e-9", "(", ")", "+", "-", "*", "/",
          "**", "^", " ", ",", ".", "sin", "cos", "exp", "log", "sqrt", "abs", "relu",
          "sigmoid", "softplus", "tanh", "tan", "lambda", "__import__", "x.y", "[", "]", "{",
          "}", ":", "=", "==", "<", "'", '"', "\\", "\n", "\t", "#", "@", "!", "0x1", "1j",
          "\u00b2", "\u2212", "x\u0301", "ｘ"]


def check_formula(text: str) -> None:
    out, _ = bounded(from_expression, text)
    assert isinstance(out, Surface | ExpressionError), type(out)
    if isinstance(out, ExpressionError):
        assert str(out), "an ExpressionError must say what is wrong"


@FUZZ
@given(st.text(max_size=600))
@example("")
@example("(" * 10_000)
@example("x" * 501)
@example("exp(exp(exp(exp(x))))")
@example("9" * 400 + "**" + "9" * 50)
@example("x**" * 80 + "2")
def test_formula_from_any_text_is_a_surface_or_an_expression_error(text):
    check_formula(text)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=80).map("".join))
def test_formula_from_token_soup(text):
    check_formula(text)


@pytest.mark.parametrize("text", ["1e308*1e308", "(x**2)**(10**9)", "2**2**2**2**2**2",
                                  "sqrt(-1)", "log(0*x)", "1/(x-x)", "x/0"])
def test_formula_edge_cases(text):
    check_formula(text)
