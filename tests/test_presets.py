"""Lecture presets: each loads, is its own URL, and still tells the story its caption tells."""

from dataclasses import replace
from urllib.parse import parse_qs

import numpy as np
import pytest

from analysis import race, summarize
from pages.race import TOLERANCE
from scene import Scene
from scene.presets import OPENER_CLAIMS, PRESETS, Claim
from scene.urlstate import scene_from_query, scene_to_query


def outcome(preset_name):
    scene = PRESETS[preset_name].scene()
    surface = scene.get_surface()
    return {r.name: r for r in summarize(surface, scene.race())}


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_is_a_valid_url(name):
    preset = PRESETS[name]
    scene, warnings = scene_from_query(parse_qs(preset.query))
    assert warnings == []
    assert scene_from_query(scene_to_query(scene)) == (scene, [])
    assert preset.caption and preset.title


def _race(scene):
    surface = scene.get_surface()
    entries = scene.race()
    rows = summarize(surface, entries, tol=TOLERANCE)
    return {e.name: e for e in entries}, {r.name: r for r in rows}


def _holds(claim: Claim, entries, rows, minima=()) -> bool:
    e, r = entries[claim.optimizer], rows[claim.optimizer]
    final = np.inf if e.diverged else e.values[-1]
    if claim.kind == "ends_below":
        other = entries[claim.other]
        return final < (np.inf if other.diverged else other.values[-1])
    if claim.kind == "mostly_below":
        a, b = (np.nan_to_num(x.values[1:], nan=np.inf) for x in (e, entries[claim.other]))
        return np.mean(a < b) >= claim.lo
    if claim.kind == "reaches":
        return claim.lo <= r.steps_to_tolerance <= claim.hi
    if claim.kind == "misses":
        return r.steps_to_tolerance == -1
    if claim.kind == "diverges":
        return e.diverged and claim.lo <= e.diverged_at <= claim.hi
    if claim.kind == "stable":
        return not e.diverged
    if claim.kind == "settles":
        ratio = e.values[25:75].mean() / e.values[-50:].mean()
        return bool(claim.lo <= ratio <= claim.hi)
    if claim.kind == "final_in":
        return claim.lo <= final <= claim.hi
    if claim.kind == "diagonal":
        steps = np.abs(np.diff(e.points, axis=0))
        return bool(np.all(np.isclose(steps[:, 0], steps[:, 1], rtol=1e-9, atol=1e-12)))
    if claim.kind == "overshoots":
        final_point = e.points[-1]
        minimum = min(minima, key=lambda m: float(np.linalg.norm(final_point - np.asarray(m))))
        before, after = e.points[0] - minimum, final_point - minimum
        return bool(np.all(np.sign(before) == -np.sign(after)))
    raise AssertionError(f"unknown claim kind {claim.kind!r}")


def _scene(query: str, variant: str = ""):
    params = parse_qs(query)
    params.update(parse_qs(variant))
    scene, warnings = scene_from_query(params)
    assert warnings == []
    return scene


CLAIMS = [(name, claim) for name, p in PRESETS.items() for claim in p.claims]


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_caption_states_checked_claims(name):
    assert PRESETS[name].claims, f"{name}: its caption's claims are not checked"


@pytest.mark.parametrize(("name", "claim"), CLAIMS,
                         ids=[f"{n}-{c.kind}-{c.optimizer}{'-' + c.variant if c.variant else ''}"
                              for n, c in CLAIMS])
def test_caption_claim_holds_on_its_scene(name, claim):
    scene = _scene(PRESETS[name].query, claim.variant)
    entries, rows = _race(scene)
    assert _holds(claim, entries, rows, scene.get_surface().minima), f"{name}: {claim}"


@pytest.mark.parametrize("claim", OPENER_CLAIMS, ids=lambda c: f"{c.kind}-{c.optimizer}")
def test_default_scene_shows_what_its_description_says(claim):
    entries, rows = _race(Scene())
    assert _holds(claim, entries, rows), claim


def test_a_false_claim_fails():
    """The checker can fail: the opposite of a true claim is rejected."""
    entries, rows = _race(PRESETS["lr_too_large"].scene())
    assert not _holds(Claim("stable", "sgd"), entries, rows)
    assert not _holds(Claim("ends_below", "sgd", "momentum"), entries, rows)
    assert not _holds(Claim("reaches", "momentum", lo=0, hi=5), entries, rows)
    ravine = PRESETS["ademamix_remembers"].scene()
    entries, rows = _race(ravine)
    minima = ravine.get_surface().minima
    assert not _holds(Claim("overshoots", "adam"), entries, rows, minima)
    assert not _holds(Claim("diagonal", "adam"), entries, rows)
    assert not _holds(Claim("final_in", "ademamix", hi=1e-6), entries, rows)


def test_newton_is_attracted_to_the_saddle_saddle_free_newton_is_not():
    scene = PRESETS["newton_saddle"].scene()
    surface = scene.get_surface()
    entries = {e.name: e for e in race(surface, scene.optimizer_specs(), scene.start_point(),
                                       scene.steps)}
    saddle = surface.saddles[0]
    assert abs(entries["newton"].points[-1] - saddle).max() < 1e-6
    final = entries["saddle_free_newton"].points[-1]
    assert min(abs(surface.minima - final).max(axis=1)) < 1e-6


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_link_shows_its_own_caption(name):
    """Each preset is a race of its own: its link (shared with a class) finds its caption."""
    from scene.presets import preset_of

    assert preset_of(PRESETS[name].scene()) is PRESETS[name]
    assert preset_of(replace(PRESETS[name].scene(), view="sweep")) is PRESETS[name]
