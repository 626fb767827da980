"""ui.cached: the lr slider's stops are raced all at once, and give exactly the single races."""

from dataclasses import replace

import numpy as np
import pytest

from analysis.race import race, race_over_lrs
from scene import Scene
from ui import cached

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def direct(scene: Scene):
    return race(scene.get_surface(), scene.optimizer_specs(), scene.start_point(), scene.steps,
                schedule=scene.schedule_fn(), noise=scene.noise, seed=scene.seed)


def assert_same(got, want, rtol=0.0):
    assert [e.name for e in got] == [e.name for e in want]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a.points, b.points, rtol=rtol, atol=0)
        np.testing.assert_allclose(a.values, b.values, rtol=rtol, atol=0)
        np.testing.assert_array_equal(a.lrs, b.lrs)
        assert a.diverged_at == b.diverged_at
        assert dict(a.hparams) == dict(b.hparams)


@pytest.mark.parametrize("scene", [
    Scene(),  # Rosenbrock, the default five
    Scene(surface="ravine", optimizers=("sgd", "momentum", "nesterov"), lr=0.063,
          steps=150),  # Nesterov diverges at this lr
    Scene(surface="bowl", optimizers=("sgd", "adam"), lr=10.0),  # the last stop: diverges
    Scene(surface="bowl", optimizers=("sgd",), lr=1e-4),  # the first stop
    Scene(surface="saddle_escape", optimizers=("adam", "newton", "sgd"), lr=0.01,
          overrides=(("adam", "lr", 0.05),), schedule="exponential", decay=0.99),
])
def test_slider_stops_race_exactly_like_single_races(scene):
    # Polynomial surfaces: elementwise arithmetic, so bit for bit.
    assert scene.lr in cached.LR_OPTIONS
    assert_same(cached.race_entries(scene), direct(scene))


def test_slider_stops_on_a_transcendental_surface():
    # NumPy may take another SIMD path for cos over 51 points than over one: the last bit.
    scene = Scene(surface="rastrigin", optimizers=("rmsprop", "adagrad"), lr=0.1, steps=100)
    assert_same(cached.race_entries(scene), direct(scene), rtol=1e-6)


def test_off_grid_lr_and_noise_are_raced_on_their_own():
    for scene in (Scene(lr=0.00123), Scene(noise=0.1, seed=3)):
        assert_same(cached.race_entries(scene), direct(scene))


def test_race_over_lrs_refuses_second_order_methods():
    scene = Scene(optimizers=("newton",))
    with pytest.raises(ValueError, match="own step size"):
        race_over_lrs(scene.get_surface(), scene.optimizer_specs(), [0.1], (0.0, 0.0), 5)
    assert race_over_lrs(scene.get_surface(), [], [], (0.0, 0.0), 5) == []


def test_every_stop_is_a_race_at_that_lr():
    scene = replace(Scene(), optimizers=("sgd",), steps=20)
    races = race_over_lrs(scene.get_surface(), scene.optimizer_specs(), cached.LR_OPTIONS,
                          scene.start_point(), scene.steps)
    assert [r[0].hparams["lr"] for r in races] == list(cached.LR_OPTIONS)
