"""The page, driven headless with Streamlit's AppTest (no browser needed)."""

import json
from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from surfaces import SURFACES
from tests.conftest import ROOT
from viz.spec import decode_typed_array

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def fresh_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def race_args(at: AppTest) -> dict:
    """What the race panel (ui/race_panel) was given: spec, axes, config, attribution..."""
    (panel,) = [c for c in at.get("bidi_component")
                if c.proto.component_name == "descent_race_panel"]
    return json.loads(panel.proto.json)


def race_paths(at: AppTest) -> dict[str, np.ndarray]:
    """The full path of every optimizer, decoded from the race chart's spec."""
    spec = json.loads(race_args(at)["spec"])
    paths = {}
    for trace in spec["data"]:
        if trace.get("mode") == "lines" and trace.get("showlegend", True):
            xs = decode_typed_array(trace["x"])
            ys = decode_typed_array(trace["y"])
            paths[trace["legendgroup"]] = np.stack([xs, ys], axis=-1)
    return paths


def release(at: AppTest, **settings) -> AppTest:
    """What the race panel's release of a slider does (``pages.race._on_settings`` turns
    its message into these scene keys); AppTest cannot drag a component's slider."""
    for key, value in settings.items():
        at.session_state[key] = value
    return at.run()


def panel_notes(at: AppTest) -> list[str]:
    """The warnings the race panel shows under its chart."""
    return race_args(at)["notes"]


@pytest.fixture(scope="module")
def app() -> AppTest:
    return fresh_app()


def test_defaults_race_five_optimizers(app):
    paths = race_paths(app)
    assert set(paths) == {"sgd", "momentum", "nesterov", "rmsprop", "adam"}
    # One figure (map + loss panel) in the race panel, no st.plotly_chart.
    assert not app.get("plotly_chart")
    args = race_args(app)
    assert args["attribution"]["text"].startswith("Descent · Rosenbrock · lr=")
    assert args["clickable"] is False


def test_3d_view_draws_only_the_surface():
    at = fresh_app()
    at.segmented_control(key="view").set_value("3d").run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert spec["data"][0]["type"] == "surface"
    assert at.query_params["view"] == "3d"


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_surface_runs_without_exception(name):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.selectbox(key="surface").set_value(name).run()
    assert not at.exception, at.exception
    assert at.session_state["start_x"] == SURFACES[name].start[0]
    assert race_paths(at)


def test_lr_slider_changes_trajectories():
    at = fresh_app()
    before = race_paths(at)
    assert at.session_state["lr"] != 0.002
    release(at, lr=0.002)
    assert not at.exception
    after = race_paths(at)
    assert not np.allclose(before["sgd"][-1], after["sgd"][-1])


def test_momentum_slider_changes_only_momentum_methods():
    at = fresh_app()
    before = race_paths(at)
    release(at, momentum=0.5)
    after = race_paths(at)
    assert not np.allclose(before["momentum"][-1], after["momentum"][-1])
    np.testing.assert_array_equal(before["sgd"], after["sgd"])
    np.testing.assert_array_equal(before["adam"], after["adam"])


def test_choosing_cosine_says_it_holds_where_torch_climbs_back():
    at = fresh_app()
    assert not any("CosineAnnealingLR" in c.value for c in at.caption)
    release(at, schedule="cosine")
    assert not at.exception
    assert any("CosineAnnealingLR climbs back" in c.value for c in at.caption)


def test_decay_schedule_changes_trajectories():
    at = fresh_app()
    before = race_paths(at)
    release(at, schedule="exponential")
    release(at, decay_exponential=0.95)
    assert not at.exception
    after = race_paths(at)
    assert not np.allclose(before["adam"][-1], after["adam"][-1])


def test_diverging_lr_warns_without_exception():
    at = fresh_app()
    at.selectbox(key="surface").set_value("bowl").run()
    release(at, lr=10.0)
    assert not at.exception
    warnings = panel_notes(at)
    assert any("SGD diverged at step" in w for w in warnings), warnings
    # One warning for all the runs that blew up, so the chart stays in view.
    assert sum("diverged at step" in w for w in warnings) == 1, warnings
    assert len(at.dataframe) == 1


def test_divergence_note_names_every_blown_run_once():
    from analysis.race import RaceEntry
    from pages.race import divergence_note

    def entry(name, lr, at):
        hp = {} if lr is None else {"lr": lr}
        return RaceEntry(name, hp, np.zeros((3, 2)), np.zeros(3), np.zeros(3), at)

    assert divergence_note((entry("sgd", 0.1, -1),)) is None
    one = divergence_note((entry("sgd", 0.1, 4), entry("adam", 0.1, -1)))
    assert one.startswith("**SGD diverged at step 4**: the learning rate 0.1 is")
    assert "Its line stops where it left the map." in one
    many = divergence_note((entry("sgd", 0.1, 4), entry("adam", 2.0, 7),
                            entry("newton", None, 2)))
    assert many.startswith("**SGD diverged at step 4, Adam at step 7, Newton at step 2**")
    assert "the learning rates 0.1, 1, 2 are too large" in many  # Newton's step: 1
    assert "Their lines stop where they left the map." in many


def test_no_optimizer_selected_shows_hint():
    at = fresh_app()
    at.multiselect(key="optimizers").set_value([]).run()
    assert not at.exception
    assert any("Pick at least one optimizer" in i.value for i in at.info)


def app_with_query(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_shared_url_restores_the_scene():
    at = app_with_query(s="bowl", opt="sgd,adam", lr="0.05", n="40", start="1,-1")
    assert at.session_state["surface"] == "bowl"
    assert at.session_state["optimizers"] == ["sgd", "adam"]
    assert at.session_state["lr"] == 0.05
    paths = race_paths(at)
    assert set(paths) == {"sgd", "adam"}
    np.testing.assert_allclose(paths["sgd"][0], [1.0, -1.0])
    assert len(paths["sgd"]) == 41
    assert not at.warning


def test_bad_url_warns_naming_the_parameter_and_keeps_working():
    at = app_with_query(s="bowl", lr="banana", n="-5", evil="__import__('os')")
    texts = " ".join(w.value for w in at.warning)
    assert "'lr'" in texts and "'n'" in texts and "'evil'" in texts
    assert race_paths(at)


def test_widget_changes_are_written_to_the_url():
    at = fresh_app()
    release(at, lr=0.002)
    assert at.query_params["lr"] == "0.002"


def test_preset_menu_loads_its_scene():
    at = fresh_app()
    at.menu_button(key="preset_menu").click("lr_too_large").run()
    assert not at.exception
    assert at.session_state["surface"] == "ravine"
    assert "learning rate is too large" in race_args(at)["caption"]
    assert any("SGD diverged" in w for w in panel_notes(at))


def test_presentation_mode_hides_the_table():
    at = fresh_app()
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert len(at.dataframe) == 0
    at.button(key="exit_present").click().run()
    assert len(at.dataframe) == 1


def test_gif_export_offers_a_download():
    at = app_with_query(s="bowl", n="30", opt="sgd")
    at.menu_button(key="render_menu").click("gif").run()
    assert not at.exception
    downloads = at.get("download_button")
    assert downloads, "a Download GIF button appears after rendering"


def test_sweep_view_and_cell_click_settings():
    at = app_with_query(s="ravine", opt="momentum,adam", n="60", view="sweep")
    at.selectbox(key="sweep_res").set_value(50).run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(t["type"] == "heatmap" for t in spec["data"])
    assert any("2(1+μ)/L" in m.value for m in at.markdown)  # the theory line on a quadratic


def test_basins_view_on_himmelblau_and_a_single_minimum_surface():
    at = app_with_query(s="himmelblau", opt="sgd,momentum", n="60", view="basins")
    at.selectbox(key="basin_res").set_value(100).run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 1
    at = app_with_query(s="bowl", view="basins")
    assert any("basins of attraction need several" in i.value for i in at.info)


def test_auto_tune_gives_each_optimizer_its_own_lr_which_the_slider_scales():
    at = app_with_query(s="rosenbrock", opt="sgd,adam", n="200")
    at.button(key="auto_tune").click().run()
    assert not at.exception, at.exception
    before = {e["name"]: e for e in race_entries_of(at)}
    lrs = {n: before[n]["lr"] for n in ("sgd", "adam")}
    assert lrs["adam"] > 10 * lrs["sgd"]  # Adam's best lr is far larger on Rosenbrock
    assert "adam.lr_factor=" in at.query_params["hp"]
    assert any("Auto-tuned lrs" in n and "scales them together" in n for n in panel_notes(at))
    release(at, lr=at.session_state["lr"] * 2)  # the panel's lr slider, one move
    after = {e["name"]: e["lr"] for e in race_entries_of(at)}
    assert after == pytest.approx({n: 2 * lr for n, lr in lrs.items()})
    assert race_args(at)["values"]["lr"] == pytest.approx(at.session_state["lr"])
    at.button(key="same_lr").click().run()
    assert at.session_state["hp_adam_lr_factor"] == 1.0
    assert "hp" not in at.query_params
    assert len({e["lr"] for e in race_entries_of(at)}) == 1


def race_entries_of(at: AppTest) -> list[dict]:
    """The results table's rows (optimizer label and lr), keyed back to optimizer names."""
    from viz import theme

    names = {theme.label(n): n for n in at.session_state["optimizers"]}
    (table,) = at.dataframe
    return [{"name": names[row["optimizer"]], "lr": row["lr"]}
            for row in table.value.to_dict("records")]


def test_the_same_optimizer_twice_with_its_own_lr_and_without_the_decay():
    at = app_with_query(s="bowl", opt="sgd,sgd~2", sch="exponential", dec="0.95",
                        hp="sgd~2.decay=0;sgd~2.lr=0.03")
    assert not at.exception, at.exception
    paths = race_paths(at)
    assert set(paths) == {"sgd", "sgd~2"}
    assert not np.allclose(paths["sgd"], paths["sgd~2"])
    legend = [t["name"] for t in json.loads(race_args(at)["spec"])["data"]
              if t.get("legendgroup") == "sgd~2" and t.get("showlegend", True)]
    assert legend and "SGD #2" in legend[0] and "no decay" in legend[0]
    # the decay slider moves only the decayed copy
    axes = json.loads(race_args(at)["axes"])
    assert axes["decay"]["moving"] == [0]
    # a third SGD from the sidebar's menu: its own settings open under Advanced
    at.menu_button(key="copy_menu").click("sgd").run()
    assert not at.exception, at.exception
    assert at.session_state["optimizers"] == ["sgd", "sgd~2", "sgd~3"]
    assert at.session_state["advanced"]
    assert at.query_params["opt"] == "sgd,sgd~2,sgd~3"
    assert set(race_paths(at)) == {"sgd", "sgd~2", "sgd~3"}


def test_step_through_numbers_follow_the_slider():
    at = app_with_query(s="ravine", opt="momentum", n="40", view="step")
    assert not at.exception, at.exception
    first = [x.value for x in at.latex]
    at.slider(key="step_k").set_value(5).run()
    assert not at.exception
    assert [x.value for x in at.latex] != first
    assert any("b_k" in x.value for x in at.latex)


def test_network_lab_page_is_routed():
    at = fresh_app()
    at.switch_page("pages/network_lab.py").run()
    assert not at.exception, at.exception


def test_custom_formula_races_and_bad_formulas_only_warn():
    at = fresh_app()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").input("x**2 + 3*sin(y)**2").run()
    assert not at.exception, at.exception
    assert at.query_params["f"] == "x**2 + 3*sin(y)**2"
    assert race_paths(at)
    for hostile in ("__import__('os').system('true')", "x" * 400 + "+", "(" * 200, "9**9**9"):
        at.text_input(key="formula").input(hostile).run()
        assert not at.exception, (hostile, at.exception)
        assert at.error, hostile
        assert race_paths(at)  # the last good formula keeps racing


def test_custom_formula_from_the_url():
    at = app_with_query(s="custom", f="abs(x) + y^2", b="-2,2,-1,1")
    assert not at.warning
    assert at.session_state["formula"] == "abs(x) + y^2"
    paths = race_paths(at)
    assert paths


def test_advanced_hyperparameters_persist_when_hidden():
    at = app_with_query(s="bowl", opt="adam", n="30")
    before = race_paths(at)["adam"]
    at.toggle(key="advanced").set_value(True).run()
    at.number_input(key="w_hp_adam_betas_1").set_value(0.9).run()
    assert not at.exception, at.exception
    assert "adam.betas=0.9:0.9" in at.query_params["hp"]
    changed = race_paths(at)["adam"]
    assert not np.allclose(before, changed)
    at.toggle(key="advanced").set_value(False).run()  # hidden widgets keep their values
    assert "adam.betas=0.9:0.9" in at.query_params["hp"]
    np.testing.assert_array_equal(race_paths(at)["adam"], changed)


def test_prodigys_none_and_inf_defaults_are_set_in_advanced_and_emptied_back():
    at = app_with_query(s="ravine", opt="prodigy", n="60", hp="prodigy.beta3=0.9")
    at.toggle(key="advanced").set_value(True).run()
    assert not at.exception, at.exception
    assert at.number_input(key="w_hp_prodigy_beta3").value == 0.9
    assert at.number_input(key="w_hp_prodigy_growth_rate").value is None  # inf: empty
    at.number_input(key="w_hp_prodigy_growth_rate").set_value(1.05).run()
    assert "prodigy.growth_rate=1.05" in at.query_params["hp"]
    at.number_input(key="w_hp_prodigy_beta3").set_value(None).run()
    assert not at.exception, at.exception
    assert at.query_params["hp"] == "prodigy.growth_rate=1.05"


def test_second_order_methods_race_newton_stops_at_the_saddle():
    at = app_with_query(s="saddle_escape", opt="newton,saddle_free_newton,lbfgs", n="30",
                        hp="lbfgs.line_search_fn=strong_wolfe")
    assert not at.warning, [w.value for w in at.warning]
    paths = race_paths(at)
    assert set(paths) == {"newton", "saddle_free_newton", "lbfgs"}
    np.testing.assert_allclose(paths["newton"][-1], [0.0, 0.0], atol=1e-6)  # the saddle
    assert abs(abs(paths["saddle_free_newton"][-1][1]) - 1.0) < 1e-3  # a minimum (0, ±1)


def test_gradient_check_view_fails_near_the_kink_and_passes_on_the_smooth_valley():
    at = app_with_query(s="kink", view="gradcheck")
    assert not at.exception, at.exception
    assert any("(the gradient is probably wrong)" in m.value for m in at.markdown)
    at = app_with_query(s="smooth_kink", view="gradcheck")
    assert not at.exception, at.exception
    assert any("centered error" in m.value and "(good)" in m.value for m in at.markdown)


def test_theory_rates_next_to_the_race_on_a_quadratic():
    at = app_with_query(s="ravine", opt="sgd,momentum", lr="0.03", n="200")
    note = next(c.value for c in at.caption if "Linear rate" in c.value)
    assert "SGD: predicted" in note and "Momentum: predicted" in note


def test_a_real_networks_loss_landscape_races():
    at = app_with_query(s="network", opt="sgd,adam", n="50")
    assert not at.warning, [w.value for w in at.warning]
    assert set(race_paths(at)) == {"sgd", "adam"}


def test_a_start_outside_the_map_is_not_an_error():
    # What a forged map click could send: the start inputs fall back inside the window.
    at = fresh_app()
    at.session_state["start_x"] = 1e9
    at.session_state["start_y"] = float("nan")
    at.run()
    assert not at.exception
    assert -2.0 <= at.session_state["start_x"] <= 2.0  # Rosenbrock's window
    assert -1.0 <= at.session_state["start_y"] <= 3.0


def test_every_registered_optimizer_races_with_its_advanced_panel_and_step_through():
    """All of them at once on the default surface: the race, the advanced hyperparameters
    (negative defaults, tuples that are not betas, None inside a tuple, an infinite default,
    a callable default) and the step-through view of each new one, without an exception."""
    import optimizers

    names = [*optimizers.OPTIMIZERS, *optimizers.SECOND_ORDER]
    at = app_with_query(opt=",".join(names), n="30")
    assert not at.exception, at.exception
    assert set(race_paths(at)) == set(names)
    at.toggle(key="advanced").set_value(True).run()
    assert not at.exception, at.exception
    at.number_input(key="w_hp_adafactor_beta2_decay").set_value(-0.5).run()
    at.number_input(key="w_hp_muon_ns_coefficients_1").set_value(-4.0).run()
    assert not at.exception, at.exception
    assert "adafactor.beta2_decay=-0.5" in at.query_params["hp"]
    assert "muon.ns_coefficients=3.4445:-4:2.0315" in at.query_params["hp"]
    at.segmented_control(key="view").set_value("step").run()
    for name in ("rprop", "lion", "muon", "adafactor", "sgd_schedule_free",
                 "adamw_schedule_free", "prodigy", "ademamix", "adopt"):
        at.selectbox(key="step_opt").set_value(name).run()
        assert not at.exception, (name, at.exception)
        assert any(c.value == theme_note(name) for c in at.caption), name


def theme_note(name: str) -> str:
    from viz import theme

    return theme.note(name)


def test_prodigy_keeps_its_own_lr_while_the_others_follow_the_slider():
    """Prodigy's lr multiplies its own estimate d: at the shared slider's 1e-3 it would crawl,
    so it keeps its default lr 1 (like Newton's step) unless given one."""
    at = app_with_query(s="ravine", opt="prodigy,adam", n="60", lr="0.001")
    before = race_paths(at)
    at = app_with_query(s="ravine", opt="prodigy,adam", n="60", lr="0.01")
    after = race_paths(at)
    np.testing.assert_array_equal(before["prodigy"], after["prodigy"])
    assert not np.allclose(before["adam"], after["adam"])
    at = app_with_query(s="ravine", opt="prodigy,adam", n="60", hp="prodigy.lr=0.5")
    assert not np.allclose(race_paths(at)["prodigy"], after["prodigy"])


def test_typed_formula_shows_as_typed():
    """Markdown must not eat a formula's stars: the title and the caption escape them."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["s"] = "custom"
    at.query_params["f"] = "(x**2+y-11)**2 + (x+y**2-7)**2"
    at.run()
    assert not at.exception, at.exception
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(r"\(x\*\*2\+y\-11\)\*\*2" in t for t in texts), texts


def test_the_panel_is_sent_the_races_of_the_sliders_it_holds_only():
    """All three on a first visit; after a release (pages.race._on_settings), the released
    slider's; a slider grabbed adds its own (_on_want); after another change, none."""
    from pages.race import HELD_AXES

    at = app_with_query(s="ravine", opt="sgd,momentum", sch="exponential")
    axes = json.loads(race_args(at)["axes"])
    assert all(axes[a] is not None for a in ("lr", "momentum", "decay"))
    at.session_state[HELD_AXES] = frozenset({"momentum"})
    release(at, momentum=0.95)
    axes = json.loads(race_args(at)["axes"])
    assert axes["momentum"] is not None and axes["lr"] is None and axes["decay"] is None
    at.session_state[HELD_AXES] = frozenset({"momentum", "lr"})
    at.run()
    axes = json.loads(race_args(at)["axes"])
    assert axes["lr"] is not None and axes["decay"] is None
    at.number_input(key="start_x").set_value(-1.0).run()  # another race: none until grabbed
    assert json.loads(race_args(at)["axes"]) == {"lr": None, "momentum": None, "decay": None}


def test_a_presets_link_opens_with_its_caption():
    from scene.presets import PRESETS

    preset = PRESETS["momentum_ravine"]
    at = app_with_query(**{k: v[0] for k, v in parse_qs(preset.query).items()})
    assert not at.exception, at.exception
    assert race_args(at)["caption"].startswith(f"**{preset.title}.**")
    release(at, lr=0.03)  # another race: the caption no longer tells its story
    assert race_args(at)["caption"] == ""


def test_step_through_a_copy_names_it_and_uses_its_own_lr():
    at = app_with_query(s="ravine", opt="sgd~2,sgd", n="40", view="step",
                        hp="sgd~2.lr=0.03")
    assert not at.exception, at.exception
    heading = [m.value for m in at.markdown if "update 1" in m.value]
    assert heading and heading[0].startswith("**SGD #2, update 1** (lr used: 0.03)"), heading
